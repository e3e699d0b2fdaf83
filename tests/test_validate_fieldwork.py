"""Fieldwork checks: missing-code rates, interview duration, per-enumerator summaries."""

from __future__ import annotations

import pandas as pd
import pytest
from validate_support import form, good_household, issues_of, raw

from analysis.validate import ENUMERATOR_COLUMNS, validate


@pytest.fixture(scope="module")
def household(tmp_path_factory):
    return form(tmp_path_factory.mktemp("forms"))


def test_high_share_of_missing_codes_per_variable(household):
    records = [good_household(i, age=98 if i < 8 else 40) for i in range(30)]
    found = issues_of(validate(raw(records), household, name="household", lang="en"), "VAL150")
    assert found["variable"].tolist() == ["age"]
    assert found["value"].tolist() == ["27%"]
    assert found["source_row"].isna().all()


def test_missing_code_with_the_wrong_number_of_digits(household):
    records = [good_household(i) for i in range(10)] + [good_household(10, income=9998.0)]
    found = issues_of(validate(raw(records), household, name="household", lang="en"), "VAL151")
    assert found["value"].tolist() == ["9998"]
    assert "998" in found["message"].iloc[0]


def test_enumerator_with_a_high_dont_know_rate(household):
    records = [
        good_household(i, enumerator=101 + i % 3, age=98 if i % 3 == 2 else 40) for i in range(60)
    ]
    found = issues_of(validate(raw(records), household, name="household", lang="en"), "VAL152")
    assert found["enumerator"].tolist() == ["103"]


def test_interview_duration(household):
    start = pd.Timestamp("2024-07-01 09:00")
    records = [good_household(i) for i in range(4)]
    records[1]["end"] = start + pd.Timedelta(minutes=4) + (records[1]["start"] - start)
    records[2]["end"] = records[2]["start"] + pd.Timedelta(hours=6)
    records[3]["end"] = records[3]["start"] - pd.Timedelta(minutes=10)
    found = issues_of(
        validate(raw(records), household, name="household", lang="en"), check="duration"
    )
    assert dict(zip(found["source_row"], found["code"], strict=True)) == {
        3: "VAL160",
        4: "VAL161",
        5: "VAL162",
    }
    assert (
        found.loc[found["code"] == "VAL160", "message"].iloc[0]
        == "the interview took only 4 minutes, less than 10"
    )


def test_duration_only_where_the_condition_holds(household):
    records = [good_household(i) for i in range(2)]
    for r in records:
        r["end"] = r["start"] + pd.Timedelta(minutes=3)
    records[0]["has_tv"], records[0]["n_tv"] = "1", 1
    records[1]["has_tv"], records[1]["n_tv"] = "2", None
    result = validate(
        raw(records),
        household,
        name="household",
        settings={"duration": {"when": "${has_tv} = '1'"}},
    )
    assert issues_of(result, "VAL160")["source_row"].tolist() == [2]


def test_enumerator_summary(household):
    records = [good_household(i) for i in range(12)]
    records[0]["end"] = records[0]["start"] + pd.Timedelta(minutes=5)
    records[5]["hh_id"] = records[4]["hh_id"]
    result = validate(raw(records), household, name="household")
    summary = result.enumerators.set_index("enumerator")
    assert list(result.enumerators.columns) == list(ENUMERATOR_COLUMNS)
    assert summary.loc["101", "interviews"] == 6
    assert summary.loc["101", "days"] == 3
    assert summary.loc["101", "short_interviews"] == 1
    assert summary["duplicates"].sum() == 2
    assert summary.loc["101", "first_day"] == "2024-07-01"


def test_too_many_interviews_in_one_day(household):
    records = [good_household(i, enumerator=101 if i < 14 else 102) for i in range(16)]
    for r in records:
        r["start"] = pd.Timestamp("2024-07-01 08:00")
        r["end"] = r["start"] + pd.Timedelta(minutes=40)
    result = validate(
        raw(records), household, name="household", settings={"enumerators": {"max_per_day": 10}}
    )
    found = issues_of(result, "VAL170")
    assert found["enumerator"].tolist() == ["101"]
    assert found["value"].tolist() == ["14"]
