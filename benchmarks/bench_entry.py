"""Entry app under load: 10 clerks typing 50 questionnaires each against one server.

Every clerk logs in, then types its papers one after another as the entry screen does:
a few rule checks while typing (``/api/forms/<form>/check``), then the save. Half of a
clerk's papers are first typings, half are second typings of a neighbour's papers, so
that both typings of a paper often arrive together. At the end the database must hold
every acknowledged save exactly once, every paper typed twice and agreed.

Run with ``python -m benchmarks.bench_entry`` (or through ``python -m benchmarks``).
"""

from __future__ import annotations

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
CLERKS = 10
PER_CLERK = 50
SOLO = 20
CHECKS_PER_PAPER = 5
PASSWORD = "bench-password"
WAVE = "bench"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> dict[str, float]:
    """Run the load, check nothing was lost or duplicated, print and return the figures."""
    from analysis.entry.auth import hash_password
    from analysis.entry.client import EntryClient, questionnaire, workload
    from analysis.entry.store import EntryStore

    folder = Path(tempfile.mkdtemp(prefix="bench-entry-"))
    try:
        (folder / "surveys").mkdir()
        shutil.copy(FORM, folder / "surveys" / "household.md")
        (folder / "study.toml").write_text(
            '[study]\nname = "bench"\n[instruments.household]\nform = "surveys/household.md"\nkey = "hh_id"\n',
            encoding="utf-8",
        )
        db = folder / "entry.sqlite"
        store = EntryStore(db)
        digest = hash_password(PASSWORD)
        for c in range(CLERKS):
            store.add_user(f"clerk{c + 1}", "clerk", digest)
        store.close()
        server = subprocess.Popen(
            [sys.executable, "-m", "analysis.entry", "--study", str(folder), "--db", str(db),
             "serve", "--wave", WAVE, "--port", "0", "--threads", "8"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        base = ""
        for line in server.stdout:  # type: ignore[union-attr]
            if line.startswith("serving on "):
                base = line.split()[2].rstrip("/")
                break
        if not base:
            raise RuntimeError(f"server did not start: {server.stderr.read()}")  # type: ignore[union-attr]
        saves: list[float] = []
        checks: list[float] = []
        acknowledged: dict[str, str] = {}
        failures: list[str] = []
        lock = threading.Lock()

        def clerk(name: str, papers: list[int]) -> None:
            client = EntryClient(base)
            if not client.login(name, PASSWORD):
                failures.append(f"{name}: login failed")
                return
            for paper in papers:
                answers = questionnaire(paper)
                for k in range(CHECKS_PER_PAPER):
                    partial = {
                        "values": dict(list(answers["values"].items())[: 2 + 2 * k]),
                        "repeats": {},
                    }
                    started = time.perf_counter()
                    reply = client.check("household", partial)
                    with lock:
                        checks.append(time.perf_counter() - started)
                    if reply.status != 200:
                        failures.append(f"{name} check {paper}: {reply.status}")
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
        alone = EntryClient(base)
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
            for item in workload(CLERKS, PER_CLERK).items()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        server.terminate()
        server.wait(10)
        store = EntryStore(db)
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
        # Stored typings nobody was told about (a save stored twice, or never acknowledged).
        duplicated = len(set(stored) - set(acknowledged))
        figures = {
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
            f"entry: {CLERKS} clerks x {PER_CLERK} questionnaires, {CHECKS_PER_PAPER} checks each, one server (8 threads)"
        )
        print(
            f"  saves   p50 {figures['save_p50_ms']:.1f} ms   p95 {figures['save_p95_ms']:.1f} ms   max {figures['save_max_ms']:.1f} ms"
        )
        print(
            f"  checks  p50 {figures['check_p50_ms']:.1f} ms   p95 {figures['check_p95_ms']:.1f} ms"
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
        if lost or failures or duplicated or len(stored) != CLERKS * PER_CLERK:
            raise SystemExit("entry benchmark: saves were lost or failed")
        return figures
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
