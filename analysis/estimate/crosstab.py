"""Two-way tables of a survey: weighted counts, row and column shares, Rao-Scott tests.

:func:`crosstab` returns the weighted count of every cell (R's ``svyby(~col,
~row, svytotal)``), the shares of the column variable within each row
(``svyby(~col, ~row, svymean)``) and of the row variable within each column,
all as tidy estimate tables with design-based SEs, and the Rao-Scott test of
independence (R's ``svychisq``), from :func:`chisq_test`.

Rows missing either variable are left out (as R's ``na.rm``); the design stays
whole. An empty *cell* is allowed by default (R's test handles it; pass
``empty_cells="fail"`` to refuse it); an empty row or column *level* (a category
that occurs only with the other variable missing, or an unused category of a
pandas Categorical) is an error: the test is undefined.

Examples
--------
>>> import pandas as pd
>>> from analysis.design.survey import SurveyDesign
>>> df = pd.DataFrame({"county": ["A"] * 6 + ["B"] * 6,
...                    "village": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6],
...                    "w": [10.0, 10, 12, 12, 11, 11, 8, 8, 9, 9, 7, 7],
...                    "tv": ["有", "无", "有", "有", "无", "有", "无", "无", "有", "无", "无", "有"]})
>>> d = SurveyDesign(df, weights="w", strata="county", psu="village")
>>> t = crosstab(d, "county", "tv")
>>> t.wide("row_shares").round(3).to_dict("index")
{'A': {'无': 0.318, '有': 0.682}, 'B': {'无': 0.667, '有': 0.333}}
>>> t.counts[["county", "level", "estimate"]].values.tolist()
[['A', '无', 21.0], ['A', '有', 45.0], ['B', '无', 32.0], ['B', '有', 16.0]]
>>> t.test[["statistic", "value", "ndf", "ddf", "p_value"]].round(4)
  statistic   value  ndf  ddf  p_value
0         F  1.8403  1.0  4.0   0.2464
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..design.domains import column_names, domains
from ..design.replicate import ReplicateDesign
from ..design.survey import SurveyDesign
from ..design.variance import UnitTotals, stage_variance
from ..errors import EstimationError
from . import engines
from .estimators import proportion
from .intervals import t_interval
from .levels import _level_unit_totals, level_codes
from .replicate import replicate_cells
from .tidy import check_choice, check_design, check_level, srs_deff

__all__ = ["CHISQ_STATISTICS", "MAX_CELLS", "Crosstab", "chisq_test", "crosstab"]

#: R's ``svychisq`` statistics provided: the Rao-Scott second-order F (R's default),
#: the first-order corrected chi-square, and the design-based Wald tests.
CHISQ_STATISTICS = ("F", "Chisq", "Wald", "adjWald")

#: A table with more cells than this is almost certainly a mistake (an id or a number).
MAX_CELLS = 1000


@dataclass(frozen=True)
class Crosstab:
    """A two-way survey table.

    Attributes
    ----------
    row, col : str
        The row and column variables.
    counts : pandas.DataFrame
        Estimated population count of every cell: an estimate table with ``by`` =
        the row variable, ``variable`` = the column variable, ``level`` = its category.
    row_shares : pandas.DataFrame
        Share of each column category within each row category (rows add to 1).
    col_shares : pandas.DataFrame
        Share of each row category within each column category (``by`` = the column
        variable, ``variable`` = the row variable).
    test : pandas.DataFrame
        One row: the Rao-Scott test of independence (see :func:`chisq_test`).
    """

    row: str
    col: str
    counts: pd.DataFrame
    row_shares: pd.DataFrame
    col_shares: pd.DataFrame
    test: pd.DataFrame

    def wide(self, table: str = "row_shares", value: str = "estimate") -> pd.DataFrame:
        """One of the tables as rows x columns (for reports), e.g. ``wide("counts", "se")``.

        Parameters
        ----------
        table : {"row_shares", "col_shares", "counts"}
        value : str
            An estimate-table column (``estimate``, ``se``, ``ci_low``, ...).
        """
        check_choice(
            table,
            ("row_shares", "col_shares", "counts"),
            "EST104",
            "crosstab table",
            hint="Use crosstab(...).wide('row_shares').",
        )
        t = getattr(self, table)
        by = self.col if table == "col_shares" else self.row
        wide = t.pivot(index=by, columns="level", values=value)
        wide.columns.name = self.row if table == "col_shares" else self.col
        return wide.T if table == "col_shares" else wide


@dataclass(frozen=True)
class _Cells:
    """The analysed rows coded by (row level, column level)."""

    r: np.ndarray  # (n,) row level, -1 outside the analysed rows
    c: np.ndarray  # (n,) column level, -1 outside
    row_levels: list
    col_levels: list
    analysed: np.ndarray  # (n,) bool
    n_total: int  # R's N: rows of the (sub)design
    nu: int  # R's denominator degrees of freedom: PSUs - strata of the (sub)design


def _cells(design: SurveyDesign, row: str, col: str, where: Any) -> _Cells:
    row, col = column_names(design, [row, col], "crosstab variable")
    if row == col:
        raise EstimationError(
            "EST101",
            f"the crosstab has {row!r} as both row and column variable",
            column=row,
            expected="two different columns",
            found=f"row={row!r}, col={col!r}",
            hint="Cross two different variables, e.g. crosstab(design, 'county', 'tv').",
        )
    if where is None:
        inside = np.ones(design.n_rows, dtype=bool)
    else:
        inside = domains(design, None, where).codes >= 0
    rc, row_levels = level_codes(design, row)
    cc, col_levels = level_codes(design, col)
    analysed = inside & (rc >= 0) & (cc >= 0)
    if design.is_calibrated:
        analysed &= np.asarray(design.weights) != 0
    if not analysed.any():
        raise EstimationError(
            "EST105",
            f"no row has values of both {row!r} and {col!r}",
            column=f"{row}, {col}",
            expected="rows with both variables answered",
            found="0 rows",
            hint="Check the variables (are they all missing?) and the where= condition.",
        )
    for name, codes, levels in ((row, rc, row_levels), (col, cc, col_levels)):
        used = np.bincount(codes[analysed], minlength=len(levels)) > 0
        # levels that occur in the (sub)population but not among the analysed rows
        present = np.bincount(codes[inside & (codes >= 0)], minlength=len(levels)) > 0
        declared = isinstance(design.data[name].dtype, pd.CategoricalDtype)
        empty = [lv for lv, u, p in zip(levels, used, present) if not u and (p or declared)]
        if empty:
            raise EstimationError(
                "EST102",
                f"{name!r} has {len(empty)} empty categor{'y' if len(empty) == 1 else 'ies'} "
                "in the table",
                column=name,
                expected="every category with at least one analysed row",
                found=f"no analysed row for {empty[:6]}",
                hint="Merge the empty category with a neighbour, drop unused categories "
                "(series.cat.remove_unused_categories()), or check that the other variable "
                "is not missing for all its rows.",
            )
        if used.sum() < 2:
            raise EstimationError(
                "EST103",
                f"{name!r} has a single category among the analysed rows",
                column=name,
                expected="at least two categories in each variable",
                found=f"only {[lv for lv, u in zip(levels, used) if u]}",
                hint="A table needs two or more categories on each side; check the where= "
                "condition.",
            )
    keep_r = np.bincount(rc[analysed], minlength=len(row_levels)) > 0
    keep_c = np.bincount(cc[analysed], minlength=len(col_levels)) > 0
    r_map = np.cumsum(keep_r) - 1
    c_map = np.cumsum(keep_c) - 1
    r = np.where(analysed, r_map[np.maximum(rc, 0)], -1)
    c = np.where(analysed, c_map[np.maximum(cc, 0)], -1)
    row_levels = [lv for lv, k in zip(row_levels, keep_r) if k]
    col_levels = [lv for lv, k in zip(col_levels, keep_c) if k]
    k = len(row_levels) * len(col_levels)
    if k > MAX_CELLS:
        raise EstimationError(
            "EST106",
            f"the table of {row!r} by {col!r} has {k} cells",
            column=f"{row}, {col}",
            expected=f"at most {MAX_CELLS} cells",
            found=f"{len(row_levels)} x {len(col_levels)} categories",
            hint="Cross categorical variables; group a numeric or identifier column into "
            "categories first (e.g. pandas.cut).",
        )
    if design.is_calibrated or where is None:
        n_total, nu = design.n_rows, design.df
    else:  # R subsets an uncalibrated design: its rows, PSUs and strata
        n, df = design.domain_sizes(np.where(inside, 0, -1), 1)
        n_total, nu = int(n[0]), int(df[0])
    return _Cells(r, c, row_levels, col_levels, analysed, n_total, nu)


def _cell_covariance(
    design: SurveyDesign, codes: np.ndarray, cell: np.ndarray, g: int, k: int, centre: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted cell counts ``(G, k)`` and the covariances ``(G, k, k)`` of the domain totals
    of ``w * (1[cell] - centre[domain]) / scale`` (``centre`` None: no centring, scale 1).

    Uncalibrated designs reduce the rows once to (domain, unit, cell) totals, as the
    proportion estimator does; calibrated designs need the row-level influence values.
    Replicate designs give the replicate covariance of the shares (or totals) themselves.
    """
    if isinstance(design, ReplicateDesign):
        return replicate_cells(design, codes, cell, g, k, shares=centre is not None)
    if not design.is_calibrated:
        ut, tw = _level_unit_totals(design, codes, cell, g, k)
        counts = np.zeros((g, k))
        np.add.at(counts, ut.domain, ut.totals)
        lin = ut.totals
        if centre is not None:
            size = counts.sum(axis=1)
            lin = (lin - (counts / size[:, None])[ut.domain] * tw[:, None]) / size[ut.domain, None]
        v = stage_variance(
            design.stages,
            UnitTotals(ut.domain, ut.unit, lin, g),
            lonely_psu=design.lonely_psu,
            adjust_domain_lonely=design.adjust_domain_lonely,
        )
        return counts, v
    inside = codes >= 0
    w = np.where(inside, design.weights, 0.0)
    counts = np.zeros((g, k))
    np.add.at(counts, (codes[inside], cell[inside]), w[inside])
    z = np.zeros((design.n_rows, k))
    z[np.flatnonzero(inside), cell[inside]] = 1.0
    if centre is not None:
        size = counts.sum(axis=1)
        z -= np.vstack([counts / size[:, None], np.zeros((1, k))])[np.where(inside, codes, g)]
        w = w / np.append(size, 1.0)[np.where(inside, codes, g)]
    z *= w[:, None]
    return counts, design.variance(z, domain=codes)


def _rao_scott(design: SurveyDesign, cells: _Cells, statistic: str) -> dict[str, float]:
    """R's ``svychisq`` (``statistic="F"`` or ``"Chisq"``) on the coded cells."""
    nr, nc = len(cells.row_levels), len(cells.col_levels)
    k = nr * nc
    a = cells.analysed
    cell = np.where(a, cells.r + nr * cells.c, 0)  # R's interaction(): rows vary fastest
    counts, v = _cell_covariance(design, np.where(a, 0, -1), cell, 1, k, centre=True)
    return rao_scott(counts[0], v[0], nr, nc, cells.n_total, cells.nu, statistic)


def rao_scott(
    counts: np.ndarray, v: np.ndarray, nr: int, nc: int, n_total: int, nu: int, statistic: str
) -> dict[str, float]:
    """R's ``svychisq`` from the weighted cell counts ``(k,)`` (rows vary fastest) and the
    covariance ``(k, k)`` of the cell shares; ``n_total`` rows and ``nu`` design df.
    """
    k = nr * nc
    total = counts.sum()
    p = counts / total
    # Pearson's X^2 on the weighted table scaled to R's N
    n = float(n_total)
    obs = (counts * n / total).reshape(nc, nr).T
    expected = np.outer(obs.sum(axis=1), obs.sum(axis=0)) / n
    pearson = float(((obs - expected) ** 2 / expected).sum())
    # interaction contrasts residualised on the main effects (R's Cmat)
    rows = np.tile(np.arange(nr), nc)
    cols = np.repeat(np.arange(nc), nr)
    x1 = np.column_stack(
        [np.ones(k)]
        + [(rows == i).astype(float) for i in range(1, nr)]
        + [(cols == j).astype(float) for j in range(1, nc)]
    )
    x12 = np.column_stack(
        [((rows == i) & (cols == j)).astype(float) for j in range(1, nc) for i in range(1, nr)]
    )
    q, _ = np.linalg.qr(x1)
    cmat = x12 - q @ (q.T @ x12)
    inv_p = np.zeros(k)
    np.divide(1.0, p, out=inv_p, where=p != 0)
    denom = cmat.T @ (cmat * (inv_p / n)[:, None])
    scaled = cmat * inv_p[:, None]
    numr = scaled.T @ v @ scaled
    delta = np.linalg.solve(denom, numr)
    trace = float(np.trace(delta))
    d0 = trace * trace / float(np.trace(delta @ delta))
    dfree = (nr - 1) * (nc - 1)
    mean_eig = trace / dfree
    if statistic == "F":
        value = pearson / trace
        ndf, ddf = d0, d0 * nu
        p_value = float(stats.f.sf(value, ndf, ddf)) if ddf > 0 else float("nan")
    else:
        value = pearson / mean_eig
        ndf, ddf = float(dfree), float("nan")
        p_value = float(stats.chi2.sf(value, dfree))
    return dict(
        value=value,
        ndf=ndf,
        ddf=ddf,
        p_value=p_value,
        pearson=pearson,
        deff=mean_eig,
        empty_cells=int((counts == 0).sum()),
    )


def _wald(design: SurveyDesign, cells: _Cells, statistic: str) -> dict[str, float]:
    """R's ``svychisq(statistic="Wald")`` and ``"adjWald"``: a Wald test that the cell
    totals equal the products of their margins over the total (Koch et al.).

    The influence values of ``T_ab - R_a C_b / N`` give their covariance directly (R's
    Jacobian of the totals); the quadratic form uses rows and columns 2.. (any one row
    and column can be left out: the residuals add up to zero along both).
    """
    res = _rao_scott(design, cells, "F")
    nr, nc = len(cells.row_levels), len(cells.col_levels)
    a = cells.analysed
    w = np.where(a, design.weights, 0.0)
    r, c = cells.r, cells.c
    row_t = np.bincount(r[a], weights=w[a], minlength=nr)
    col_t = np.bincount(c[a], weights=w[a], minlength=nc)
    total = row_t.sum()
    pairs = [(i, j) for j in range(1, nc) for i in range(1, nr)]
    z = np.empty((design.n_rows, len(pairs)))
    y = np.empty(len(pairs))
    for m, (i, j) in enumerate(pairs):
        in_row = (r == i).astype(np.float64)
        in_col = (c == j).astype(np.float64)
        z[:, m] = w * (
            in_row * in_col
            - in_row * col_t[j] / total
            - in_col * row_t[i] / total
            + row_t[i] * col_t[j] / (total * total)
        )
        y[m] = w[(r == i) & (c == j)].sum() - row_t[i] * col_t[j] / total
    v = design.variance(z, domain=a)
    wald = float(y @ np.linalg.solve(v, y))
    ndf = float((nr - 1) * (nc - 1))
    nu = float(cells.nu)
    if statistic == "Wald":
        value, ddf = wald / ndf, nu
    else:
        ddf = nu - ndf + 1
        value = wald * ddf / (ndf * nu)
    p_value = float(stats.f.sf(value, ndf, ddf)) if ddf > 0 else float("nan")
    return {**res, "value": value, "ndf": ndf, "ddf": ddf, "p_value": p_value}


def _test(design: SurveyDesign, cells: _Cells, statistic: str) -> dict[str, float]:
    if statistic in ("Wald", "adjWald"):
        return _wald(design, cells, statistic)
    return _rao_scott(design, cells, statistic)


def _check_empty(cells_counts: int, empty_cells: str, row: str, col: str) -> None:
    check_choice(
        empty_cells,
        ("allow", "fail"),
        "EST104",
        "empty_cells option",
        hint="Use empty_cells='allow' (as R) or 'fail'.",
    )
    if cells_counts and empty_cells == "fail":
        raise EstimationError(
            "EST107",
            f"the table of {row!r} by {col!r} has {cells_counts} empty cell(s)",
            column=f"{row}, {col}",
            expected="at least one analysed row in every cell (empty_cells='fail')",
            found=f"{cells_counts} empty cell(s)",
            hint="Merge sparse categories, or pass empty_cells='allow' to test as R does.",
        )


def _check_statistic(statistic: Any) -> str:
    return check_choice(
        statistic,
        CHISQ_STATISTICS,
        "EST104",
        "test statistic",
        hint="Use statistic='F' (R's default, Rao-Scott second order), 'Chisq', 'Wald' "
        "or 'adjWald'.",
    )


def _test_table(row: str, col: str, statistic: str, res: dict, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": [row],
            "col": [col],
            "statistic": [statistic],
            "value": [res["value"]],
            "ndf": [res["ndf"]],
            "ddf": [res["ddf"]],
            "p_value": [res["p_value"]],
            "pearson": [res["pearson"]],
            "deff": [res["deff"]],
            "empty_cells": [res["empty_cells"]],
            "n": [n],
        }
    )


def chisq_test(
    design: SurveyDesign,
    row: str,
    col: str,
    *,
    statistic: str = "F",
    where: Any = None,
    empty_cells: str = "allow",
) -> pd.DataFrame:
    """Rao-Scott test of independence of two categorical variables (R's ``svychisq``).

    Parameters
    ----------
    design : SurveyDesign
    row, col : str
        Categorical columns.
    statistic : {"F", "Chisq", "Wald", "adjWald"}
        ``"F"`` (R's default): Pearson's X^2 divided by the trace of the design-effect
        matrix, referred to F(d, d x df) with Satterthwaite's d; ``"Chisq"``: X^2
        divided by the mean design effect, referred to chi-square((r-1)(c-1));
        ``"Wald"``: the design-based Wald statistic of the cell totals' departures from
        independence over ``(r-1)(c-1)``, referred to F((r-1)(c-1), df); ``"adjWald"``:
        the same scaled by ``(df - (r-1)(c-1) + 1) / df``, referred to F((r-1)(c-1),
        df - (r-1)(c-1) + 1) (R's ``svychisq`` statistics).
    where : str or array_like of bool, optional
        Subpopulation, as R's ``subset(design, ...)``.
    empty_cells : {"allow", "fail"}
        ``"allow"`` (default) tests a table with empty cells as R does; ``"fail"``
        raises ``EST107`` instead.

    Returns
    -------
    pandas.DataFrame
        One row: ``row, col, statistic, value`` (the corrected statistic the p-value
        refers to), ``ndf, ddf`` (``ddf`` NaN for ``"Chisq"``), ``p_value``,
        ``pearson`` (the uncorrected X^2 on the table scaled to the sample size,
        which R prints as X-squared for ``"Chisq"``), ``deff`` (mean generalised
        design effect), ``empty_cells`` and ``n`` (analysed rows).
    """
    if engines.is_engine(design):  # DuckDB / Dask: one pass where the data is
        return engines.chisq_test(
            design, row, col, statistic=statistic, where=where, empty_cells=empty_cells
        )
    design = check_design(design)
    statistic = _check_statistic(statistic)
    cells = _cells(design, row, col, where)
    res = _test(design, cells, statistic)
    _check_empty(res["empty_cells"], empty_cells, row, col)
    return _test_table(row, col, statistic, res, int(cells.analysed.sum()))


def _counts(design: SurveyDesign, cells: _Cells, row: str, col: str, level: float) -> pd.DataFrame:
    """Estimated population count of every cell, by row (R's ``svyby(~col, ~row, svytotal)``)."""
    nr, nc = len(cells.row_levels), len(cells.col_levels)
    counts, v = _cell_covariance(design, cells.r, np.maximum(cells.c, 0), nr, nc, centre=None)
    size = counts.sum(axis=1)
    n, df = design.domain_sizes(cells.r, nr)
    se = np.sqrt(np.maximum(np.diagonal(v, axis1=1, axis2=2), 0.0))
    p = counts / size[:, None]
    ss = size[:, None] * p * (1 - p)
    deff = srs_deff(
        np.diagonal(v, axis1=1, axis2=2), ss, size[:, None], n[:, None], (size * size)[:, None]
    )
    lo, hi = t_interval(counts, se, df[:, None], level)
    out = pd.DataFrame(
        {
            row: np.repeat(pd.Series(cells.row_levels, dtype=object).to_numpy(), nc),
            "variable": col,
            "level": pd.Series(cells.col_levels * nr, dtype=object).to_numpy(),
            "estimate": counts.ravel(),
            "se": se.ravel(),
            "ci_low": lo.ravel(),
            "ci_high": hi.ravel(),
            "df": np.repeat(df, nc).astype(np.int64),
            "deff": deff.ravel(),
            "n": np.repeat(n, nc).astype(np.int64),
        }
    )
    return out


def _shares(design, cells, by, variable, by_levels, levels, method, level):
    table = proportion(design, variable, by=by, where=cells.analysed, method=method, ci_level=level)
    keep = table["level"].isin(levels) & table[by].isin(by_levels)
    return table[keep].reset_index(drop=True)


def crosstab(
    design: SurveyDesign,
    row: str,
    col: str,
    *,
    where: Any = None,
    statistic: str = "F",
    method: str = "logit",
    ci_level: float = 0.95,
    empty_cells: str = "allow",
) -> Crosstab:
    """Weighted two-way table with shares, SEs and the Rao-Scott test.

    Parameters
    ----------
    design : SurveyDesign
    row, col : str
        Categorical columns (text, category, True/False or coded numbers).
    where : str or array_like of bool, optional
        Subpopulation (the design is kept whole).
    statistic : {"F", "Chisq", "Wald", "adjWald"}
        The test (see :func:`chisq_test`).
    method : str
        Confidence-interval method of the shares, as :func:`analysis.estimate.estimators.proportion`.
    ci_level : float
        Confidence level.
    empty_cells : {"allow", "fail"}
        As in :func:`chisq_test`.

    Returns
    -------
    Crosstab
        ``counts``, ``row_shares``, ``col_shares`` (tidy estimate tables) and ``test``.

    Raises
    ------
    EstimationError
        ``EST001`` unknown column, ``EST101`` same column twice, ``EST102`` an empty
        category, ``EST103`` a single category, ``EST104`` unknown statistic,
        ``EST105`` no analysed rows, ``EST106`` too many cells, ``EST107`` empty cells
        with ``empty_cells="fail"``.
    """
    design = check_design(design)
    level = check_level(ci_level)
    statistic = _check_statistic(statistic)
    cells = _cells(design, row, col, where)
    res = _test(design, cells, statistic)
    _check_empty(res["empty_cells"], empty_cells, row, col)
    return Crosstab(
        row=row,
        col=col,
        counts=_counts(design, cells, row, col, level),
        row_shares=_shares(
            design, cells, row, col, cells.row_levels, cells.col_levels, method, level
        ),
        col_shares=_shares(
            design, cells, col, row, cells.col_levels, cells.row_levels, method, level
        ),
        test=_test_table(row, col, statistic, res, int(cells.analysed.sum())),
    )
