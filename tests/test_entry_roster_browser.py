"""The entry screen in a real browser on a counted roster (``repeat_count = ${hh_size}``).

Typed roster rows survive an edit of the household size ("3" -> "1" -> "13" -> "3"):
rows beyond the size are marked, with a note and a button, and removed only when the
clerk presses it; labels piping ``${hh_size}`` show the answer; a default whose rule
depends on a later answer is not flagged before the clerk reaches it; a save refused
for extra rows says so in Chinese. Skipped like tests/test_entry_browser.py without
Debian's chromium or the playwright package.
"""

from __future__ import annotations

import pytest
from entry_support import Server, make_store, make_study
from test_entry_browser import CHROMIUM, SHOTS, Screen, browser  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


@pytest.fixture
def served(tmp_path):
    make_store(tmp_path / "entry.sqlite", clerks=1, supervisors=0).close()
    study = make_study(tmp_path / "study", form="roster")
    server = Server(study, tmp_path / "entry.sqlite").start()
    yield server
    server.stop()


def _rows(page) -> list[str]:
    return page.eval_on_selector_all(
        "tbody.rows > tr.row", "rows => rows.map(r => r.querySelector('.answer').value)"
    )


def _settled(page) -> None:
    """Wait until the page has shown the reply to the last answer typed."""
    page.wait_for_timeout(400)
    page.wait_for_load_state("networkidle")


def test_roster_rows_are_kept_until_the_clerk_confirms(served, browser):  # noqa: F811
    screen = Screen(browser, served.base)
    screen.login("clerk1")
    page = screen.page
    page.goto(served.base + "/forms/household/new")
    page.wait_for_function("document.activeElement.getAttribute('data-name') === 'hh_id'")
    _settled(page)
    # The default of n_adults breaks its rule while hh_size is empty: not flagged yet.
    adults = page.locator('.field[data-field="n_adults"]')
    assert adults.locator(".msg").inner_text() == ""
    assert "bad" not in (adults.get_attribute("class") or "")
    assert screen.enter("H001") == "n_adults"
    assert screen.enter() == "hh_size"  # keeps the default 1
    assert screen.enter("3") == "m_name"
    title = page.locator(".repeat-title .label")
    page.wait_for_function(
        "document.querySelector('.repeat-title .label').textContent === '家庭成员（共 3 人）'"
    )
    for name, age in (("王大山", "52"), ("李小花", "49"), ("王小明", "13")):
        assert screen.enter(name) == "m_age"
        screen.enter(age)
    _settled(page)
    assert _rows(page) == ["王大山", "李小花", "王小明"]
    summary = page.locator('.field[data-field="summary"] .q .label')
    assert summary.inner_text() == "本户 3 人，已登记 3 行"
    alt = page.locator('.field[data-field="summary"] .q .alt')
    assert alt.inner_text() == "3 people, 3 rows listed"  # the other language too
    # The clerk retypes the size: "1" on the way to "13". Nothing typed is lost.
    size = page.locator('input[data-name="hh_size"]')
    size.click()
    size.fill("")
    page.keyboard.type("1")
    _settled(page)
    assert _rows(page) == ["王大山", "李小花", "王小明"]
    assert page.locator("tr.row.extra").count() == 2
    note = page.locator(".repeat .surplus")
    assert note.is_visible()
    assert "第 2–3 行超出应有的 1 行" in note.inner_text()
    assert title.inner_text() == "家庭成员（共 1 人）"
    screen.shot("roster-1-extra-rows")
    page.keyboard.type("3")  # "13": ten more empty rows, none marked
    _settled(page)
    assert _rows(page)[:3] == ["王大山", "李小花", "王小明"] and len(_rows(page)) == 13
    assert page.locator("tr.row.extra").count() == 0 and not note.is_visible()
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.type("3")  # back to 3: the empty rows go, the typed ones stay
    _settled(page)
    assert _rows(page) == ["王大山", "李小花", "王小明"]
    assert page.locator("tr.row.extra").count() == 0
    # Down to 2: the third row is kept; a save is refused and says why, in Chinese.
    size.fill("2")
    _settled(page)
    assert page.locator("tr.row.extra").count() == 1
    page.keyboard.press("Control+s")
    banner = page.locator("form .banner.error")
    page.wait_for_function("!document.querySelector('form .banner.error').hidden")
    assert "超出应有行数" in banner.inner_text() and "未保存" in banner.inner_text()
    screen.shot("roster-2-save-refused")
    # The clerk confirms: the extra row goes, and the save goes through.
    page.locator(".drop-extra").click()
    _settled(page)
    assert _rows(page) == ["王大山", "李小花"]
    assert not note.is_visible()
    page.keyboard.press("Control+s")
    page.wait_for_url("**/forms/household/new?saved=H001")
    assert screen.errors == []
