"""analysis.entry.store and analysis.entry.auth: the entry database, accounts and sessions."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from analysis.entry import auth
from analysis.entry.answers import Answers
from analysis.entry.store import MIGRATIONS, EntryStore
from analysis.errors import EntryError


def _differences(a: Answers, b: Answers) -> int:
    return len(set(a.flat().items()) ^ set(b.flat().items()))


@pytest.fixture
def store(tmp_path):
    s = EntryStore(tmp_path / "entry.sqlite")
    digest = auth.hash_password("password-1", n=2**10)
    for name in ("li", "wang", "zhao"):
        s.add_user(name, "clerk", digest)
    s.add_user("boss", "supervisor", digest)
    return s


def _save(store, clerk, key, values, submission=None, **kw):
    user = store.user_by_name(clerk)
    return store.save_entry(
        wave="w1",
        form="household",
        key=key,
        clerk_id=user.id,
        answers=Answers({"hh_id": key, **values}),
        differences=_differences,
        submission=submission or f"{clerk}-{key}-{time.perf_counter_ns()}",
        **kw,
    )


def test_database_is_wal_with_full_sync_and_migrated(store):
    assert store.journal_mode() == "wal"
    assert store.schema_version() == len(MIGRATIONS)
    assert store.connect().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_reopening_a_database_keeps_data_and_does_not_migrate_twice(tmp_path):
    first = EntryStore(tmp_path / "e.sqlite")
    first.add_user("li", "clerk", auth.hash_password("password-1"))
    first.close()
    again = EntryStore(tmp_path / "e.sqlite")
    assert again.user_by_name("li").role == "clerk"
    assert again.schema_version() == len(MIGRATIONS)


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "e.sqlite"
    EntryStore(path).close()
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    con.close()
    with pytest.raises(EntryError) as info:
        EntryStore(path)
    assert info.value.code == "ENT002"


def test_first_and_second_typing_by_two_clerks_agree(store):
    one = _save(store, "li", "H001", {"hh_size": "4"})
    assert one.status == "single"
    two = _save(store, "wang", "H001", {"hh_size": "4"})
    assert two.questionnaire_id == one.questionnaire_id
    assert two.status == "agreed"
    resolution = store.resolution(one.questionnaire_id)
    assert resolution.method == "agreed" and resolution.answers.get("hh_size") == "4"


def test_differing_typings_wait_for_a_supervisor(store):
    one = _save(store, "li", "H001", {"hh_size": "4"})
    two = _save(store, "wang", "H001", {"hh_size": "5"})
    assert two.status == "differs"
    assert store.resolution(one.questionnaire_id) is None
    assert store.questionnaire(one.questionnaire_id).differences == 2


def test_same_clerk_cannot_type_a_questionnaire_twice(store):
    _save(store, "li", "H001", {"hh_size": "4"})
    with pytest.raises(EntryError) as info:
        _save(store, "li", "H001", {"hh_size": "4"})
    assert info.value.code == "ENT012"


def test_a_third_typing_is_refused(store):
    _save(store, "li", "H001", {})
    _save(store, "wang", "H001", {})
    with pytest.raises(EntryError) as info:
        _save(store, "zhao", "H001", {})
    assert info.value.code == "ENT013"


def test_a_repeated_submission_is_stored_once(store):
    first = _save(store, "li", "H001", {"hh_size": "4"}, submission="sub-1")
    again = _save(store, "li", "H001", {"hh_size": "4"}, submission="sub-1")
    assert again.replayed and again.entry_id == first.entry_id
    count = store.connect().execute("SELECT COUNT(*) FROM entries").fetchone()[0]
    assert count == 1


def test_another_clerks_submission_id_is_refused(store):
    _save(store, "li", "H001", {}, submission="sub-1")
    with pytest.raises(EntryError) as info:
        _save(store, "wang", "H001", {}, submission="sub-1")
    assert info.value.code == "ENT011"


def test_edits_are_versioned_and_kept_in_history(store):
    first = _save(store, "li", "H001", {"hh_size": "4"})
    edit = _save(store, "li", "H001", {"hh_size": "6"}, entry_id=first.entry_id, version=1)
    assert edit.version == 2
    history = store.history(first.entry_id)
    assert [(v, action) for v, action, *_ in history] == [(1, "create"), (2, "edit")]
    assert history[0][4].get("hh_size") == "4" and history[1][4].get("hh_size") == "6"


def test_a_stale_edit_is_refused_but_a_replayed_edit_is_not(store):
    first = _save(store, "li", "H001", {"hh_size": "4"})
    _save(store, "li", "H001", {"hh_size": "6"}, entry_id=first.entry_id, version=1)
    replay = _save(store, "li", "H001", {"hh_size": "6"}, entry_id=first.entry_id, version=1)
    assert replay.replayed and replay.version == 2
    with pytest.raises(EntryError) as info:
        _save(store, "li", "H001", {"hh_size": "7"}, entry_id=first.entry_id, version=1)
    assert info.value.code == "ENT015"


def test_editing_another_clerks_entry_is_refused(store):
    first = _save(store, "li", "H001", {})
    with pytest.raises(EntryError) as info:
        _save(store, "wang", "H001", {}, entry_id=first.entry_id, version=1)
    assert info.value.code == "ENT014"


def test_correcting_a_mistyped_key_moves_the_typing(store):
    wrong = _save(store, "li", "H010", {"hh_size": "4"})
    _save(store, "wang", "H001", {"hh_size": "4"})
    moved = _save(store, "li", "H001", {"hh_size": "4"}, entry_id=wrong.entry_id, version=1)
    assert moved.status == "agreed"
    keys = [q.key for q in store.questionnaires("w1")]
    assert keys == ["H001"]  # the mistyped questionnaire is gone


def test_supervisor_resolution_locks_the_questionnaire(store):
    one = _save(store, "li", "H001", {"hh_size": "4"})
    _save(store, "wang", "H001", {"hh_size": "5"})
    boss = store.user_by_name("boss")
    store.resolve(
        one.questionnaire_id,
        Answers({"hh_id": "H001", "hh_size": "5"}),
        supervisor_id=boss.id,
        decisions="{}",
        versions=(1, 1),
    )
    assert store.questionnaire(one.questionnaire_id).status == "resolved"
    assert store.resolution(one.questionnaire_id).resolved_by == "boss"
    with pytest.raises(EntryError) as info:
        _save(store, "li", "H001", {"hh_size": "9"}, entry_id=one.entry_id, version=1)
    assert info.value.code == "ENT016"


def test_resolution_against_changed_typings_is_refused(store):
    one = _save(store, "li", "H001", {"hh_size": "4"})
    _save(store, "wang", "H001", {"hh_size": "5"})
    _save(store, "li", "H001", {"hh_size": "3"}, entry_id=one.entry_id, version=1)
    with pytest.raises(EntryError) as info:
        store.resolve(
            one.questionnaire_id,
            Answers({"hh_id": "H001"}),
            supervisor_id=store.user_by_name("boss").id,
            decisions="{}",
            versions=(1, 1),
        )
    assert info.value.code == "ENT017"


def test_concurrent_saves_from_threads_lose_nothing(store):
    errors = []

    def work(clerk: str) -> None:
        try:
            for i in range(20):
                _save(store, clerk, f"{clerk}-{i}", {"n": str(i)})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in ("li", "wang", "zhao")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(store.questionnaires("w1")) == 60


# ---------------------------------------------------------------------------- auth
def test_password_hashes_are_salted_scrypt(store):
    a, b = auth.hash_password("same password"), auth.hash_password("same password")
    assert a != b and a.startswith("scrypt:32768:8:1$")
    assert auth.verify_password("same password", a) and not auth.verify_password("other", a)
    assert not auth.verify_password("x", "not-a-hash")


#: A hash stored by earlier versions (``scrypt$n$r$p$salt$hash``, base64) of "old password 1".
OLD_HASH = "scrypt$1024$8$1$AAECAwQFBgcICQoLDA0ODw==$vxrAng7jE12s3DPAyprxaoxsh3L52oVsAoh2PHpjQr7V4qH0b4sowB+E6dCs0C/XsJI/PVZ/cLlSJlSY/Yl//w=="


def test_hashes_stored_by_earlier_versions_still_verify(store):
    assert auth.verify_password("old password 1", OLD_HASH)
    assert not auth.verify_password("old password 2", OLD_HASH)
    assert not auth.verify_password("old password 1", OLD_HASH.replace("$1024$", "$2048$"))
    store.add_user("old", "clerk", OLD_HASH)
    assert auth.authenticate(store, "old", "old password 1") is not None
    assert auth.authenticate(store, "old", "old password 2") is None


def test_only_scrypt_hashes_are_accepted():
    assert not auth.verify_password("x", "pbkdf2:sha256:1$salt$00")
    assert not auth.verify_password("x", "scrypt:notanumber$salt$00")


def test_short_passwords_are_refused():
    with pytest.raises(EntryError) as info:
        auth.hash_password("short")
    assert info.value.code == "ENT005"


def test_duplicate_user_and_unknown_role_are_coded(store):
    with pytest.raises(EntryError) as info:
        store.add_user("li", "clerk", "x")
    assert info.value.code == "ENT003"
    with pytest.raises(EntryError):
        store.add_user("new", "admin", "x")


def test_authentication_and_sessions(store):
    assert auth.authenticate(store, "li", "wrong-password") is None
    assert auth.authenticate(store, "nobody", "password-1") is None
    user = auth.authenticate(store, "li", "password-1")
    session = auth.open_session(store, user)
    assert auth.session_of(store, session.token).user.name == "li"
    row = store.connect().execute("SELECT token_hash FROM sessions").fetchone()
    assert session.token not in row[0]  # only a digest of the token is stored
    auth.end_session(store, session.token)
    assert auth.session_of(store, session.token) is None


def test_idle_sessions_expire(store, monkeypatch):
    session = auth.open_session(store, store.user_by_name("li"))
    later = time.time() + auth.IDLE_SECONDS + 10
    monkeypatch.setattr(auth.time, "time", lambda: later)
    assert auth.session_of(store, session.token) is None


def test_changing_a_password_ends_sessions(store):
    session = auth.open_session(store, store.user_by_name("li"))
    store.set_password("li", auth.hash_password("new password"))
    assert auth.session_of(store, session.token) is None
    assert auth.authenticate(store, "li", "new password") is not None
