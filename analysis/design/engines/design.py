"""A survey design whose records stay where they are (parquet via DuckDB, or Dask).

:class:`EngineDesign` is the out-of-core twin of
:class:`~analysis.design.survey.SurveyDesign`. It never holds the records: it
holds a *source* (:mod:`~analysis.design.engines.sources`) and the design's
structure, which is small: one row per sampling unit, with its stratum and fpc.
That structure is checked by building an ordinary ``SurveyDesign`` on it, so the
strata, nesting, fpc and lonely-PSU rules (and their errors) are the same, and
its :attr:`~analysis.design.survey.SurveyDesign.stages` feed the one variance
engine, :func:`~analysis.design.variance.stage_variance`.

An estimate asks the source for the totals of a few per-row terms by (domain,
sampling unit): :meth:`EngineDesign.reduce`. The reply is the small table the
in-memory path computes with ``bincount``; from there the arithmetic is shared.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> from analysis import estimate as est
>>> df = pd.DataFrame({"county": ["A"] * 4 + ["B"] * 4,
...                    "village": [1, 1, 2, 2, 1, 1, 2, 2],
...                    "w": [10.0, 10, 12, 12, 8, 8, 9, 9],
...                    "income": [3.0, 4, 6, 5, 2, 3, 4, 8]})
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> df.to_parquet(folder / "wave.parquet")
>>> design = from_parquet(folder / "wave.parquet", weights="w", strata="county", psu="village")
>>> design
EngineDesign(duckdb, 8 rows, 2 strata, 4 PSUs, df=2, weights='w', lonely_psu='fail')
>>> est.mean(design, "income").round(4).loc[0, ["estimate", "se"]].tolist()
[4.4872, 0.9442]
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...errors import DesignError, EstimationError
from ..survey import SurveyDesign
from ..variance import UnitTotals, stage_variance
from .sources import COUNT, DaskSource, DuckDBSource, Filter
from .terms import Term, param_column

__all__ = ["ENGINES", "EngineDesign", "EngineDomains", "Reduced", "from_dask", "from_parquet"]

#: The engines a design can run its reductions on.
ENGINES = ("duckdb", "dask")


@dataclass(frozen=True)
class EngineDomains:
    """The domains of an estimate: the sorted ``by`` values and the ``where`` column.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per domain, sorted by the ``by`` columns (as the in-memory path sorts).
    by : tuple of str
    where : str or None
    """

    table: pd.DataFrame
    by: tuple[str, ...]
    where: str | None

    @property
    def n_domains(self) -> int:
        """Number of domains."""
        return len(self.table)


@dataclass(frozen=True)
class Reduced:
    """The reply of one reduction: totals per group, with the groups coded.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per group: the key columns, ``__n`` (rows) and one column per term.
    domain : numpy.ndarray
        ``(P,)`` domain code of each group.
    unit : numpy.ndarray or None
        ``(P,)`` code of each group's sampling unit (at the last variance stage).
    psu, stratum : numpy.ndarray or None
        ``(P,)`` first-stage PSU and stratum codes (for degrees of freedom).
    n_domains : int
    """

    frame: pd.DataFrame
    domain: np.ndarray
    unit: np.ndarray | None
    psu: np.ndarray | None
    stratum: np.ndarray | None
    n_domains: int

    def column(self, name: str) -> np.ndarray:
        """One term's totals as float64."""
        return self.frame[name].to_numpy(dtype=np.float64)

    @property
    def count(self) -> np.ndarray:
        """``(P,)`` rows in each group."""
        return self.frame[COUNT].to_numpy(dtype=np.int64)

    def by_domain(self, values: np.ndarray) -> np.ndarray:
        """``(G, ...)`` sums of per-group values by domain."""
        values = np.asarray(values, dtype=np.float64)
        out = np.zeros((self.n_domains, *values.shape[1:]))
        np.add.at(out, self.domain, values)
        return out


class EngineDesign:
    """A survey design over records that stay in an engine (DuckDB or Dask).

    Build it with :func:`from_parquet` (or ``SurveyDesign.from_parquet``) or
    :func:`from_dask`. The estimators of :mod:`analysis.estimate` (``mean``,
    ``total``, ``ratio``, ``proportion``, ``quantile``, ``chisq_test``) accept it
    in place of a :class:`~analysis.design.survey.SurveyDesign`.

    Parameters
    ----------
    source : DuckDBSource or DaskSource
    weights, strata, psu, fpc, nest, lonely_psu, adjust_domain_lonely
        As for :class:`~analysis.design.survey.SurveyDesign`; ``psu`` is required
        (a design where every record is its own PSU has no small table of PSU totals).

    Raises
    ------
    DesignError
        ``DES240``-``DES243`` for what only engine designs refuse, and the
        ``SurveyDesign`` codes (``DES002``-``DES018``) for the design itself.
    """

    def __init__(
        self,
        source: DuckDBSource | DaskSource,
        *,
        weights: str | None,
        strata: str | None = None,
        psu: str | Sequence[str] | None = None,
        fpc: str | Sequence[str] | None = None,
        nest: bool = True,
        lonely_psu: str = "fail",
        adjust_domain_lonely: bool = False,
    ) -> None:
        psu_cols = [psu] if isinstance(psu, str) else list(psu or [])
        fpc_cols = [fpc] if isinstance(fpc, str) else list(fpc or [])
        if not psu_cols:
            raise DesignError(
                "DES240",
                "a design over an engine needs its sampling units (psu)",
                expected="psu='village' (or a list of stage columns)",
                found="psu=None",
                hint="Without psu every record is its own PSU and the table of PSU totals is "
                "as large as the data; read the data with pandas and use SurveyDesign instead.",
            )
        if weights is None and fpc_cols:
            raise DesignError(
                "DES241",
                "a design over an engine needs a weights column when it has an fpc",
                expected="weights='w'",
                found="weights=None with fpc",
                hint="Compute the weights (analysis.sampling.design_weights) and store them "
                "as a column of the data.",
            )
        self.source = source
        self._weights_column = weights
        self._strata_column = strata
        self._psu_columns = tuple(psu_cols)
        self._fpc_columns = tuple(fpc_cols)
        self._nest = nest
        self._cache: dict = {}
        for name, role in (
            *((c, "weights") for c in ([weights] if weights else [])),
            *((c, "strata") for c in ([strata] if strata else [])),
            *((c, "psu") for c in psu_cols),
            *((c, "fpc") for c in fpc_cols),
        ):
            self._check_column(name, role, "DES002", DesignError)
        variance_stages = len(psu_cols) if fpc_cols else 1
        self._unit_keys = [*([strata] if strata else []), *psu_cols[:variance_stages]]
        struct_cols = [*([strata] if strata else []), *psu_cols[:variance_stages], *fpc_cols]
        struct_cols = list(dict.fromkeys(struct_cols))
        frame, problems = source.structure(struct_cols)
        self._n_rows = problems["n"]
        if weights is not None:
            self._check_weights(problems)
        frame = frame.sort_values(struct_cols, ignore_index=True, na_position="first")
        self._structure = SurveyDesign(
            frame,
            weights=None,
            strata=strata,
            psu=psu_cols[:variance_stages] if fpc_cols else psu_cols[:1],
            fpc=fpc_cols or None,
            nest=nest,
            lonely_psu=lonely_psu,
            adjust_domain_lonely=adjust_domain_lonely,
        )
        keys = frame[self._unit_keys].copy()
        keys["__unit"] = self._structure.unit_codes
        keys["__psu"] = self._structure.psu
        keys["__stratum"] = self._structure.strata
        self._unit_table = keys.drop_duplicates(self._unit_keys, ignore_index=True)

    # ------------------------------------------------------------------ checks
    def _check_column(self, name: Any, role: str, code: str, error: type) -> None:
        if name in self.source.columns:
            return
        close = difflib.get_close_matches(str(name), self.source.columns, n=3)
        raise error(
            code,
            f"{role} column {name!r} is not in the data",
            column=str(name),
            expected="a column of the data",
            found=f"columns {self.source.columns[:12]}",
            hint=(f"Did you mean {', '.join(map(repr, close))}?" if close else "Check the name.")
            + " Column names are case-sensitive.",
        )

    def _check_weights(self, w: dict[str, Any]) -> None:
        """Refuse missing, infinite, negative or zero weights."""
        for key, code, what, hint in (
            ("missing", "DES003", "have a missing weight", "Compute the weights of these rows."),
            ("inf", "DES006", "have an infinite weight", "Fix the selection probabilities."),
            ("negative", "DES005", "have a negative weight", "Check the weight computation."),
            ("zero", "DES004", "have a zero weight", "Drop rows that are not in the sample."),
        ):
            if w[key]:
                raise DesignError(
                    code,
                    f"{w[key]} row(s) {what}",
                    column=self._weights_column,
                    expected="a positive finite weight for every row",
                    found=f"{w[key]} row(s); minimum {w['minimum']}",
                    hint=hint,
                )

    def __repr__(self) -> str:
        return (
            f"EngineDesign({self.engine}, {self.n_rows} rows, {self.n_strata} strata, "
            f"{self.n_psu} PSUs, df={self.df}, weights={self._weights_column!r}, "
            f"lonely_psu={self.lonely_psu!r})"
        )

    # ------------------------------------------------------------------ attributes
    @property
    def engine(self) -> str:
        """``"duckdb"`` or ``"dask"``."""
        return self.source.name

    @property
    def n_rows(self) -> int:
        """Number of records."""
        return self._n_rows

    @property
    def n_psu(self) -> int:
        """Number of primary sampling units."""
        return self._structure.n_psu

    @property
    def n_strata(self) -> int:
        """Number of strata (1 without strata)."""
        return self._structure.n_strata

    @property
    def df(self) -> int:
        """Design degrees of freedom: PSUs minus strata."""
        return self._structure.df

    @property
    def structure(self) -> SurveyDesign:
        """The design over the sampling units (one row per unit), which holds the stages."""
        return self._structure

    @property
    def stages(self):
        """The sampling stages used for variance (as :attr:`SurveyDesign.stages`)."""
        return self._structure.stages

    @property
    def lonely_psu(self) -> str:
        """The lonely-PSU policy."""
        return self._structure.lonely_psu

    @property
    def adjust_domain_lonely(self) -> bool:
        """Whether domain-lonely PSUs get the lonely-PSU policy."""
        return self._structure.adjust_domain_lonely

    @property
    def columns(self) -> dict[str, Any]:
        """The columns that define the design (weights, strata, psu, fpc) and nest."""
        return {
            "weights": self._weights_column,
            "strata": self._strata_column,
            "psu": list(self._psu_columns),
            "fpc": list(self._fpc_columns),
            "nest": self._nest,
        }

    @property
    def data_columns(self) -> list[str]:
        """The names of the data's columns."""
        return list(self.source.columns)

    def column_type(self, name: str) -> str:
        """The engine's type name of a column (DuckDB SQL type or pandas dtype)."""
        return self.source.types[name]

    def is_numeric(self, name: str) -> bool:
        """True for number (not True/False, text or category) columns."""
        t = self.column_type(name).upper()
        bases = ("INT", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER")
        return (
            t.startswith(("DOUBLE", "FLOAT", "REAL", "DECIMAL", "INT", "UINT"))
            or t in bases
            or t.startswith(("FLOAT64", "INT64", "INT32"))
        )

    def is_boolean(self, name: str) -> bool:
        """True for True/False columns (means of them are shares)."""
        return self.column_type(name).upper() in ("BOOLEAN", "BOOL")

    # ------------------------------------------------------------------ domains
    def check_columns(self, names: Any, role: str) -> list[str]:
        """Normalise a column name or list of names and check they exist (``EST001``)."""
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
        for name in names:
            self._check_column(name, role, "EST001", EstimationError)
        return list(names)

    def domains(self, by: Any = None, where: Any = None) -> EngineDomains:
        """The domains of ``by`` within the rows where the ``where`` column is true."""
        by_cols = self.check_columns(by, "by")
        if where is not None and not isinstance(where, str):
            raise EstimationError(
                "EST540",
                "a design over an engine takes where= as the name of a True/False column",
                expected="where='column'",
                found=type(where).__name__,
                hint="Store the subpopulation as a True/False column of the data (e.g. "
                "in the parquet files, or with dask's assign), and pass its name.",
            )
        if where is not None:
            self._check_column(where, "where", "EST001", EstimationError)
        key = ("domains", tuple(by_cols), where)
        if key in self._cache:
            return self._cache[key]
        filters = [Filter("where", where)] if where else []
        if by_cols:
            table = self.source.distinct(by_cols, filters)
            for b in by_cols:
                missing = table[b].isna()
                if missing.any():
                    raise EstimationError(
                        "EST004",
                        f"domain column {b!r} has missing values",
                        column=b,
                        expected="a domain value for every analysed row",
                        found="missing values",
                        hint="Recode the missing values to an explicit category "
                        "(e.g. '未知/unknown'), or leave those rows out with a where= column.",
                    )
            table = table.sort_values(by_cols, ignore_index=True)
        else:
            table = pd.DataFrame(index=range(1))
        if not len(table) or (where and not by_cols and not self.source.count(filters)):
            raise EstimationError(
                "EST005",
                "the domain is empty: no row is selected",
                column=where,
                expected="at least one row in the subpopulation",
                found="0 rows",
                hint="Check the where= column.",
            )
        dom = EngineDomains(table, tuple(by_cols), where)
        self._cache[key] = dom
        return dom

    # ------------------------------------------------------------------ the reduction
    def reduce(
        self,
        dom: EngineDomains,
        terms: dict[str, Term],
        *,
        present: Sequence[str] = (),
        keys: Sequence[str] = (),
        params: dict[str, np.ndarray] | None = None,
        units: bool = True,
        key_terms: dict[str, Term] | None = None,
    ) -> Reduced:
        """Totals of ``terms`` per (domain, sampling unit[, keys]) over the domain's rows.

        Parameters
        ----------
        dom : EngineDomains
        terms : dict of str to Term
            Per-row values to total; ``param(name)`` refers to ``params[name]``.
        present : list of str
            Columns that must have a value (the variables: R's ``na.rm=TRUE``).
        keys : list of str
            Extra grouping columns (e.g. the levels of a categorical variable).
        params : dict of str to numpy.ndarray, optional
            ``(G,)`` per-domain constants.
        units : bool
            Group by sampling unit (False: by domain and ``keys`` only).
        key_terms : dict of str to Term, optional
            Extra grouping values computed per row (e.g. the bin of a value).
        """
        by = list(dom.by)
        group = [*by, *(self._unit_keys if units else []), *keys]
        group = list(dict.fromkeys(group))
        filters = [Filter("present", c) for c in present]
        if dom.where:
            filters.append(Filter("where", dom.where))
        key = (
            "reduce",
            dom.by,
            units,
            tuple(group),
            tuple((name, t.sql()) for name, t in terms.items()),
            tuple((name, t.sql()) for name, t in (key_terms or {}).items()),
            tuple(filters),
            tuple(
                (k, np.asarray(v, dtype=np.float64).tobytes()) for k, v in (params or {}).items()
            ),
        )
        if key in self._cache:  # e.g. total() after mean() of the same variable
            return self._cache[key]
        if len(self._cache) > 64:
            self._cache.clear()
        table = None
        if params:
            table = dom.table.copy()
            for name, values in params.items():
                table[param_column(name)] = np.asarray(values, dtype=np.float64)
        frame = self.source.aggregate(group, terms, filters, table, by, key_terms)
        if by:
            codes = dom.table.assign(__dom=np.arange(dom.n_domains))
            frame = frame.merge(codes, on=by, how="left")
            if frame["__dom"].isna().any():  # a domain outside the where rows: cannot happen
                frame = frame[frame["__dom"].notna()]
            domain = frame["__dom"].to_numpy(dtype=np.intp)
        else:
            domain = np.zeros(len(frame), dtype=np.intp)
        unit = psu = stratum = None
        if units:
            frame = frame.merge(self._unit_table, on=self._unit_keys, how="left")
            unit = frame["__unit"].to_numpy(dtype=np.intp)
            psu = frame["__psu"].to_numpy(dtype=np.intp)
            stratum = frame["__stratum"].to_numpy(dtype=np.intp)
        reduced = Reduced(frame, domain, unit, psu, stratum, dom.n_domains)
        self._cache[key] = reduced
        return reduced

    def variance(
        self, domain: np.ndarray, unit: np.ndarray, totals: np.ndarray, n_domains: int
    ) -> np.ndarray:
        """``(G, K, K)`` covariances of the domain totals from per-(domain, unit) totals.

        The same :func:`~analysis.design.variance.stage_variance` as the in-memory design.
        """
        totals = np.asarray(totals, dtype=np.float64)
        if totals.ndim == 1:
            totals = totals[:, None]
        return stage_variance(
            self.stages,
            UnitTotals(np.asarray(domain), np.asarray(unit), totals, n_domains),
            lonely_psu=self.lonely_psu,
            adjust_domain_lonely=self.adjust_domain_lonely,
        )

    def domain_sizes(self, reduced: Reduced) -> tuple[np.ndarray, np.ndarray]:
        """Rows and degrees of freedom (PSUs minus strata present) of each domain."""
        g = reduced.n_domains
        n = np.bincount(reduced.domain, weights=reduced.count, minlength=g).astype(np.int64)
        psus = np.unique(reduced.domain * self.n_psu + reduced.psu)
        strata = np.unique(reduced.domain * self.n_strata + reduced.stratum)
        df = np.bincount(psus // self.n_psu, minlength=g) - np.bincount(
            strata // self.n_strata, minlength=g
        )
        return n, df.astype(np.int64)


def from_parquet(
    path: Any,
    *,
    weights: str | None,
    strata: str | None = None,
    psu: str | Sequence[str] | None = None,
    fpc: str | Sequence[str] | None = None,
    nest: bool = True,
    lonely_psu: str = "fail",
    adjust_domain_lonely: bool = False,
    engine: str = "duckdb",
    threads: int | None = None,
    memory_limit: str | None = None,
    scheduler: Any = None,
    persist: bool = False,
) -> EngineDesign:
    """A design over parquet files that are read by an engine, never loaded whole.

    Parameters
    ----------
    path : str, Path or list
        A parquet file, a folder of parquet files (a dataset) or a list of files.
    weights, strata, psu, fpc, nest, lonely_psu, adjust_domain_lonely
        As for :class:`~analysis.design.survey.SurveyDesign`.
    engine : {"duckdb", "dask"}
        ``"duckdb"`` (embedded, out of core) or ``"dask"`` (``dask.dataframe``).
    threads, memory_limit
        DuckDB's worker threads and memory limit (e.g. ``"3GB"``).
    scheduler : str or distributed.Client, optional
        Dask only: a scheduler address (``"tcp://host:8786"``) or a client. Default:
        the current client, or Dask's local scheduler.
    persist : bool
        Dask only: keep the records in the cluster's memory between estimates (each
        estimate then reduces without reading the files again).

    Returns
    -------
    EngineDesign
    """
    if engine not in ENGINES:
        raise DesignError(
            "DES242",
            f"unknown engine {engine!r}",
            expected=" / ".join(ENGINES),
            found=repr(engine),
            hint="Use engine='duckdb' (one machine, larger than memory) or 'dask' (a cluster).",
        )
    options = dict(
        weights=weights,
        strata=strata,
        psu=psu,
        fpc=fpc,
        nest=nest,
        lonely_psu=lonely_psu,
        adjust_domain_lonely=adjust_domain_lonely,
    )
    if engine == "duckdb":
        _require("duckdb")
        return EngineDesign(
            DuckDBSource(path, weights, threads=threads, memory_limit=memory_limit), **options
        )
    dd = _require("dask.dataframe")
    from .sources import _parquet_files

    frame = dd.read_parquet(_parquet_files(path))
    return from_dask(frame, scheduler=scheduler, persist=persist, **options)


def from_dask(
    frame: Any,
    *,
    weights: str | None,
    strata: str | None = None,
    psu: str | Sequence[str] | None = None,
    fpc: str | Sequence[str] | None = None,
    nest: bool = True,
    lonely_psu: str = "fail",
    adjust_domain_lonely: bool = False,
    scheduler: Any = None,
    persist: bool = False,
) -> EngineDesign:
    """A design over a Dask DataFrame (each partition reduced where it lives).

    Parameters
    ----------
    frame : dask.dataframe.DataFrame
    scheduler : str or distributed.Client, optional
        A scheduler address or a client (default: the current one).
    persist : bool
        Keep the frame in the cluster's memory between estimates.
    weights, strata, psu, fpc, nest, lonely_psu, adjust_domain_lonely
        As for :class:`~analysis.design.survey.SurveyDesign`.
    """
    client = scheduler
    if isinstance(scheduler, str):
        distributed = _require("distributed")
        client = distributed.Client(scheduler, set_as_default=False)
    if persist:
        frame = client.persist(frame) if client is not None else frame.persist()
    return EngineDesign(
        DaskSource(frame, weights, client=client),
        weights=weights,
        strata=strata,
        psu=psu,
        fpc=fpc,
        nest=nest,
        lonely_psu=lonely_psu,
        adjust_domain_lonely=adjust_domain_lonely,
    )


def _require(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DesignError(
            "DES243",
            f"the engine needs the Python package {module.split('.')[0]!r}",
            expected=f"{module.split('.')[0]} installed",
            found=str(exc),
            hint="Install the scale extra: pip install 'baicun[scale]'.",
        ) from exc
