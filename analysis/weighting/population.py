"""Census tables and the sample cells they calibrate: reading, matching and checking.

A population table gives the number of population units in each category (or
combination of categories) of one or more weighting variables, e.g. households
per county and ethnicity from the census. It can be

* a mapping ``{"临夏县": 52000, "和政县": 41000}`` (tuples as keys for several variables);
* a :class:`pandas.Series` indexed by the categories (a MultiIndex for several variables);
* a :class:`pandas.DataFrame` with one column per weighting variable and one count
  column (named ``Freq`` as in R, or the only other column).

Categories are matched on their text, so a census table keyed ``"1"`` matches a
data column coded ``1`` (or ``1.0``).

Examples
--------
>>> import pandas as pd
>>> from analysis.design.survey import SurveyDesign
>>> df = pd.DataFrame({"county": ["A", "A", "B"], "w": [1.0, 1.0, 2.0]})
>>> d = SurveyDesign(df, weights="w")
>>> cells = sample_cells(d, ["county"], "post-stratification")
>>> cells.codes.tolist(), cells.labels
([0, 0, 1], [('A',), ('B',)])
>>> population_counts(cells, {"A": 10, "B": 30}, "post-stratification").tolist()
[10.0, 30.0]
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..design.survey import SurveyDesign
from ..errors import WeightingError

__all__ = [
    "SampleCells",
    "check_design",
    "column_list",
    "missing_in_population",
    "population_counts",
    "sample_cells",
]


def check_design(design: Any) -> SurveyDesign:
    """The design, or ``WGT014`` when something else was passed."""
    if not isinstance(design, SurveyDesign):
        raise WeightingError(
            "WGT014",
            "weighting functions take a SurveyDesign as their first argument",
            expected="analysis.SurveyDesign",
            found=type(design).__name__,
            hint="Build the design first: SurveyDesign(data, weights=..., strata=..., psu=...).",
        )
    return design


def column_list(design: SurveyDesign, names: Any, role: str) -> list[str]:
    """One column name or a list of names, each checked against the design's data."""
    if isinstance(names, str):
        names = [names]
    if (
        not isinstance(names, Sequence)
        or not names
        or not all(isinstance(n, str) for n in names)
        or len(set(names)) != len(names)
    ):
        raise WeightingError(
            "WGT015",
            f"{role} must be a column name or a list of distinct column names",
            expected="str or list of str",
            found=repr(names),
            hint=f"Pass e.g. {role}='county' or {role}=['county', 'sex'].",
        )
    columns = [str(c) for c in design.data.columns]
    for name in names:
        if name not in design.data.columns:
            close = difflib.get_close_matches(name, columns, n=3)
            raise WeightingError(
                "WGT001",
                f"{role} column {name!r} is not in the design's data",
                column=name,
                expected="a column of design.data",
                found=f"columns {columns[:12]}" + (" ..." if len(columns) > 12 else ""),
                hint=(f"Did you mean {', '.join(map(repr, close))}? " if close else "")
                + "Column names are case-sensitive.",
            )
    return list(names)


def _canon(value: Any) -> str:
    """The text a category is matched on: ``1``, ``1.0`` and ``"1"`` all read ``"1"``."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        return str(int(v)) if v.is_integer() else repr(v)
    return str(value)


@dataclass(frozen=True)
class SampleCells:
    """The weighting cells of the sample.

    Attributes
    ----------
    variables : tuple of str
        The weighting variables.
    codes : numpy.ndarray
        ``(n,)`` cell code of each row.
    labels : list of tuple
        The cells' values, one tuple per code, sorted.
    """

    variables: tuple[str, ...]
    codes: np.ndarray
    labels: list[tuple]

    @property
    def n_cells(self) -> int:
        """Number of cells observed in the sample."""
        return len(self.labels)

    def describe(self, g: int) -> str:
        """``county='A', sex='f'`` for messages."""
        return ", ".join(f"{v}={x!r}" for v, x in zip(self.variables, self.labels[g]))


def sample_cells(design: SurveyDesign, variables: list[str], role: str) -> SampleCells:
    """Code the rows by the combination of ``variables`` (missing values are an error)."""
    data = design.data
    keys = []
    for name in variables:
        col = data[name]
        missing = col.isna().to_numpy()
        if missing.any():
            idx = np.flatnonzero(missing)
            raise WeightingError(
                "WGT002",
                f"{role} variable {name!r} has {idx.size} missing value(s)",
                column=name,
                record=", ".join(str(data.index[i]) for i in idx[:5])
                + (" ..." if idx.size > 5 else ""),
                expected="a category for every row",
                found="missing values",
                hint="Recode the missing values to a category the population table also has "
                "(e.g. '未知/unknown'), or impute them, before weighting.",
            )
        codes, uniques = pd.factorize(col, sort=True)
        keys.append((codes, list(uniques)))
    combined = np.zeros(len(data), dtype=np.int64)
    for codes, uniques in keys:
        combined = combined * len(uniques) + codes
    cell_keys, codes = np.unique(combined, return_inverse=True)
    labels = []
    for key in cell_keys:
        parts = []
        for _codes_v, uniques in reversed(keys):
            parts.append(uniques[int(key % len(uniques))])
            key //= len(uniques)
        labels.append(tuple(reversed(parts)))
    return SampleCells(tuple(variables), codes.astype(np.intp).ravel(), labels)


def _table_error(role: str, message: str, found: Any, hint: str) -> WeightingError:
    return WeightingError(
        "WGT003",
        f"the {role} population table {message}",
        expected="a mapping {category: count}, a Series indexed by category, or a DataFrame "
        "with the weighting variables and a count column (Freq)",
        found=found,
        hint=hint,
    )


def _population_items(variables: tuple[str, ...], population: Any, role: str) -> list:
    """``[(tuple of category values, count), ...]`` from any accepted table format."""
    k = len(variables)
    if isinstance(population, pd.DataFrame):
        missing = [v for v in variables if v not in population.columns]
        if missing:
            raise _table_error(
                role,
                f"has no column {missing[0]!r}",
                f"columns {list(map(str, population.columns))}",
                "Give the census table one column per weighting variable, named as in the "
                "data, plus a count column.",
            )
        others = [c for c in population.columns if c not in variables]
        count = others[0] if len(others) == 1 else ("Freq" if "Freq" in others else None)
        if count is None:
            raise _table_error(
                role,
                "has no single count column",
                f"extra columns {others}",
                "Name the count column 'Freq' or drop the other columns.",
            )
        keys = list(population[list(variables)].itertuples(index=False, name=None))
        return list(zip(keys, population[count].tolist()))
    if isinstance(population, pd.Series):
        items = list(population.items())
    elif isinstance(population, Mapping):
        items = list(population.items())
    else:
        raise _table_error(
            role,
            "is not a table",
            type(population).__name__,
            "Pass a dict such as {'临夏县': 52000, '和政县': 41000}, a pandas Series or a "
            "DataFrame with a Freq column.",
        )
    out = []
    for key, count in items:
        key_t = key if isinstance(key, tuple) else (key,)
        if len(key_t) != k:
            raise _table_error(
                role,
                f"has keys with {len(key_t)} value(s) for {k} variable(s) {list(variables)}",
                repr(key),
                "Use tuples such as ('临夏县', '女') as keys when weighting on several "
                "variables at once.",
            )
        out.append((key_t, count))
    return out


def population_counts(
    cells: SampleCells, population: Any, role: str, *, partial: bool = False
) -> np.ndarray:
    """The population count of every sample cell, with the checks R's ``postStratify`` makes.

    Parameters
    ----------
    cells : SampleCells
    population : mapping, Series or DataFrame
        The census table.
    role : str
        For messages (e.g. ``"post-stratification"`` or ``"raking margin 'county'"``).
    partial : bool
        Ignore population categories the sample does not have (R's ``partial=TRUE``);
        otherwise they are an error (``WGT005``).

    Returns
    -------
    numpy.ndarray
        ``(n_cells,)`` counts, NaN for sample cells the table does not list.
    """
    items = _population_items(cells.variables, population, role)
    index = {tuple(_canon(v) for v in lab): g for g, lab in enumerate(cells.labels)}
    counts = np.full(cells.n_cells, np.nan)
    extra = []
    for key, count in items:
        try:
            value = float(count)
        except (TypeError, ValueError):
            value = float("nan")
        if not np.isfinite(value) or value < 0:
            raise _table_error(
                role,
                f"has an invalid count for {key if len(key) > 1 else key[0]!r}",
                repr(count),
                "Counts must be non-negative numbers (population units, e.g. households).",
            )
        canon = tuple(_canon(v) for v in key)
        g = index.get(canon)
        if g is None:
            if value > 0:
                extra.append(key if len(key) > 1 else key[0])
            continue
        if not np.isnan(counts[g]):
            raise _table_error(
                role,
                f"lists {key if len(key) > 1 else key[0]!r} twice",
                "duplicate category",
                "Give each category (combination) once.",
            )
        counts[g] = value
    if extra and not partial:
        raise WeightingError(
            "WGT005",
            f"the {role} population table has {len(extra)} categor"
            f"{'y' if len(extra) == 1 else 'ies'} that no sampled unit has",
            column=", ".join(cells.variables),
            expected=f"categories of the sample: {[_label(cells, g) for g in range(cells.n_cells)][:10]}",
            found=f"population-only categories {extra[:10]}",
            hint="Check the spelling and coding of the categories (e.g. '临夏县' vs '临夏'); "
            "merge categories with no sampled unit into a neighbour, or pass partial=True to "
            "ignore them (the weights then do not add up to the population total).",
        )
    return counts


def _label(cells: SampleCells, g: int) -> Any:
    lab = cells.labels[g]
    return lab if len(lab) > 1 else lab[0]


def missing_in_population(cells: SampleCells, counts: np.ndarray, sample: np.ndarray, role: str):
    """``WGT004`` when a sample cell with weight has no (or zero) population count."""
    bad = np.flatnonzero((np.isnan(counts) | (counts == 0)) & (sample > 0))
    if bad.size:
        raise WeightingError(
            "WGT004",
            f"{bad.size} categor{'y' if bad.size == 1 else 'ies'} of the sample "
            f"{'is' if bad.size == 1 else 'are'} missing from the {role} population table",
            column=", ".join(cells.variables),
            expected="a positive population count for every category in the sample",
            found=f"no count for {[_label(cells, g) for g in bad[:10]]}",
            hint="Add these categories to the census table, or recode them in the data to a "
            "category the table has (check spelling and codes, e.g. 1 vs '男').",
        )
