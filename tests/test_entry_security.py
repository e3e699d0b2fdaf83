"""Security of the entry app: login everywhere, CSRF on every POST, own records only, escaping."""

from __future__ import annotations

import re

import pytest
from entry_support import FIXTURES, PASSWORD, make_app, make_store

from analysis.entry.app import EntrySite, FormSpec, create_app
from analysis.instrument import load_instrument

ANSWERS = {
    "values": {"hh_id": "H001", "hh_size": "4"},
    "repeats": {"members": [{"values": {"m_name": "张三", "m_age": "40"}}]},
}


@pytest.fixture
def store(tmp_path):
    return make_store(tmp_path / "entry.sqlite", clerks=2, supervisors=1)


@pytest.fixture
def app(store):
    return make_app(store, "plain")


def login(app, name):
    client = app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    reply = client.post("/login", data={"csrf_token": token, "name": name, "password": PASSWORD})
    assert reply.status_code == 302, reply.text
    home = client.get("/")
    client.csrf = re.search(r'name="csrf-token" content="([^"]+)"', home.text)[1]
    return client


def save(client, answers=ANSWERS, submission="s-1", csrf=None):
    return client.post(
        "/api/forms/household/entries",
        json={"answers": answers, "submission": submission},
        headers={"X-CSRF-Token": client.csrf if csrf is None else csrf},
    )


def count_entries(store):
    return store.connect().execute("SELECT COUNT(*) FROM entries").fetchone()[0]


# ---------------------------------------------------------------------------- no session
def test_every_page_and_endpoint_needs_a_session(app, store):
    clerk = login(app, "clerk1")
    entry_id = save(clerk).json["entry_id"]
    anonymous = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "login"):
            continue
        path = rule.rule.replace("<form>", "household").replace("<int:entry_id>", str(entry_id))
        path = path.replace("<int:qid>", "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            reply = anonymous.open(
                path, method=method, json={"answers": ANSWERS, "submission": "x"}
            )
            assert reply.status_code in (302, 401), (method, path, reply.status_code)
            if reply.status_code == 302:
                assert reply.headers["Location"].startswith("/login")
            assert "张三" not in reply.text and "H001" not in reply.text
            checked += 1
    assert checked >= 10
    assert count_entries(store) == 1


def test_a_forged_or_expired_session_cookie_is_refused(app):
    client = app.test_client()
    client.set_cookie("baicun_session", "forged-token-value")
    assert client.get("/").status_code == 302
    assert client.post("/api/forms/household/check", json={"answers": ANSWERS}).status_code == 401


def test_wrong_password_opens_no_session(app):
    client = app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    reply = client.post(
        "/login", data={"csrf_token": token, "name": "clerk1", "password": "wrong!"}
    )
    assert reply.status_code == 401
    assert client.get("/").status_code == 302


# ---------------------------------------------------------------------------- CSRF
def test_a_forged_csrf_token_is_refused(app, store):
    clerk = login(app, "clerk1")
    assert save(clerk, csrf="forged").status_code == 403
    assert save(clerk, csrf="").status_code == 403
    assert count_entries(store) == 0
    assert save(clerk).status_code == 200


def test_another_sessions_csrf_token_is_refused(app, store):
    one, two = login(app, "clerk1"), login(app, "clerk2")
    assert save(one, csrf=two.csrf).status_code == 403
    assert count_entries(store) == 0


def test_form_posts_need_the_token_too(app):
    clerk = login(app, "clerk1")
    assert clerk.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert clerk.get("/").status_code == 200  # still logged in
    assert clerk.post("/logout", data={"csrf_token": clerk.csrf}).status_code == 302
    assert clerk.get("/").status_code == 302


def test_login_form_needs_its_csrf_cookie(app):
    client = app.test_client()
    client.get("/login")
    reply = client.post(
        "/login", data={"csrf_token": "forged", "name": "clerk1", "password": PASSWORD}
    )
    assert reply.status_code == 403
    fresh = app.test_client()  # no cookie at all: a cross-site login attempt
    reply = fresh.post("/login", data={"csrf_token": "x", "name": "clerk1", "password": PASSWORD})
    assert reply.status_code == 403


# ---------------------------------------------------------------------------- ownership
def test_another_clerks_record_id_is_refused(app, store):
    one, two = login(app, "clerk1"), login(app, "clerk2")
    entry_id = save(one).json["entry_id"]
    page = two.get(f"/entries/{entry_id}")
    assert page.status_code == 403 and "张三" not in page.text
    edit = two.post(
        f"/api/entries/{entry_id}",
        json={"answers": {"values": {"hh_id": "H001", "hh_size": "9"}}, "version": 1},
        headers={"X-CSRF-Token": two.csrf},
    )
    assert edit.status_code == 403
    assert store.entry(entry_id).answers.get("hh_size") == "4"
    assert store.entry(entry_id).version == 1


def test_unknown_record_ids_are_refused_the_same_way(app):
    clerk = login(app, "clerk1")
    assert clerk.get("/entries/999").status_code == 403


def test_roles_are_enforced(app):
    clerk, boss = login(app, "clerk1"), login(app, "super1")
    assert clerk.get("/questionnaires/1").status_code == 403
    assert clerk.get("/questionnaires/1/history").status_code == 403
    assert boss.get("/forms/household/new").status_code == 403
    assert save(boss).status_code == 403


# ---------------------------------------------------------------------------- escaping
def test_labels_and_answers_with_script_are_escaped(tmp_path, store):
    text = (FIXTURES / "plain.md").read_text(encoding="utf-8")
    text = text.replace("| 备注             |", "| 备注<script>alert('label')</script> |")
    form_path = tmp_path / "evil.md"
    form_path.write_text(text, encoding="utf-8")
    instrument = load_instrument(form_path)
    assert "<script>" in instrument["remarks"].label("zh")
    app = create_app(
        EntrySite(
            store=store, wave="w1", forms={"household": FormSpec("household", instrument, "hh_id")}
        )
    )
    clerk = login(app, "clerk1")
    evil = {
        "values": {"hh_id": "H<script>x</script>", "remarks": "<script>alert('answer')</script>"}
    }
    reply = save(clerk, answers=evil)
    assert reply.status_code == 200
    for path in ("/forms/household/new", f"/entries/{reply.json['entry_id']}", "/"):
        html = clerk.get(path).text
        assert "<script>alert" not in html and "<script>x" not in html
        assert "&lt;script&gt;" in html
    scripts = re.findall(r"<script[^>]*>", clerk.get(f"/entries/{reply.json['entry_id']}").text)
    assert scripts == ['<script src="/static/entry.js">']


def test_security_headers_and_cookie_flags(app):
    client = app.test_client()
    page = client.get("/login")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    reply = client.post(
        "/login", data={"csrf_token": token, "name": "clerk1", "password": PASSWORD}
    )
    cookie = next(
        v for k, v in reply.headers.items() if k == "Set-Cookie" and "baicun_session" in v
    )
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_login_never_redirects_to_another_site(app):
    client = app.test_client()
    page = client.get("/login?next=//evil.example/x")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    reply = client.post(
        "/login?next=//evil.example/x",
        data={"csrf_token": token, "name": "clerk1", "password": PASSWORD},
    )
    assert reply.headers["Location"] == "/"
