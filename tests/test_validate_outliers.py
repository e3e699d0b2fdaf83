"""Outliers: IQR and SD rules, soft ranges, settings per variable, missing codes left out."""

from __future__ import annotations

import numpy as np
import pytest
from validate_support import form, issues_of, raw

from analysis.validate import ValidateSettings, validate

MD = """
| survey |
| | type | name | label | missing_codes |
| | text | hh_id | Id | |
| | select_one c | county | County | |
| | integer | rooms | Rooms | 98=不知道;99=拒答 |
| | decimal | income | Income | |
| choices |
| | list_name | name | label |
| | c | 1 | A |
| | c | 2 | B |
"""


@pytest.fixture(scope="module")
def instrument(tmp_path_factory):
    return form(tmp_path_factory.mktemp("forms"), MD)


def _data(rooms, income, county=None):
    n = len(rooms)
    return raw(
        [
            {
                "hh_id": f"H{i}",
                "county": (county or ["1"] * n)[i],
                "rooms": rooms[i],
                "income": income[i],
            }
            for i in range(n)
        ]
    )


def test_iqr_rule_flags_far_values_and_leaves_missing_codes_alone(instrument):
    rooms = [3, 4, 5, 4, 3] * 6 + [98, 40]
    result = validate(_data(rooms, [1.0] * 32), instrument, name="f", lang="en")
    found = issues_of(result, "VAL140")
    assert found["value"].tolist() == ["40"]
    assert "usual range" in found["message"].iloc[0]


def test_skewed_answers_are_judged_on_a_log_scale(instrument):
    rng = np.random.default_rng(1)
    income = [*np.round(rng.lognormal(1.0, 0.8, 200), 1), 41000.0]
    result = validate(_data([3] * 201, income), instrument, name="f", lang="en")
    found = issues_of(result, "VAL140")
    assert found["value"].tolist() == ["41000"]
    assert "log scale" in found["message"].iloc[0]


def test_sd_rule_and_soft_range_per_variable(instrument):
    income = [10.0] * 10 + [11.0] * 10 + [12.0] * 10 + [30.0]
    settings = ValidateSettings.from_mapping(
        {"variables": {"income": {"outliers": "sd", "k": 3, "scale": "linear", "soft_max": 11.5}}}
    )
    result = validate(_data([3] * 31, income), instrument, name="f", settings=settings, lang="en")
    assert issues_of(result, "VAL142")["value"].tolist() == ["12"] * 10 + ["30"]
    assert issues_of(result, "VAL141").empty  # 30 is already outside the soft range


def test_outlier_limits_within_groups(instrument):
    rooms = [2, 3] * 10 + [10, 11] * 10 + [9]
    county = ["1"] * 20 + ["2"] * 20 + ["1"]
    settings = {"variables": {"rooms": {"by": "county", "k": 1.5}}}
    result = validate(
        _data(rooms, [1.0] * 41, county), instrument, name="f", settings=settings, lang="en"
    )
    found = issues_of(result, "VAL140")
    assert found["source_row"].tolist() == [42]
    assert "county = 1" in found["message"].iloc[0]


def test_outliers_can_be_switched_off_for_a_variable(instrument):
    rooms = [3, 4, 5, 4, 3] * 6 + [40]
    result = validate(
        _data(rooms, [1.0] * 31),
        instrument,
        name="f",
        settings={"variables": {"f.rooms": {"outliers": "none"}}},
    )
    assert issues_of(result, check="outlier").empty
