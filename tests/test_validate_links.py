"""Consistency across instruments and waves: parents exist, agree, counts; panel ids."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from validate_support import issues_of, raw

from analysis.study import Study
from analysis.validate import validate

VILLAGE = """
| survey |
| | type | name | label | role |
| | text | village_id | Village | id |
| | text | county | County | strata |
| | integer | households | Households | |
"""
HOUSEHOLD = """
| survey |
| | type | name | label | role |
| | text | hh_id | Household | id |
| | text | village_id | Village | psu |
| | integer | hh_sampled | Sampled | |
| | integer | frame_households | Frame | |
"""


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    (root / "surveys").mkdir()
    (root / "surveys" / "village.md").write_text(VILLAGE, encoding="utf-8")
    (root / "surveys" / "household.md").write_text(HOUSEHOLD, encoding="utf-8")
    (root / "study.toml").write_text(
        '[instruments.village]\nform = "surveys/village.md"\nkey = "village_id"\n'
        '[instruments.household]\nform = "surveys/household.md"\nkey = "hh_id"\nparent = "village"\n'
        'parent_key = "village_id"\n'
        '[validate.links.household]\nsame = { frame_households = "households" }\ncount = "hh_sampled"\n'
        '[validate.panel.village]\nstable = ["county"]\n',
        encoding="utf-8",
    )
    return Study.load(root)


def _village(ids=("110101", "110102", "110103"), county=("东川", "东川", "南坪")):
    return raw(
        [
            {"village_id": v, "county": c, "households": 100}
            for v, c in zip(ids, county, strict=True)
        ]
    )


def _households():
    rows = [
        ("110101", 2, 100),
        ("110101", 2, 100),
        ("110102", 3, 100),
        ("110102", 3, 90),
        ("119999", 1, 100),
    ]
    return raw(
        [
            {"hh_id": f"H{i}", "village_id": v, "hh_sampled": s, "frame_households": f}
            for i, (v, s, f) in enumerate(rows)
        ]
    )


def test_child_records_against_their_parent(study):
    household = Study.load(study.root)
    from analysis.instrument import load_instrument

    form_ = load_instrument(household.form_path("household"))
    result = validate(_households(), form_, study=study, others={"village": _village()}, lang="en")
    assert result.instrument == "household"
    found = issues_of(result, check="consistency")
    by_code = found.groupby("code")["key"].apply(list).to_dict()
    assert by_code["VAL180"] == ["H4"]  # village 119999 does not exist
    assert by_code["VAL181"] == ["H3"]  # frame count 90 against the village's 100
    assert by_code["VAL182"] == ["110102"]  # 2 households, hh_sampled says 3
    assert by_code["VAL183"] == ["110103"]  # a village without households (info)
    assert (
        found.loc[found["code"] == "VAL180", "message"].iloc[0]
        == "village_id '119999' is not a record of village"
    )


def test_missing_parent_data_is_said_not_skipped_silently(study):
    from analysis.instrument import load_instrument

    form_ = load_instrument(study.form_path("household"))
    result = validate(_households(), form_, study=study, others={}, lang="en")
    assert issues_of(result, "VAL187")["severity"].tolist() == ["info"]


def test_panel_against_the_previous_wave(study):
    from analysis.instrument import load_instrument

    form_ = load_instrument(study.form_path("village"))
    before = _village(("110101", "110102", "110104"), ("东川", "东川", "北原"))
    now = _village(("110101", "110102", "110103"), ("东川", "南坪", "南坪"))
    result = validate(now, form_, study=study, previous=before, lang="en")
    found = issues_of(result, check="panel")
    assert found.loc[found["code"] == "VAL184", "key"].tolist() == ["110104"]
    assert found.loc[found["code"] == "VAL185", "key"].tolist() == ["110103"]
    changed = found[found["code"] == "VAL186"]
    assert changed["key"].tolist() == ["110102"]
    assert changed["message"].iloc[0] == "county = 南坪, previous wave: 东川"


def test_a_stable_field_the_previous_wave_lacks_is_said_not_skipped(study):
    """A stable field renamed by a new form version: without a harmonisation map it is
    reported as not compared (VAL188, info); with the map the change is found."""
    from analysis.instrument import load_instrument
    from analysis.instrument.harmonise import Harmonisation, harmonise

    form_ = load_instrument(study.form_path("village"))
    old = _village(("110101", "110102"), ("东川", "东川"))
    old = replace(old, data=old.data.rename(columns={"county": "county_name"}))
    now = _village(("110101", "110102"), ("东川", "南坪"))
    found = issues_of(validate(now, form_, study=study, previous=old, lang="en"), check="panel")
    assert found["code"].tolist() == ["VAL188"]
    assert found["severity"].tolist() == ["info"] and found["variable"].tolist() == ["county"]
    assert "[harmonise]" in found["message"].iloc[0]
    lined_up = replace(
        old, data=harmonise(old.data, Harmonisation("village", rename={"county_name": "county"}))
    )
    found = issues_of(validate(now, form_, study=study, previous=lined_up), check="panel")
    assert found["code"].tolist() == ["VAL186"] and found["key"].tolist() == ["110102"]


def test_the_pipeline_harmonises_the_previous_waves_panel_data(tmp_path):
    """`baicun run` lines the previous wave's data up with this wave's form before the
    panel checks, when that wave was collected with an older version."""
    from analysis.pipeline.wave import WaveRun, _panel_data

    (tmp_path / "surveys").mkdir()
    (tmp_path / "surveys" / "village.md").write_text(VILLAGE, encoding="utf-8")
    old_form = VILLAGE.replace("| text | county | County |", "| text | county_name | County |")
    (tmp_path / "surveys" / "village-w1.md").write_text(old_form, encoding="utf-8")
    (tmp_path / "study.toml").write_text(
        '[instruments.village]\nform = "surveys/village.md"\nkey = "village_id"\n'
        '[waves]\nlist = ["w1", "w2"]\n'
        '[waves.forms.w1]\nvillage = "surveys/village-w1.md"\n'
        '[harmonise.village]\nrename = { county_name = "county" }\n'
        '[validate.panel.village]\nstable = ["county"]\n',
        encoding="utf-8",
    )
    study_ = Study.load(tmp_path)
    old = _village(("110101",), ("东川",))
    old = replace(old, data=old.data.rename(columns={"county": "county_name"}))
    data, fact = _panel_data(WaveRun(study_, "w2", "en"), "village", old)
    assert "county" in data.data.columns and "county_name" not in data.data.columns
    assert fact == "checked against w1, harmonised to this wave's form"
    assert "county_name" in old.data.columns  # the loaded data is not changed in place


def test_no_previous_wave_no_panel_issues(study):
    from analysis.instrument import load_instrument

    result = validate(_village(), load_instrument(study.form_path("village")), study=study)
    assert issues_of(result, check="panel").empty
    assert isinstance(result.issues, pd.DataFrame)


def test_keys_and_records_of_many_issues_stay_with_their_units(study):
    """Hundreds of records with issues and hundreds of panel units gone: every issue
    carries its own unit's key and record (keys of records and keys of absent units
    are kept as one category column; no code overflows past 127 or 32,767)."""
    from analysis.instrument import load_instrument

    form_ = load_instrument(study.form_path("village"))
    now_ids = [f"2{i:05d}" for i in range(40_000)]
    gone_ids = [f"9{i:05d}" for i in range(300)]
    now = _village(tuple(now_ids), ("东川",) * len(now_ids))
    now.data["_key"] = [f"uuid:{i}" for i in range(len(now_ids))]
    before = _village(tuple(gone_ids), ("东川",) * len(gone_ids))
    result = validate(now, form_, study=study, previous=before, lang="en")
    issues = result.issues
    gone = issues[issues["code"] == "VAL184"]
    assert sorted(gone["key"].astype(str)) == gone_ids
    assert set(gone["record"].astype(str)) == {""}
    new = issues[issues["code"] == "VAL185"]
    assert len(new) == len(now_ids)
    row = new["source_row"].to_numpy(dtype=int) - 2  # header = row 1
    assert new["key"].astype(str).tolist() == [now_ids[i] for i in row]
    assert new["record"].astype(str).tolist() == [f"uuid:{i}" for i in row]
