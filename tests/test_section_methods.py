"""The survey-methods builder: design, response, weights and precision from the study's records."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from analysis.design.survey import SurveyDesign
from analysis.errors import SectionError
from analysis.sections.context import SectionContext, WaveData
from analysis.sections.methods import (
    precision_rows,
    response_rows,
    run_counts,
    survey_methods,
    weight_deff,
)


class _Study(SimpleNamespace):
    def setting(self, *keys, default=None):
        node = self.settings
        for k in keys:
            if not isinstance(node, dict) or k not in node:
                return default
            node = node[k]
        return node

    def work_dir(self, wave):
        return self.root / "work"

    def processed_dir(self, wave):
        return self.root


@pytest.fixture
def ctx(tmp_path) -> SectionContext:
    rng = np.random.default_rng(1)
    hh = pd.DataFrame(
        {
            "county": np.repeat(["1", "2"], 20),
            "village_id": np.repeat([f"v{i}" for i in range(8)], 5),
            "weight": rng.uniform(10, 30, 40),
            "is_replacement": ["1"] * 3 + ["2"] * 37,
            "lib": rng.integers(0, 2, 40).astype(float),
        }
    )
    settings = {
        "design": {"hh": {"weights": "weight", "strata": "county", "psu": "village_id"}},
        "instruments": {"hh": {"label": {"zh": "农牧户问卷", "en": "Households"}}},
    }
    (tmp_path / "work").mkdir()
    facts = {"counts": {"hh": {"main_raw": 42, "main_quarantined": 2, "main_cleaned": 40}}}
    (tmp_path / "work" / "steps.json").write_text(json.dumps({"write": {"facts": facts}}))
    study = _Study(root=tmp_path, settings=settings, instrument_names=["hh"])
    design = SurveyDesign(hh, weights="weight", strata="county", psu="village_id")
    return SectionContext(
        study=study, wave="w1", lang="zh", current=WaveData("w1", {"hh": hh}, {"hh": design})
    )


def test_weight_deff_is_kish():
    assert weight_deff(np.ones(5)) == 1.0
    w = np.array([1.0, 3.0])
    assert weight_deff(w) == pytest.approx(2 * 10 / 16)


def test_survey_methods_from_design_and_run_records(ctx):
    head = pd.DataFrame(
        {
            "item": ["书屋"],
            "estimate": [0.5],
            "ci_low": [0.4],
            "ci_high": [0.6],
            "deff": [1.5],
            "n": [40],
        }
    )
    m = survey_methods(
        ctx,
        selected={"hh": 40},
        headline=head,
        replacement={"hh": ("is_replacement", "1")},
        unit_names={"county": "县", "village_id": "村"},
    )
    d = m.row("design", "hh")
    assert (d["strata"], d["psus"], d["n"]) == (2, 8, 40)
    assert d["description"] == "按县分层、以村为初级抽样单位的两阶段整群抽样"
    assert d["estimate"] == pytest.approx(weight_deff(ctx.frames["hh"]["weight"].to_numpy()))
    r = m.row("response", "hh")
    assert (r["received"], r["quarantined"], r["analysed"], r["replacements"]) == (42, 2, 40, 3)
    assert r["estimate"] == pytest.approx(37 / 40)
    assert m.margin("书屋")["estimate"] == pytest.approx(10.0)
    assert m.response_table.frame.iloc[0].tolist() == [
        "农牧户问卷",
        "40",
        "42",
        "2",
        "40",
        "3",
        "92.5%",
    ]
    assert m.precision_table.frame.iloc[0, 3] == "±10.0个百分点"


def test_run_records_missing_or_unreadable_are_coded(ctx, tmp_path):
    (tmp_path / "work" / "steps.json").write_text("{broken")
    with pytest.raises(SectionError) as err:
        run_counts(ctx.study, "w1")
    assert err.value.code == "SEC040"
    (tmp_path / "work" / "steps.json").unlink()
    with pytest.raises(SectionError) as err:
        run_counts(ctx.study, "w1")
    assert err.value.code == "SEC041" and "baicun run w1" in str(err.value)
    # a wave cleaned but not written: units analysed counted from the data, the rest unknown
    m = survey_methods(ctx)
    assert m.row("response", "hh")["analysed"] == 40
    assert m.response_table.frame.iloc[0].tolist()[1:4] == ["—", "—", "—"]


def test_headline_rows_need_intervals():
    with pytest.raises(SectionError) as err:
        precision_rows(pd.DataFrame({"item": ["x"], "estimate": [1.0]}))
    assert err.value.code == "SEC042" and "ci_low" in str(err.value)
    rows = pd.DataFrame({"item": ["x"], "estimate": [1.0], "ci_low": [0.0], "ci_high": [2.0]})
    with pytest.raises(SectionError) as err:
        precision_rows(rows, percent=[True, False])
    assert err.value.code == "SEC043"


def test_response_rate_unknown_without_selection():
    counts = pd.DataFrame(
        {"instrument": ["c"], "received": [5], "quarantined": [0], "analysed": [5]}
    )
    assert np.isnan(response_rows(counts)["estimate"].iloc[0])
