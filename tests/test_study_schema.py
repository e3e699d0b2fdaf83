"""study.toml is checked against its schema (analysis.study.schema)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.errors import StudyError
from analysis.study import Study
from analysis.study.schema import SCHEMA, check_config, schema_markdown
from analysis.validate.settings import ValidateSettings

ROOT = Path(__file__).resolve().parents[1]

BASE = '[instruments.household]\nform = "surveys/household.xlsx"\n'


def _load(tmp_path: Path, text: str) -> Study:
    (tmp_path / "study.toml").write_text(BASE + text, encoding="utf-8")
    return Study.load(tmp_path)


def test_the_demo_study_toml_passes():
    assert Study.load(ROOT).instrument_names == ("village", "household", "cadre")


def test_a_typo_names_file_table_key_and_the_closest_key(tmp_path):
    with pytest.raises(StudyError) as info:
        _load(tmp_path, '[design.household]\nweigths = "weight"\n')
    err = info.value
    assert err.code == "STU040"
    assert "[design.household]" in err.message and "did you mean 'weights'?" in err.message
    assert err.column == "design.household.weigths"
    assert err.file.endswith("study.toml")


def test_an_unknown_key_in_an_estimate_table(tmp_path):
    text = (
        '[[estimates]]\nname = "t"\ninstrument = "household"\nstat = "mean"\n'
        'variables = ["x"]\ninterval = "wald"\n'
    )
    with pytest.raises(StudyError) as info:
        _load(tmp_path, text)
    assert info.value.code == "STU040"
    assert info.value.column == "estimates[1].interval"


def test_an_unknown_top_level_table(tmp_path):
    with pytest.raises(StudyError) as info:
        _load(tmp_path, "[desing.household]\n")
    assert info.value.code == "STU040" and "did you mean 'design'?" in info.value.message


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ('[design.household]\nnest = "yes"\n', "design.household.nest"),
        ('[waves]\nlist = "2024"\n', "waves.list"),
        ("[pii]\nsalt = 3\n", "pii.salt"),
        ('[outputs]\nformats = ["dta", "csv"]\n', "outputs.formats"),
        ('[design.household]\nlonely_psu = "ajust"\n', "design.household.lonely_psu"),
    ],
)
def test_a_wrong_type_or_value(tmp_path, text, column):
    with pytest.raises(StudyError) as info:
        _load(tmp_path, text)
    assert info.value.code == "STU041"
    assert info.value.column == column


def test_an_instrument_without_form_is_named(tmp_path):
    with pytest.raises(StudyError) as info:
        check_config({"instruments": {"hh": {"key": "id"}}}, "study.toml")
    assert info.value.code == "STU042" and info.value.column == "instruments.hh.form"


def test_the_validate_schema_lists_every_validate_setting():
    """The schema of [validate] and the validator's own settings agree."""
    from dataclasses import fields

    validate = SCHEMA.key("validate").table
    assert {k.name for k in validate.keys} == {f.name for f in fields(ValidateSettings)}
    for key in validate.keys:
        if key.kind == "table" and key.table is not None and key.table.keys:
            settings = getattr(ValidateSettings(), key.name)
            assert {k.name for k in key.table.keys} == {f.name for f in fields(settings)}


def test_docs_study_toml_is_up_to_date():
    committed = (ROOT / "docs" / "study-toml.md").read_text(encoding="utf-8")
    assert committed == schema_markdown(), (
        "docs/study-toml.md is stale: python -m analysis.study.schema > docs/study-toml.md"
    )
