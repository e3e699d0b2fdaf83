"""The entry app's defences: login throttling, disabled accounts, private files, wave and
form names, hostile requests answered 4xx (never 500), resolving once, connection timeout."""

from __future__ import annotations

import io
import os
import re
import stat
import time
import zipfile

import pytest
from entry_support import FAST_HASH, PASSWORD, WAVE, make_app, make_store, make_study

from analysis.entry import auth, commands
from analysis.entry.__main__ import main
from analysis.entry.answers import Answers
from analysis.entry.app import EntrySite, create_app
from analysis.entry.store import EntryStore
from analysis.entry.throttle import LoginThrottle
from analysis.errors import EntryError


@pytest.fixture
def store(tmp_path):
    return make_store(tmp_path / "entry.sqlite", clerks=2, supervisors=1)


@pytest.fixture
def app(store):
    return make_app(store, "household")


def login_form(client, lang=None):
    page = client.get("/login" + (f"?lang={lang}" if lang else ""))
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]


def try_login(client, name, password, token, lang=None, address="127.0.0.1"):
    return client.post(
        "/login" + (f"?lang={lang}" if lang else ""),
        data={"csrf_token": token, "name": name, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def login(app, name, address="127.0.0.1"):
    client = app.test_client()
    reply = try_login(client, name, PASSWORD, login_form(client), address=address)
    assert reply.status_code == 302, reply.text
    client.csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text)[1]
    return client


def household(**changes):
    values = {
        "village_id": "12",
        "hh_id": "H001",
        "head_name": "王大山",
        "ethnicity": "2",
        "hh_size": "3",
        "has_tv": "1",
        "tv_count": "1",
        "info_sources": "1 4",
        "satisfaction": "4",
        "problems": "文化室开放时间太少",
    }
    values.update(changes)
    members = [{"values": {"m_name": "王大山", "m_sex": "1", "m_age": "52"}}]
    return {"values": values, "repeats": {"members": members}}


def post(client, path, payload):
    return client.post(path, json=payload, headers={"X-CSRF-Token": client.csrf})


def set_clock(app, clock):
    """Give ``app`` a fresh login throttle reading ``clock`` (a one-item list of seconds)."""
    served, counters, _ = app.extensions["baicun_entry"]
    app.extensions["baicun_entry"] = (served, counters, LoginThrottle(clock=lambda: clock[0]))


# --------------------------------------------------------------------------- throttling
def test_five_wrong_passwords_lock_the_account_for_a_growing_delay(app, monkeypatch):
    clock = [1000.0]
    set_clock(app, clock)
    client = app.test_client()
    token = login_form(client)
    for _ in range(5):
        assert try_login(client, "clerk1", "wrong-password", token).status_code == 401
    checked = []
    real = auth.verify_password
    monkeypatch.setattr(
        auth, "verify_password", lambda *a: checked.append(1) or real(*a)
    )  # counts hashings
    locked = try_login(client, "clerk1", PASSWORD, token)  # even the right password
    assert locked.status_code == 429
    assert "登录失败次数太多，请 30 秒后再试。" in locked.text
    assert locked.headers["Retry-After"] == "30"
    assert checked == []  # refused without hashing: a flood costs nothing
    english = try_login(client, "clerk1", PASSWORD, login_form(client, "en"), lang="en")
    assert english.status_code == 429 and "Too many failed logins" in english.text
    # Other clerks, from the same address, are not slowed.
    assert login(app, "clerk2")
    # The lock ends; one more failure locks it twice as long.
    clock[0] += 31
    assert try_login(client, "clerk1", "wrong-password", token).status_code == 401
    again = try_login(client, "clerk1", PASSWORD, token)
    assert again.status_code == 429 and again.headers["Retry-After"] == "60"
    clock[0] += 61
    assert try_login(client, "clerk1", PASSWORD, token).status_code == 302


def test_a_successful_login_clears_the_count(app):
    set_clock(app, [0.0])
    client = app.test_client()
    token = login_form(client)
    for _ in range(4):
        assert try_login(client, "clerk1", "wrong-password", token).status_code == 401
    assert try_login(client, "clerk1", PASSWORD, token).status_code == 302
    client = app.test_client()
    token = login_form(client)
    for _ in range(4):
        assert try_login(client, "clerk1", "wrong-password", token).status_code == 401
    assert try_login(client, "clerk1", PASSWORD, token).status_code == 302


def test_failures_older_than_the_window_are_forgotten(app):
    clock = [0.0]
    set_clock(app, clock)
    client = app.test_client()
    token = login_form(client)
    for _ in range(4):
        assert try_login(client, "clerk1", "wrong-password", token).status_code == 401
    clock[0] += 301
    assert try_login(client, "clerk1", "wrong-password", token).status_code == 401
    assert try_login(client, "clerk1", PASSWORD, token).status_code == 302


def test_many_names_tried_from_one_address_lock_the_address(app):
    set_clock(app, [0.0])
    client = app.test_client()
    token = login_form(client)
    for i in range(20):
        reply = try_login(client, f"guess{i}", "wrong-password", token, address="10.0.0.9")
        assert reply.status_code == 401
    locked = try_login(client, "clerk1", PASSWORD, token, address="10.0.0.9")
    assert locked.status_code == 429
    assert login(app, "clerk1", address="10.0.0.10")  # another machine is let in


def test_a_flood_of_wrong_logins_is_answered_at_once(app):
    client = app.test_client()
    token = login_form(client)
    for _ in range(5):
        try_login(client, "clerk1", "wrong-password", token)
    started = time.perf_counter()
    for _ in range(200):
        assert try_login(client, "clerk1", "wrong-password", token).status_code == 429
    assert time.perf_counter() - started < 5


def test_the_throttle_forgets_stale_names_under_a_flood():
    clock = [0.0]
    throttle = LoginThrottle(clock=lambda: clock[0])
    for _ in range(5):
        throttle.failed("wang", None)
    for i in range(12_000):
        throttle.failed(f"n{i}", None)
    assert len(throttle._counts) <= 10_000
    assert throttle.wait("wang", None) > 0  # the locked account is kept


# --------------------------------------------------------------------------- accounts
def test_a_disabled_account_cannot_log_in_and_its_sessions_end(tmp_path, app, store):
    study = make_study(tmp_path / "study")
    clerk = login(app, "clerk1")
    assert clerk.get("/").status_code == 200
    args = ["--study", str(study), "--db", str(store.path)]
    assert main([*args, "disable-user", "clerk1"]) == 0
    assert clerk.get("/").status_code == 302  # the open session ended
    assert post(clerk, "/api/forms/household/check", {"answers": household()}).status_code == 401
    other = app.test_client()
    assert try_login(other, "clerk1", PASSWORD, login_form(other)).status_code == 401
    assert main([*args, "enable-user", "clerk1"]) == 0
    assert login(app, "clerk1")
    assert main([*args, "disable-user", "nobody"]) == 2


# --------------------------------------------------------------------------- files
def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_database_is_readable_by_its_owner_only(tmp_path):
    store = EntryStore(tmp_path / "new" / "entry.sqlite")
    store.add_user("li", "clerk", FAST_HASH)
    assert mode(store.path) == 0o600
    for suffix in ("-wal", "-shm"):
        side = store.path.with_name(store.path.name + suffix)
        if side.exists():
            assert mode(side) == 0o600
    store.close()
    old = tmp_path / "old.sqlite"
    EntryStore(old).close()
    old.chmod(0o644)
    EntryStore(old).close()
    assert mode(old) == 0o600


def test_export_files_are_readable_by_their_owner_only(tmp_path):
    study = make_study(tmp_path / "study")
    db = tmp_path / "entry.sqlite"
    store = make_store(db, clerks=1)
    store.save_entry(
        wave="w1",
        form="household",
        key="H001",
        clerk_id=store.user_by_name("clerk1").id,
        answers=Answers({"hh_id": "H001"}),
        differences=lambda a, b: 0,
        submission="s1",
    )
    previous = os.umask(0o022)
    try:
        assert main(["--study", str(study), "--db", str(db), "export", "--wave", "w1"]) == 0
    finally:
        os.umask(previous)
    target = study / "data" / "raw" / "w1" / "household.zip"
    assert target.exists() and mode(target) == 0o600
    with zipfile.ZipFile(target) as archive:
        assert "household.csv" in archive.namelist()


# --------------------------------------------------------------------------- names
@pytest.mark.parametrize("wave", ["../../..", "..", "a/b", "/abs/x", ".hidden", ""])
def test_a_wave_that_is_not_a_plain_folder_name_is_refused(tmp_path, wave, capsys):
    study = make_study(tmp_path / "study")
    db = tmp_path / "entry.sqlite"
    make_store(db, clerks=1).close()
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["--study", str(study), "--db", str(db), "export", "--wave", wave]) == 2
    assert "[STU010]" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    store = EntryStore(db)
    with pytest.raises(Exception) as info:
        commands.build_site(load_study(study), wave, store)
    assert getattr(info.value, "code", None) == "STU010"


def load_study(folder):
    from analysis.study import Study

    return Study.load(folder)


def test_a_form_not_of_the_study_is_refused(tmp_path, capsys):
    study = make_study(tmp_path / "study")
    db = tmp_path / "entry.sqlite"
    args = ["--study", str(study), "--db", str(db)]
    assert main([*args, "export", "--wave", "w1", "--form", "../evil"]) == 2
    assert "[ENT007]" in capsys.readouterr().err
    with pytest.raises(EntryError) as info:
        commands.build_site(load_study(study), "w1", EntryStore(db), ["nope"])
    assert info.value.code == "ENT007"


# --------------------------------------------------------------------------- requests
def test_hostile_requests_are_answered_4xx_never_500(app, store):
    app.testing = False  # an exception becomes a 500, as in production
    clerk, boss = login(app, "clerk1"), login(app, "super1")
    for path in (f"/entries/{2**63}", f"/entries/{2**64}", "/entries/abc", "/entries/-1"):
        assert clerk.get(path).status_code == 404, path
    assert post(clerk, f"/api/entries/{2**63}", {"answers": household()}).status_code == 404
    assert boss.get(f"/questionnaires/{2**70}").status_code == 404
    assert boss.get(f"/questionnaires/{2**63 - 1}").status_code == 404
    headers = {"X-CSRF-Token": clerk.csrf}
    for depth in (100, 5_000, 200_000):
        body = "[" * depth + "]" * depth
        reply = clerk.post(
            "/api/forms/household/check",
            data=body,
            content_type="application/json",
            headers=headers,
        )
        assert reply.status_code == 400 and reply.json["error"]["code"] == "ENT020", depth
        nested = '{"answers": {"values": {"hh_id": ' + "[" * depth + "]" * depth + "}}}"
        reply = clerk.post(
            "/api/forms/household/entries",
            data=nested,
            content_type="application/json",
            headers=headers,
        )
        assert reply.status_code == 400, depth
    huge = '{"answers": "' + "x" * (5 * 1024 * 1024) + '"}'
    reply = clerk.post(
        "/api/forms/household/check", data=huge, content_type="application/json", headers=headers
    )
    assert reply.status_code == 413
    versions = boss.post(
        "/questionnaires/1/resolve", data={"csrf_token": boss.csrf, "versions": "²,1"}
    )
    assert 400 <= versions.status_code < 500


def test_a_foreign_host_header_is_refused(store):
    app = make_app(store, "household")
    served = app.extensions["baicun_entry"][0]
    guarded = create_app(
        EntrySite(
            store=store,
            wave=WAVE,
            forms=served.forms,
            trusted_hosts=("127.0.0.1", "localhost", "[::1]"),
        )
    )
    client = guarded.test_client()
    for path in ("/", "/login", "/api/forms/household/check", "/static/entry.js", "/nope"):
        reply = client.get(path, headers={"Host": "evil.example"})
        assert reply.status_code == 400, path
    assert client.get("/login", headers={"Host": "localhost:8765"}).status_code == 200


# --------------------------------------------------------------------------- resolving
def test_a_questionnaire_is_resolved_only_once(app, store):
    one, two, boss = login(app, "clerk1"), login(app, "clerk2"), login(app, "super1")
    post(one, "/api/forms/household/entries", {"answers": household(), "submission": "a"})
    post(
        two,
        "/api/forms/household/entries",
        {"answers": household(hh_size="4"), "submission": "b"},
    )
    qid = store.questionnaires(WAVE)[0].id
    form = {"csrf_token": boss.csrf, "versions": "1,1", "pick_0": "1"}
    assert boss.post(f"/questionnaires/{qid}/resolve", data=form).status_code == 302
    again = boss.post(f"/questionnaires/{qid}/resolve", data={**form, "pick_0": "2"})
    assert again.status_code == 409 and "ENT023" in again.text
    assert store.resolution(qid).answers.get("hh_size") == "3"
    with pytest.raises(EntryError) as info:
        store.resolve(
            qid,
            Answers({"hh_id": "H001", "hh_size": "4"}),
            supervisor_id=store.user_by_name("super1").id,
            decisions="{}",
            versions=(1, 1),
        )
    assert info.value.code == "ENT023"


def test_an_agreed_questionnaire_cannot_be_resolved(app, store):
    one, two, boss = login(app, "clerk1"), login(app, "clerk2"), login(app, "super1")
    post(one, "/api/forms/household/entries", {"answers": household(), "submission": "a"})
    post(two, "/api/forms/household/entries", {"answers": household(), "submission": "b"})
    qid = store.questionnaires(WAVE)[0].id
    assert store.questionnaire(qid).status == "agreed"
    reply = boss.post(
        f"/questionnaires/{qid}/resolve", data={"csrf_token": boss.csrf, "versions": "1,1"}
    )
    assert reply.status_code == 409
    assert store.resolution(qid).method == "agreed"


# --------------------------------------------------------------------------- connections
def test_serve_sets_a_connection_timeout(tmp_path, monkeypatch, capsys):
    study = make_study(tmp_path / "study")
    seen = {}

    class FakeServer:
        effective_port = 1

        def run(self):
            raise KeyboardInterrupt

        def close(self):
            pass

    def create_server(app, **options):
        seen.update(options)
        return FakeServer()

    monkeypatch.setattr("waitress.create_server", create_server)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    db = tmp_path / "entry.sqlite"
    assert main(["--study", str(study), "--db", str(db), "serve", "--wave", "w1"]) == 0
    assert 0 < seen["channel_timeout"] <= 30
    assert seen["cleanup_interval"] <= seen["channel_timeout"]
    assert seen["connection_limit"] >= 150
