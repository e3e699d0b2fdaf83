"""[validate] settings: defaults, study.toml, and coded errors for mistakes."""

from __future__ import annotations

import pytest
from validate_support import form, good_household, issues_of, raw

from analysis.errors import ValidationError
from analysis.study import Study
from analysis.validate import ValidateSettings, validate


def test_defaults():
    s = ValidateSettings()
    assert (s.duration.min_minutes, s.outliers.method, s.outliers.k, s.near_duplicates.share) == (
        10.0,
        "iqr",
        3.0,
        0.95,
    )


@pytest.mark.parametrize(
    ("mapping", "code"),
    [
        ({"duraton": {}}, "VAL003"),
        ({"outliers": {"methd": "sd"}}, "VAL003"),
        ({"outliers": {"method": "mad"}}, "VAL004"),
        ({"duration": {"min_minutes": "ten"}}, "VAL004"),
        ({"near_duplicates": {"share": 2}}, "VAL004"),
        ({"skip": ["outliers"]}, "VAL005"),
        ({"variables": {"income": {"soft_min": 5, "soft_max": 1}}}, "VAL004"),
        ({"language": "fr"}, "VAL004"),
    ],
)
def test_bad_settings_are_coded_errors(mapping, code):
    with pytest.raises(ValidationError) as err:
        ValidateSettings.from_mapping(mapping)
    assert err.value.code == code
    assert err.value.hint


def test_settings_come_from_study_toml(tmp_path):
    (tmp_path / "study.toml").write_text(
        '[instruments.household]\nform = "surveys/household.md"\n[validate]\nskip = ["pii"]\n'
        "[validate.duration]\nmin_minutes = 20\n",
        encoding="utf-8",
    )
    s = ValidateSettings.from_study(Study.load(tmp_path))
    assert s.skip == ("pii",) and s.duration.min_minutes == 20


def test_skipped_checks_report_nothing(tmp_path):
    household = form(tmp_path)
    data = raw([good_household(0, notes="电话13373044609")])
    assert not issues_of(validate(data, household, name="household"), check="pii").empty
    assert issues_of(
        validate(data, household, name="household", settings={"skip": ["pii"]}), check="pii"
    ).empty


def test_setting_for_a_variable_the_form_does_not_have(tmp_path):
    household = form(tmp_path)
    result = validate(
        raw([good_household(0)]),
        household,
        name="household",
        settings={"variables": {"household.incme": {"soft_max": 5}}},
    )
    assert issues_of(result, "VAL199")["variable"].tolist() == ["incme"]
