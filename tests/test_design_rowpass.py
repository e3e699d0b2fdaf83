"""Row passes by blocks give the numbers of the one-array computations they replace.

Building a design and reducing its rows (unit codes, domain sizes, unit totals, level
counts) works on blocks of rows so that no row-length temporary is allocated (issue 18:
time per row constant from 1M to 30M rows). Each block path is checked bit for bit
against the whole-array numpy formula, over several blocks, and the memory a design
build allocates is checked with tracemalloc (numpy reports its buffers to it).
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from analysis.design import rowpass
from analysis.design.rowpass import (
    BLOCK_ROWS,
    bincount,
    borrow,
    first_rows,
    keyed_counts,
    keyed_sums,
)
from analysis.design.stages import RowCodes, compact, factorize, nested_codes
from analysis.design.survey import SurveyDesign
from analysis.design.variance import unit_totals
from analysis.estimate.estimators import mean, proportion

N = 3 * BLOCK_ROWS + 17  # several blocks and a short last one


def _read_only(a: np.ndarray) -> np.ndarray:
    view = a.view()
    view.flags.writeable = False
    return view


def _peak_bytes(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_bincount_takes_read_only_inputs_without_a_copy():
    rng = np.random.default_rng(1)
    codes = _read_only(rng.integers(0, 50, N))
    w = _read_only(rng.random(N))
    assert np.array_equal(bincount(codes, weights=w), np.bincount(codes, weights=w))
    assert _peak_bytes(lambda: np.bincount(codes, weights=w)) > 8 * N  # numpy copies
    assert _peak_bytes(lambda: bincount(codes, weights=w)) < N
    assert not codes.flags.writeable and not w.flags.writeable  # the caller's views stay


def test_borrow_leaves_memory_it_cannot_flag_writable():
    frozen = np.frombuffer(b"\x01\x00\x00\x00\x00\x00\x00\x00", dtype=np.int64)
    assert borrow(frozen) is frozen
    plain = np.arange(3)
    assert borrow(plain) is plain


def test_keyed_sums_and_counts_equal_one_bincount_bit_for_bit():
    rng = np.random.default_rng(2)
    dom = rng.integers(-1, 4, N)  # -1: outside every domain
    unit = np.sort(rng.integers(0, 300, N))
    values = rng.lognormal(3.0, 1.5, (N, 2))
    size = 4 * 300
    key = np.where(dom >= 0, dom * 300 + unit, size)

    def key_of(rows: slice) -> np.ndarray:
        k = dom[rows] * 300 + unit[rows]
        k[dom[rows] < 0] = size
        return k

    sums = keyed_sums(key_of, N, size + 1, values)
    for j in range(2):
        want = np.bincount(key, weights=values[:, j], minlength=size + 1)
        assert np.array_equal(sums[:, j], want)  # same additions in the same order
    assert np.array_equal(keyed_counts(key_of, N, size + 1), np.bincount(key, minlength=size + 1))


def test_first_rows_is_the_last_row_of_each_code():
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 40, N)
    want = np.full(41, -1, dtype=np.intp)
    want[codes] = np.arange(N)
    assert np.array_equal(first_rows(codes, 41), want)


@pytest.mark.parametrize(
    "labels",
    [
        np.random.default_rng(4).integers(1, 140, N),  # village numbers restarting
        np.random.default_rng(5).choice([3, 7, 9, 200], N),  # gaps: a mapping
        np.random.default_rng(6).integers(-100, 101, N).astype(np.int8),  # narrow, negative
        np.random.default_rng(7).choice(["v10", "v2", "村1"], N),  # text
    ],
    ids=["dense", "gaps", "int8", "text"],
)
def test_nested_codes_equal_compact_of_the_pair_keys(labels):
    rng = np.random.default_rng(8)
    county = pd.Series(rng.choice(["B", "A", "C"], N))
    village = pd.Series(labels)
    parent_codes, _ = factorize(county, sort=True)
    label_codes, label_labels = factorize(village)
    want = compact(parent_codes * len(label_labels) + label_codes, 3 * len(label_labels))
    got = nested_codes(RowCodes.of(county, sort=True), RowCodes.of(village))
    assert np.array_equal(got[0], want[0]) and got[1] == want[1]
    codes = RowCodes.of(village)
    assert np.array_equal(codes.full(), label_codes)
    assert codes.labels.equals(label_labels)
    if village.dtype.kind == "i":  # the labels are the sorted values
        assert np.array_equal(codes.labels.to_numpy(), np.unique(labels))


def test_nested_codes_of_a_sparse_pairing_fall_back_to_hashing():
    n = 5000  # every row its own unit in 2,000 strata: the pairs do not fit a dense table
    strata = pd.Series(np.arange(n) % 2000)
    got, m = nested_codes(RowCodes.of(strata, sort=True), RowCodes.rows(n))
    want, m_want = compact((np.arange(n) % 2000) * n + np.arange(n))
    assert m == m_want == n and np.array_equal(got, want)


def _frame(n: int = N, seed: int = 9) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stratum = rng.integers(1, 21, n)
    return pd.DataFrame(
        {
            "stratum": stratum,
            "psu": rng.integers(1, 60, n),
            "w": rng.uniform(50, 400, n),
            "y": rng.lognormal(8, 0.8, n),
            "domain": pd.array(rng.choice([f"D{k}" for k in range(10)], n), dtype="str"),
        }
    )


def test_design_codes_are_those_of_the_whole_array_formula():
    df = _frame()
    design = SurveyDesign(df, weights="w", strata="stratum", psu="psu")
    s, _ = factorize(df["stratum"], sort=True)
    p, p_labels = factorize(df["psu"])
    codes, m = compact(s * len(p_labels) + p, 20 * len(p_labels))
    assert np.array_equal(design.psu, codes) and design.n_psu == m
    assert np.array_equal(design.strata, s)


def test_design_building_allocates_only_its_codes():
    df = _frame(n=8 * BLOCK_ROWS)
    n = len(df)
    SurveyDesign(df, weights="w", strata="stratum", psu="psu")  # warm (imports, caches)
    peak = _peak_bytes(lambda: SurveyDesign(df, weights="w", strata="stratum", psu="psu"))
    # the PSU code of each row (8 bytes) and a few block-sized temporaries, nothing per row
    assert peak < 8 * n + 6 * 8 * BLOCK_ROWS


def test_domain_unit_totals_equal_one_bincount_bit_for_bit():
    df = _frame()
    design = SurveyDesign(df, weights="w", strata="stratum", psu="psu")
    rng = np.random.default_rng(10)
    codes = rng.integers(-1, 10, N)
    z = rng.normal(size=(N, 2))
    got = unit_totals(design.psu, design.n_psu, z, codes, 10)
    key = np.where(codes >= 0, codes * design.n_psu + design.psu, 10 * design.n_psu)
    present = np.flatnonzero(np.bincount(key, minlength=10 * design.n_psu + 1)[:-1])
    assert np.array_equal(got.domain * design.n_psu + got.unit, present)
    for j in range(2):
        want = np.bincount(key, weights=z[:, j], minlength=10 * design.n_psu + 1)[present]
        assert np.array_equal(got.totals[:, j], want)


def test_estimates_do_not_depend_on_the_block_size(monkeypatch):
    df = _frame()
    design = SurveyDesign(df, weights="w", strata="stratum", psu="psu")
    by = mean(design, "y", by="domain")
    shares = proportion(design, "domain")
    monkeypatch.setattr(rowpass, "BLOCK_ROWS", 1000)
    monkeypatch.setattr(rowpass.blocks, "__defaults__", (1000,))
    small = SurveyDesign(df, weights="w", strata="stratum", psu="psu")
    pd.testing.assert_frame_equal(mean(small, "y", by="domain"), by, check_exact=True)
    pd.testing.assert_frame_equal(proportion(small, "domain"), shares, check_exact=True)
