"""A real browser (Debian's headless Chromium driven by Playwright) types questionnaires.

Clerk 1 types a complete household questionnaire with the keyboard only, meeting a skip
and constraint violations; clerk 2 types it with one difference; a supervisor resolves
the difference; the export read back with ``read_raw`` equals what was typed.
Screenshots of each step go to ``$TMPDIR/baicun-entry-shots/``.

Skipped (with the reason) where /usr/bin/chromium or the playwright package is absent.
The browser is never downloaded: the project's set-up installs Debian's chromium.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from entry_support import FIXTURES, PASSWORD, ROOT, WAVE, Server, make_store, make_study

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(tempfile.gettempdir()) / "baicun-entry-shots"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (/usr/bin/chromium); run the project's set-up",
    ),
]
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed in the venv"
)

#: What is on the paper questionnaire (what the export must hold).
PAPER = {
    "village_id": "12",
    "hh_id": "H001",
    "head_name": "王大山",
    "ethnicity": "2",
    "hh_size": "3",
    "has_tv": "2",
    "tv_count": "",
    "info_sources": "1 9",
    "info_other": "集市",
    "satisfaction": "4",
    "problems": "文化室开放少 <script>window.__pwned=1</script> =1+1",
}
MEMBERS = [("王大山", "1", "52"), ("李小花", "2", "49"), ("王小明", "1", "13")]


@pytest.fixture
def served(tmp_path):
    make_store(tmp_path / "entry.sqlite", clerks=2, supervisors=1).close()
    study = make_study(tmp_path / "study")
    server = Server(study, tmp_path / "entry.sqlite").start()
    yield server, study, tmp_path / "entry.sqlite"
    server.stop()


@pytest.fixture
def browser():
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


class Screen:
    """One user's page, driven from the keyboard."""

    def __init__(self, browser, base: str) -> None:
        # bypass_csp lets the test's own probes run (the page's CSP forbids eval); it also
        # means the inertness checks below test the escaping alone, not the CSP behind it.
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="zh-CN", bypass_csp=True
        )
        self.page = context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def login(self, name: str) -> None:
        page = self.page
        page.goto(self.base + "/")
        assert "/login" in page.url
        page.wait_for_function("document.activeElement.name === 'name'")
        page.keyboard.type(name)  # the name field has the focus
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(self.base + "/")

    def active(self) -> str:
        return self.page.evaluate(
            "() => { const a = document.activeElement;"
            " return a.getAttribute('data-name') || a.className || a.tagName; }"
        )

    def enter(self, text: str = "", key: str = "Enter") -> str:
        """Type ``text`` into the focused field, press ``key``; the name of the next field."""
        page = self.page
        if text:
            page.keyboard.type(text)
        before = page.evaluate_handle("document.activeElement")
        page.keyboard.press(key)
        page.wait_for_function("prev => document.activeElement !== prev", arg=before)
        return self.active()

    def message(self, path_selector: str) -> str:
        return self.page.locator(path_selector).inner_text()

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def type_questionnaire(screen: Screen, members, shots: str | None = None) -> None:
    """Type the paper questionnaire from the keyboard only, as a clerk would."""
    page = screen.page
    page.wait_for_function("document.activeElement.tagName === 'A'")  # the form's link
    page.keyboard.press("Enter")
    page.wait_for_url("**/forms/household/new")
    page.wait_for_function("document.activeElement.getAttribute('data-name') === 'village_id'")
    assert screen.enter("12") == "hh_id"
    assert screen.enter("H001") == "head_name"
    assert screen.enter("王大山") == "ethnicity"
    assert screen.enter("2") == "hh_size"
    page.wait_for_function(
        "document.querySelector('[data-field=ethnicity] .picked').textContent === '藏族'"
    )
    # A constraint violation: 25 people. The message appears; the clerk goes back and fixes it.
    assert screen.enter("25") == "has_tv"
    hh_size = page.locator('.field[data-field="hh_size"]')
    page.wait_for_function("document.querySelector('[data-field=hh_size] .msg').textContent !== ''")
    assert hh_size.locator(".msg").inner_text() == "家庭人口应在 1 到 20 之间"
    if shots:
        screen.shot(f"{shots}-1-constraint")
    assert screen.enter(key="Shift+Enter") == "hh_size"
    assert screen.enter("3") == "has_tv"
    page.wait_for_function("document.querySelector('[data-field=hh_size] .msg').textContent === ''")
    # A skip: no TV, so "number of TV sets" is hidden and the cursor jumps over it.
    assert screen.enter("2") == "info_sources"
    assert not page.locator('.field[data-field="tv_count"]').is_visible()
    # Choosing "9 other" opens the follow-up question.
    assert screen.enter("9 1") == "info_other"
    assert screen.enter("集市") == "add-row"
    for row, (name, sex, age) in enumerate(members, start=1):
        assert screen.enter() == "m_name"  # Enter on "add a row"
        assert screen.enter(name) == "m_sex"
        assert screen.enter(sex) == "m_age"
        after = screen.enter(age)
        assert after == "add-row", (row, after)
    assert screen.enter(key="Tab") == "satisfaction"
    assert screen.enter("4") == "problems"
    page.keyboard.type(PAPER["problems"])
    if shots:
        screen.shot(f"{shots}-2-typed")
    assert page.locator('.field[data-field="n_members"] output').inner_text() == str(len(members))


def save(screen: Screen) -> None:
    page = screen.page
    page.keyboard.press("Control+s")
    page.wait_for_url("**/forms/household/new?saved=H001")
    assert "已保存问卷 H001" in page.locator(".banner.ok").inner_text()


def test_two_clerks_and_a_supervisor_in_a_real_browser(served, browser):
    server, study, db = served
    # ---- clerk 1 types the paper, with a violation left in on purpose, then fixed.
    one = Screen(browser, server.base)
    one.login("clerk1")
    one.shot("0-clerk-home")
    wrong = [*MEMBERS[:2], ("王小明", "1", "130")]
    type_questionnaire(one, wrong, shots="clerk1")
    one.page.keyboard.press("Control+s")  # refused: age 130 breaks the rule
    one.page.wait_for_function("document.activeElement.getAttribute('data-name') === 'm_age'")
    banner = one.page.locator("form .banner.error")
    assert "未保存" in banner.inner_text()
    row3 = one.page.locator("tr.row").nth(2)
    assert row3.locator('[data-field="m_age"] .msg').inner_text() == "年龄应在 0 到 120 之间"
    one.shot("clerk1-3-refused")
    one.page.keyboard.type("13")  # the focused field's text is selected: typing replaces it
    save(one)
    one.shot("clerk1-4-saved")
    # ---- clerk 2 types the same paper with one difference (Li Xiaohua's age).
    two = Screen(browser, server.base)
    two.login("clerk2")
    different = [MEMBERS[0], ("李小花", "2", "48"), MEMBERS[2]]
    type_questionnaire(two, different)
    save(two)
    # ---- the supervisor compares and follows the paper (typing 1 is right).
    boss = Screen(browser, server.base)
    boss.login("super1")
    assert "两次录入不一致" in boss.page.locator("table.list").inner_text()
    boss.shot("super-1-home")
    boss.page.get_by_role("link", name="H001").click()
    differences = boss.page.locator("tr.difference")
    assert differences.count() == 1
    assert differences.first.get_attribute("data-path") == "members[2]/m_age"
    assert "49" in differences.first.inner_text() and "48" in differences.first.inner_text()
    assert boss.page.evaluate("window.__pwned === undefined")  # the typed <script> is inert
    boss.shot("super-2-compare")
    boss.page.keyboard.press("Space")  # the first choice (typing 1) has the focus
    boss.page.keyboard.press("Enter")
    boss.page.wait_for_url(server.base + "/?saved=H001")
    assert "已定稿" in boss.page.locator(".status.resolved").first.inner_text()
    boss.shot("super-3-resolved")
    boss.page.get_by_role("link", name="H001").click()
    assert boss.page.evaluate("window.__pwned === undefined")
    boss.shot("super-4-resolved-answers")
    for screen in (one, two, boss):
        assert screen.errors == []
    # ---- export and read back.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis.entry",
            "--study",
            str(study),
            "--db",
            str(db),
            "export",
            "--wave",
            WAVE,
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    exported = study / "data" / "raw" / WAVE / "household.zip"
    read_back = _read_back(exported)
    for name, value in PAPER.items():
        assert read_back["main"][name] == value, name
    assert read_back["members"] == [list(m) for m in MEMBERS]


def _read_back(path: Path) -> dict:
    """The exported questionnaire, as read by read_raw (pandas on the CSVs if it is absent)."""
    from analysis.entry.export import unneutralise
    from analysis.instrument import load_instrument

    def text(value) -> str:
        return "" if pd.isna(value) else unneutralise(str(value))

    try:
        from analysis.readers import read_raw
    except ImportError:  # pragma: no cover - read_raw arrived with the readers
        import zipfile

        with zipfile.ZipFile(path) as archive:
            main = pd.read_csv(
                archive.open("household.csv"),
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
            )
            members = pd.read_csv(
                archive.open("household-members.csv"),
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
            )
    else:
        raw = read_raw(path, load_instrument(FIXTURES / "household.md"))
        assert raw.issues.empty, raw.issues.to_dict("records")
        main, members = raw.data, raw.repeats["members"]
    assert len(main) == 1
    row = main.iloc[0]
    return {
        "main": {name: text(row[name]) for name in PAPER},
        "members": [
            [text(r["m_name"]), text(r["m_sex"]), text(r["m_age"])] for _, r in members.iterrows()
        ],
    }
