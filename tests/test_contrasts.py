"""Contrasts and differences between the rows of an estimate table (beyond R parity,
which tests/test_reference_extra.py checks): argument errors and the report helper."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import estimate as est
from analysis.design.survey import SurveyDesign
from analysis.errors import EstimationError


@pytest.fixture(scope="module")
def design() -> SurveyDesign:
    df = pd.DataFrame(
        {
            "county": ["A"] * 6 + ["B"] * 6,
            "village": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6],
            "w": [10.0, 10, 12, 12, 11, 11, 8, 8, 9, 9, 7, 7],
            "y": [3.0, 4, 6, 5, 7, 9, 2, 3, 4, 8, 1, 2],
            "tv": ["有", "无", "有", "有", "无", "有", "无", "无", "有", "无", "无", "有"],
        }
    )
    return SurveyDesign(df, weights="w", strata="county", psu="village")


def test_difference_of_two_domains(design):
    t = est.vcov(design, "mean", "y", by="county")
    d = est.difference(t, "A:y", "B:y")
    assert d.first == "A:y" and d.second == "B:y"
    assert d.estimate == pytest.approx(t["estimate"].iloc[0] - t["estimate"].iloc[1])
    v = t.attrs["vcov"].to_numpy()
    assert d.se == pytest.approx(np.sqrt(v[0, 0] + v[1, 1] - 2 * v[0, 1]))
    assert d.df == t.attrs["df"] == design.df
    assert d.ci_low < d.estimate < d.ci_high
    assert 0 < d.p_value < 1
    assert d.higher() == (d.estimate > 0 and d.p_value < 0.05)
    same = est.difference(t, 0, 1)
    assert same.estimate == d.estimate and same.se == d.se


def test_several_contrasts_at_once(design):
    t = est.vcov(design, "proportion", "tv", by="county")
    assert est.row_labels(t) == ["A:tv:无", "A:tv:有", "B:tv:无", "B:tv:有"]
    res = est.contrast(t, [[0, 1, 0, -1], [0, 0.5, 0, 0.5]])
    assert res["contrast"].tolist() == ["contrast 1", "contrast 2"]
    named = est.contrast(t, {"gap": {"A:tv:有": 1, "B:tv:有": -1}})
    assert named["estimate"].iloc[0] == pytest.approx(res["estimate"].iloc[0])
    assert named["se"].iloc[0] == pytest.approx(res["se"].iloc[0])


def _code(fn) -> EstimationError:
    with pytest.raises(EstimationError) as info:
        fn()
    return info.value


def test_errors(design):
    assert _code(lambda: est.vcov(design, "quantile", "y")).code == "EST520"
    assert _code(lambda: est.vcov(design, "ratio", "y")).code == "EST521"
    assert _code(lambda: est.vcov(design, "mean", "y", denominator="y")).code == "EST521"
    plain = est.mean(design, "y", by="county")
    err = _code(lambda: est.contrast(plain, [1, -1]))
    assert err.code == "EST522" and "vcov(design, 'mean'" in err.hint
    t = est.vcov(design, "mean", "y", by="county")
    assert _code(lambda: est.contrast(t.iloc[:1], [1])).code == "EST522"
    err = _code(lambda: est.contrast(t, [1, -1, 0]))
    assert err.code == "EST523" and "2 weights per contrast" in err.expected
    err = _code(lambda: est.contrast(t, {"C:y": 1}))
    assert err.code == "EST523" and "'C:y'" in err.message
    assert _code(lambda: est.difference(t, 0, 5)).code == "EST523"


def test_constant_variable_has_exactly_zero_se(design):
    frame = design.data.assign(c=0.7, one="x")
    d = SurveyDesign(frame, weights="w", strata="county", psu="village")
    for by in (None, "county"):
        m = est.mean(d, "c", by=by)
        assert (m["se"] == 0).all() and m["deff"].isna().all()
        assert (m["ci_low"] == m["estimate"]).all()
        p = est.proportion(d, "one", by=by)
        assert (p["estimate"] == 1).all() and (p["se"] == 0).all() and p["deff"].isna().all()
    # a variable constant in one domain only
    frame = design.data.assign(c=np.where(design.data["county"] == "A", 0.3, design.data["y"]))
    m = est.mean(SurveyDesign(frame, weights="w", strata="county", psu="village"), "c", by="county")
    assert m["se"].tolist()[0] == 0 and m["se"].tolist()[1] > 0
    assert np.isnan(m["deff"].iloc[0]) and m["deff"].iloc[1] > 0


def test_difference_reads_as_a_sentence(design):
    from analysis.format import difference_phrase

    t = est.vcov(design, "proportion", "tv", by="county")
    d = est.difference(t, "A:tv:有", "B:tv:有")
    text = difference_phrase("A县", "B县", d.estimate, d.significant())
    assert text == ("A县与B县差异不显著" if not d.significant() else text)
    assert difference_phrase("A县", "B县", 0.2, True) == "A县比B县高20.0个百分点"
