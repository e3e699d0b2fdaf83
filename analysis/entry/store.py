"""SQLite storage of entered questionnaires: accounts, sessions, entries, resolutions.

One database file per study (``data/entry/entry.sqlite`` by default) in WAL mode with
``synchronous=FULL``: a save the server has acknowledged is on disk, even if the server
is killed the next instant. Each saved questionnaire is one ``BEGIN IMMEDIATE``
transaction; every version of every entry is kept in ``entry_history`` and every
resolution in ``resolution_history``. The schema is migrated forward by
``PRAGMA user_version`` (one SQL script per version, applied in order).

Tables
------
users            clerks and supervisors (name, role, scrypt password hash)
sessions         logged-in sessions (SHA-256 of the cookie token, CSRF token, language)
questionnaires   one paper questionnaire per (wave, form, key); status single /
                 differs / agreed / resolved
entries          one typing of a questionnaire by one clerk (at most two per questionnaire,
                 at most one per clerk); current answers as JSON; version
entry_history    every saved version of every entry (append-only)
resolutions      the answers accepted for a questionnaire ('agreed' when both typings
                 match, 'supervisor' when a supervisor resolved the differences)
resolution_history  every resolution ever made (append-only)

Examples
--------
>>> import tempfile, pathlib
>>> store = EntryStore(pathlib.Path(tempfile.mkdtemp()) / "entry.sqlite")
>>> store.schema_version() == len(MIGRATIONS)
True
>>> store.journal_mode()
'wal'
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..errors import EntryError
from .answers import Answers

__all__ = [
    "MIGRATIONS",
    "ROLES",
    "STATUSES",
    "Entry",
    "EntryStore",
    "QuestionnaireRow",
    "Resolution",
    "SaveOutcome",
    "User",
    "now",
]

ROLES = ("clerk", "supervisor")

#: single: one typing so far; differs: two typings that differ; agreed: two identical
#: typings (exportable); resolved: a supervisor resolved the differences (exportable).
STATUSES = ("single", "differs", "agreed", "resolved")

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('clerk', 'supervisor')),
        password TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        csrf TEXT NOT NULL,
        lang TEXT NOT NULL DEFAULT 'zh',
        created_at REAL NOT NULL,
        seen_at REAL NOT NULL
    );
    CREATE TABLE questionnaires (
        id INTEGER PRIMARY KEY,
        wave TEXT NOT NULL,
        form TEXT NOT NULL,
        key TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('single', 'differs', 'agreed', 'resolved')),
        differences INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (wave, form, key)
    );
    CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        questionnaire_id INTEGER NOT NULL REFERENCES questionnaires(id),
        clerk_id INTEGER NOT NULL REFERENCES users(id),
        submission TEXT NOT NULL UNIQUE,
        version INTEGER NOT NULL,
        answers TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (questionnaire_id, clerk_id)
    );
    CREATE INDEX entries_clerk ON entries (clerk_id);
    CREATE TABLE entry_history (
        id INTEGER PRIMARY KEY,
        entry_id INTEGER NOT NULL REFERENCES entries(id),
        version INTEGER NOT NULL,
        questionnaire_id INTEGER NOT NULL,
        key TEXT NOT NULL,
        answers TEXT NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users(id),
        action TEXT NOT NULL,
        saved_at TEXT NOT NULL,
        UNIQUE (entry_id, version)
    );
    CREATE TABLE resolutions (
        questionnaire_id INTEGER PRIMARY KEY REFERENCES questionnaires(id),
        answers TEXT NOT NULL,
        method TEXT NOT NULL CHECK (method IN ('agreed', 'supervisor')),
        resolved_by INTEGER REFERENCES users(id),
        decisions TEXT NOT NULL DEFAULT '{}',
        resolved_at TEXT NOT NULL
    );
    CREATE TABLE resolution_history (
        id INTEGER PRIMARY KEY,
        questionnaire_id INTEGER NOT NULL,
        answers TEXT NOT NULL,
        method TEXT NOT NULL,
        resolved_by INTEGER,
        decisions TEXT NOT NULL,
        action TEXT NOT NULL,
        saved_at TEXT NOT NULL
    );
    """,
)


def _private(path: Path) -> None:
    """Create ``path`` readable and writable by its owner only (mode 0600), or tighten it.

    SQLite gives the ``-wal`` and ``-shm`` files the mode of the database file.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return  # not writable: opening it reports ENT001
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, 0o600)
    except OSError:
        pass  # someone else's file: leave its mode alone
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        try:
            if stat.S_IMODE(side.stat().st_mode) & 0o077:
                side.chmod(0o600)
        except OSError:
            pass


def now() -> str:
    """The current UTC time as ISO 8601 text (microseconds kept, so order is exact)."""
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class User:
    """An account."""

    id: int
    name: str
    role: str
    password: str
    active: bool


@dataclass(frozen=True)
class QuestionnaireRow:
    """One paper questionnaire of a wave and form, identified by its key."""

    id: int
    wave: str
    form: str
    key: str
    status: str
    differences: int
    updated_at: str


@dataclass(frozen=True)
class Entry:
    """One clerk's typing of a questionnaire (the current version)."""

    id: int
    questionnaire_id: int
    clerk_id: int
    clerk: str
    submission: str
    version: int
    answers: Answers
    created_at: str
    updated_at: str
    wave: str
    form: str
    key: str
    status: str


@dataclass(frozen=True)
class Resolution:
    """The accepted answers of a questionnaire."""

    questionnaire_id: int
    answers: Answers
    method: str
    resolved_by: str | None
    resolved_at: str


_ENTRY_SELECT = """
    SELECT e.id, e.questionnaire_id, e.clerk_id, u.name, e.submission, e.version, e.answers,
           e.created_at, e.updated_at, q.wave, q.form, q.key, q.status
    FROM entries e JOIN users u ON u.id = e.clerk_id JOIN questionnaires q ON q.id = e.questionnaire_id
"""


def _entry(row: tuple) -> Entry:
    return Entry(
        id=row[0],
        questionnaire_id=row[1],
        clerk_id=row[2],
        clerk=row[3],
        submission=row[4],
        version=row[5],
        answers=Answers.loads(row[6]),
        created_at=row[7],
        updated_at=row[8],
        wave=row[9],
        form=row[10],
        key=row[11],
        status=row[12],
    )


class EntryStore:
    """The entry database at ``path`` (created and migrated on first use).

    Connections are kept one per thread; :meth:`transaction` opens a write transaction
    (``BEGIN IMMEDIATE``: writers queue, readers never block).
    """

    def __init__(self, path: Path | str, *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._local = threading.local()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _private(self.path)
        self._migrate()

    # ------------------------------------------------------------------ connections
    def connect(self) -> sqlite3.Connection:
        """This thread's connection (autocommit; transactions are explicit)."""
        con = getattr(self._local, "con", None)
        if con is None:
            try:
                con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
                con.execute("PRAGMA journal_mode=WAL")
                con.execute("PRAGMA synchronous=FULL")
                con.execute("PRAGMA foreign_keys=ON")
                con.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            except sqlite3.DatabaseError as exc:
                raise EntryError(
                    "ENT001",
                    f"the entry database cannot be opened: {exc}",
                    file=self.path,
                    hint="Check the path and that the file is an SQLite database written by baicun entry.",
                ) from None
            self._local.con = con
        return con

    def close(self) -> None:
        """Close this thread's connection."""
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed on success, rolled back on any error."""
        con = self.connect()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def _migrate(self) -> None:
        con = self.connect()
        con.execute("BEGIN IMMEDIATE")
        try:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise EntryError(
                    "ENT002",
                    "the entry database was written by a newer baicun",
                    file=self.path,
                    expected=f"schema version at most {len(MIGRATIONS)}",
                    found=f"schema version {version}",
                    hint="Upgrade baicun before opening this database.",
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        con.execute(statement)
                con.execute(f"PRAGMA user_version={number}")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def schema_version(self) -> int:
        """The schema version of the database (``PRAGMA user_version``)."""
        return self.connect().execute("PRAGMA user_version").fetchone()[0]

    def journal_mode(self) -> str:
        """The journal mode (``wal``)."""
        return self.connect().execute("PRAGMA journal_mode").fetchone()[0]

    # ------------------------------------------------------------------ users
    def add_user(self, name: str, role: str, password_hash: str) -> User:
        """Create an account (``ENT003`` when the name is taken or the role unknown)."""
        if role not in ROLES:
            raise EntryError(
                "ENT003", f"unknown role {role!r}", expected=" or ".join(ROLES), found=role
            )
        if not name or not name.strip() or len(name) > 64:
            raise EntryError("ENT003", "a user name must be 1 to 64 characters", found=repr(name))
        try:
            with self.transaction() as con:
                con.execute(
                    "INSERT INTO users (name, role, password, created_at) VALUES (?, ?, ?, ?)",
                    (name, role, password_hash, now()),
                )
        except sqlite3.IntegrityError:
            raise EntryError(
                "ENT003",
                f"a user named {name!r} already exists",
                hint="Choose another name, or use 'baicun entry set-password' to change a password.",
            ) from None
        user = self.user_by_name(name)
        assert user is not None
        return user

    def set_password(self, name: str, password_hash: str) -> None:
        """Replace a user's password hash and end their sessions."""
        with self.transaction() as con:
            row = con.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise EntryError("ENT004", f"no user named {name!r}", hint="Add the user first.")
            con.execute("UPDATE users SET password = ? WHERE id = ?", (password_hash, row[0]))
            con.execute("DELETE FROM sessions WHERE user_id = ?", (row[0],))

    def set_active(self, name: str, active: bool) -> None:
        """Enable or disable an account (``ENT004`` when there is none); disabling it
        ends its sessions, and a disabled account cannot log in."""
        with self.transaction() as con:
            row = con.execute("SELECT id FROM users WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise EntryError("ENT004", f"no user named {name!r}", hint="Add the user first.")
            con.execute("UPDATE users SET active = ? WHERE id = ?", (int(active), row[0]))
            if not active:
                con.execute("DELETE FROM sessions WHERE user_id = ?", (row[0],))

    def user_by_name(self, name: str) -> User | None:
        row = (
            self.connect()
            .execute("SELECT id, name, role, password, active FROM users WHERE name = ?", (name,))
            .fetchone()
        )
        return User(row[0], row[1], row[2], row[3], bool(row[4])) if row else None

    def user_by_id(self, user_id: int) -> User | None:
        row = (
            self.connect()
            .execute("SELECT id, name, role, password, active FROM users WHERE id = ?", (user_id,))
            .fetchone()
        )
        return User(row[0], row[1], row[2], row[3], bool(row[4])) if row else None

    def users(self) -> tuple[User, ...]:
        rows = self.connect().execute(
            "SELECT id, name, role, password, active FROM users ORDER BY name"
        )
        return tuple(User(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows)

    # ------------------------------------------------------------------ sessions
    def add_session(self, token_hash: str, user_id: int, csrf: str, lang: str) -> None:
        stamp = time.time()
        with self.transaction() as con:
            con.execute(
                "INSERT INTO sessions (token_hash, user_id, csrf, lang, created_at, seen_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (token_hash, user_id, csrf, lang, stamp, stamp),
            )

    def session(self, token_hash: str) -> tuple[int, str, str, float, float] | None:
        """(user_id, csrf, lang, created_at, seen_at) of a session, or None."""
        return (
            self.connect()
            .execute(
                "SELECT user_id, csrf, lang, created_at, seen_at FROM sessions WHERE token_hash = ?",
                (token_hash,),
            )
            .fetchone()
        )

    def touch_session(self, token_hash: str, *, lang: str | None = None) -> None:
        with self.transaction() as con:
            if lang is None:
                con.execute(
                    "UPDATE sessions SET seen_at = ? WHERE token_hash = ?",
                    (time.time(), token_hash),
                )
            else:
                con.execute(
                    "UPDATE sessions SET seen_at = ?, lang = ? WHERE token_hash = ?",
                    (time.time(), lang, token_hash),
                )

    def drop_session(self, token_hash: str) -> None:
        with self.transaction() as con:
            con.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def drop_stale_sessions(self, older_than: float) -> None:
        with self.transaction() as con:
            con.execute("DELETE FROM sessions WHERE seen_at < ?", (older_than,))

    # ------------------------------------------------------------------ entries
    def entry(self, entry_id: int) -> Entry | None:
        row = self.connect().execute(_ENTRY_SELECT + " WHERE e.id = ?", (entry_id,)).fetchone()
        return _entry(row) if row else None

    def entry_by_submission(self, submission: str) -> Entry | None:
        row = (
            self.connect()
            .execute(_ENTRY_SELECT + " WHERE e.submission = ?", (submission,))
            .fetchone()
        )
        return _entry(row) if row else None

    def entries_of_clerk(self, clerk_id: int, wave: str) -> tuple[Entry, ...]:
        rows = self.connect().execute(
            _ENTRY_SELECT + " WHERE e.clerk_id = ? AND q.wave = ? ORDER BY e.updated_at DESC",
            (clerk_id, wave),
        )
        return tuple(_entry(r) for r in rows)

    def entries_of(
        self, questionnaire_id: int, con: sqlite3.Connection | None = None
    ) -> tuple[Entry, ...]:
        """The typings of a questionnaire, first typed first."""
        rows = (con or self.connect()).execute(
            _ENTRY_SELECT + " WHERE e.questionnaire_id = ? ORDER BY e.id", (questionnaire_id,)
        )
        return tuple(_entry(r) for r in rows)

    def history(self, entry_id: int) -> tuple[tuple[int, str, str, str, Answers], ...]:
        """Every version of an entry: (version, action, user, saved_at, answers), oldest first."""
        rows = self.connect().execute(
            "SELECT h.version, h.action, u.name, h.saved_at, h.answers FROM entry_history h"
            " JOIN users u ON u.id = h.user_id WHERE h.entry_id = ? ORDER BY h.version",
            (entry_id,),
        )
        return tuple((r[0], r[1], r[2], r[3], Answers.loads(r[4])) for r in rows)

    # ------------------------------------------------------------------ questionnaires
    def questionnaire(self, questionnaire_id: int) -> QuestionnaireRow | None:
        row = (
            self.connect()
            .execute(
                "SELECT id, wave, form, key, status, differences, updated_at FROM questionnaires"
                " WHERE id = ?",
                (questionnaire_id,),
            )
            .fetchone()
        )
        return QuestionnaireRow(*row) if row else None

    def questionnaires(self, wave: str, form: str | None = None) -> tuple[QuestionnaireRow, ...]:
        sql = (
            "SELECT id, wave, form, key, status, differences, updated_at FROM questionnaires"
            " WHERE wave = ?"
        )
        params: tuple = (wave,)
        if form is not None:
            sql += " AND form = ?"
            params += (form,)
        rows = self.connect().execute(sql + " ORDER BY form, key", params)
        return tuple(QuestionnaireRow(*r) for r in rows)

    def resolution(self, questionnaire_id: int) -> Resolution | None:
        row = (
            self.connect()
            .execute(
                "SELECT r.questionnaire_id, r.answers, r.method, u.name, r.resolved_at"
                " FROM resolutions r LEFT JOIN users u ON u.id = r.resolved_by"
                " WHERE r.questionnaire_id = ?",
                (questionnaire_id,),
            )
            .fetchone()
        )
        return Resolution(row[0], Answers.loads(row[1]), row[2], row[3], row[4]) if row else None

    def resolved(
        self, wave: str, form: str
    ) -> tuple[tuple[QuestionnaireRow, Resolution, tuple[Entry, ...]], ...]:
        """Resolved (or agreed) questionnaires of a wave and form, by key."""
        out = []
        for q in self.questionnaires(wave, form):
            if q.status not in ("agreed", "resolved"):
                continue
            resolution = self.resolution(q.id)
            if resolution is not None:
                out.append((q, resolution, self.entries_of(q.id)))
        return tuple(out)

    # ------------------------------------------------------------------ saving
    def save_entry(
        self,
        *,
        wave: str,
        form: str,
        key: str,
        clerk_id: int,
        answers: Answers,
        differences: DifferenceCount,
        submission: str | None = None,
        entry_id: int | None = None,
        version: int | None = None,
    ) -> SaveOutcome:
        """Save a typing of a questionnaire in one transaction.

        A new typing (``entry_id`` None) carries a ``submission`` id chosen when the
        entry screen was opened: sending the same submission again (a retry after a lost
        reply) returns the first save instead of typing the questionnaire twice. An
        edit (``entry_id`` and the ``version`` the clerk started from) is refused when
        someone saved in between. The key identifies the paper questionnaire: the first
        typing of a key is its entry 1, another clerk's typing of the same key its entry 2;
        when both exist they are compared with ``differences`` and the questionnaire
        becomes ``agreed`` (exportable) or ``differs`` (for a supervisor).

        Raises
        ------
        EntryError
            ENT011 submission id reused by another clerk, ENT012 this clerk already
            typed this key, ENT013 the key was already typed twice, ENT014 the entry
            belongs to someone else, ENT015 the entry changed since it was opened,
            ENT016 the questionnaire is already resolved, ENT010 unknown entry.
        """
        stamp = now()
        text = answers.dumps()
        with self.transaction() as con:
            if entry_id is None:
                if not submission:
                    raise EntryError("ENT011", "a new entry needs a submission id")
                previous = con.execute(
                    _ENTRY_SELECT + " WHERE e.submission = ?", (submission,)
                ).fetchone()
                if previous is not None:
                    entry = _entry(previous)
                    if entry.clerk_id != clerk_id:
                        raise EntryError(
                            "ENT011",
                            "this submission id belongs to another clerk's entry",
                            record=entry.key,
                            hint="Open a new entry screen.",
                        )
                    return SaveOutcome(
                        entry.id,
                        entry.version,
                        entry.questionnaire_id,
                        entry.key,
                        entry.status,
                        True,
                    )
                qid = self._claim(con, wave, form, key, clerk_id, stamp)
                cursor = con.execute(
                    "INSERT INTO entries (questionnaire_id, clerk_id, submission, version, answers,"
                    " created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?)",
                    (qid, clerk_id, submission, text, stamp, stamp),
                )
                new_id, new_version, action = int(cursor.lastrowid), 1, "create"
            else:
                row = con.execute(_ENTRY_SELECT + " WHERE e.id = ?", (entry_id,)).fetchone()
                if row is None:
                    raise EntryError("ENT010", f"no entry #{entry_id}", record=entry_id)
                entry = _entry(row)
                if entry.clerk_id != clerk_id:
                    raise EntryError(
                        "ENT014",
                        "this entry belongs to another clerk",
                        record=entry_id,
                        hint="Clerks can open only their own entries.",
                    )
                if (
                    version is not None
                    and entry.version == version + 1
                    and entry.answers == answers
                    and entry.key == key
                ):
                    # The same edit sent twice (the reply to the first was lost).
                    return SaveOutcome(
                        entry.id,
                        entry.version,
                        entry.questionnaire_id,
                        entry.key,
                        entry.status,
                        True,
                    )
                if version is None or entry.version != version:
                    raise EntryError(
                        "ENT015",
                        "this entry was saved elsewhere since you opened it",
                        record=entry_id,
                        expected=f"version {version}",
                        found=f"version {entry.version}",
                        hint="Reload the entry and make your change again.",
                    )
                if entry.status == "resolved":
                    raise EntryError(
                        "ENT016",
                        "this questionnaire is already resolved by a supervisor",
                        record=entry.key,
                        hint="Ask a supervisor to correct it.",
                    )
                qid = entry.questionnaire_id
                if key != entry.key:
                    qid = self._claim(con, wave, form, key, clerk_id, stamp)
                new_id, new_version, action = entry.id, entry.version + 1, "edit"
                con.execute(
                    "UPDATE entries SET questionnaire_id = ?, version = ?, answers = ?, updated_at = ?"
                    " WHERE id = ?",
                    (qid, new_version, text, stamp, new_id),
                )
                if qid != entry.questionnaire_id:
                    self._refresh(con, entry.questionnaire_id, differences, stamp)
            con.execute(
                "INSERT INTO entry_history (entry_id, version, questionnaire_id, key, answers,"
                " user_id, action, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (new_id, new_version, qid, key, text, clerk_id, action, stamp),
            )
            status = self._refresh(con, qid, differences, stamp)
        return SaveOutcome(new_id, new_version, qid, key, status, False)

    def _claim(
        self, con: sqlite3.Connection, wave: str, form: str, key: str, clerk_id: int, stamp: str
    ) -> int:
        """The questionnaire (wave, form, key) for a new typing by ``clerk_id``."""
        row = con.execute(
            "SELECT id, status FROM questionnaires WHERE wave = ? AND form = ? AND key = ?",
            (wave, form, key),
        ).fetchone()
        if row is None:
            cursor = con.execute(
                "INSERT INTO questionnaires (wave, form, key, status, created_at, updated_at)"
                " VALUES (?, ?, ?, 'single', ?, ?)",
                (wave, form, key, stamp, stamp),
            )
            return int(cursor.lastrowid)
        qid = int(row[0])
        typed = con.execute(
            "SELECT id, clerk_id FROM entries WHERE questionnaire_id = ? ORDER BY id", (qid,)
        ).fetchall()
        mine = [r[0] for r in typed if r[1] == clerk_id]
        if mine:
            raise EntryError(
                "ENT012",
                f"you have already typed questionnaire {key!r} (entry #{mine[0]})",
                record=key,
                hint="Open your entry from the list to correct it; the second typing must be done by another clerk.",
            )
        if len(typed) >= 2 or row[1] == "resolved":
            raise EntryError(
                "ENT013",
                f"questionnaire {key!r} has already been typed twice",
                record=key,
                hint="Check the questionnaire number on the paper; if it is right, tell a supervisor.",
            )
        return qid

    def _refresh(
        self, con: sqlite3.Connection, qid: int, differences: DifferenceCount, stamp: str
    ) -> str:
        """Recompute a questionnaire's status after its typings changed; returns it."""
        typed = self.entries_of(qid, con)
        if not typed:
            con.execute("DELETE FROM resolutions WHERE questionnaire_id = ?", (qid,))
            con.execute("DELETE FROM questionnaires WHERE id = ?", (qid,))
            return "gone"
        count = 0
        if len(typed) == 1:
            status = "single"
        else:
            count = differences(typed[0].answers, typed[1].answers)
            status = "agreed" if count == 0 else "differs"
        had = con.execute(
            "SELECT method FROM resolutions WHERE questionnaire_id = ?", (qid,)
        ).fetchone()
        if status == "agreed":
            self._write_resolution(con, qid, typed[0].answers, "agreed", None, "{}", stamp)
        elif had is not None:
            con.execute("DELETE FROM resolutions WHERE questionnaire_id = ?", (qid,))
            con.execute(
                "INSERT INTO resolution_history (questionnaire_id, answers, method, resolved_by,"
                " decisions, action, saved_at) VALUES (?, '{}', ?, NULL, '{}', 'withdrawn', ?)",
                (qid, had[0], stamp),
            )
        con.execute(
            "UPDATE questionnaires SET status = ?, differences = ?, updated_at = ? WHERE id = ?",
            (status, count, stamp, qid),
        )
        return status

    def _write_resolution(
        self,
        con: sqlite3.Connection,
        qid: int,
        answers: Answers,
        method: str,
        resolved_by: int | None,
        decisions: str,
        stamp: str,
    ) -> None:
        text = answers.dumps()
        con.execute(
            "INSERT INTO resolutions (questionnaire_id, answers, method, resolved_by, decisions,"
            " resolved_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (questionnaire_id) DO UPDATE SET"
            " answers = excluded.answers, method = excluded.method,"
            " resolved_by = excluded.resolved_by, decisions = excluded.decisions,"
            " resolved_at = excluded.resolved_at",
            (qid, text, method, resolved_by, decisions, stamp),
        )
        con.execute(
            "INSERT INTO resolution_history (questionnaire_id, answers, method, resolved_by,"
            " decisions, action, saved_at) VALUES (?, ?, ?, ?, ?, 'resolved', ?)",
            (qid, text, method, resolved_by, decisions, stamp),
        )

    def resolve(
        self,
        questionnaire_id: int,
        answers: Answers,
        *,
        supervisor_id: int,
        decisions: str,
        versions: tuple[int, ...],
    ) -> None:
        """Record a supervisor's resolution of a questionnaire whose typings differ.

        A questionnaire is resolved once: resolving an agreed or resolved one is
        refused (ENT023).

        ``versions`` are the versions of the two typings the supervisor compared; when
        either changed since (a clerk corrected it), the resolution is refused (ENT017).
        """
        stamp = now()
        with self.transaction() as con:
            q = con.execute(
                "SELECT status FROM questionnaires WHERE id = ?", (questionnaire_id,)
            ).fetchone()
            if q is None:
                raise EntryError("ENT010", f"no questionnaire #{questionnaire_id}")
            if q[0] in ("agreed", "resolved"):
                raise EntryError(
                    "ENT023",
                    "this questionnaire is already resolved",
                    record=questionnaire_id,
                    found=q[0],
                    hint="Reload the comparison: a questionnaire is resolved only once.",
                )
            typed = self.entries_of(questionnaire_id, con)
            if len(typed) != 2 or q[0] != "differs":
                raise EntryError(
                    "ENT018",
                    "a questionnaire is resolved only once it has been typed twice",
                    record=questionnaire_id,
                    found=f"{len(typed)} typing(s)",
                )
            if tuple(e.version for e in typed) != tuple(versions):
                raise EntryError(
                    "ENT017",
                    "a clerk changed one of the typings while you were comparing them",
                    record=questionnaire_id,
                    hint="Reload the comparison and resolve again.",
                )
            self._write_resolution(
                con, questionnaire_id, answers, "supervisor", supervisor_id, decisions, stamp
            )
            con.execute(
                "UPDATE questionnaires SET status = 'resolved', updated_at = ? WHERE id = ?",
                (stamp, questionnaire_id),
            )


#: Counts the differences between two typings of the same questionnaire.
DifferenceCount = Callable[[Answers, Answers], int]


@dataclass(frozen=True)
class SaveOutcome:
    """What a save did: the entry, its version, its questionnaire and that one's status."""

    entry_id: int
    version: int
    questionnaire_id: int
    key: str
    status: str
    #: True when this save repeated one already stored (nothing was written).
    replayed: bool
