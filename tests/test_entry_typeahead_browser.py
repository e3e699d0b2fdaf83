"""Keys typed ahead of a slow server land in the field they were typed for.

The check endpoint is slowed down in the browser (300-500 ms a reply, out of order: a
later request may be answered before an earlier one) and a clerk types a whole
questionnaire without waiting for the screen (``keyboard.type(..., delay=30)`` with Enter
between fields), through a skip (``has_tv`` = 2 hides ``tv_count``), a follow-up question
(``info_other``) and a roster. Every field must hold exactly what was typed for it.
Skipped like tests/test_entry_browser.py without Debian's chromium or playwright.
"""

from __future__ import annotations

import time

import pytest
from entry_support import Server, make_store, make_study
from test_entry_browser import CHROMIUM, SHOTS, Screen, browser  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

#: Delays of successive check replies (ms): long and short alternate, so replies cross.
DELAYS = (500, 300, 450, 320)

#: (field, what the clerk types) in the order of the paper; None = Enter on "add a row".
MAIN = [
    ("village_id", "12"),
    ("hh_id", "H007"),
    ("head_name", "WANG"),
    ("ethnicity", "2"),
    ("hh_size", "3"),
    ("has_tv", "2"),  # tv_count is skipped: the next keys belong to info_sources
    ("info_sources", "9 1"),
    ("info_other", "集市"),  # opened by the 9 just typed
]
MEMBERS = [("WANG DA", "1", "52"), ("李小花", "2", "49"), ("WANG XM", "1", "13")]


@pytest.fixture
def served(tmp_path):
    make_store(tmp_path / "entry.sqlite", clerks=1, supervisors=0).close()
    study = make_study(tmp_path / "study")
    server = Server(study, tmp_path / "entry.sqlite").start()
    yield server
    server.stop()


def _slow_checks(page) -> list[float]:
    """Delay every reply of the check endpoint; the times the requests were seen."""
    seen: list[float] = []

    def handle(route) -> None:
        seen.append(time.monotonic())
        page.wait_for_timeout(DELAYS[(len(seen) - 1) % len(DELAYS)])
        route.continue_()

    page.route("**/api/forms/*/check", handle)
    return seen


def _values(page) -> dict:
    return page.evaluate(
        """() => {
          const main = {};
          document.querySelectorAll('#entry > .field .answer, #entry fieldset .answer')
            .forEach(a => { if (!a.closest('tr.row')) main[a.dataset.name] = a.value; });
          const rows = [...document.querySelectorAll('tbody.rows > tr.row')].map(r =>
            [...r.querySelectorAll('.answer')].map(a => a.value));
          return {main, rows};
        }"""
    )


def test_typed_ahead_keys_stay_in_their_fields(served, browser):  # noqa: F811
    screen = Screen(browser, served.base)
    screen.login("clerk1")
    page = screen.page
    seen = _slow_checks(page)
    page.goto(served.base + "/forms/household/new")
    page.wait_for_function("document.activeElement.getAttribute('data-name') === 'village_id'")
    page.wait_for_load_state("networkidle")
    start = time.monotonic()
    keys = page.keyboard
    for _name, text in MAIN:
        keys.type(text, delay=30)
        keys.press("Enter")
    for member in MEMBERS:
        keys.press("Enter")  # on "add a row"
        for text in member:
            keys.type(text, delay=30)
            keys.press("Enter")
    keys.press("Tab")  # past "add a row"
    keys.type("4", delay=30)
    keys.press("Enter")
    keys.type("文化室开放少", delay=30)
    typing = time.monotonic() - start
    page.wait_for_function(
        "document.activeElement.getAttribute('data-name') === 'problems'"
        " && document.activeElement.value === '文化室开放少'"
    )
    page.wait_for_timeout(700)
    page.wait_for_load_state("networkidle")
    assert len(seen) >= 5, seen  # the checks went through the slow route
    # The typing did not wait for the replies: it took about as long as the keys.
    assert typing < 0.5 * len(seen) + 6, typing
    values = _values(page)
    expected = {name: text for name, text in MAIN}
    expected.update(tv_count="", satisfaction="4", problems="文化室开放少")
    assert {k: values["main"].get(k) for k in expected} == expected
    assert values["rows"] == [list(m) for m in MEMBERS]
    assert not page.locator('.field[data-field="tv_count"]').is_visible()
    assert page.locator('.field[data-field="n_members"] output').inner_text() == "3"
    assert page.locator(".field.bad").count() == 0
    assert screen.errors == []
    page.keyboard.press("Control+s")
    page.wait_for_url("**/forms/household/new?saved=H007")


@pytest.fixture
def advancing(tmp_path):
    """The study with ``auto_advance = true`` for the household form."""
    make_store(tmp_path / "entry.sqlite", clerks=1, supervisors=0).close()
    study = make_study(tmp_path / "study")
    with (study / "study.toml").open("a", encoding="utf-8") as toml:
        toml.write("auto_advance = true\n")
    server = Server(study, tmp_path / "entry.sqlite").start()
    yield server
    server.stop()


#: (what the clerk types, then Enter?) with auto-advance on: a complete code goes on by
#: itself (ethnicity 1 digit, hh_size 2 of 1-20, has_tv, m_sex, m_age 3 of 0-120,
#: satisfaction); a shorter answer needs Enter.
ADVANCING = [
    ("12", True),  # village_id: 1-999, 2 of 3 digits
    ("H007", True),
    ("WANG", True),
    ("2", False),  # ethnicity
    ("13", False),  # hh_size: 2 digits of 1-20
    ("2", False),  # has_tv = no: tv_count skipped
    ("9 1", True),
    ("集市", True),
    (None, False),  # Enter on "add a row"
    ("WANG DA", True),
    ("1", False),  # m_sex
    ("052", False),  # m_age: 3 digits of 0-120
    ("TAB", False),  # past "add a row"
    ("4", False),  # satisfaction
    ("文化室开放少", False),
]


def test_auto_advance_moves_on_when_a_code_is_complete(advancing, browser):  # noqa: F811
    screen = Screen(browser, advancing.base)
    screen.login("clerk1")
    page = screen.page
    _slow_checks(page)
    page.goto(advancing.base + "/forms/household/new")
    page.wait_for_function("document.activeElement.getAttribute('data-name') === 'village_id'")
    page.wait_for_load_state("networkidle")
    assert page.locator("#auto-advance").is_checked()  # the study's setting
    widths = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#entry input[data-width]')]"
        ".filter(i => !i.closest('template')).map(i => [i.dataset.name, i.dataset.width]))"
    )
    assert widths == {
        "village_id": "3",
        "ethnicity": "1",
        "hh_size": "2",
        "has_tv": "1",
        "tv_count": "2",
        "satisfaction": "1",
    }
    keys = page.keyboard
    for text, enter in ADVANCING:
        if text is None:
            keys.press("Enter")
        elif text == "TAB":
            keys.press("Tab")
        else:
            keys.type(text, delay=30)
        if enter:
            keys.press("Enter")
    page.wait_for_function(
        "document.activeElement.getAttribute('data-name') === 'problems'"
        " && document.activeElement.value === '文化室开放少'"
    )
    page.wait_for_timeout(700)
    page.wait_for_load_state("networkidle")
    values = _values(page)
    expected = {
        "village_id": "12",
        "hh_id": "H007",
        "head_name": "WANG",
        "ethnicity": "2",
        "hh_size": "13",
        "has_tv": "2",
        "tv_count": "",
        "info_sources": "9 1",
        "info_other": "集市",
        "satisfaction": "4",
    }
    assert {k: values["main"].get(k) for k in expected} == expected
    assert values["rows"] == [["WANG DA", "1", "052"]]
    assert screen.errors == []
    page.screenshot(path=str(SHOTS / "auto-advance.png"), full_page=True)
    # F9 switches it off, and the choice is remembered for this clerk on this PC.
    keys.press("F9")
    assert not page.locator("#auto-advance").is_checked()
    page.goto(advancing.base + "/forms/household/new")
    page.wait_for_function("document.activeElement.getAttribute('data-name') === 'village_id'")
    assert not page.locator("#auto-advance").is_checked()
    keys.type("1", delay=30)
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    keys.type("2", delay=30)  # ethnicity: stays without auto-advance
    page.wait_for_timeout(600)
    assert page.evaluate("document.activeElement.getAttribute('data-name')") == "ethnicity"
