"""The fast paths of estimation give the same numbers as the general ones.

Text columns are coded through pyarrow's dictionary encoding and cached on the design;
level variances skip the covariances; the logit interval's start terms are summed block
by block; the tidy tables are built in one construction. Each fast path is checked
against the slower general computation it replaces.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from analysis.design import domains as domains_module
from analysis.design.domains import column_codes, domains
from analysis.design.stages import factorize
from analysis.design.survey import SurveyDesign
from analysis.design.variance import stage_variance, unit_totals
from analysis.estimate import levels
from analysis.estimate.estimators import mean, proportion, total
from analysis.estimate.intervals import logit_start_terms


def _sample(n: int = 3000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stratum = rng.integers(1, 6, n)
    return pd.DataFrame(
        {
            "stratum": stratum,
            "psu": rng.integers(1, 9, n),  # restarts in every stratum (nested)
            "w": rng.uniform(20, 80, n),
            "y": rng.lognormal(3, 0.5, n),
            "cat": pd.array(rng.choice(["c3", "c1", "c2", "中"], n), dtype="str"),
            "domain": pd.array(rng.choice(["D2", "D1", "D3"], n), dtype="str"),
        }
    )


@pytest.mark.parametrize(
    "dtype",
    ["str", "string[pyarrow]", pd.ArrowDtype(pa.string()), pd.ArrowDtype(pa.large_string())],
)
def test_arrow_text_codes_match_pandas_factorize(dtype):
    values = pd.Series(["b", "a", None, "b", "é", "Z", "a"], dtype=dtype)
    codes, labels = factorize(values, sort=True)
    want_codes, want_labels = pd.factorize(values, sort=True)
    assert codes.tolist() == want_codes.tolist() == [2, 1, -1, 2, 3, 0, 1]
    assert labels.equals(pd.Index(want_labels))
    assert labels.dtype == pd.Index(want_labels).dtype


def test_arrow_text_codes_of_a_column_in_several_chunks():
    chunked = pa.chunked_array([["b", "a"], ["c", None, "a"], ["d"]], type=pa.large_string())
    values = pd.Series(pd.arrays.ArrowExtensionArray(chunked))
    codes, labels = factorize(values, sort=True)
    assert codes.tolist() == [1, 0, 2, -1, 0, 3]
    assert labels.tolist() == ["a", "b", "c", "d"]


def test_column_codes_are_computed_once_per_design_and_read_only():
    design = SurveyDesign(_sample(), weights="w", strata="stratum", psu="psu")
    codes, labels = column_codes(design, "cat")
    assert column_codes(design, "cat")[0] is codes
    assert labels.tolist() == ["c1", "c2", "c3", "中"]
    assert not codes.flags.writeable
    # the proportion's levels and the domains of the same column share the codes
    assert levels.level_codes(design, "cat")[0] is codes
    assert domains(design, by="cat").codes is codes


def test_domains_of_a_text_column_keep_its_dtype_and_order():
    df = _sample()
    design = SurveyDesign(df, weights="w", strata="stratum", psu="psu")
    table = domains(design, by="domain").table
    assert table["domain"].tolist() == ["D1", "D2", "D3"]
    assert table["domain"].dtype == df["domain"].dtype
    by = mean(design, "y", by="domain")
    assert by["domain"].dtype == df["domain"].dtype


def test_text_and_object_columns_give_identical_estimates():
    df = _sample()
    obj = df.assign(cat=df["cat"].astype(object), domain=df["domain"].astype(object))
    a = SurveyDesign(df, weights="w", strata="stratum", psu="psu")
    b = SurveyDesign(obj, weights="w", strata="stratum", psu="psu")
    for fn in (
        lambda d: proportion(d, "cat", by="domain"),
        lambda d: total(d, "cat"),
        lambda d: mean(d, "y", by=["domain", "cat"]),
    ):
        x, y = fn(a), fn(b)
        num = ["estimate", "se", "ci_low", "ci_high", "deff"]
        np.testing.assert_array_equal(x[num].to_numpy(), y[num].to_numpy())


def test_diagonal_variances_equal_the_covariance_diagonal():
    df = _sample()
    design = SurveyDesign(df, weights="w", strata="stratum", psu="psu", lonely_psu="adjust")
    rng = np.random.default_rng(0)
    z = rng.normal(size=(len(df), 4))
    codes = domains(design, by="domain").codes
    totals = unit_totals(design.unit_codes, design.stages[-1].n_units, z, codes, 3)
    full = stage_variance(design.stages, totals, lonely_psu="adjust")
    diag = stage_variance(design.stages, totals, lonely_psu="adjust", diagonal=True)
    np.testing.assert_array_equal(diag, np.diagonal(full, axis1=1, axis2=2))


@pytest.mark.parametrize("with_domains", [False, True])
def test_logit_start_sums_by_block_match_one_pass(monkeypatch, with_domains):
    rng = np.random.default_rng(1)
    n, n_lev = 5000, 3
    w = rng.uniform(10, 90, n)
    lev = rng.integers(0, n_lev, n)
    codes = rng.integers(-1, 2, n) if with_domains else None
    g = 2 if with_domains else 1
    mean_w = np.array([40.0, 55.0])[:g]
    whole = levels._logit_start_sums(w, codes, lev, mean_w, n_lev)
    monkeypatch.setattr(levels, "_BLOCK", 700)
    blocks = levels._logit_start_sums(w, codes, lev, mean_w, n_lev)
    for a, b in zip(whole, blocks):
        np.testing.assert_allclose(a, b, rtol=1e-13)
    # and the sums are those of the per-row terms
    inside = np.ones(n, dtype=bool) if codes is None else codes >= 0
    dom = np.zeros(n, dtype=np.intp) if codes is None else np.maximum(codes, 0)
    terms = logit_start_terms(w[inside] / mean_w[dom[inside]])
    np.testing.assert_allclose(
        whole[0], np.bincount(dom[inside], weights=terms[0], minlength=g), rtol=1e-13
    )


def test_estimate_tables_keep_their_columns_and_dtypes():
    design = SurveyDesign(_sample(), weights="w", strata="stratum", psu="psu")
    table = proportion(design, "cat", by="domain")
    assert table.columns.tolist() == [
        "domain",
        "variable",
        "level",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "df",
        "deff",
        "n",
    ]
    assert table["level"].dtype == object
    assert table["df"].dtype == np.int64 and table["n"].dtype == np.int64
    assert isinstance(table.index, pd.RangeIndex) and len(table) == 12


def test_domain_module_exports_column_codes():
    assert "column_codes" in domains_module.__all__
