"""Entry app under load: saves and verdicts with 10 and 30 clerks; a browser clerk typing ahead.

1. **API load**, with 10 and then 30 clerks against one server (8 threads, a fresh
   database each): every clerk logs in and types its papers one after another as the
   entry screen does: a few rule checks while typing (``/api/forms/<form>/check``: the
   verdicts), then the save. Half of a clerk's papers are first typings, half second
   typings of a neighbour's papers, so both typings of a paper often arrive together. The
   database must then hold every acknowledged save exactly once, every paper typed twice
   and agreed. Reported: save and verdict latency p50/p95.
2. **Typing ahead** (needs Debian's chromium and playwright; skipped otherwise): a
   clerk in headless Chromium types 20 questionnaires at 30 ms a key, Enter between
   fields, without waiting for the screen, while 10 other clerks keep checking and saving
   through the API. After each questionnaire every field must hold what was typed for it
   (a key in a wrong field is counted, and fails the benchmark). Reported: the time from
   an Enter/Tab key press to the focus arriving in the next field (p50/p95/max, measured
   in the page), and the background clerks' save and verdict latency meanwhile.

Run with ``python -m benchmarks.bench_entry`` (or through ``python -m benchmarks``).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORM = ROOT / "tests" / "fixtures" / "entry" / "household.md"
#: (clerks, questionnaires per clerk) of the API load runs.
RUNS = ((10, 40), (30, 14))
CHECKS_PER_PAPER = 5
SOLO = 20
PASSWORD = "bench-password"
WAVE = "bench"
CHROMIUM = Path("/usr/bin/chromium")
#: The browser clerk: questionnaires typed, delay between keys (ms), background clerks.
TYPED, KEY_DELAY, BACKGROUND = 20, 30, 10


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


class _Served:
    """A study around the fixture form, its database with ``clerks`` clerks, the server."""

    def __init__(self, clerks: int) -> None:
        from analysis.entry.auth import hash_password
        from analysis.entry.store import EntryStore

        self.folder = Path(tempfile.mkdtemp(prefix="bench-entry-"))
        (self.folder / "surveys").mkdir()
        shutil.copy(FORM, self.folder / "surveys" / "household.md")
        (self.folder / "study.toml").write_text(
            '[study]\nname = "bench"\n[instruments.household]\nform = "surveys/household.md"\nkey = "hh_id"\n',
            encoding="utf-8",
        )
        self.db = self.folder / "entry.sqlite"
        store = EntryStore(self.db)
        digest = hash_password(PASSWORD, n=2**10)
        for c in range(clerks):
            store.add_user(f"clerk{c + 1}", "clerk", digest)
        store.close()
        # The server's log (waitress warns of queued requests under load) goes to a file:
        # an unread pipe would fill up and stop the server.
        self.log = (self.folder / "server.log").open("w", encoding="utf-8")
        self.server = subprocess.Popen(
            [sys.executable, "-m", "analysis.entry", "--study", str(self.folder), "--db", str(self.db),
             "serve", "--wave", WAVE, "--port", "0", "--threads", "8"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        self.base = ""
        for line in self.server.stdout:  # type: ignore[union-attr]
            if line.startswith("serving on "):
                self.base = line.split()[2].rstrip("/")
                break
        if not self.base:
            raise RuntimeError(f"server did not start: {self.tail()}")

    def tail(self) -> str:
        """The end of the server's log."""
        self.log.flush()
        return (self.folder / "server.log").read_text(encoding="utf-8")[-2000:]

    def close(self) -> None:
        if self.server.poll() is None:
            self.server.terminate()
            self.server.wait(10)
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _typing_checks(client, answers: dict, checks: list[float], lock, failures, who: str) -> None:
    """The checks the screen sends while a questionnaire is typed (growing prefixes)."""
    for k in range(CHECKS_PER_PAPER):
        partial = {"values": dict(list(answers["values"].items())[: 2 + 2 * k]), "repeats": {}}
        started = time.perf_counter()
        reply = client.check("household", partial)
        with lock:
            checks.append(time.perf_counter() - started)
        if reply.status != 200:
            failures.append(f"{who} check: {reply.status}")


def load(clerks: int, per_clerk: int) -> dict[str, float]:
    """The API load with ``clerks`` clerks typing ``per_clerk`` papers each."""
    from analysis.entry.client import EntryClient, questionnaire, workload
    from analysis.entry.store import EntryStore

    served = _Served(clerks)
    try:
        saves: list[float] = []
        checks: list[float] = []
        acknowledged: dict[str, str] = {}
        failures: list[str] = []
        lock = threading.Lock()

        def clerk(name: str, papers: list[int]) -> None:
            client = EntryClient(served.base)
            if not client.login(name, PASSWORD):
                failures.append(f"{name}: login failed")
                return
            for paper in papers:
                answers = questionnaire(paper)
                _typing_checks(client, answers, checks, lock, failures, name)
                submission = uuid.uuid4().hex
                started = time.perf_counter()
                reply = client.save_new("household", answers, submission=submission)
                elapsed = time.perf_counter() - started
                with lock:
                    saves.append(elapsed)
                    if reply.status == 200:
                        acknowledged[submission] = name
                    else:
                        failures.append(f"{name} save {paper}: {reply.status} {reply.text[:200]}")
            client.close()

        # One clerk alone first: the latency of a save when nobody else is typing.
        solo: list[float] = []
        alone = EntryClient(served.base)
        alone.login("clerk1", PASSWORD)
        for paper in range(900, 900 + SOLO):
            began = time.perf_counter()
            reply = alone.save_new("household", questionnaire(paper))
            solo.append(time.perf_counter() - began)
            if reply.status != 200:
                failures.append(f"solo save {paper}: {reply.status}")
        alone.close()
        started = time.perf_counter()
        threads = [
            threading.Thread(target=clerk, args=item)
            for item in workload(clerks, per_clerk).items()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        served.server.terminate()
        served.server.wait(10)
        store = EntryStore(served.db)
        con = store.connect()
        stored = dict(
            con.execute(
                "SELECT e.submission, u.name FROM entries e JOIN users u ON u.id = e.clerk_id"
                " JOIN questionnaires q ON q.id = e.questionnaire_id WHERE q.key < 'H900'"
            )
        )
        typed_twice = con.execute(
            "SELECT COUNT(*) FROM (SELECT q.id FROM questionnaires q JOIN entries e"
            " ON e.questionnaire_id = q.id WHERE q.key < 'H900' GROUP BY q.id HAVING COUNT(*) = 2)"
        ).fetchone()[0]
        statuses = [q.status for q in store.questionnaires(WAVE) if q.key < "H900"]
        store.close()
        lost = [s for s in acknowledged if s not in stored]
        duplicated = len(set(stored) - set(acknowledged))
        figures = {
            "clerks": float(clerks),
            "typings": float(len(saves)),
            "acknowledged": float(len(acknowledged)),
            "stored": float(len(stored)),
            "lost": float(len(lost)),
            "failures": float(len(failures)),
            "papers_agreed": float(statuses.count("agreed")),
            "save_p50_ms": 1000 * statistics.median(saves),
            "save_p95_ms": 1000 * _percentile(saves, 0.95),
            "save_max_ms": 1000 * max(saves),
            "solo_save_p50_ms": 1000 * statistics.median(solo),
            "solo_save_p95_ms": 1000 * _percentile(solo, 0.95),
            "check_p50_ms": 1000 * statistics.median(checks),
            "check_p95_ms": 1000 * _percentile(checks, 0.95),
            "wall_s": wall,
            "saves_per_s": len(saves) / wall,
        }
        print(
            f"entry API: {clerks} clerks x {per_clerk} questionnaires, "
            f"{CHECKS_PER_PAPER} checks each, one server (8 threads)"
        )
        print(
            f"  saves    p50 {figures['save_p50_ms']:.1f} ms   p95 {figures['save_p95_ms']:.1f} ms"
            f"   max {figures['save_max_ms']:.1f} ms"
        )
        print(
            f"  verdicts p50 {figures['check_p50_ms']:.1f} ms   p95 {figures['check_p95_ms']:.1f} ms"
        )
        print(
            f"  one clerk alone: saves p50 {figures['solo_save_p50_ms']:.1f} ms"
            f"   p95 {figures['solo_save_p95_ms']:.1f} ms"
        )
        print(
            f"  {len(acknowledged)} saves acknowledged, {len(stored)} stored, {len(lost)} lost, "
            f"{duplicated} duplicated, {len(failures)} failures; {typed_twice} papers typed twice, "
            f"{statuses.count('agreed')} agreed; "
            f"{wall:.1f} s wall, {figures['saves_per_s']:.1f} saves/s"
        )
        if failures:
            print("  first failures:", *failures[:5], sep="\n    ")
        if lost or failures or duplicated or len(stored) != clerks * per_clerk:
            raise SystemExit("entry benchmark: saves were lost or failed")
        return figures
    finally:
        served.close()


# ---------------------------------------------------------------- the browser clerk
#: Records, in the page, the time from each Enter/Tab key press to the next focus change.
_KEY_TO_FOCUS = """
window.__pressed = []; window.__focus = [];
document.addEventListener('keydown', e => {
  if ((e.key === 'Enter' || e.key === 'Tab') && !e.ctrlKey) window.__pressed.push(performance.now());
}, true);
document.addEventListener('focusin', () => {
  const t = window.__pressed.shift();
  if (t !== undefined) window.__focus.push(performance.now() - t);
}, true);
"""


def _keys(number: int) -> tuple[list[tuple[str, str]], dict[str, str], list[list[str]]]:
    """What the browser clerk types for paper ``number``: (action, text) steps, and the
    main answers and roster rows the screen must then hold."""
    from analysis.entry.client import questionnaire

    paper = questionnaire(number)
    values = paper["values"]
    steps: list[tuple[str, str]] = []
    for name in ("village_id", "hh_id", "head_name", "ethnicity", "hh_size", "has_tv"):
        steps.append(("type", values[name]))
    if values["has_tv"] == "1":
        steps.append(("type", values["tv_count"]))
    steps.append(("type", values["info_sources"]))
    if values["info_other"]:
        steps.append(("type", values["info_other"]))
    rows = []
    for member in paper["repeats"]["members"]:
        steps.append(("enter", ""))  # on "add a row"
        row = [member["values"][k] for k in ("m_name", "m_sex", "m_age")]
        steps.extend(("type", text) for text in row)
        rows.append(row)
    steps.append(("tab", ""))  # past "add a row"
    steps.append(("type", values["satisfaction"]))
    steps.append(("last", values["problems"]))  # a textarea: no Enter after it
    main = {k: v for k, v in values.items()}
    return steps, main, rows


_VALUES = """() => {
  const main = {};
  document.querySelectorAll('#entry .answer').forEach(a => {
    if (!a.closest('tr.row') && !a.closest('template')) main[a.dataset.name] = a.value;
  });
  const rows = [...document.querySelectorAll('tbody.rows > tr.row')].map(r =>
    [...r.querySelectorAll('.answer')].map(a => a.value));
  return {main, rows};
}"""


def typing_ahead() -> dict[str, float] | None:
    """The browser clerk with :data:`BACKGROUND` clerks saving meanwhile (None: no browser)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("entry typing ahead: skipped (the playwright package is not installed)")
        return None
    if not CHROMIUM.exists():
        print("entry typing ahead: skipped (Debian's chromium is not installed)")
        return None
    from analysis.entry.client import EntryClient, questionnaire

    served = _Served(BACKGROUND + 1)
    stop = threading.Event()
    saves: list[float] = []
    checks: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def background(c: int) -> None:
        """Clerk c keeps typing: checks, then a save (a new paper, then its corrections)."""
        client = EntryClient(served.base)
        if not client.login(f"clerk{c + 2}", PASSWORD):
            failures.append(f"clerk{c + 2}: login failed")
            return
        entry, version = None, 0
        number = 600 + c
        while not stop.is_set():
            answers = questionnaire(number)
            answers["values"]["problems"] = f"第 {version + 1} 稿"
            _typing_checks(client, answers, checks, lock, failures, f"clerk{c + 2}")
            started = time.perf_counter()
            if entry is None:
                reply = client.save_new("household", answers)
            else:
                reply = client.save_edit(entry, answers, version)
            with lock:
                saves.append(time.perf_counter() - started)
            if reply.status != 200:
                failures.append(f"clerk{c + 2} save: {reply.status} {reply.text[:200]}")
                break
            body = reply.json()
            entry, version = body["entry_id"], body["version"]
        client.close()

    wrong: list[str] = []
    focus: list[float] = []
    page_errors: list[str] = []
    started = time.perf_counter()
    threads = [threading.Thread(target=background, args=(c,)) for c in range(BACKGROUND)]
    try:
        for thread in threads:
            thread.start()
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
            )
            context = browser.new_context(
                viewport={"width": 1366, "height": 768}, locale="zh-CN", bypass_csp=True
            )
            context.add_init_script(_KEY_TO_FOCUS)
            page = context.new_page()
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.goto(served.base + "/login")
            page.fill('input[name="name"]', "clerk1")
            page.fill('input[name="password"]', PASSWORD)
            page.press('input[name="password"]', "Enter")
            page.wait_for_url(served.base + "/")
            page.goto(served.base + "/forms/household/new")
            keys = page.keyboard
            for n in range(TYPED):
                number = 500 + n
                steps, main, rows = _keys(number)
                page.wait_for_function(
                    "document.activeElement.getAttribute('data-name') === 'village_id'"
                )
                page.wait_for_load_state("networkidle")
                for action, text in steps:
                    if action == "enter":
                        keys.press("Enter")
                    elif action == "tab":
                        keys.press("Tab")
                    else:
                        keys.type(text, delay=KEY_DELAY)
                        if action == "type":
                            keys.press("Enter")
                page.wait_for_function(
                    "v => document.activeElement.getAttribute('data-name') === 'problems'"
                    " && document.activeElement.value === v",
                    arg=main["problems"],
                    timeout=60_000,
                )
                page.wait_for_load_state("networkidle")
                shown = page.evaluate(_VALUES)
                for name, value in main.items():
                    if shown["main"].get(name) != value:
                        wrong.append(f"H{number} {name}: {shown['main'].get(name)!r} != {value!r}")
                if shown["rows"] != rows:
                    wrong.append(f"H{number} members: {shown['rows']} != {rows}")
                focus.extend(page.evaluate("window.__focus.splice(0)"))
                page.evaluate("window.__pressed.length = 0")
                keys.press("Control+s")
                page.wait_for_url(f"**/forms/household/new?saved=H{number}", timeout=60_000)
            browser.close()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        served.close()
    wall = time.perf_counter() - started
    figures = {
        "questionnaires": float(TYPED),
        "keys_in_wrong_field": float(len(wrong)),
        "focus_p50_ms": statistics.median(focus),
        "focus_p95_ms": _percentile(focus, 0.95),
        "focus_max_ms": max(focus),
        "moves": float(len(focus)),
        "background_saves": float(len(saves)),
        "background_save_p50_ms": 1000 * statistics.median(saves),
        "background_save_p95_ms": 1000 * _percentile(saves, 0.95),
        "background_check_p50_ms": 1000 * statistics.median(checks),
        "background_check_p95_ms": 1000 * _percentile(checks, 0.95),
        "wall_s": wall,
    }
    print(
        f"entry typing ahead: 1 clerk in Chromium, {TYPED} questionnaires at {KEY_DELAY} ms a key, "
        f"{BACKGROUND} clerks saving meanwhile"
    )
    print(
        f"  key press -> next field's focus: p50 {figures['focus_p50_ms']:.1f} ms"
        f"   p95 {figures['focus_p95_ms']:.1f} ms   max {figures['focus_max_ms']:.1f} ms"
        f"   ({len(focus)} moves)"
    )
    print(
        f"  meanwhile {len(saves)} saves: p50 {figures['background_save_p50_ms']:.1f} ms"
        f"   p95 {figures['background_save_p95_ms']:.1f} ms; verdicts p50 "
        f"{figures['background_check_p50_ms']:.1f} ms   p95 {figures['background_check_p95_ms']:.1f} ms"
    )
    print(
        f"  {len(wrong)} keys in a wrong field; {len(page_errors)} page errors; {wall:.1f} s wall"
    )
    for line in (wrong + failures + page_errors)[:5]:
        print("   ", line)
    if wrong or failures or page_errors:
        raise SystemExit("entry benchmark: keys landed in a wrong field, or saves failed")
    return figures


def main() -> dict[str, float]:
    """Run the API loads and the browser clerk; print and return the figures."""
    figures: dict[str, float] = {}
    for clerks, per_clerk in RUNS:
        for name, value in load(clerks, per_clerk).items():
            figures[f"api{clerks}_{name}"] = value
    typed = typing_ahead()
    for name, value in (typed or {}).items():
        figures[f"browser_{name}"] = value
    return figures


if __name__ == "__main__":
    main()
