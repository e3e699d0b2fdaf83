"""Type checks: text in number fields, bad dates, Excel serials, GPS; reader issues kept."""

from __future__ import annotations

import pandas as pd
import pytest
from validate_support import form, good_household, issues_of, raw

from analysis.instrument import load_instrument
from analysis.readers import read_raw
from analysis.validate import validate


@pytest.fixture(scope="module")
def household(tmp_path_factory):
    return form(tmp_path_factory.mktemp("forms"))


def test_text_in_an_integer_field_is_an_error_with_the_text(household):
    records = [good_household(i) for i in range(5)]
    data = raw(records)
    data.data["age"] = data.data["age"].astype("str")
    data.data.loc[2, "age"] = "三十"
    data.data.loc[3, "age"] = "31.5"
    result = validate(data, household, name="household", lang="en")
    found = issues_of(result, "VAL101")
    assert found["value"].tolist() == ["三十", "31.5"]
    assert found["source_row"].tolist() == [4, 5]
    assert "should be an integer" in found["message"].iloc[0]
    # the typed value is unknown, so 'required but empty' is not reported on top
    assert issues_of(result, "VAL121").empty


def test_bad_date_text_and_excel_serials_in_a_date_field(household):
    records = [good_household(i) for i in range(3)]
    data = raw(records)
    data.data["visit_date"] = ["2024-07-02", "45474", "下周二"]
    result = validate(data, household, name="household", lang="zh")
    serial = issues_of(result, "VAL105")
    assert serial["value"].tolist() == ["45474"]
    assert "2024-07-01" in serial["message"].iloc[0]  # the date the serial stands for
    assert serial["severity"].tolist() == ["warning"]
    bad = issues_of(result, "VAL103")
    assert bad["value"].tolist() == ["下周二"]
    assert bad["message"].iloc[0] == "visit_date 应为日期，实际为 “下周二”"


def test_excel_serials_stored_as_numbers(household):
    data = raw([good_household(i) for i in range(2)])
    data.data["visit_date"] = [45474.0, 45475.0]
    result = validate(data, household, name="household")
    assert issues_of(result, "VAL105")["value"].tolist() == ["45474", "45475"]


def test_gps_out_of_range(tmp_path):
    md = """
| survey |
| | type | name | label |
| | geopoint | gps | GPS |
"""
    data = raw([{"gps": "30.5 104.1 500 5"}, {"gps": "130.5 104.1 500 5"}])
    result = validate(data, form(tmp_path, md), name="f")
    assert issues_of(result, "VAL106")["source_row"].tolist() == [3]


def test_reader_type_issues_come_through_as_type_issues(tmp_path):
    md = """
| survey |
| | type | name | label |
| | integer | age | Age |
| | text | hh_id | Id |
"""
    path = tmp_path / "form.md"
    path.write_text(md, encoding="utf-8")
    instrument = load_instrument(path)
    export = tmp_path / "hh.csv"
    export.write_text("hh_id,age\nA,30\nB,abc\n", encoding="utf-8")
    data = read_raw(export, instrument)
    result = validate(data, instrument, name="hh", lang="en")
    typed = issues_of(result, check="type")
    assert typed["code"].tolist() == ["RD110"]
    assert typed["value"].tolist() == ["abc"]
    assert typed["source_row"].tolist() == [3]


def test_a_reader_issue_fixed_since_is_not_repeated(tmp_path):
    md = """
| survey |
| | type | name | label |
| | integer | age | Age |
"""
    path = tmp_path / "form.md"
    path.write_text(md, encoding="utf-8")
    instrument = load_instrument(path)
    export = tmp_path / "hh.csv"
    export.write_text("age\n30\nabc\n", encoding="utf-8")
    data = read_raw(export, instrument)
    fixed = data.data.copy()
    fixed.loc[1, "age"] = 31
    from analysis.readers import RawData

    result = validate(RawData(fixed, {}, data.metadata), instrument, name="hh")
    assert issues_of(result, check="type").empty


def test_typed_columns_are_not_re_checked(household):
    data = raw([good_household(i) for i in range(3)])
    assert pd.api.types.is_integer_dtype(data.data["age"])
    assert issues_of(validate(data, household, name="household"), check="type").empty
