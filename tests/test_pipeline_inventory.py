"""The raw folder is an inventory: every file is an export, paperwork, ignored or an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import Study, StudyError
from analysis.pipeline.inventory import raw_inventory

STUDY = """
[instruments.village]
form = "surveys/village.xlsx"
key = "village_id"

[instruments.household]
form = "surveys/household.xlsx"
key = "hh_id"

[instruments.cadre]
form = "surveys/cadre.xlsx"
key = "cadre_id"

[waves]
list = ["2026"]
{extra}
"""


def make_study(root: Path, files: list[str], extra: str = "") -> Study:
    (root / "study.toml").write_text(STUDY.format(extra=extra), encoding="utf-8")
    raw = root / "data" / "raw" / "2026"
    raw.mkdir(parents=True)
    for name in files:
        path = raw / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("a,b\n1,2\n", encoding="utf-8")
    return Study.load(root)


def error_of(study: Study) -> StudyError:
    with pytest.raises(StudyError) as info:
        raw_inventory(study, "2026")
    return info.value


def test_exports_named_after_their_instrument_are_matched(tmp_path):
    study = make_study(
        tmp_path,
        ["village_2026.csv", "household.zip", "cadre-final.csv", "corrections.csv", "README.md"],
    )
    inventory = raw_inventory(study, "2026")
    assert {n: p.name for n, p in inventory.exports.items()} == {
        "village": "village_2026.csv",
        "household": "household.zip",
        "cadre": "cadre-final.csv",
    }
    assert sorted(p.name for p in inventory.paperwork) == ["README.md", "corrections.csv"]


def test_a_misnamed_export_stops_the_run_naming_the_file(tmp_path):
    # the village export renamed to its Chinese title: never skipped without a word
    study = make_study(tmp_path, ["村级调查表2026.csv", "household.zip", "cadre.csv"])
    err = error_of(study)
    assert err.code == "STU033"
    assert "村级调查表2026.csv" in str(err)
    assert "village.csv" in str(err) and "[waves.files.2026]" in str(err)


def test_a_file_can_be_named_for_its_instrument_in_study_toml(tmp_path):
    extra = '[waves.files.2026]\nvillage = "村级调查表2026.csv"\n'
    study = make_study(tmp_path, ["村级调查表2026.csv", "household.zip", "cadre.csv"], extra)
    assert raw_inventory(study, "2026").exports["village"].name == "村级调查表2026.csv"


def test_a_missing_export_is_an_error_unless_optional_for_the_wave(tmp_path):
    study = make_study(tmp_path, ["village.csv", "household.zip"])
    err = error_of(study)
    assert err.code == "STU034" and "cadre" in str(err) and "[waves.optional]" in str(err)


def test_an_optional_instrument_may_be_missing(tmp_path):
    study = make_study(
        tmp_path, ["village.csv", "household.zip"], '[waves.optional]\n2026 = ["cadre"]\n'
    )
    inventory = raw_inventory(study, "2026")
    assert list(inventory.exports) == ["village", "household"]
    assert inventory.optional_missing == ("cadre",)


def test_ignored_files_and_hidden_files_are_accounted_for(tmp_path):
    extra = '[waves]\nlist = ["2026"]\nignore = ["*.pdf", "photos/*"]\n'
    study = make_study(
        tmp_path,
        ["village.csv", "household.zip", "cadre.csv", "scan.pdf", "photos/a.csv", ".DS_Store"],
    )
    (tmp_path / "study.toml").write_text(
        STUDY.format(extra="").replace('[waves]\nlist = ["2026"]\n', extra), encoding="utf-8"
    )
    inventory = raw_inventory(Study.load(tmp_path), "2026")
    assert sorted(p.name for p in inventory.ignored) == ["a.csv", "scan.pdf"]
    assert [p.name for p in inventory.paperwork] == [".DS_Store"]
    assert "scan.pdf" in str(error_of(study))  # without the setting it is reported


def test_two_exports_of_one_instrument_are_refused(tmp_path):
    study = make_study(tmp_path, ["village.csv", "village_2026.xlsx", "household.zip", "cadre.csv"])
    err = error_of(study)
    assert err.code == "STU031" and "village.csv" in str(err) and "village_2026.xlsx" in str(err)


def test_the_longest_instrument_name_wins(tmp_path):
    from analysis.pipeline.inventory import match_instrument

    assert match_instrument("household_roster.csv", ("household", "household_roster")) == (
        "household_roster"
    )
    assert match_instrument("household_2026.csv", ("household", "household_roster")) == "household"
    assert match_instrument("households.csv", ("household",)) is None
    assert match_instrument("household.pdf", ("household",)) is None
