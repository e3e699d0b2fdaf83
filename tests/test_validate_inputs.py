"""validate() on unusual or wrong input: coded errors or logged issues, never a traceback."""

from __future__ import annotations

import pandas as pd
import pytest
from validate_support import form, good_household, issues_of, raw

from analysis.errors import ValidationError
from analysis.readers import RawData, RawMetadata
from analysis.validate import ISSUE_COLUMNS, validate


@pytest.fixture(scope="module")
def household(tmp_path_factory):
    return form(tmp_path_factory.mktemp("forms"))


def test_a_dataframe_instead_of_rawdata(household):
    with pytest.raises(ValidationError) as err:
        validate(pd.DataFrame({"age": [1]}), household)
    assert err.value.code == "VAL001"
    assert "read_raw" in err.value.hint


def test_a_path_instead_of_an_instrument():
    with pytest.raises(ValidationError) as err:
        validate(raw([good_household(0)]), "surveys/household.xlsx")
    assert err.value.code == "VAL002"


def test_others_of_the_wrong_kind(household):
    with pytest.raises(ValidationError) as err:
        validate(raw([good_household(0)]), household, others={"village": pd.DataFrame()})
    assert err.value.code == "VAL006"


def test_empty_data_is_an_issue_and_a_valid_result(household):
    empty = RawData(pd.DataFrame({"_key": pd.Series(dtype="str")}), {}, RawMetadata(format="csv"))
    result = validate(empty, household, name="household")
    assert issues_of(result, "VAL100")["severity"].tolist() == ["warning"]
    assert list(result.issues.columns) == list(ISSUE_COLUMNS)
    assert result.enumerators.empty


def test_data_without_reserved_columns(household):
    data = RawData(pd.DataFrame([good_household(0, age=200)]), {}, RawMetadata(format="csv"))
    result = validate(data, household, name="household")
    assert issues_of(result, "VAL127")["severity"].tolist() == ["info"]
    assert issues_of(result, "VAL120")["source_row"].tolist() == [2]


def test_every_issue_has_the_tidy_columns_and_known_severities(household):
    records = [good_household(i) for i in range(8)]
    records[2].update(age=200, has_tv="5", notes="13373044609")
    result = validate(raw(records), household, name="household")
    assert list(result.issues.columns) == list(ISSUE_COLUMNS)
    assert set(result.issues["severity"].astype(str)) <= {"error", "warning", "info"}
    assert (result.issues["instrument"] == "household").all()
    assert not result.ok and len(result.errors) == 3


def test_worker_processes_give_the_same_result(household):
    records = [good_household(i) for i in range(40)]
    records[3].update(age=200, double_age="400")
    records[7]["hh_id"] = records[8]["hh_id"]
    records[9]["notes"] = "电话13373044609"
    data = raw(records)
    alone = validate(data, household, name="household", settings={"jobs": 1, "chunk_size": 10})
    shared = validate(data, household, name="household", settings={"jobs": 2, "chunk_size": 10})
    pd.testing.assert_frame_equal(alone.issues, shared.issues)
    pd.testing.assert_frame_equal(alone.enumerators, shared.enumerators)
