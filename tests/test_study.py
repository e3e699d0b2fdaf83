"""analysis.study: study.toml and the paths of a study."""

from __future__ import annotations

import pytest

from analysis import Study, StudyError
from analysis.study import find_study_root


def test_demo_study_declares_three_instruments(repo_root):
    study = Study.load(repo_root)
    assert study.instrument_names == ("village", "household", "cadre")
    assert study.form_path("household") == repo_root / "surveys" / "household.xlsx"
    assert study.instrument("household").parent == "village"
    assert study.processed_dir("demo-2024") == repo_root / "data" / "processed" / "demo-2024"


def test_study_root_is_found_from_a_subfolder(repo_root):
    assert find_study_root(repo_root / "analysis") == repo_root


def test_missing_study_toml_is_a_coded_error(tmp_path):
    with pytest.raises(StudyError) as info:
        find_study_root(tmp_path)
    assert info.value.code == "STU001"
    assert "--study" in str(info.value)


def test_invalid_toml_names_the_file(tmp_path):
    (tmp_path / "study.toml").write_text("[study\nname = 1", encoding="utf-8")
    with pytest.raises(StudyError) as info:
        Study.load(tmp_path)
    assert info.value.code == "STU002"
    assert str(tmp_path / "study.toml") in str(info.value)


def test_instrument_without_form_and_unknown_parent(tmp_path):
    (tmp_path / "study.toml").write_text("[instruments.village]\nkey = 'id'\n", encoding="utf-8")
    with pytest.raises(StudyError, match="has no 'form'"):
        Study.load(tmp_path)
    (tmp_path / "study.toml").write_text(
        "[instruments.hh]\nform = 'hh.xlsx'\nparent = 'village'\n", encoding="utf-8"
    )
    with pytest.raises(StudyError) as info:
        Study.load(tmp_path)
    assert info.value.code == "STU004"


def test_unknown_instrument_lists_the_known_ones(repo_root):
    with pytest.raises(StudyError) as info:
        Study.load(repo_root).instrument("houshold")
    assert "village, household, cadre" in str(info.value)


def test_study_is_immutable(repo_root):
    study = Study.load(repo_root)
    with pytest.raises(AttributeError):
        study.root = repo_root.parent  # type: ignore[misc]
    with pytest.raises(TypeError):
        study.config["study"] = {}  # type: ignore[index]


def test_a_wave_uses_the_form_it_declares_else_the_current_one(repo_root, tmp_path):
    study = Study.load(repo_root)
    assert study.form_path("household", "demo-2024").name == "household-2024.xlsx"
    assert study.form_path("household", "demo-2025") == study.instrument("household").form
    assert study.form_path("household") == study.instrument("household").form
    assert study.form_path("village", "demo-2024") == study.instrument("village").form
    (tmp_path / "study.toml").write_text(
        '[instruments.hh]\nform = "hh.xlsx"\n[waves.forms.w1]\nhh = 3\n', encoding="utf-8"
    )
    with pytest.raises(StudyError) as err:
        Study.load(tmp_path).form_path("hh", "w1")
    assert err.value.code == "STU006"
