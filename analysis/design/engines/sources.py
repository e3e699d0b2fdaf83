"""Where the records live: a DuckDB relation over parquet, or a Dask DataFrame.

A source answers three questions about its records, and only returns small tables:

* :meth:`count`: how many rows (optionally where a condition holds);
* :meth:`distinct`: the distinct combinations of a few columns (strata and PSUs,
  domains, levels);
* :meth:`aggregate`: the totals of per-row :class:`~analysis.design.engines.terms.Term`
  values grouped by key columns, after joining per-domain constants. This is the
  one pass over the records every estimate makes; everything else happens on its
  result, in pandas and numpy, with the same code as the in-memory design.

Rows are filtered with :class:`Filter` conditions: a True/False ``where`` column,
or "this column has a value" (missing and NaN both count as missing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .terms import WEIGHT, Term, ident

__all__ = ["DaskSource", "DuckDBSource", "Filter"]

COUNT = "__n"


@dataclass(frozen=True)
class Filter:
    """A row condition: ``kind`` ``"where"`` (column is true) or ``"present"`` (has a value)."""

    kind: str
    column: str


def _parquet_files(path: Any) -> list[str]:
    """The parquet files of a path, a directory (every ``*.parquet`` below it) or a list."""
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    files: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(str(f) for f in sorted(p.rglob("*.parquet")))
        else:
            files.append(str(p))
    return files


class DuckDBSource:
    """Records in parquet files, aggregated by an embedded DuckDB (out of core).

    Parameters
    ----------
    path : str, Path or list
        A parquet file, a directory of parquet files (a dataset), or a list of files.
    weights : str or None
        The weight column (``None``: every weight is 1).
    threads : int, optional
        DuckDB worker threads (default: DuckDB's, one per core).
    memory_limit : str, optional
        DuckDB's memory limit, e.g. ``"3GB"``; larger intermediate results spill to disk.
    """

    name = "duckdb"

    def __init__(
        self,
        path: Any,
        weights: str | None,
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
    ) -> None:
        import duckdb

        self.files = _parquet_files(path)
        self.con = duckdb.connect()
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        files = ", ".join("'" + f.replace("'", "''") + "'" for f in self.files)
        self._scan = f"read_parquet([{files}], union_by_name = true)"
        described = self.con.execute(f"DESCRIBE SELECT * FROM {self._scan}").fetchall()
        self.types = {row[0]: str(row[1]) for row in described}
        self.columns = list(self.types)
        self._weight = f"CAST({ident(weights)} AS DOUBLE)" if weights else "CAST(1 AS DOUBLE)"

    def _filters(self, filters: Sequence[Filter]) -> str:
        conds = []
        for f in filters:
            c = ident(f.column)
            if f.kind == "where":
                conds.append(f"coalesce(CAST({c} AS BOOLEAN), false)")
            else:
                conds.append(f"{c} IS NOT NULL")
                if self.types.get(f.column, "").upper() in ("DOUBLE", "FLOAT", "REAL"):
                    conds.append(f"NOT isnan({c})")
        return (" WHERE " + " AND ".join(conds)) if conds else ""

    def count(self, filters: Sequence[Filter] = ()) -> int:
        """Number of rows meeting every filter."""
        q = f"SELECT count(*) FROM {self._scan}{self._filters(filters)}"
        return int(self.con.execute(q).fetchone()[0])

    def weight_problems(self) -> dict[str, Any]:
        """Counts of missing, infinite, negative and zero weights, and the minimum."""
        w = self._weight
        q = (
            f"SELECT count(*) FILTER (WHERE {w} IS NULL OR isnan({w})), "
            f"count(*) FILTER (WHERE isinf({w})), count(*) FILTER (WHERE {w} < 0), "
            f"count(*) FILTER (WHERE {w} = 0), min({w}), count(*) FROM {self._scan}"
        )
        missing, inf, neg, zero, low, n = self.con.execute(q).fetchone()
        return dict(missing=missing, inf=inf, negative=neg, zero=zero, minimum=low, n=n)

    def structure(self, columns: Sequence[str]) -> tuple[pd.DataFrame, dict[str, Any]]:
        """The distinct combinations of ``columns`` and :meth:`weight_problems`, in one pass."""
        w = self._weight
        cols = ", ".join(ident(c) for c in columns)
        q = (
            f"SELECT {cols}, count(*) FILTER (WHERE {w} IS NULL OR isnan({w})) AS missing, "
            f"count(*) FILTER (WHERE isinf({w})) AS inf, count(*) FILTER (WHERE {w} < 0) "
            f"AS negative, count(*) FILTER (WHERE {w} = 0) AS zero, min({w}) AS minimum, "
            f"count(*) AS n FROM {self._scan} GROUP BY ALL"
        )
        frame = self.con.execute(q).df()
        stats = frame.iloc[:, len(columns) :]
        problems = {k: int(stats[k].sum()) for k in ("missing", "inf", "negative", "zero", "n")}
        problems["minimum"] = float(stats["minimum"].min()) if len(stats) else float("nan")
        frame = frame.iloc[:, : len(columns)]
        frame.columns = list(columns)
        return frame, problems

    def distinct(self, columns: Sequence[str], filters: Sequence[Filter] = ()) -> pd.DataFrame:
        """The distinct combinations of ``columns`` (unsorted)."""
        cols = ", ".join(ident(c) for c in columns)
        return self.con.execute(
            f"SELECT DISTINCT {cols} FROM {self._scan}{self._filters(filters)}"
        ).df()

    def aggregate(
        self,
        keys: Sequence[str],
        terms: dict[str, Term],
        filters: Sequence[Filter],
        params: pd.DataFrame | None = None,
        param_keys: Sequence[str] = (),
        key_terms: dict[str, Term] | None = None,
    ) -> pd.DataFrame:
        """Totals of ``terms`` (and the row count ``__n``) by ``keys`` and ``key_terms``."""
        src = f"(SELECT *, {self._weight} AS {ident(WEIGHT)} FROM {self._scan}{self._filters(filters)}) AS r"
        if params is not None:
            self.con.register("__params", params)
            if param_keys:
                using = ", ".join(ident(k) for k in param_keys)
                src += f" JOIN __params USING ({using})"
            else:
                src += " CROSS JOIN __params"
        sums = [f"{t.aggregate}({t.sql()}) AS {ident(name)}" for name, t in terms.items()]
        key_terms = key_terms or {}
        select = [f"r.{ident(k)}" for k in keys]
        select += [f"{t.sql()} AS {ident(name)}" for name, t in key_terms.items()]
        select += [f"count(*) AS {ident(COUNT)}", *sums]
        group = " GROUP BY ALL" if keys or key_terms else ""
        q = f"SELECT {', '.join(select)} FROM {src}{group}"
        try:
            out = self.con.execute(q).df()
        finally:
            if params is not None:
                self.con.unregister("__params")
        out.columns = [*keys, *key_terms, COUNT, *terms]
        return out


class DaskSource:
    """Records in a Dask DataFrame; each partition is reduced in pandas, then combined.

    Parameters
    ----------
    frame : dask.dataframe.DataFrame
    weights : str or None
    client : distributed.Client, optional
        Where to compute (default: the current client or Dask's default scheduler).
    """

    name = "dask"

    def __init__(self, frame: Any, weights: str | None, *, client: Any = None) -> None:
        self.frame = frame
        self.client = client
        self.weights = weights
        self.columns = [str(c) for c in frame.columns]
        self.types = {str(c): str(t) for c, t in frame.dtypes.items()}

    def _compute(self, collection: Any) -> Any:
        if self.client is not None:
            return self.client.compute(collection).result()
        return collection.compute()

    def _columns(self, names: Sequence[str]) -> Any:
        """The frame with only these columns (Dask then reads only them)."""
        return self.frame[list(dict.fromkeys(names))]

    def count(self, filters: Sequence[Filter] = ()) -> int:
        """Number of rows meeting every filter."""
        frame = self._columns([f.column for f in filters]) if filters else self.frame.iloc[:, :1]
        counts = frame.map_partitions(
            lambda df: pd.Series([int(_mask(df, filters).sum())]), meta=(None, "int64")
        )
        return int(self._compute(counts).sum())

    def structure(self, columns: Sequence[str]) -> tuple[pd.DataFrame, dict[str, Any]]:
        """The distinct combinations of ``columns`` and :meth:`weight_problems`."""
        return self.distinct(columns), self.weight_problems()

    def weight_problems(self) -> dict[str, Any]:
        """Counts of missing, infinite, negative and zero weights, and the minimum."""
        weights = self.weights

        def part(df: pd.DataFrame) -> pd.DataFrame:
            w = _weights(df, weights)
            low = np.nanmin(w) if np.isfinite(w).any() or np.isinf(w).any() else np.nan
            return pd.DataFrame(
                {
                    "missing": [int(np.isnan(w).sum())],
                    "inf": [int(np.isinf(w).sum())],
                    "negative": [int((w < 0).sum())],
                    "zero": [int((w == 0).sum())],
                    "minimum": [float(low) if w.size else np.nan],
                    "n": [len(df)],
                }
            )

        frame = self._columns([weights]) if weights else self.frame.iloc[:, :1]
        meta = part(frame._meta)
        parts = self._compute(frame.map_partitions(part, meta=meta))
        out = {k: int(parts[k].sum()) for k in ("missing", "inf", "negative", "zero", "n")}
        out["minimum"] = float(parts["minimum"].min())
        return out

    def distinct(self, columns: Sequence[str], filters: Sequence[Filter] = ()) -> pd.DataFrame:
        """The distinct combinations of ``columns`` (unsorted)."""
        cols = list(columns)

        def part(df: pd.DataFrame) -> pd.DataFrame:
            return df.loc[_mask(df, filters), cols].drop_duplicates()

        frame = self._columns([*cols, *(f.column for f in filters)])
        parts = self._compute(frame.map_partitions(part, meta=self.frame._meta[cols]))
        return parts.drop_duplicates().reset_index(drop=True)

    def aggregate(
        self,
        keys: Sequence[str],
        terms: dict[str, Term],
        filters: Sequence[Filter],
        params: pd.DataFrame | None = None,
        param_keys: Sequence[str] = (),
        key_terms: dict[str, Term] | None = None,
    ) -> pd.DataFrame:
        """Totals of ``terms`` (and the row count ``__n``) by ``keys`` and ``key_terms``."""
        keys = list(keys)
        weights = self.weights

        def part(df: pd.DataFrame) -> pd.DataFrame:
            return reduce_frame(df, keys, terms, filters, weights, params, param_keys, key_terms)

        needed = [*keys, *(f.column for f in filters), *([weights] if weights else [])]
        key_terms = key_terms or {}
        for t in (*terms.values(), *key_terms.values()):
            needed.extend(sorted(t.columns()))
        frame = self._columns(needed)
        meta = part(frame._meta)
        parts = self._compute(frame.map_partitions(part, meta=meta))
        how = {COUNT: "sum", **{name: _combine(t) for name, t in terms.items()}}
        group = [*keys, *key_terms]
        if not group:
            out = parts.agg(how).to_frame().T
            out[COUNT] = out[COUNT].astype(np.int64)
            return out
        return parts.groupby(group, sort=False, dropna=False).agg(how).reset_index()


def _combine(t: Term) -> Any:
    return math.fsum if t.aggregate == "fsum" else t.aggregate


def _weights(df: pd.DataFrame, weights: str | None) -> np.ndarray:
    if weights is None:
        return np.ones(len(df))
    return df[weights].to_numpy(dtype=np.float64, na_value=np.nan)


def _mask(df: pd.DataFrame, filters: Sequence[Filter]) -> np.ndarray:
    mask = np.ones(len(df), dtype=bool)
    for f in filters:
        values = df[f.column]
        if f.kind == "where":
            mask &= values.fillna(False).astype(bool).to_numpy()
        else:
            mask &= values.notna().to_numpy()
    return mask


def _group_codes(df: pd.DataFrame, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Group label of each row (0..g-1, in order of first appearance) and each group's
    first row, for the combination of ``keys`` (missing values are a group of their own)."""
    combined = np.zeros(len(df), dtype=np.int64)
    for k in keys:
        codes, uniques = pd.factorize(df[k], use_na_sentinel=False)
        combined = combined * (len(uniques) + 1) + codes
    labels, uniques = pd.factorize(combined)
    first = np.empty(len(uniques), dtype=np.intp)
    first[labels[::-1]] = np.arange(len(df) - 1, -1, -1)
    return labels, first


def reduce_frame(
    df: pd.DataFrame,
    keys: Sequence[str],
    terms: dict[str, Term],
    filters: Sequence[Filter],
    weights: str | None,
    params: pd.DataFrame | None = None,
    param_keys: Sequence[str] = (),
    key_terms: dict[str, Term] | None = None,
) -> pd.DataFrame:
    """One partition's totals of ``terms`` by ``keys`` (the per-partition work of Dask).

    Examples
    --------
    >>> from analysis.design.engines.terms import W, col
    >>> df = pd.DataFrame({"g": ["a", "b", "a"], "w": [1.0, 2.0, 3.0], "y": [1.0, 1.0, 2.0]})
    >>> reduce_frame(df, ["g"], {"wy": W * col("y")}, [], "w").values.tolist()
    [['a', 2, 7.0], ['b', 1, 2.0]]
    """
    mask = _mask(df, filters)
    if not mask.all():
        df = df.loc[mask]
    columns: dict[str, Any] = {WEIGHT: _weights(df, weights)}
    key_terms = key_terms or {}
    for t in (*terms.values(), *key_terms.values()):
        for name in t.columns():
            columns[name] = df[name]
    if params is not None:
        if param_keys:
            labels, first = _group_codes(df, param_keys)
            seen = pd.MultiIndex.from_frame(df[list(param_keys)].iloc[first].reset_index(drop=True))
            where = pd.MultiIndex.from_frame(params[list(param_keys)]).get_indexer(seen)
            row = np.where(where >= 0, where, len(params))[labels]
        else:
            row = np.zeros(len(df), dtype=np.intp)
        for name in params.columns:
            if name not in param_keys:
                values = params[name].to_numpy(dtype=np.float64)
                columns[name] = np.append(values, np.nan)[row]
    view = _Columns(columns)
    grouped = df[list(keys)].reset_index(drop=True)
    for name, t in key_terms.items():
        grouped[name] = np.broadcast_to(t.evaluate(view), (len(df),))
    if len(grouped.columns):
        labels, first = _group_codes(grouped, list(grouped.columns))
        g = len(first)
        out = grouped.iloc[first].reset_index(drop=True)
    else:
        labels, g = np.zeros(len(df), dtype=np.intp), 1
        out = pd.DataFrame(index=range(1))
    out[COUNT] = np.bincount(labels, minlength=g).astype(np.int64)
    for name, t in terms.items():
        values = np.broadcast_to(t.evaluate(view), (len(df),))
        if t.aggregate == "sum":
            out[name] = np.bincount(labels, weights=values, minlength=g)
        else:
            how = math.fsum if t.aggregate == "fsum" else t.aggregate
            by_group = pd.Series(values).groupby(labels).agg(how)
            out[name] = by_group.reindex(range(g)).to_numpy(dtype=np.float64)
    return out


class _Columns(dict):
    """Columns by name for :meth:`Term.evaluate` (pandas Series or numpy arrays)."""
