"""Choice membership: select_one, select_multiple code by code, or_other, choice_filter."""

from __future__ import annotations

import pytest
from validate_support import form, good_household, issues_of, raw

from analysis.validate import validate


@pytest.fixture(scope="module")
def household(tmp_path_factory):
    return form(tmp_path_factory.mktemp("forms"))


def test_unknown_select_one_code(household):
    data = raw([good_household(0), good_household(1, has_tv="3")])
    found = issues_of(validate(data, household, name="household", lang="en"), "VAL110")
    assert found["variable"].tolist() == ["has_tv"]
    assert found["value"].tolist() == ["3"]
    assert found["message"].iloc[0] == "has_tv: code '3' is not in choice list yn"
    assert found["severity"].iloc[0] == "error"


def test_select_multiple_codes_are_checked_one_by_one(household):
    data = raw([good_household(0, crops="rice wheat"), good_household(1, crops="maize rice")])
    found = issues_of(validate(data, household, name="household", lang="en"), "VAL111")
    assert found["value"].tolist() == ["wheat"]  # the unknown code, not the whole answer
    assert found["source_row"].tolist() == [2]


def test_or_other_is_a_valid_code(household):
    data = raw([good_household(0, crops="rice other", crops_other="青稞")])
    assert issues_of(validate(data, household, name="household"), check="choice").empty


def test_choice_excluded_by_the_choice_filter(household):
    # township 1201 belongs to county 12, not 11
    data = raw([good_household(0), good_household(1, township="1201")])
    found = issues_of(validate(data, household, name="household", lang="zh"), "VAL112")
    assert found["source_row"].tolist() == [3]
    assert found["rule"].tolist() == ["county = ${county}"]
    assert "筛选条件" in found["message"].iloc[0]


def test_repeated_code_in_a_select_multiple(household):
    data = raw([good_household(0, crops="rice rice")])
    found = issues_of(validate(data, household, name="household"), "VAL113")
    assert found["value"].tolist() == ["rice rice"]
    assert found["severity"].tolist() == ["warning"]


def test_unknown_code_in_a_question_the_form_skips_is_a_skip_problem(household):
    # has_tv = 2 skips n_tv; the unknown code of a skipped select is reported as answered-not-relevant
    md_record = good_household(0, has_tv="2", n_tv=3)
    found = validate(raw([md_record]), household, name="household").issues
    assert found["code"].astype(str).tolist() == ["VAL122"]
