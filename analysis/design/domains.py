"""Estimation domains: the rows of each ``by`` cell, coded once and kept in the full design.

A domain is a set of rows of the design, given by the values of one or more
``by`` columns and an optional ``where`` filter. Rows outside a domain stay in
the design (as in R's ``svyby``/``subset``); they only get code ``-1``.

Examples
--------
>>> import pandas as pd
>>> from analysis.design.survey import SurveyDesign
>>> df = pd.DataFrame({"s": [1, 1, 2, 2], "w": [1.0, 1.0, 2.0, 2.0],
...                    "sex": ["f", "m", "m", "f"]})
>>> d = domains(SurveyDesign(df, weights="w", strata="s"), by="sex")
>>> d.codes.tolist(), d.table["sex"].tolist()
([0, 1, 1, 0], ['f', 'm'])
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EstimationError
from .rowpass import bincount, first_rows
from .stages import _arrow_strings, factorize, readonly
from .survey import SurveyDesign

__all__ = [
    "RESERVED_COLUMNS",
    "DomainRows",
    "Domains",
    "column_codes",
    "domain_rows",
    "domains",
]

#: Output columns of the estimators; ``by`` columns may not use these names.
RESERVED_COLUMNS = (
    "variable",
    "level",
    "quantile",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "deff",
    "n",
)


@dataclass(frozen=True)
class Domains:
    """Domain codes of the rows and the ``by`` values of each domain.

    Attributes
    ----------
    codes : numpy.ndarray
        ``(n,)`` domain code of each row, ``-1`` for rows in no domain.
    table : pandas.DataFrame
        One row per domain (in sorted ``by`` order) with the ``by`` columns.
    by : tuple of str
        The ``by`` columns.
    memo : dict
        Per-domain quantities shared by the estimators (weighted sizes, df, n).
    """

    codes: np.ndarray
    table: pd.DataFrame
    by: tuple[str, ...]
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_domains(self) -> int:
        """Number of domains."""
        return len(self.table)


def _column_error(design: SurveyDesign, name: Any, role: str) -> EstimationError:
    cols = [str(c) for c in design.data.columns]
    close = difflib.get_close_matches(str(name), cols, n=3)
    return EstimationError(
        "EST001",
        f"{role} {name!r} is not a column of the design's data",
        column=str(name),
        expected="a column of design.data",
        found=f"columns {cols[:12]}" + (" ..." if len(cols) > 12 else ""),
        hint=(f"Did you mean {', '.join(repr(c) for c in close)}?" if close else "Check the name.")
        + " Column names are case-sensitive.",
    )


def column_names(design: SurveyDesign, names: Any, role: str) -> list[str]:
    """Normalise a column name or list of names and check they exist."""
    if names is None:
        return []
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, Sequence) or not names:
        raise EstimationError(
            "EST001",
            f"{role} must be a column name or a non-empty list of column names",
            expected="str or list of str",
            found=repr(names),
            hint=f"Pass {role}='column' or {role}=['a', 'b'].",
        )
    out = []
    for name in names:
        if name not in design.data.columns:
            raise _column_error(design, name, role)
        out.append(name)
    return out


def _where_mask(design: SurveyDesign, where: Any) -> np.ndarray | None:
    if where is None:
        return None
    if isinstance(where, str):
        if where not in design.data.columns:
            raise _column_error(design, where, "where")
        values = design.data[where]
        label = f"column {where!r}"
    else:
        values = where
        label = "the where mask"
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if arr.shape != (design.n_rows,):
        raise EstimationError(
            "EST012",
            f"{label} does not have one value per row",
            expected=f"{design.n_rows} True/False values",
            found=f"shape {arr.shape}",
            hint="Build the mask from design.data, e.g. where=design.data['age'] >= 60.",
        )
    if arr.dtype != bool:
        missing = pd.isna(arr)
        if missing.any():
            raise EstimationError(
                "EST012",
                f"{label} has {int(missing.sum())} missing value(s)",
                column=where if isinstance(where, str) else None,
                expected="True or False for every row",
                found="missing values",
                hint="Decide whether those rows belong to the subpopulation, e.g. "
                "mask.fillna(False).",
            )
        uniq = set(pd.unique(arr).tolist())
        if not uniq <= {0, 1}:
            raise EstimationError(
                "EST012",
                f"{label} is not True/False",
                column=where if isinstance(where, str) else None,
                expected="True/False (or 1/0)",
                found=f"values such as {sorted(map(str, uniq))[:3]}",
                hint="Pass a boolean condition, e.g. where=design.data['county'] == '临夏县'.",
            )
        arr = arr.astype(bool)
    return arr


def column_codes(design: SurveyDesign, name: Any) -> tuple[np.ndarray, pd.Index]:
    """Integer code of each row (``-1`` missing) and the labels of a column, coded once.

    The codes follow the sorted labels; a pandas Categorical keeps its categories (and
    their order, unobserved ones too). They are cached on the (immutable) design, so
    a column used as a ``by`` domain, a proportion's levels and a crosstab is coded
    once per design. The codes are read-only.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.design.survey import SurveyDesign
    >>> d = SurveyDesign(pd.DataFrame({"w": [1.0, 2, 1], "tv": ["yes", None, "no"]}),
    ...                  weights="w")
    >>> codes, labels = column_codes(d, "tv")
    >>> codes.tolist(), labels.tolist()
    ([1, -1, 0], ['no', 'yes'])
    >>> column_codes(d, "tv")[0] is codes
    True
    """
    return design._cached(("codes", name), lambda: _column_codes(design.data[name]))


def _column_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy().astype(np.intp)
        labels = values.cat.categories
    else:
        codes, labels = factorize(values, sort=True)
    return readonly(codes), labels


def _arrow_backed(values: pd.Series) -> bool:
    """Text kept in pyarrow (pandas' default ``str``): gathering a few rows from it is slow."""
    return _arrow_strings(values) is not None


def _compact_sorted(key: np.ndarray, size: int) -> tuple[np.ndarray, int]:
    """Codes 0..m-1 in increasing key order; ``key`` has no negative values."""
    if size <= max(1 << 22, 4 * key.size):
        seen = bincount(key, minlength=size) > 0
        mapping = (np.cumsum(seen) - 1).astype(np.intp)
        return mapping[key], int(seen.sum())
    codes, uniques = pd.factorize(key, sort=True)
    return codes.astype(np.intp, copy=False), len(uniques)


def domains(design: SurveyDesign, by: Any = None, where: Any = None) -> Domains:
    """Code the domains of ``by`` (and ``where``) on a design.

    Parameters
    ----------
    design : SurveyDesign
    by : str or list of str, optional
        Domain columns. Their missing values are an error (``EST004``).
    where : str or array_like of bool, optional
        A boolean column or mask restricting the analysis to a subpopulation.

    Returns
    -------
    Domains
        Cached on the design for repeated ``by`` columns (without an array ``where``).
    """
    by_cols = column_names(design, by, "by")
    for b in by_cols:
        if b in RESERVED_COLUMNS:
            raise EstimationError(
                "EST013",
                f"by column {b!r} has the name of an output column",
                column=b,
                expected=f"a name other than {', '.join(RESERVED_COLUMNS)}",
                found=repr(b),
                hint="Rename the column, e.g. design.data.rename(columns={...}), and rebuild "
                "the design.",
            )
    if len(set(by_cols)) != len(by_cols):
        raise EstimationError(
            "EST013",
            "a by column is listed twice",
            expected="distinct by columns",
            found=by_cols,
            hint="List each domain column once.",
        )
    cache_key = ("domains", tuple(by_cols), where if isinstance(where, str) else None)
    if where is None or isinstance(where, str):
        return design._cached(cache_key, lambda: _build(design, by_cols, where))
    return _build(design, by_cols, where)


def _build(design: SurveyDesign, by_cols: list[str], where: Any) -> Domains:
    n = design.n_rows
    mask = _where_mask(design, where)
    if design.is_calibrated:
        nonzero = design.weights != 0
        mask = nonzero if mask is None else (mask & nonzero)
    if mask is not None and not mask.any():
        raise EstimationError(
            "EST005",
            "the domain is empty: no row is selected",
            column=where if isinstance(where, str) else None,
            expected="at least one row in the subpopulation",
            found="0 rows",
            hint="Check the where= condition (values and spelling, e.g. '临夏县' vs '临夏').",
        )
    if not by_cols:
        # one domain: a zero-cost read-only array of zeros when it holds every row
        codes = np.broadcast_to(np.intp(0), (n,)) if mask is None else np.where(mask, 0, -1)
        return Domains(codes.astype(np.intp, copy=False), pd.DataFrame(index=range(1)), ())
    key = None
    size = 1
    for b in by_cols:
        c, labels = column_codes(design, b)
        m = len(labels)
        missing = c < 0
        if mask is not None:
            missing = missing & mask
        if missing.any():
            idx = np.flatnonzero(missing)
            raise EstimationError(
                "EST004",
                f"domain column {b!r} has {int(missing.sum())} missing value(s)",
                column=b,
                record=", ".join(str(design.data.index[i]) for i in idx[:5])
                + (" ..." if idx.size > 5 else ""),
                expected="a domain value for every analysed row",
                found="missing values",
                hint="Recode the missing values to an explicit category (e.g. '未知/unknown'), "
                f"or leave those rows out with where=design.data[{b!r}].notna().",
            )
        if key is None:
            # without a mask nothing is missing here: the (read-only) codes are the key
            key, size = (c if mask is None else np.maximum(c, 0)), m
        else:
            key, size = _compact_sorted(key * m + np.maximum(c, 0), size * m)
    if mask is None:
        if len(by_cols) == 1 and bincount(key, minlength=size).all():
            codes, g = key, size  # factorize gave sorted, observed codes
            if _arrow_backed(design.data[by_cols[0]]):
                # the labels are the column's sorted labels: no gather from the text rows
                table = pd.DataFrame({by_cols[0]: labels})
                return Domains(codes, table, tuple(by_cols))
        else:
            codes, g = _compact_sorted(key, size)
        first = first_rows(codes, g)
    else:
        compact, g = _compact_sorted(key[mask], size)
        codes = np.full(n, -1, dtype=np.intp)
        codes[mask] = compact
        first = np.empty(g, dtype=np.intp)
        first[compact] = np.flatnonzero(mask)
    table = design.data[by_cols].iloc[first].reset_index(drop=True)
    return Domains(codes, table, tuple(by_cols))


@dataclass(frozen=True)
class DomainRows:
    """The rows each domain uses for one variable, with the domains' sizes.

    Attributes
    ----------
    codes : numpy.ndarray
        ``(n,)`` domain code of each row, ``-1`` for rows left out (outside every
        domain, or missing the variable).
    n_domains : int
        Number of domains ``G``.
    slot : numpy.ndarray or None
        ``codes`` with left-out rows sent to slot ``G``; None when a single domain
        holds every row (sums and gathers then need no index).
    size : numpy.ndarray
        ``(G,)`` sum of the weights (estimated population size).
    n : numpy.ndarray
        ``(G,)`` rows with a non-zero weight.
    df : numpy.ndarray
        ``(G,)`` degrees of freedom (R's ``degf`` of the domain).
    """

    codes: np.ndarray
    n_domains: int
    slot: np.ndarray | None
    size: np.ndarray
    n: np.ndarray
    df: np.ndarray

    def sum(self, values: np.ndarray) -> np.ndarray:
        """``(G,)`` per-domain sums of per-row ``values`` (left-out rows ignored)."""
        if self.slot is None:
            return np.array([values.sum()])
        return bincount(self.slot, weights=values, minlength=self.n_domains + 1)[: self.n_domains]

    def dot(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``(G,)`` per-domain sums of ``a * b`` (one pass without a domain index).

        ``einsum`` rather than ``numpy.dot``: BLAS splits long dot products over threads,
        which on a busy machine waits for cores (and the sum depends on the thread count).
        """
        if self.slot is None:
            return np.array([np.einsum("i,i->", a, b)])
        return self.sum(a * b)

    def spread(self, per_domain: np.ndarray) -> np.ndarray | float:
        """Each row's value of a ``(G,)`` per-domain array (0 for left-out rows)."""
        if self.slot is None:
            return float(per_domain[0])
        return np.append(per_domain, 0.0)[self.slot]


def domain_rows(design: SurveyDesign, dom: Domains, codes: np.ndarray) -> DomainRows:
    """The :class:`DomainRows` of ``codes`` (shared by estimates while no row is dropped).

    Parameters
    ----------
    design : SurveyDesign
    dom : Domains
    codes : numpy.ndarray
        ``dom.codes`` or a copy with rows missing the variable set to ``-1``.
    """
    shared = codes is dom.codes
    if shared and "rows" in dom.memo:
        return dom.memo["rows"]
    g = dom.n_domains
    complete = codes.min() >= 0
    slot = None if g == 1 and complete else (codes if complete else np.where(codes >= 0, codes, g))
    w = design.weights
    size = np.array([w.sum()]) if slot is None else bincount(slot, weights=w, minlength=g + 1)[:g]
    n, df = design.domain_sizes(codes, g)
    rows = DomainRows(codes, g, slot, size, n, df)
    if shared:
        dom.memo["rows"] = rows
    return rows
