"""The entry app end to end through Flask's test client: screens, checks, saves, resolution."""

from __future__ import annotations

import re

import pytest
from entry_support import PASSWORD, make_app, make_store


@pytest.fixture
def store(tmp_path):
    return make_store(tmp_path / "entry.sqlite", clerks=2, supervisors=1)


@pytest.fixture
def app(store):
    return make_app(store, "household")


def login(app, name):
    client = app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    assert (
        client.post(
            "/login", data={"csrf_token": token, "name": name, "password": PASSWORD}
        ).status_code
        == 302
    )
    client.csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text)[1]
    return client


def post(client, path, payload):
    return client.post(path, json=payload, headers={"X-CSRF-Token": client.csrf})


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
    members = changes.pop("members", [{"m_name": "王大山", "m_sex": "1", "m_age": "52"}])
    values.update(changes)
    return {"values": values, "repeats": {"members": [{"values": m} for m in members]}}


def test_entry_screen_shows_sections_repeats_and_choice_codes(app):
    html = login(app, "clerk1").get("/forms/household/new").text
    assert '<fieldset class="section" data-group="basic">' in html
    assert 'data-repeat="members"' in html and "<template" in html
    assert '<li data-code="2" data-label="藏族"><b>2</b> 藏族</li>' in html
    assert "Household size" in html  # the other language under each label
    assert "instanceID" not in html  # metadata is not typed from paper


def test_language_switch_puts_english_first(app):
    clerk = login(app, "clerk1")
    clerk.post("/language", data={"csrf_token": clerk.csrf, "lang": "en", "next": "/"})
    html = clerk.get("/forms/household/new").text
    assert '<html lang="en">' in html
    assert '<span class="label">Household size</span>' in html


def test_check_reports_skips_constraints_and_calculations(app):
    clerk = login(app, "clerk1")
    reply = post(
        clerk, "/api/forms/household/check", {"answers": household(has_tv="2", hh_size="30")}
    ).json
    assert reply["fields"]["tv_count"]["relevant"] is False
    assert reply["fields"]["hh_size"]["problem"] == "constraint"
    assert reply["fields"]["n_members"]["value"] == "1"
    assert reply["ok"] is False


def test_save_is_refused_while_a_rule_is_broken(app, store):
    clerk = login(app, "clerk1")
    reply = post(
        clerk,
        "/api/forms/household/entries",
        {"answers": household(hh_size="30"), "submission": "a1"},
    )
    assert reply.status_code == 422
    assert reply.json["fields"]["hh_size"]["error"]["zh"] == "家庭人口应在 1 到 20 之间"
    assert store.connect().execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 0


def test_save_stores_the_cleaned_answers(app, store):
    clerk = login(app, "clerk1")
    typed = household(has_tv="2", tv_count="5", hh_size="０3", info_sources="4，1")
    reply = post(clerk, "/api/forms/household/entries", {"answers": typed, "submission": "a1"})
    assert reply.status_code == 200, reply.json
    saved = store.entry(reply.json["entry_id"]).answers
    assert saved.get("tv_count") == "" and saved.get("hh_size") == "3"
    assert saved.get("info_sources") == "1 4" and saved.get("n_members") == "1"
    assert reply.json["next"] == "/forms/household/new?saved=H001"


def test_a_malformed_request_is_a_coded_400(app):
    clerk = login(app, "clerk1")
    reply = post(
        clerk, "/api/forms/household/entries", {"answers": {"values": {"no_such_question": "1"}}}
    )
    assert reply.status_code == 400 and reply.json["error"]["code"] == "ENT020"
    assert reply.json["error"]["message"]["zh"] == "提交的内容与本问卷不符：请重新加载录入页面。"
    reply = clerk.post(
        "/api/forms/household/check", data="not json", headers={"X-CSRF-Token": clerk.csrf}
    )
    assert reply.status_code == 400


def test_double_entry_and_resolution_through_the_screens(app, store):
    one, two, boss = login(app, "clerk1"), login(app, "clerk2"), login(app, "super1")
    assert (
        post(
            one, "/api/forms/household/entries", {"answers": household(), "submission": "a1"}
        ).status_code
        == 200
    )
    second = household(hh_size="4", members=[{"m_name": "王大山", "m_sex": "1", "m_age": "25"}])
    assert (
        post(
            two, "/api/forms/household/entries", {"answers": second, "submission": "b1"}
        ).status_code
        == 200
    )
    qid = store.questionnaires("w1")[0].id
    page = boss.get(f"/questionnaires/{qid}").text
    assert "hh_size" in page and "members[1]/m_age" in page
    # An undecided difference is refused; then the supervisor follows the paper.
    refused = boss.post(
        f"/questionnaires/{qid}/resolve",
        data={"csrf_token": boss.csrf, "versions": "1,1", "pick_0": "2"},
    )
    assert refused.status_code == 422
    done = boss.post(
        f"/questionnaires/{qid}/resolve",
        data={
            "csrf_token": boss.csrf,
            "versions": "1,1",
            "pick_0": "1",
            "pick_1": "other",
            "other_1": "52",
        },
    )
    assert done.status_code == 302
    resolution = store.resolution(qid)
    assert resolution.method == "supervisor" and resolution.resolved_by == "super1"
    assert resolution.answers.get("hh_size") == "3"
    assert resolution.answers.rows("members")[0].get("m_age") == "52"
    history = boss.get(f"/questionnaires/{qid}/history").text
    assert "clerk1" in history and "clerk2" in history
    # A clerk can no longer change a resolved questionnaire.
    entry = store.entries_of(qid)[0]
    late = post(one, f"/api/entries/{entry.id}", {"answers": household(hh_size="5"), "version": 1})
    assert late.status_code == 409 and late.json["error"]["code"] == "ENT016"


def test_a_resolution_breaking_a_rule_is_refused(app, store):
    one, two, boss = login(app, "clerk1"), login(app, "clerk2"), login(app, "super1")
    post(one, "/api/forms/household/entries", {"answers": household(), "submission": "a1"})
    post(
        two, "/api/forms/household/entries", {"answers": household(hh_size="4"), "submission": "b1"}
    )
    qid = store.questionnaires("w1")[0].id
    reply = boss.post(
        f"/questionnaires/{qid}/resolve",
        data={"csrf_token": boss.csrf, "versions": "1,1", "pick_0": "other", "other_0": "99"},
    )
    assert reply.status_code == 422 and "1 到 20" in reply.text
    assert store.resolution(qid) is None


def test_clerk_edits_own_entry(app, store):
    clerk = login(app, "clerk1")
    first = post(
        clerk, "/api/forms/household/entries", {"answers": household(), "submission": "a1"}
    ).json
    page = clerk.get(f"/entries/{first['entry_id']}").text
    assert 'value="王大山"' in page and 'data-version="1"' in page
    edit = post(
        clerk,
        f"/api/entries/{first['entry_id']}",
        {"answers": household(hh_size="5"), "version": 1},
    )
    assert edit.status_code == 200 and edit.json["version"] == 2
    stale = post(
        clerk,
        f"/api/entries/{first['entry_id']}",
        {"answers": household(hh_size="6"), "version": 1},
    )
    assert stale.status_code == 409 and stale.json["error"]["code"] == "ENT015"


def test_coded_errors_reach_the_screen_in_chinese_and_english():
    from analysis.entry.messages import ZH, coded_hint, coded_message
    from analysis.errors import EntryError

    error = EntryError("ENT020", "the request is not JSON", hint="Reload the entry page.")
    assert coded_message(error) == {"zh": ZH["ENT020"], "en": "the request is not JSON"}
    assert coded_hint(error)["zh"] == "请重新加载录入页面。"
    assert all(not text.isascii() for text in ZH.values())
