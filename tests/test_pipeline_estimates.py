"""The ``[[estimates]]`` tables of study.toml: interval method and level, defaults in
``[estimate]``, shares of select_multiple choices, and the counts of every table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from exports_support import household_form, odk_zip

from analysis import estimate as est
from analysis.design.survey import SurveyDesign
from analysis.errors import StudyError
from analysis.pipeline.estimates import (
    ChoiceColumn,
    EstimateSpec,
    choice_columns,
    compute,
    compute_many,
    estimate_specs,
)
from analysis.readers import read_raw
from analysis.study import Study

BASE = '[instruments.household]\nform = "surveys/household.xlsx"\n'
ENTRY = (
    '[[estimates]]\nname = "t"\ninstrument = "household"\nstat = "proportion"\nvariables = ["tv"]\n'
)


@pytest.fixture(scope="module")
def design() -> SurveyDesign:
    """Two strata of three PSUs; ``tv`` with a missing answer; ``q`` a select_multiple
    question (choices 1, 2, 3; nobody chose 3; the last record did not answer)."""
    frame = pd.DataFrame(
        {
            "county": ["A"] * 6 + ["B"] * 6,
            "village": [1, 1, 2, 2, 3, 3] * 2,
            "w": [10.0, 12, 8, 9, 11, 10, 5, 6, 7, 5, 6, 4],
            "tv": ["yes", "no", "yes", "yes", None, "no", "no", "no", "yes", "yes", "no", "yes"],
            "y": [3.0, 4, 6, 5, 2, 3, 4, 8, np.nan, 2, 7, 1],
            "q": ["1", "1 2", "2", "1", "2", "1 2", "1", "2", "1 2", "2", "1", None],
        }
    )
    for code in ("1", "2", "3"):
        chosen = frame["q"].str.split().map(lambda c, code=code: code in c, na_action="ignore")
        frame[f"q_{code}"] = chosen.astype("Int64")
    return SurveyDesign(frame, weights="w", strata="county", psu="village")


CHOICES = {"q": tuple(ChoiceColumn(c, f"q_{c}", f"choice {c}") for c in ("1", "2", "3"))}


def _spec(**kw) -> EstimateSpec:
    return EstimateSpec(**{"name": "t", "instrument": "household", **kw})


def _load(tmp_path: Path, text: str) -> Study:
    (tmp_path / "study.toml").write_text(BASE + text, encoding="utf-8")
    return Study.load(tmp_path)


# ---------------------------------------------------------------------- method and ci_level
def test_method_and_ci_level_reach_the_estimator(design):
    spec = _spec(stat="proportion", variables=("tv",), method="beta", ci_level=0.9)
    table = compute(spec, design)
    expected = est.proportion(design, "tv", method="beta", ci_level=0.9)
    pd.testing.assert_frame_equal(table[expected.columns], expected)
    logit = compute(_spec(stat="proportion", variables=("tv",)), design)
    assert not np.allclose(table["ci_low"], logit["ci_low"])
    mean = compute(_spec(stat="mean", variables=("y",), ci_level=0.8), design)
    pd.testing.assert_frame_equal(
        mean[["ci_low", "ci_high"]], est.mean(design, "y", ci_level=0.8)[["ci_low", "ci_high"]]
    )


def test_estimate_defaults_and_an_entrys_own_values(tmp_path):
    study = _load(
        tmp_path,
        '[estimate]\nmethod = "wald"\nci_level = 0.9\n\n'
        + ENTRY
        + '\n[[estimates]]\nname = "u"\ninstrument = "household"\nstat = "proportion"\n'
        'variables = ["tv"]\nmethod = "xlogit"\n',
    )
    first, second = estimate_specs(study)
    assert (first.method, first.ci_level) == ("wald", 0.9)
    assert (second.method, second.ci_level) == ("xlogit", 0.9)
    plain = estimate_specs(_load(tmp_path, ENTRY))[0]
    assert (plain.method, plain.ci_level) == ("logit", 0.95)


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ('[estimate]\nmethod = "wilson"\n\n' + ENTRY, "estimate.method"),
        (ENTRY + 'method = "score"\n', "estimates[1].method"),
        ('[estimate]\nci_level = "95%"\n\n' + ENTRY, "estimate.ci_level"),
    ],
)
def test_unknown_method_or_level_is_a_schema_error(tmp_path, text, column):
    with pytest.raises(StudyError) as info:
        _load(tmp_path, text)
    assert info.value.code == "STU041" and info.value.column == column


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("[estimate]\nci_level = 95\n\n" + ENTRY, "estimate.ci_level"),
        (ENTRY + "ci_level = 1.0\n", "estimates.ci_level"),
    ],
)
def test_a_level_outside_zero_one_is_refused(tmp_path, text, column):
    with pytest.raises(StudyError) as info:
        estimate_specs(_load(tmp_path, text))
    assert info.value.code == "STU041" and info.value.column == column


def test_an_unknown_key_of_estimate_names_the_closest(tmp_path):
    with pytest.raises(StudyError) as info:
        _load(tmp_path, '[estimate]\nmethd = "wald"\n')
    assert info.value.code == "STU040" and "did you mean 'method'?" in info.value.message


# ---------------------------------------------------------------------- choices
def test_choices_give_one_row_per_domain_and_choice(design):
    spec = _spec(stat="choices", variables=("q",), by=("county",), method="wald")
    table = compute(spec, design, choices=CHOICES)
    assert table[["county", "level", "label"]].values.tolist() == [
        [c, code, f"choice {code}"] for c in ("A", "B") for code in ("1", "2", "3")
    ]
    assert (table["variable"] == "q").all()
    data = design.data
    for row in table.itertuples():
        rows = data[(data["county"] == row.county) & data["q"].notna()]
        chosen = rows[f"q_{row.level}"] == 1
        assert row.estimate == pytest.approx((rows["w"] * chosen).sum() / rows["w"].sum())
        assert row.n == len(rows) and row.n_level == chosen.sum()
        assert row.n_domain == (data["county"] == row.county).sum()
        assert row.weighted_n == pytest.approx(rows.loc[chosen, "w"].sum())
    # the share of a choice is the mean of its 0/1 column, with the same SE
    mean = est.mean(design, "q_1", by="county")
    chosen = table[table["level"] == "1"].reset_index(drop=True)
    np.testing.assert_allclose(chosen["se"], mean["se"])
    never = table[table["level"] == "3"]
    assert (never["estimate"] == 0).all() and (never["ci_high"] == 0).all()
    assert (never["n_level"] == 0).all()


def test_choices_use_the_interval_method(design):
    beta = compute(_spec(stat="choices", variables=("q",), method="beta"), design, choices=CHOICES)
    expected = est.proportion(design, "q_2", method="beta")
    expected = expected[expected["level"] == 1]
    assert beta.loc[1, "ci_low"] == pytest.approx(expected["ci_low"].item())


def test_proportion_of_a_select_multiple_question_is_refused(design):
    for stat in ("proportion", "total"):
        with pytest.raises(StudyError) as info:
            compute(_spec(stat=stat, variables=("q",)), design, choices=CHOICES)
        assert info.value.code == "STU025" and 'stat = "choices"' in info.value.hint


def test_choices_of_a_question_that_is_not_select_multiple(design):
    with pytest.raises(StudyError) as info:
        compute(_spec(stat="choices", variables=("tv",)), design, choices=CHOICES)
    assert info.value.code == "STU026" and "q" in str(info.value.expected)


def test_choice_columns_of_a_read_export(tmp_path):
    raw = read_raw(odk_zip(tmp_path), household_form())
    columns = choice_columns(raw, household_form(), "en")
    assert [(c.code, c.column, c.label) for c in columns["channels"]] == [
        ("tv", "channels_tv", "Television"),
        ("radio", "channels_radio", "Radio"),
        ("wechat", "channels_wechat", "WeChat"),
        ("other", "channels_other", "Other"),
    ]
    assert choice_columns(raw)["channels"][0].label == "tv"


# ---------------------------------------------------------------------- counts
def test_counts_of_a_proportion_table(design):
    table = compute(_spec(stat="proportion", variables=("tv",), by=("county",)), design)
    assert table.columns[-4:].tolist() == ["n", "n_domain", "n_level", "weighted_n"]
    assert table["n"].tolist() == [5, 5, 6, 6]  # one record of A did not answer
    assert table["n_domain"].tolist() == [6, 6, 6, 6]
    assert table["n_level"].tolist() == [2, 3, 3, 3]
    assert table["weighted_n"].tolist() == [22.0, 27.0, 17.0, 16.0]


def test_counts_of_tables_without_levels(design):
    where_b = _spec(stat="mean", variables=("y",), where="county == 'B'")
    table = compute(where_b, design)
    assert table[["n", "n_domain", "weighted_n"]].values.tolist() == [[5, 6, 26.0]]
    quantiles = compute(_spec(stat="quantile", variables=("y",), quantiles=(0.25, 0.5)), design)
    assert quantiles["n_domain"].tolist() == [12, 12]
    assert quantiles["weighted_n"].tolist() == [26.0 + 60.0] * 2
    assert "n_level" not in quantiles.columns
    both = compute(_spec(stat="total", variables=("y", "tv")), design)
    assert both["n_level"].isna().tolist() == [True, False, False]


def test_tables_computed_together_equal_those_computed_one_by_one(design):
    """compute_many: one estimate_many batch per df rule; the same tables as compute."""
    specs = [
        _spec(name="a", stat="proportion", variables=("tv",), by=("county",), method="beta"),
        _spec(name="b", stat="mean", variables=("y",), where="county == 'A'"),
        _spec(name="c", stat="total", variables=("y", "tv"), df="design", by=("county",)),
        _spec(name="d", stat="choices", variables=("q",), by=("county",)),
        _spec(name="e", stat="ratio", variables=("y",), denominator="w"),
        _spec(name="f", stat="quantile", variables=("y",), quantiles=(0.25, 0.5)),
        _spec(name="g", stat="mean", variables=("y",), by=("county",), where="county == 'A'"),
    ]
    together = compute_many(specs, design, choices=CHOICES)
    for spec, table in zip(specs, together):
        alone = compute(spec, design, choices=CHOICES)
        pd.testing.assert_frame_equal(table, alone, check_exact=False, rtol=1e-12, atol=1e-14)


def test_a_failing_table_among_others_raises_its_own_error(design):
    specs = [
        _spec(name="ok", stat="mean", variables=("y",)),
        _spec(name="multi", stat="proportion", variables=("q",)),
    ]
    with pytest.raises(StudyError) as info:
        compute_many(specs, design, choices=CHOICES)
    assert info.value.code == "STU025"
