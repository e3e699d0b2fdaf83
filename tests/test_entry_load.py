"""Load and faults: clerks typing at once against one server; the server killed and restarted.

The suite runs a small version (10 clerks x 6 typings); benchmarks/bench_entry.py runs the
full 10 x 50 and reports save latencies.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from entry_support import PASSWORD, WAVE, Server, make_store, make_study, questionnaire, workload

from analysis.entry.answers import Answers
from analysis.entry.client import EntryClient
from analysis.entry.store import EntryStore

CLERKS = 10
PER_CLERK = 6


class Clerk(threading.Thread):
    """Types its papers in order; remembers what the server acknowledged."""

    def __init__(
        self, name: str, papers: list[int], base: str, stop_after: threading.Event | None = None
    ):
        super().__init__(daemon=True)
        self.name_, self.papers, self.base = name, list(papers), base
        self.acknowledged: dict[str, tuple[int, dict]] = {}  # submission -> (entry id, answers)
        self.pending: tuple[str, int] | None = None  # (submission, paper) sent but not acknowledged
        self.failed: Exception | None = None
        self.stop_after = stop_after

    def run(self) -> None:
        client = EntryClient(self.base, timeout=30)
        try:
            assert client.login(self.name_, PASSWORD)
            while self.papers:
                paper = self.papers[0]
                submission = self.pending[0] if self.pending else uuid.uuid4().hex
                self.pending = (submission, paper)
                reply = client.save_new("household", questionnaire(paper), submission=submission)
                if reply.status != 200:
                    raise AssertionError(
                        f"{self.name_} paper {paper}: {reply.status} {reply.text[:300]}"
                    )
                self.acknowledged[submission] = (reply.json()["entry_id"], questionnaire(paper))
                self.pending = None
                self.papers.pop(0)
        except Exception as exc:  # connection refused after a kill, or a real failure
            self.failed = exc
        finally:
            client.close()


def run_clerks(
    base: str, plan: dict[str, list[int]], previous: dict[str, Clerk] | None = None
) -> dict[str, Clerk]:
    clerks = {}
    for name, papers in plan.items():
        clerk = Clerk(name, papers, base)
        if previous:  # resume: retry the unacknowledged save with the same submission id
            old = previous[name]
            clerk.papers, clerk.pending, clerk.acknowledged = (
                old.papers,
                old.pending,
                dict(old.acknowledged),
            )
        clerks[name] = clerk
        clerk.start()
    for clerk in clerks.values():
        clerk.join(120)
    return clerks


def assert_stored_exactly(db, clerks: dict[str, Clerk], total: int) -> None:
    store = EntryStore(db)
    rows = (
        store.connect()
        .execute(
            "SELECT e.id, e.submission, u.name, e.answers FROM entries e JOIN users u ON u.id = e.clerk_id"
        )
        .fetchall()
    )
    assert len(rows) == total, f"{len(rows)} typings stored, {total} expected"
    by_submission = {r[1]: r for r in rows}
    for name, clerk in clerks.items():
        for submission, (entry_id, answers) in clerk.acknowledged.items():
            row = by_submission[submission]
            assert row[0] == entry_id and row[2] == name
            assert Answers.loads(row[3]).get("hh_id") == answers["values"]["hh_id"]
    pairs = (
        store.connect()
        .execute(
            "SELECT q.key, COUNT(*) FROM entries e JOIN questionnaires q ON q.id = e.questionnaire_id GROUP BY q.key"
        )
        .fetchall()
    )
    assert all(count == 2 for _, count in pairs), "every paper typed exactly twice"
    statuses = {q.status for q in store.questionnaires(WAVE)}
    assert statuses == {"agreed"}
    store.close()


@pytest.fixture
def study(tmp_path):
    make_store(tmp_path / "entry.sqlite", clerks=CLERKS, supervisors=1).close()
    return make_study(tmp_path / "study"), tmp_path / "entry.sqlite"


@pytest.mark.slow
def test_clerks_typing_at_once_lose_and_duplicate_nothing(study):
    folder, db = study
    server = Server(folder, db).start()
    try:
        plan = workload(CLERKS, PER_CLERK)
        clerks = run_clerks(server.base, plan)
        assert all(c.failed is None for c in clerks.values()), [c.failed for c in clerks.values()]
        # A lost reply retried with the same submission is recognised, not stored again.
        client = EntryClient(server.base)
        assert client.login("clerk1", PASSWORD)
        submission, (entry_id, answers) = next(iter(clerks["clerk1"].acknowledged.items()))
        again = client.save_new("household", answers, submission=submission)
        assert (
            again.status == 200
            and again.json()["replayed"]
            and again.json()["entry_id"] == entry_id
        )
        client.close()
    finally:
        server.stop()
    assert_stored_exactly(db, clerks, CLERKS * PER_CLERK)


@pytest.mark.slow
def test_sigkill_mid_run_keeps_every_acknowledged_save(study):
    folder, db = study
    plan = workload(CLERKS, PER_CLERK)
    server = Server(folder, db).start()
    try:
        # Kill the server as soon as a dozen saves have been acknowledged.
        clerks = {}
        for name, papers in plan.items():
            clerks[name] = Clerk(name, papers, server.base)
        for clerk in clerks.values():
            clerk.start()

        def acknowledged() -> int:
            return sum(len(c.acknowledged) for c in clerks.values())

        deadline = time.monotonic() + 60
        while acknowledged() < 12 and time.monotonic() < deadline:
            time.sleep(0.005)
        server.kill()
        for clerk in clerks.values():
            clerk.join(60)
        before = acknowledged()
        assert 12 <= before < CLERKS * PER_CLERK, "the kill must land mid-run"
        # Every acknowledged save is on disk right after the kill, before any restart.
        store = EntryStore(db)
        stored = {r[0] for r in store.connect().execute("SELECT submission FROM entries")}
        store.close()
        for clerk in clerks.values():
            assert set(clerk.acknowledged) <= stored
        # Restart; the clerks resume, retrying what was never acknowledged.
        server = Server(folder, db).start()
        resumed = run_clerks(server.base, plan, previous=clerks)
        assert all(c.failed is None for c in resumed.values()), [c.failed for c in resumed.values()]
    finally:
        server.stop()
    assert_stored_exactly(db, resumed, CLERKS * PER_CLERK)
    print(json.dumps({"acknowledged_before_kill": before}))
