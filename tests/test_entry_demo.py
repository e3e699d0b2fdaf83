"""Every demo household typed into entry: the screen's verdicts are check_form's, on each record.

Both demo waves' household exports are read with ``read_raw`` (each wave with the form it
was collected with), each household turned into the answers a clerk would type, and
checked by entry (:func:`~analysis.entry.verdicts.check_many`, the same code as one
``check`` per questionnaire). ``check_form`` applied to the whole export is the reference:
per household and answer, relevance, constraint failures, required answers missing,
choice failures and calculated values must be equal, and entry must refuse to save
exactly the households ``check_form`` finds an error in.
"""

from __future__ import annotations

import functools
import math
import re
from collections import defaultdict

import pandas as pd
import pytest
from entry_support import PASSWORD, ROOT, make_store

from analysis.entry.answers import Answers
from analysis.entry.app import EntrySite, FormSpec, create_app
from analysis.entry.verdicts import check, check_many
from analysis.expressions import FormData, Repeat, check_form
from analysis.instrument import load_instrument
from analysis.readers import read_raw
from analysis.study import Study

WAVES = ("demo-2024", "demo-2025")


def _texts(column: pd.Series, qtype: str) -> list[str]:
    """A column of read_raw as the text a clerk types ('' when unanswered)."""
    out = []
    for value in column.tolist():
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            out.append("")
        elif isinstance(value, pd.Timestamp):
            out.append(value.date().isoformat() if qtype == "date" else value.isoformat())
        elif isinstance(value, float):
            out.append(str(int(value)) if value.is_integer() else repr(float(value)))
        else:
            out.append(str(value))
    return out


def _typed(instrument, frame: pd.DataFrame, scope: str | None) -> list[dict[str, str]]:
    questions = [q for q in instrument.questions_in(scope) if q.is_data and q.name in frame]
    columns = {q.name: _texts(frame[q.name], q.type) for q in questions}
    return [{name: texts[i] for name, texts in columns.items()} for i in range(len(frame))]


class Wave:
    """One demo wave: its form, its export, the households as typed and both verdicts."""

    def __init__(self, wave: str) -> None:
        study = Study.load(ROOT)
        self.form = load_instrument(study.form_path("household", wave))
        raw = read_raw(ROOT / "data" / "raw" / wave / "household.zip", self.form)
        self.main, members = raw.tables["main"], raw.tables["members"]
        self.members = members
        # member rows by household, in export order (the order of the paper's roster)
        self.member_at: dict[int, list[int]] = defaultdict(list)
        position = {key: i for i, key in enumerate(self.main["_key"])}
        for j, parent in enumerate(members["_parent_key"].tolist()):
            self.member_at[position[parent]].append(j)
        rows = _typed(self.form, members, "members")
        self.papers = [
            Answers(values, {"members": [Answers(rows[j]) for j in self.member_at[i]]})
            for i, values in enumerate(_typed(self.form, self.main, None))
        ]
        repeats = {"members": Repeat(members, parent_key="_parent_key")}
        data = FormData(self.main, repeats, key="_key")
        self.reference = check_form(self.form, data)
        self.entry = check_many(self.form, self.papers, key="hh_id", final=True)

    def flagged(self) -> set[int]:
        """Households in which check_form finds an error (a member's error counts)."""
        issues = self.reference.issues()
        issues = issues[issues["severity"] == "error"]
        out = set()
        for scope, record in zip(issues["scope"], issues["record"], strict=True):
            if scope == "":
                out.add(int(record))
            else:
                out.update(i for i, rows in self.member_at.items() if record in rows)
        return out


@functools.cache
def _wave(name: str) -> Wave:
    return Wave(name)


@pytest.fixture(scope="module", params=WAVES)
def wave(request) -> Wave:
    return _wave(request.param)


def test_entry_verdicts_equal_check_form_on_every_household(wave):
    expected = _reference(wave)
    differences = []
    for household, result in enumerate(wave.entry):
        rows = [(None, household, "")] + [
            ("members", row, f"members[{number}]/")
            for number, row in enumerate(wave.member_at[household], start=1)
        ]
        for scope, row, prefix in rows:
            for name, verdicts in expected[scope].items():
                state = result.fields[prefix + name]
                found = (
                    state.relevant,
                    state.problem == "constraint",
                    state.problem == "required",
                    state.problem == "choice",
                    state.value,
                )
                if found != verdicts[row]:
                    differences.append((household, prefix + name, found, verdicts[row]))
    assert not differences, differences[:5]


def _reference(wave: Wave) -> dict[str | None, dict[str, list[tuple]]]:
    """check_form's verdicts per scope, question and row: (relevant, constraint failed,
    required missing, choice failed, calculated value or None)."""
    ref = wave.reference
    out: dict[str | None, dict[str, list[tuple]]] = {}
    for scope in (None, "members"):
        n = len(ref.indexes[scope])
        out[scope] = {}
        for q in wave.form.questions_in(scope):
            if not q.is_data:
                continue

            values = (
                _texts(ref.value(scope, q.name).astype(object), q.type)
                if q.calculation
                else [None] * n
            )
            out[scope][q.name] = list(
                zip(
                    ref.masks["relevant"][scope][q.name].tolist(),
                    _failed(ref, "constraint_ok", scope, q.name, n),
                    _failed(ref, "required_ok", scope, q.name, n),
                    _failed(ref, "choice_ok", scope, q.name, n),
                    values,
                    strict=True,
                )
            )
    return out


def _failed(ref, rule: str, scope: str | None, name: str, n: int) -> list[bool]:
    mask = ref.masks[rule][scope].get(name)
    return [False] * n if mask is None else (~mask).tolist()


def test_entry_saves_every_household_check_form_finds_clean(wave):
    refused = {i for i, result in enumerate(wave.entry) if not result.ok}
    flagged = wave.flagged()
    assert refused == flagged
    assert len(flagged) < 10  # the problems injected into the demo data, nothing else


def test_one_at_a_time_equals_all_at_once(wave):
    """A sample (the refused households and the first ones with school-age children) checked
    one by one, as the app does, gives what the wave checked at once gives."""
    refused = [i for i, result in enumerate(wave.entry) if not result.ok]
    kids = [i for i, r in enumerate(wave.entry) if r.answers.get("n_school_age") not in ("", "0")]
    for i in refused + kids[:3]:
        alone = check(wave.form, wave.papers[i], key="hh_id", final=True)
        assert alone.to_json() == wave.entry[i].to_json()
        assert alone.answers == wave.entry[i].answers


def test_households_with_school_age_children_are_saved_by_the_app(tmp_path):
    """The demo's bug: children_in_school, relevant through a sum over the roster, was
    erased and then required, so about 30% of the households could not be saved."""
    demo = _wave("demo-2025")
    store = make_store(tmp_path / "entry.sqlite", clerks=1, supervisors=0)
    spec = FormSpec("household", demo.form, "hh_id", {"zh": "农牧户问卷"})
    app = create_app(EntrySite(store=store, wave="demo-2025", forms={"household": spec}))
    app.testing = True
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
    login = {"csrf_token": token, "name": "clerk1", "password": PASSWORD}
    assert client.post("/login", data=login).status_code == 302
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text)[1]
    with_kids = [i for i, paper in enumerate(demo.papers) if paper.get("children_in_school")]
    for i in with_kids[:3]:
        reply = client.post(
            "/api/forms/household/entries",
            json={"answers": demo.papers[i].to_json(), "submission": f"demo-{i}"},
            headers={"X-CSRF-Token": csrf},
        )
        assert reply.status_code == 200, reply.get_json()
        saved = store.entry(reply.get_json()["entry_id"]).answers
        assert saved.get("children_in_school") == demo.papers[i].get("children_in_school")
