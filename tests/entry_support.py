"""Helpers shared by the tests of analysis.entry (a study around a fixture form, a server)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from analysis.entry.app import EntrySite, FormSpec, create_app
from analysis.entry.auth import hash_password
from analysis.entry.client import questionnaire, workload  # noqa: F401  (used by the tests)
from analysis.entry.store import EntryStore
from analysis.instrument import load_instrument

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "entry"
PASSWORD = "entry-test-pass"
WAVE = "w1"


def make_study(folder: Path, form: str = "household") -> Path:
    """A study in ``folder`` whose instrument ``household`` is the fixture form ``form``."""
    (folder / "surveys").mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / f"{form}.md", folder / "surveys" / "household.md")
    (folder / "study.toml").write_text(
        '[study]\nname = "录入测试"\n\n[instruments.household]\nform = "surveys/household.md"\n'
        'key = "hh_id"\nlabel = { zh = "农牧户问卷", en = "Household questionnaire" }\n',
        encoding="utf-8",
    )
    return folder


#: Test accounts use a cheap scrypt cost so that logging in is fast; the app's default is 2**15.
FAST_HASH = hash_password(PASSWORD, n=2**10)


def make_store(path: Path, clerks: int = 2, supervisors: int = 1) -> EntryStore:
    """A store with clerk1..clerkN and super1..superM, all with PASSWORD."""
    store = EntryStore(path)
    digest = FAST_HASH
    for i in range(1, clerks + 1):
        store.add_user(f"clerk{i}", "clerk", digest)
    for i in range(1, supervisors + 1):
        store.add_user(f"super{i}", "supervisor", digest)
    return store


def make_app(store: EntryStore, form: str = "plain"):
    """A Flask app serving the fixture ``form`` as instrument ``household`` (key hh_id)."""
    instrument = load_instrument(FIXTURES / f"{form}.md")
    spec = FormSpec(
        "household", instrument, "hh_id", {"zh": "农牧户问卷", "en": "Household questionnaire"}
    )
    app = create_app(
        EntrySite(
            store=store,
            wave=WAVE,
            forms={"household": spec},
            study_names={"zh": "录入测试", "en": "Entry test"},
        )
    )
    app.testing = True
    return app


class Server:
    """``python -m analysis.entry serve`` in a child process on a free port."""

    def __init__(self, study: Path, db: Path, *, threads: int = 8) -> None:
        self.study, self.db, self.threads = study, db, threads
        self.process: subprocess.Popen | None = None
        self.base = ""

    def start(self) -> Server:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # stderr to a file, not a pipe: under load waitress logs queue-depth warnings, and a
        # pipe nobody reads would fill up and stop the server
        self.log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "analysis.entry",
                "--study",
                str(self.study),
                "--db",
                str(self.db),
                "serve",
                "--wave",
                WAVE,
                "--port",
                "0",
                "--threads",
                str(self.threads),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                self.log.seek(0)
                raise RuntimeError(f"entry server died: {self.log.read()}")
            if line.startswith("serving on "):
                self.base = line.split()[2].rstrip("/")
                # whatever the server prints later is read too, so its stdout never fills
                threading.Thread(target=self.process.stdout.read, daemon=True).start()
                return self
        raise RuntimeError("entry server did not start within 60 s")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as a power cut of the process."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
