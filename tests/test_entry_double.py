"""analysis.entry.double: comparing two typings and merging a supervisor's decisions."""

from __future__ import annotations

import pytest
from entry_support import FIXTURES

from analysis.entry.answers import Answers
from analysis.entry.double import compare, merge
from analysis.errors import EntryError
from analysis.instrument import load_instrument


@pytest.fixture(scope="module")
def form():
    return load_instrument(FIXTURES / "household.md")


def _typing(**changes):
    values = {"hh_id": "H001", "village_id": "3", "hh_size": "3", "has_tv": "1", "tv_count": "1"}
    members = [{"m_name": "张三", "m_age": "40"}, {"m_name": "李四", "m_age": "38"}]
    rows = changes.pop("members", members)
    values.update(changes)
    return Answers(values, {"members": [Answers(r) for r in rows]})


def test_identical_typings_have_no_differences(form):
    assert compare(form, _typing(), _typing()) == ()


def test_differences_come_in_form_order_with_paths(form):
    one = _typing(hh_size="3")
    two = _typing(
        hh_size="4", members=[{"m_name": "张三", "m_age": "41"}, {"m_name": "李四", "m_age": "38"}]
    )
    found = [(d.path, d.first, d.second) for d in compare(form, one, two)]
    assert found == [("hh_size", "3", "4"), ("members[1]/m_age", "40", "41")]


def test_a_row_typed_by_one_clerk_only_differs_from_no_row(form):
    two = _typing(
        members=[
            {"m_name": "张三", "m_age": "40"},
            {"m_name": "李四", "m_age": "38"},
            {"m_name": "王五"},
        ]
    )
    found = [(d.path, d.first, d.second) for d in compare(form, _typing(), two)]
    assert found == [("members[3]/m_name", None, "王五")]


def test_empty_and_missing_answers_are_the_same(form):
    one = _typing()
    two = Answers({**one.values, "head_name": ""}, one.repeats)
    assert compare(form, one, two) == ()


def test_merge_applies_each_decision(form):
    one = _typing(hh_size="3")
    two = _typing(hh_size="4", members=[{"m_name": "张三", "m_age": "40"}])
    merged = merge(
        form, one, two, {"hh_size": "4", "members[2]/m_name": "李四", "members[2]/m_age": "39"}
    )
    assert merged.get("hh_size") == "4"
    assert [r.get("m_age") for r in merged.rows("members")] == ["40", "39"]


def test_dropping_a_row_by_choosing_no_row(form):
    two = _typing(members=[{"m_name": "张三", "m_age": "40"}])
    merged = merge(form, _typing(), two, {"members[2]/m_name": "", "members[2]/m_age": ""})
    assert len(merged.rows("members")) == 1


def test_an_undecided_difference_is_a_coded_error(form):
    with pytest.raises(EntryError) as info:
        merge(form, _typing(hh_size="3"), _typing(hh_size="4"), {})
    assert info.value.code == "ENT019" and info.value.column == "hh_size"


def test_calculations_are_never_a_decision(form):
    one = Answers({"hh_id": "H001", "n_members": "2"})
    two = Answers({"hh_id": "H001", "n_members": "3"})
    assert compare(form, one, two) == ()
