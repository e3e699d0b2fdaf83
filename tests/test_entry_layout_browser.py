"""The entry screen is dense: at least 12 questions in view at 1366x768 (a common office
laptop), on the demo study's household questionnaire, as a clerk sees it on opening it.

A question counts when its whole row (label and answer box) lies inside the viewport
above the save bar and it is shown (not skipped); notes and calculations do not count. The screenshot goes to ``$TMPDIR/baicun-entry-shots/``. Also: hints and the column heads of
a repeat table show ``${...}`` with the answers.
Skipped like tests/test_entry_browser.py without Debian's chromium or playwright.
"""

from __future__ import annotations

import pytest
from entry_support import ROOT, Server, make_store, make_study
from test_entry_browser import CHROMIUM, SHOTS, Screen, browser  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

#: Questions whose row lies wholly in the viewport and is shown.
IN_VIEW = """() => {
  // The save bar sticks to the bottom of the window: what it covers is not in view.
  const h = document.querySelector('#entry .actions').getBoundingClientRect().top;
  const w = window.innerWidth;
  return [...document.querySelectorAll('#entry .field[data-field]:not(.note):not(.calc)')].filter(el => {
    if (el.closest('template') || el.closest('.skipped') || !el.offsetParent) return false;
    const r = el.getBoundingClientRect();
    return r.height > 0 && r.top >= 0 && r.bottom <= h && r.left >= 0 && r.right <= w;
  }).map(el => el.dataset.field);
}"""


@pytest.fixture
def demo(tmp_path):
    make_store(tmp_path / "entry.sqlite", clerks=1, supervisors=0).close()
    server = Server(ROOT, tmp_path / "entry.sqlite").start()
    yield server
    server.stop()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_twelve_questions_in_view_at_1366x768(demo, browser, lang):  # noqa: F811
    screen = Screen(browser, demo.base)
    page = screen.page
    page.set_viewport_size({"width": 1366, "height": 768})
    screen.login("clerk1")
    if lang == "en":
        page.locator("header.top button.link").first.click()
        page.wait_for_url(demo.base + "/")
    page.goto(demo.base + "/forms/household/new")
    page.wait_for_function("document.activeElement.classList.contains('answer')")
    page.wait_for_load_state("networkidle")
    seen = page.evaluate(IN_VIEW)
    page.screenshot(path=str(SHOTS / f"dense-1366x768-{lang}.png"))
    assert len(seen) >= 12, seen
    # Nothing overflows sideways: the page does not scroll horizontally.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert screen.errors == []


@pytest.fixture
def piped(tmp_path):
    from test_entry_verdicts import PIPED_FORM

    make_store(tmp_path / "entry.sqlite", clerks=1, supervisors=0).close()
    study = make_study(tmp_path / "study")
    (study / "surveys" / "household.md").write_text(PIPED_FORM, encoding="utf-8")
    server = Server(study, tmp_path / "entry.sqlite").start()
    yield server
    server.stop()


def test_hints_and_repeat_column_heads_show_the_answers(piped, browser):  # noqa: F811
    screen = Screen(browser, piped.base)
    screen.login("clerk1")
    page = screen.page
    page.goto(piped.base + "/forms/household/new")
    page.wait_for_function("document.activeElement.getAttribute('data-name') === 'hh_id'")
    for text in ("H001", "王", "2"):
        page.keyboard.type(text)
        page.keyboard.press("Enter")
    page.wait_for_function(
        "document.querySelector('.field[data-field=\"hh_size\"] .hint').textContent"
        " === '包括户主 王'"
    )
    page.wait_for_load_state("networkidle")
    head = page.locator('th[data-head="m_age"]')
    assert head.locator(".label").inner_text() == "年龄（王 家）"
    assert head.locator(".alt").inner_text() == "Age (王's)"
    assert head.locator(".hint").inner_text().strip() == "共 2 人"
    assert screen.errors == []
