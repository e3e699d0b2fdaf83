"""The estimators on an :class:`~analysis.design.engines.EngineDesign` (DuckDB, Dask).

:func:`analysis.estimate.mean` and its siblings call these functions when they are
given an engine design, so a study writes the same calls for a wave in memory and
for a register of tens of millions of records. Each estimate makes one to three
reductions (:meth:`EngineDesign.reduce`), each one pass over the records that
returns the totals of a few per-row values by (domain, sampling unit):

==============  ===================================================================
estimator       passes
==============  ===================================================================
mean            1: weighted totals; 2: totals of ``w (y - ybar)`` and their squares
total           as mean (pass 1 gives the variance, pass 2 the design effect)
ratio           1: totals of y and x; 2: linearised values; 3: their spread (deff)
proportion      1: weighted level counts per unit; 2 (logit CI only): R's glm start
quantile        3-4 binned passes per quantile (:mod:`~analysis.estimate.engine_quantiles`)
chisq_test      1: weighted cell counts per unit
==============  ===================================================================

The values per row are the in-memory estimators' own (same operations, same
order), and the variance of the unit totals goes through the same
:func:`~analysis.design.variance.stage_variance`; only summation order differs,
so the numbers agree with the in-memory path to about 1e-13.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..design.engines import EngineDesign, EngineDomains, Reduced
from ..design.engines.terms import Term, W, col, param
from ..errors import EstimationError
from .intervals import (
    PROPORTION_METHODS,
    _linkinv,
    _mu_eta,
    logit_fit,
    proportion_interval,
    t_interval,
)
from .levels import level_deff
from .tidy import check_denominator, check_level, concat, safe_div, srs_deff, tidy_table

__all__ = [
    "chisq_test",
    "is_engine",
    "mean",
    "proportion",
    "ratio",
    "total",
]


def is_engine(design: Any) -> bool:
    """True for an :class:`~analysis.design.engines.EngineDesign`."""
    return isinstance(design, EngineDesign)


def _result(est, se, df, level, deff, n) -> dict[str, np.ndarray]:
    lo, hi = t_interval(est, se, df, level)
    return dict(estimate=est, se=se, ci_low=lo, ci_high=hi, df=df, deff=deff, n=n)


def _no_na_rm(na_rm: bool) -> None:
    if not na_rm:
        raise EstimationError(
            "EST541",
            "a design over an engine always leaves missing values out (na_rm=True)",
            expected="na_rm=True",
            found="na_rm=False",
            hint="Count the missing values with the engine first if they must be refused.",
        )


def _numeric(design: EngineDesign, name: str, estimator: str) -> None:
    if not (design.is_numeric(name) or design.is_boolean(name)):
        raise EstimationError(
            "EST002",
            f"{estimator}() needs a numeric variable, but {name!r} is {design.column_type(name)}",
            column=name,
            expected="numbers",
            found=design.column_type(name),
            hint="Use proportion() for the shares of a categorical variable.",
        )


def _nonempty(reduced: Reduced, name: str) -> None:
    if not len(reduced.frame):
        raise EstimationError(
            "EST005",
            f"no row has a value of {name!r} in the selected domain",
            column=name,
            expected="at least one non-missing value",
            found="0 rows",
            hint="Check the variable (is it all missing?) and the where= column.",
        )


def _centred(design: EngineDesign, dom: EngineDomains, name: str):
    """Pass 1 and 2 of a mean: weighted size and total, the unit totals of
    ``w (y - ybar)`` and the weighted sum of squared deviations (as ``estimators._centred``).
    """
    y = col(name)
    first = design.reduce(dom, {"w": W, "wy": W * y}, present=[name])
    _nonempty(first, name)
    size = first.by_domain(first.column("w"))
    ty = first.by_domain(first.column("wy"))
    ybar = safe_div(ty, size)
    e = y - param("c")
    second = design.reduce(
        dom, {"we": W * e, "ss": (W * e) * e}, present=[name], params={"c": ybar}
    )
    ss = second.by_domain(second.column("ss"))
    n, df = design.domain_sizes(first)
    return first, second, size, ty, ybar, ss, n, df


def _var(design: EngineDesign, reduced: Reduced, totals: np.ndarray) -> np.ndarray:
    return design.variance(reduced.domain, reduced.unit, totals, reduced.n_domains)[:, 0, 0]


def mean(
    design: EngineDesign,
    variables: str | Sequence[str],
    *,
    by: Any = None,
    where: Any = None,
    na_rm: bool = True,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """:func:`analysis.estimate.mean` on an engine design (two passes per variable)."""
    level = check_level(ci_level)
    _no_na_rm(na_rm)
    names = design.check_columns(variables, "variable")
    dom = design.domains(by, where)
    tables = []
    for name in names:
        _numeric(design, name, "mean")
        _, second, size, _, ybar, ss, n, df = _centred(design, dom, name)
        v = safe_div(_var(design, second, second.column("we")), size * size)
        deff = srs_deff(v, ss, size, n, 1.0)
        tables.append(tidy_table(dom, name, _result(ybar, np.sqrt(v), df, level, deff, n)))
    return concat(tables)


def total(
    design: EngineDesign,
    variables: str | Sequence[str],
    *,
    by: Any = None,
    where: Any = None,
    na_rm: bool = True,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """:func:`analysis.estimate.total` on an engine design."""
    level = check_level(ci_level)
    _no_na_rm(na_rm)
    names = design.check_columns(variables, "variable")
    dom = design.domains(by, where)
    tables = []
    for name in names:
        if not design.is_numeric(name):
            tables.append(_level_table(design, dom, name, level, "total", "wald"))
            continue
        first, _, size, ty, _, ss, n, df = _centred(design, dom, name)
        v = _var(design, first, first.column("wy"))
        deff = srs_deff(v, ss, size, n, size * size)
        tables.append(tidy_table(dom, name, _result(ty, np.sqrt(v), df, level, deff, n)))
    return concat(tables)


def ratio(
    design: EngineDesign,
    numerator: str | Sequence[str],
    denominator: str,
    *,
    by: Any = None,
    where: Any = None,
    na_rm: bool = True,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """:func:`analysis.estimate.ratio` on an engine design (three passes per numerator)."""
    level = check_level(ci_level)
    _no_na_rm(na_rm)
    nums = design.check_columns(numerator, "numerator")
    if not isinstance(denominator, str):
        raise EstimationError(
            "EST001",
            "ratio() takes one denominator column",
            expected="a column name",
            found=repr(denominator),
            hint="Call ratio() once per denominator.",
        )
    den = design.check_columns(denominator, "denominator")[0]
    _numeric(design, den, "ratio")
    dom = design.domains(by, where)
    x = col(den)
    tables = []
    for name in nums:
        _numeric(design, name, "ratio")
        y = col(name)
        label = f"{name}/{den}"
        present = [name, den]
        first = design.reduce(dom, {"w": W, "wy": W * y, "wx": W * x}, present=present)
        _nonempty(first, label)
        size = first.by_domain(first.column("w"))
        ty = first.by_domain(first.column("wy"))
        tx = first.by_domain(first.column("wx"))
        n, df = design.domain_sizes(first)
        check_denominator(tx, n, dom, den)
        r = safe_div(ty, tx)
        resid = (y - param("r") * x) * param("inv")
        params = {"r": r, "inv": safe_div(1.0, tx)}
        second = design.reduce(dom, {"z": W * resid}, present=present, params=params)
        v = _var(design, second, second.column("z"))
        rbar = safe_div(second.by_domain(second.column("z")), size)
        d = resid - param("rbar")
        third = design.reduce(
            dom, {"ss": (W * d) * d}, present=present, params={**params, "rbar": rbar}, units=False
        )
        ss = third.by_domain(third.column("ss"))
        deff = srs_deff(v, ss, size, n, size * size)
        tables.append(tidy_table(dom, label, _result(r, np.sqrt(v), df, level, deff, n)))
    return concat(tables)


# ---------------------------------------------------------------------------- levels
def _levels(design: EngineDesign, name: str, seen: pd.Series | None = None) -> list[Any]:
    """The observed values of a categorical column, sorted (as ``levels.level_codes``).

    ``seen``: the values met by a reduction over every row with a value (no ``where``),
    which are all the column's values; saves a pass.
    """
    key = ("levels", name)
    if key not in design._cache:
        values = (design.source.distinct([name])[name] if seen is None else seen).dropna()
        values = values.drop_duplicates()
        design._cache[key] = list(pd.Index(values).sort_values())
    return design._cache[key]


def _level_units(
    design: EngineDesign, reduced: Reduced, codes: np.ndarray, n_lev: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Dense ``(P, L)`` level totals per (domain, unit), their domains, units and row sums."""
    n_units = design.stages[-1].n_units
    pair = reduced.domain * n_units + reduced.unit
    pcodes, uniques = pd.factorize(pair, sort=True)
    dense = np.zeros((len(uniques), n_lev))
    np.add.at(dense, (pcodes, codes), reduced.column("w"))
    uniques = np.asarray(uniques, dtype=np.intp)
    return dense, uniques // n_units, uniques % n_units, dense.sum(axis=1)


def _level_table(
    design: EngineDesign, dom: EngineDomains, name: str, level: float, kind: str, method: str
) -> pd.DataFrame:
    """Shares or totals of every level (as ``levels.level_table``), from one pass."""
    first = design.reduce(dom, {"w": W}, present=[name], keys=[name])
    levels = _levels(design, name, None if dom.where else first.frame[name])
    if not levels:
        raise EstimationError(
            "EST005",
            f"{name!r} has no values",
            column=name,
            expected="at least one non-missing value",
            found="all missing",
            hint="Check the column: every row is missing.",
        )
    n_lev = len(levels)
    _nonempty(first, name)
    g = dom.n_domains
    codes = pd.Index(levels).get_indexer(first.frame[name])
    dense, u_dom, u_unit, tw = _level_units(design, first, codes, n_lev)
    counts = np.zeros((g, n_lev))
    np.add.at(counts, u_dom, dense)
    size = np.bincount(u_dom, weights=tw, minlength=g)
    n, df = design.domain_sizes(first)

    def variance(centre: np.ndarray, scale: np.ndarray) -> np.ndarray:
        lin = (dense - centre[u_dom] * tw[:, None]) * safe_div(1.0, scale)[u_dom][:, None]
        v = design.variance(u_dom, u_unit, lin, g)
        return np.diagonal(v, axis1=1, axis2=2).copy()

    p = safe_div(counts, size[:, None])
    if kind == "total":
        est = counts
        v = variance(np.zeros_like(p), np.ones(g))
    else:
        est = p
        v = variance(p, size)
    se = np.sqrt(v)
    deff = level_deff(v, p, size, n, kind)
    if kind == "total":
        lo, hi = t_interval(est, se, df[:, None], level)
    elif method in ("wald", "mean"):
        lo, hi = proportion_interval("wald", p, se, df[:, None], level)
    else:
        present = n.astype(np.float64)
        coef = logit_se = None
        if method == "logit":
            coef, logit_se = _logit(design, dom, name, levels, present, size, counts, variance)
        lo, hi = proportion_interval(
            method,
            p,
            se,
            df[:, None],
            level,
            n_rows=present[:, None],
            logit_coef=coef,
            logit_se=logit_se,
        )
    return tidy_table(
        dom,
        name,
        dict(estimate=est, se=se, ci_low=lo, ci_high=hi, df=df, deff=deff, n=n),
        extra=("level", levels),
    )


def _start_terms(t: Term) -> dict[str, Term]:
    """``intervals.logit_start_terms`` as per-row terms (same operations, same order)."""
    two = t * 2.0 + 1.0
    a = two + 1.0
    w = (two / (a * a)) * t
    return {
        "sw": w,
        "swz": (two.ln() + a / two) * w,
        "sdev": ((Term("num", (1.0,)) / two + 1.0).ln() * t) * 2.0,
    }


def _logit(design, dom, name, levels, present, size, counts, variance):
    """R's ``svyciprop(method="logit")`` (as ``levels._logit_fit``): one more pass for the
    glm's starting iteration, by (domain, level)."""
    g, n_lev = counts.shape
    mean_w = safe_div(size, present)
    terms = _start_terms(W / param("mw"))
    red = design.reduce(dom, terms, present=[name], keys=[name], params={"mw": mean_w}, units=False)
    codes = pd.Index(levels).get_indexer(red.frame[name])
    cells = np.zeros((3, g, n_lev))
    for i, key in enumerate(terms):
        np.add.at(cells[i], (red.domain, codes), red.column(key))
    _start_w, start_wz1, _start_dev = cells
    by_dom = [c.sum(axis=1)[:, None] for c in cells]
    s1 = counts / mean_w[:, None]
    s0 = present[:, None] - s1
    coef = logit_fit(
        s1,
        s0,
        np.broadcast_to(by_dom[0], s1.shape),
        2 * start_wz1 - by_dom[1],
        np.broadcast_to(by_dom[2], s1.shape),
    )
    mu = _linkinv(coef)
    v = variance(mu, size)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(v) / _mu_eta(coef)
    return coef, se


def proportion(
    design: EngineDesign,
    variables: str | Sequence[str],
    *,
    by: Any = None,
    where: Any = None,
    method: str = "logit",
    na_rm: bool = True,
    ci_level: float = 0.95,
) -> pd.DataFrame:
    """:func:`analysis.estimate.proportion` on an engine design."""
    level = check_level(ci_level)
    _no_na_rm(na_rm)
    if method not in PROPORTION_METHODS:
        raise EstimationError(
            "EST007",
            f"unknown confidence interval method {method!r} for proportions",
            expected=" / ".join(m for m in PROPORTION_METHODS if m != "mean"),
            found=repr(method),
            hint="Use method='logit' (R's default), 'wald', 'beta', 'xlogit' or 'asin'.",
        )
    names = design.check_columns(variables, "variable")
    dom = design.domains(by, where)
    return concat([_level_table(design, dom, nm, level, "proportion", method) for nm in names])


# ---------------------------------------------------------------------------- crosstab test
def chisq_test(
    design: EngineDesign,
    row: str,
    col: str,
    *,
    statistic: str = "F",
    where: Any = None,
    empty_cells: str = "allow",
) -> pd.DataFrame:
    """:func:`analysis.estimate.chisq_test` (Rao-Scott) on an engine design, in one pass."""
    from .crosstab import MAX_CELLS, _check_empty, _check_statistic, _test_table, rao_scott

    statistic = _check_statistic(statistic)
    row, col = design.check_columns([row, col], "crosstab variable")
    if row == col:
        raise EstimationError(
            "EST101",
            f"the crosstab has {row!r} as both row and column variable",
            column=row,
            expected="two different columns",
            found=f"row={row!r}, col={col!r}",
            hint="Cross two different variables, e.g. chisq_test(design, 'county', 'tv').",
        )
    dom = design.domains(None, where)
    red = design.reduce(dom, {"w": W}, present=[row, col], keys=[row, col])
    if not len(red.frame):
        raise EstimationError(
            "EST105",
            f"no row has values of both {row!r} and {col!r}",
            column=f"{row}, {col}",
            expected="rows with both variables answered",
            found="0 rows",
            hint="Check the variables (are they all missing?) and the where= column.",
        )
    kept = []
    for name in (row, col):
        used = set(red.frame[name].tolist())
        inside = design.source.distinct([name], _where_filters(dom))[name].dropna().tolist()
        empty = [lv for lv in sorted(inside) if lv not in used]
        if empty:
            raise EstimationError(
                "EST102",
                f"{name!r} has {len(empty)} empty categor{'y' if len(empty) == 1 else 'ies'} "
                "in the table",
                column=name,
                expected="every category with at least one analysed row",
                found=f"no analysed row for {empty[:6]}",
                hint="Merge the empty category with a neighbour, or check that the other "
                "variable is not missing for all its rows.",
            )
        if len(used) < 2:
            raise EstimationError(
                "EST103",
                f"{name!r} has a single category among the analysed rows",
                column=name,
                expected="at least two categories in each variable",
                found=f"only {sorted(used)}",
                hint="A table needs two or more categories on each side; check the where= column.",
            )
        kept.append([lv for lv in _levels(design, name) if lv in used])
    row_levels, col_levels = kept
    nr, nc = len(row_levels), len(col_levels)
    k = nr * nc
    if k > MAX_CELLS:
        raise EstimationError(
            "EST106",
            f"the table of {row!r} by {col!r} has {k} cells",
            column=f"{row}, {col}",
            expected=f"at most {MAX_CELLS} cells",
            found=f"{nr} x {nc} categories",
            hint="Cross categorical variables; group a numeric or identifier column into "
            "categories first (e.g. pandas.cut).",
        )
    r = pd.Index(row_levels).get_indexer(red.frame[row])
    c = pd.Index(col_levels).get_indexer(red.frame[col])
    dense, u_dom, u_unit, tw = _level_units(design, red, r + nr * c, k)
    counts = dense.sum(axis=0)
    size = counts.sum()
    lin = (dense - (counts / size)[None, :] * tw[:, None]) / size
    v = design.variance(u_dom, u_unit, lin, 1)[0]
    if where is None:
        n_total, nu = design.n_rows, design.df
    else:  # R subsets the design: its rows, PSUs and strata
        n, df = design.domain_sizes(design.reduce(dom, {}))
        n_total, nu = int(n[0]), int(df[0])
    res = rao_scott(counts, v, nr, nc, n_total, nu, statistic)
    _check_empty(res["empty_cells"], empty_cells, row, col)
    return _test_table(row, col, statistic, res, int(red.count.sum()))


def _where_filters(dom: EngineDomains) -> list:
    from ..design.engines.sources import Filter

    return [Filter("where", dom.where)] if dom.where else []
