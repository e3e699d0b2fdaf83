"""The survey design: weights, strata, sampling stages and finite population corrections.

A :class:`SurveyDesign` is built and checked once, and cannot change. It holds
the integer codes of the strata and sampling units, computed at construction,
so that every estimate on the design reuses them. Domain estimates keep the
whole design (as R's ``svyby`` and ``subset`` do): a domain is a set of rows,
never a filtered frame.

The design follows R's ``survey::svydesign`` for ``survey.design2`` objects:

* ``psu`` is one column (one-stage cluster sample) or a list of columns, one per
  stage (R's ``ids=~dnum+snum``); without ``psu`` every row is its own PSU.
* ``fpc`` gives, per stage, the population size (values > 1) or the sampling
  fraction (values <= 1). With an fpc at every stage the variance uses R's
  recursive multistage formula; without fpc only the first stage counts
  (ultimate cluster, with replacement).
* ``nest=True`` (the default here; R's default is ``FALSE``) relabels PSUs
  within strata, so village "1" of county A and village "1" of county B are two
  PSUs. With ``nest=False`` a PSU label found in two strata is an error.
* ``lonely_psu`` is R's ``options(survey.lonely.psu=)``: ``"fail"`` (default),
  ``"remove"``, ``"certainty"``, ``"adjust"``, ``"adjust_mean"`` or ``"average"``. In R,
  ``"remove"`` and ``"certainty"`` give the same numbers for these designs.
  ``"adjust"`` is R survey 4.1.1's rule (the lonely stratum's PSU total centred at
  zero) and stays the default meaning of ``"adjust"``; ``"adjust_mean"`` is the rule of
  R survey 4.4 and later (centred at the average PSU total across the design's
  strata), which gives smaller SEs for totals.
* ``adjust_domain_lonely`` is R's ``options(survey.adjust.domain.lonely=)``.
  With the default ``False``, a stratum that has several PSUs in the design but
  only one *in a domain* is not lonely: the absent PSUs count with zero totals.
  With ``True`` the lonely-PSU policy is applied to it ("adjust" centres it at
  zero, "average" drops it and scales up the other strata).

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"county": ["A", "A", "A", "B", "B", "B"],
...                    "village": [1, 1, 2, 1, 2, 2],
...                    "w": [10.0, 10.0, 12.0, 8.0, 9.0, 9.0],
...                    "y": [1.0, 2.0, 3.0, 4.0, 5.0, 7.0]})
>>> design = SurveyDesign(df, weights="w", strata="county", psu="village")
>>> design.n_psu, design.n_strata, design.df
(4, 2, 2)
>>> design
SurveyDesign(6 rows, 2 strata, 4 PSUs, 1 stage, df=2, weights='w', lonely_psu='fail')
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DesignError
from .rowpass import blocks, first_rows, keyed_counts
from .stages import (
    RowCodes,
    build_stages,
    check_lonely,
    fpc_values,
    labels_missing,
    nested_codes,
    read_weights,
    readonly,
    refuse_mixed_types,
    refuse_rows,
    rows_preview,
)
from .variance import SamplingStage, stage_variance, unit_totals

__all__ = ["DF_RULES", "LONELY_PSU_POLICIES", "SamplingStage", "SurveyDesign"]

#: R's ``survey.lonely.psu`` options.
LONELY_PSU_POLICIES = ("fail", "remove", "certainty", "adjust", "adjust_mean", "average")

#: Degrees-of-freedom rules of domain estimates (:meth:`SurveyDesign.with_df_rule`).
DF_RULES = ("domain", "design")

Residualiser = Callable[[np.ndarray], np.ndarray]


def _listify(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return list(value)
    raise DesignError(
        "DES019",
        f"{what} must be a column name or a list of column names",
        expected="str or list of str",
        found=repr(value),
        hint=f"Pass {what}='column' or {what}=['stage1_column', 'stage2_column'].",
    )


def _check_column(data: pd.DataFrame, name: str, role: str) -> None:
    if name not in data.columns:
        close = difflib.get_close_matches(name, [str(c) for c in data.columns], n=3)
        hint = (
            f"Did you mean {', '.join(repr(c) for c in close)}?"
            if close
            else ("Check the column names of the data (they are case-sensitive).")
        )
        raise DesignError(
            "DES002",
            f"{role} column {name!r} is not in the data",
            column=name,
            expected="a column of the data",
            found=f"columns {list(map(str, data.columns))[:12]}",
            hint=hint,
        )


class SurveyDesign:
    """A complex survey design, checked once and immutable.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per sampled unit of analysis (e.g. household).
    weights : str or None
        Column of sampling weights (inverse inclusion probabilities). ``None``
        derives them from ``fpc`` as R does (product over stages of N/n), or
        uses equal weights 1 without fpc.
    strata : str, optional
        Column of first-stage strata.
    psu : str or list of str, optional
        Column(s) of the sampling units, one per stage. Default: every row is a PSU.
    fpc : str or list of str, optional
        Column(s) of finite population corrections, one per stage: population
        sizes (all values >= 1) or sampling fractions (all values <= 1).
    nest : bool
        Relabel PSUs within strata (R's ``nest=TRUE``). Default True.
    lonely_psu : {"fail", "remove", "certainty", "adjust", "adjust_mean", "average"}
        What to do with strata that have a single PSU (R's ``survey.lonely.psu``).
        ``"adjust"`` follows R survey 4.1.1 (centre at zero), ``"adjust_mean"`` R survey
        >= 4.4 (centre at the average PSU total).
    adjust_domain_lonely : bool
        R's ``survey.adjust.domain.lonely``: also apply ``lonely_psu`` to strata
        with a single PSU inside a domain. Default False, as in R.

    Raises
    ------
    DesignError
        With a ``DES`` code for every problem found (see ``docs/errors/design.md``).

    Notes
    -----
    Internals other modules can rely on (all read-only):

    * :attr:`weights` ``(n,)`` float64; :attr:`psu` ``(n,)`` PSU code per row
      (0..n_psu-1); :attr:`strata` ``(n,)`` stratum code per row (0..n_strata-1).
    * :attr:`stages`: one :class:`~analysis.design.variance.SamplingStage` per stage used
      for variance (only stage 1 without fpc), with sampled/population counts.
    * :meth:`variance` returns the covariance of the totals of any per-row
      influence matrix (the engine of means, regression, calibration, chi-square).
    * :meth:`with_calibration` returns a design with new weights whose variance
      first residualises the influence values (post-stratification, raking, GREG).
    """

    __slots__ = (
        "_adjust_domain_lonely",
        "_cache",
        "_calibration",
        "_data",
        "_df_rule",
        "_fpc_columns",
        "_lonely_psu",
        "_nest",
        "_psu",
        "_psu_columns",
        "_psu_first_row",
        "_stages",
        "_strata_column",
        "_strata_labels",
        "_unit",
        "_weights",
        "_weights_column",
        "_zero_weights",
    )

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        weights: str | None,
        strata: str | None = None,
        psu: str | Sequence[str] | None = None,
        fpc: str | Sequence[str] | None = None,
        nest: bool = True,
        lonely_psu: str = "fail",
        adjust_domain_lonely: bool = False,
    ) -> None:
        set_ = object.__setattr__
        if not isinstance(data, pd.DataFrame):
            raise DesignError(
                "DES001",
                "the design needs a pandas DataFrame",
                expected="pandas.DataFrame",
                found=type(data).__name__,
                hint="Read the data into a DataFrame first (e.g. pandas.read_parquet).",
            )
        if len(data) == 0:
            raise DesignError(
                "DES001",
                "the data has no rows",
                expected="at least one row",
                found="0 rows",
                hint="Check that the wave's cleaned data was written before building the design.",
            )
        if lonely_psu not in LONELY_PSU_POLICIES:
            raise DesignError(
                "DES011",
                f"unknown lonely-PSU policy {lonely_psu!r}",
                expected=" / ".join(LONELY_PSU_POLICIES),
                found=repr(lonely_psu),
                hint="Use one of R survey's survey.lonely.psu options.",
            )
        if not isinstance(nest, bool) or not isinstance(adjust_domain_lonely, bool):
            raise DesignError(
                "DES019",
                "nest and adjust_domain_lonely must be True or False",
                expected="bool",
                found=f"nest={nest!r}, adjust_domain_lonely={adjust_domain_lonely!r}",
                hint="Pass nest=True or nest=False.",
            )
        if strata is not None and not isinstance(strata, str):
            raise DesignError(
                "DES019",
                "strata must be one column name",
                expected="str",
                found=repr(strata),
                hint="Combine several stratifying columns into one column first "
                "(e.g. province + urban/rural).",
            )
        if weights is not None and not isinstance(weights, str):
            raise DesignError(
                "DES019",
                "weights must be a column name or None",
                expected="str or None",
                found=repr(weights),
                hint="Add the weights to the data as a column and pass its name.",
            )
        psu_cols = _listify(psu, "psu")
        fpc_cols = _listify(fpc, "fpc")
        for col, role in (
            *((c, "weights") for c in ([weights] if weights else [])),
            *((c, "strata") for c in ([strata] if strata else [])),
            *((c, "psu") for c in psu_cols),
            *((c, "fpc") for c in fpc_cols),
        ):
            _check_column(data, col, role)
        n_stages = max(len(psu_cols), 1)
        if fpc_cols and len(fpc_cols) != n_stages:
            raise DesignError(
                "DES016",
                f"fpc has {len(fpc_cols)} column(s) but the design has {n_stages} sampling stage(s)",
                expected=f"{n_stages} fpc column(s), one per psu column",
                found=fpc_cols,
                hint="Give one fpc column per stage (psu=['village', 'hh'] needs "
                "fpc=['N_villages', 'N_households']), or no fpc at all.",
            )

        n = len(data)
        set_(self, "_data", data.copy(deep=False))
        set_(self, "_weights_column", weights)
        set_(self, "_strata_column", strata)
        set_(self, "_psu_columns", tuple(psu_cols))
        set_(self, "_fpc_columns", tuple(fpc_cols))
        set_(self, "_nest", nest)
        set_(self, "_lonely_psu", lonely_psu)
        set_(self, "_adjust_domain_lonely", adjust_domain_lonely)
        set_(self, "_calibration", ())
        set_(self, "_cache", {})
        set_(self, "_df_rule", "domain")

        # ---- strata
        if strata is not None:
            svals = data[strata]
            refuse_rows(
                data,
                labels_missing(svals),
                "DES007",
                "have no stratum",
                column=strata,
                expected="a stratum for every row",
                found="missing values",
                hint="Fill in the stratum (e.g. the county) of these rows, or drop them "
                "from the analysis data.",
            )
            refuse_mixed_types(svals, strata, "strata")
            strata_codes = RowCodes.of(svals, sort=True)
            slabels = strata_codes.labels
        else:
            strata_codes = None
            slabels = pd.Index(["(all)"])
        n_strata = len(slabels)
        set_(self, "_strata_labels", slabels)

        # ---- sampling units per stage, nested as R's svydesign nests them (block by
        # block: integer labels need no row-length array but the codes)
        unit_codes: list[np.ndarray] = []
        n_units: list[int] = []
        parent = strata_codes if nest else None
        for s in range(n_stages):
            if psu_cols:
                col = psu_cols[s]
                lvals = data[col]
                miss = labels_missing(lvals)
                if miss.any():
                    raise DesignError(
                        "DES008",
                        f"{int(miss.sum())} row(s) have no sampling unit at stage {s + 1}",
                        column=col,
                        record=rows_preview(data, miss),
                        expected="a unit label for every row",
                        found="missing values",
                        hint="Fill in the village/household identifier of these rows.",
                    )
                refuse_mixed_types(lvals, col, "PSU" if s == 0 else f"stage-{s + 1} unit")
                labels = RowCodes.of(lvals)
            else:
                labels = RowCodes.rows(n)
            if parent is None:  # the labels' codes are dense already
                codes, m = labels.full(), len(labels)
            else:
                codes, m = nested_codes(parent, labels)
            unit_codes.append(codes)
            n_units.append(m)
            parent = RowCodes(codes, 0, None, pd.RangeIndex(m))

        psu_codes = unit_codes[0]
        n_psu = n_units[0]
        psu_first = first_rows(psu_codes, n_psu)
        if strata_codes is None:
            scodes = None
            psu_stratum = np.zeros(n_psu, dtype=np.intp)
        else:
            # the strata of every row only where the fpc or a PSU check needs them
            scodes = strata_codes.full() if (fpc_cols or not nest) else None
            psu_stratum = strata_codes[psu_first]
        if strata_codes is not None and not nest:
            # every PSU must lie in one stratum
            bad = psu_stratum[psu_codes] != scodes
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                label = data[psu_cols[0]].iloc[row] if psu_cols else row
                other = slabels[psu_stratum[psu_codes[row]]]
                raise DesignError(
                    "DES009",
                    f"PSU {label!r} appears in more than one stratum "
                    f"({other!r} and {slabels[scodes[row]]!r}): PSUs are not nested in strata",
                    column=psu_cols[0] if psu_cols else None,
                    record=data.index[row],
                    expected="each PSU within a single stratum",
                    found=f"PSU {label!r} in strata {other!r} and {slabels[scodes[row]]!r}",
                    hint="If PSU labels restart in every stratum (village 1, 2, ... in each "
                    "county), use nest=True; otherwise correct the stratum of these rows.",
                )
        if scodes is None and fpc_cols:
            scodes = np.zeros(n, dtype=np.intp)
        set_(self, "_psu", readonly(psu_codes))
        set_(self, "_psu_first_row", psu_first)

        # ---- weights
        w = read_weights(data, weights, fpc_cols, unit_codes, scodes, n_units)
        set_(self, "_weights", readonly(w))
        set_(self, "_zero_weights", bool(w.min() == 0))  # no negative or missing weights

        # ---- stages used for variance
        if n_psu == 1 and strata is None:
            raise DesignError(
                "DES017",
                "the design has only one primary sampling unit",
                column=psu_cols[0] if psu_cols else None,
                expected="at least two PSUs (or strata with nest=True)",
                found="1 PSU",
                hint="A single PSU gives no variance estimate: check the psu column, or "
                "leave psu unset if every row was sampled independently.",
            )
        variance_stages = n_stages if fpc_cols else 1
        fpc_table = fpc_values(data, fpc_cols) if fpc_cols else None
        stages = build_stages(
            data,
            fpc_cols,
            fpc_table,
            unit_codes,
            n_units,
            (scodes, psu_stratum),
            n_strata,
            variance_stages,
        )
        set_(self, "_stages", stages)
        set_(self, "_unit", readonly(unit_codes[variance_stages - 1]))
        check_lonely(stages, data, psu_cols, unit_codes, slabels, strata, lonely_psu)

    @staticmethod
    def from_parquet(path: Any, *, weights: str | None, engine: str = "duckdb", **options: Any):
        """A design over parquet files too large for memory, on DuckDB or Dask.

        The records are never loaded: every estimate reduces them to (stratum, PSU,
        domain) totals in the engine (see :mod:`analysis.design.engines`). ``options``
        are those of :class:`SurveyDesign` (``strata``, ``psu``, ``fpc``, ...) and of
        :func:`analysis.design.engines.from_parquet` (``threads``, ``memory_limit``,
        ``scheduler``).

        Returns
        -------
        analysis.design.engines.EngineDesign
        """
        from .engines import from_parquet

        return from_parquet(path, weights=weights, engine=engine, **options)

    # ------------------------------------------------------------------ immutability
    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("SurveyDesign is immutable; build a new design instead")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("SurveyDesign is immutable")

    def __repr__(self) -> str:
        stages = len(self._psu_columns) or 1
        return (
            f"SurveyDesign({self.n_rows} rows, {self.n_strata} strata, {self.n_psu} PSUs, "
            f"{stages} stage{'s' if stages > 1 else ''}, df={self.df}, "
            f"weights={self._weights_column!r}, lonely_psu={self._lonely_psu!r}"
            + (", calibrated" if self._calibration else "")
            + ")"
        )

    # ------------------------------------------------------------------ public attributes
    @property
    def data(self) -> pd.DataFrame:
        """The design's data (a shallow copy; pandas copy-on-write keeps it unchanged)."""
        return self._data

    @property
    def n_rows(self) -> int:
        """Number of rows (sampled units of analysis)."""
        return len(self._weights)

    @property
    def weights(self) -> np.ndarray:
        """``(n,)`` sampling weights (read-only)."""
        return self._weights

    @property
    def strata(self) -> np.ndarray:
        """``(n,)`` first-stage stratum code of each row, ``0..n_strata-1`` (read-only)."""
        return readonly(self._stages[0].unit_group[self._psu])

    @property
    def strata_labels(self) -> pd.Index:
        """Stratum labels, indexed by stratum code."""
        return self._strata_labels

    @property
    def psu(self) -> np.ndarray:
        """``(n,)`` PSU code of each row, ``0..n_psu-1``, nested in strata (read-only)."""
        return self._psu

    @property
    def n_strata(self) -> int:
        """Number of first-stage strata (1 without strata)."""
        return len(self._strata_labels)

    @property
    def n_psu(self) -> int:
        """Number of primary sampling units."""
        return self._psu_first_row.size

    @property
    def df(self) -> int:
        """Design degrees of freedom: PSUs minus strata (R's ``degf``)."""
        return self.n_psu - self.n_strata

    @property
    def stages(self) -> tuple[SamplingStage, ...]:
        """The sampling stages used for variance (all with fpc, else stage 1 only)."""
        return self._stages

    @property
    def unit_codes(self) -> np.ndarray:
        """``(n,)`` code of each row's unit at the last stage in :attr:`stages`."""
        return self._unit

    @property
    def lonely_psu(self) -> str:
        """The lonely-PSU policy."""
        return self._lonely_psu

    @property
    def adjust_domain_lonely(self) -> bool:
        """Whether lonely PSUs arising only in domains get the lonely-PSU policy."""
        return self._adjust_domain_lonely

    @property
    def has_zero_weights(self) -> bool:
        """True when some rows of the sampled design have weight 0 (kept as R keeps them)."""
        return self._zero_weights

    @property
    def is_calibrated(self) -> bool:
        """True for designs returned by :meth:`with_calibration`."""
        return bool(self._calibration)

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

    # ------------------------------------------------------------------ the variance engine
    def variance(self, influence: Any, *, domain: Any = None) -> np.ndarray:
        """Covariance matrix of the estimated totals of per-row influence values.

        This is R's ``svyrecvar``: for an estimator linearised as
        :math:`\\hat\\theta - \\theta \\approx \\sum_i z_i`, pass the ``z_i`` (already
        multiplied by the weights) and get :math:`\\widehat{Var}`.

        Parameters
        ----------
        influence : array_like
            ``(n,)`` or ``(n, k)`` per-row values ``z``. Rows outside the domain must
            be zero.
        domain : array_like, optional
            Which rows form the estimation domain (R's ``subset``): ``None`` for
            the whole sample, a boolean mask ``(n,)``, or integer domain codes
            ``(n,)`` with ``-1`` for rows in no domain. For codes, ``influence``
            holds each row's value for its own domain.

        Returns
        -------
        numpy.ndarray
            ``(k, k)``, or ``(G, k, k)`` for integer domain codes.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> df = pd.DataFrame({"s": [1, 1, 2, 2], "w": [2.0, 2.0, 3.0, 3.0],
        ...                    "y": [1.0, 3.0, 2.0, 6.0]})
        >>> d = SurveyDesign(df, weights="w", strata="s")
        >>> float(d.variance(d.weights * df["y"].to_numpy())[0, 0])  # Var of the total
        160.0
        """
        z = np.asarray(influence, dtype=np.float64)
        squeeze = z.ndim == 1
        if squeeze:
            z = z[:, None]
        if z.ndim != 2 or z.shape[0] != self.n_rows:
            raise DesignError(
                "DES020",
                "influence values must have one row per design row",
                expected=f"shape ({self.n_rows},) or ({self.n_rows}, k)",
                found=f"shape {np.shape(influence)}",
                hint="Compute the influence values on design.data, in the same row order.",
            )
        many = False
        if domain is None:
            codes, n_domains = None, 1
        else:
            dom = np.asarray(domain)
            if dom.shape != (self.n_rows,):
                raise DesignError(
                    "DES020",
                    "the domain must have one value per design row",
                    expected=f"shape ({self.n_rows},)",
                    found=f"shape {dom.shape}",
                    hint="Pass a boolean mask or integer domain codes aligned with design.data.",
                )
            if dom.dtype == bool:
                codes = np.where(dom, 0, -1).astype(np.intp)
                n_domains = 1
            else:
                codes = dom.astype(np.intp, copy=False)
                n_domains = int(codes.max()) + 1 if codes.size and codes.max() >= 0 else 0
                many = True
        v = self._domain_variance(z, codes, n_domains)
        if not many:
            v = v[0] if v.shape[0] else np.zeros((z.shape[1], z.shape[1]))
        return v

    def _domain_variance(
        self, z: np.ndarray, codes: np.ndarray | None, n_domains: int
    ) -> np.ndarray:
        """``(G, k, k)`` covariances; ``z`` holds each row's value for its own domain."""
        k = z.shape[1]
        if not self._calibration:
            totals = unit_totals(self._unit, self._stages[-1].n_units, z, codes, n_domains)
            return stage_variance(
                self._stages,
                totals,
                lonely_psu=self._lonely_psu,
                adjust_domain_lonely=self._adjust_domain_lonely,
            )
        # Calibrated designs: each domain's influence is residualised on the whole sample,
        # and (as in R) subsets keep every row, so every unit is present in every domain.
        out = np.empty((n_domains, k, k))
        for g in range(n_domains):
            zg = z if codes is None else np.where((codes == g)[:, None], z, 0.0)
            for residualise in self._calibration:
                zg = np.asarray(residualise(zg), dtype=np.float64).reshape(zg.shape)
            totals = unit_totals(
                self._unit, self._stages[-1].n_units, zg, None, 1, all_units_present=True
            )
            out[g] = stage_variance(
                self._stages,
                totals,
                lonely_psu=self._lonely_psu,
                adjust_domain_lonely=self._adjust_domain_lonely,
            )[0]
        return out

    def domain_sizes(self, codes: np.ndarray, n_domains: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows with non-zero weight and degrees of freedom of each domain.

        ``df`` is R's ``degf`` of the subset design: PSUs minus strata among the
        rows of the domain with non-zero weight (rows of weight 0 keep their PSU in the
        variance, but not in ``degf``, as in R). A design made by
        :meth:`with_df_rule` ``("design")`` gives every domain the ``degf`` of all the rows
        in any domain, as srvyr and REACH's analysistools do.

        Parameters
        ----------
        codes : numpy.ndarray
            ``(n,)`` domain codes, ``-1`` outside every domain.
        n_domains : int
            Number of domains.

        Returns
        -------
        (n, df) : tuple of numpy.ndarray
            Two ``(G,)`` integer arrays.
        """
        codes = np.asarray(codes, dtype=np.intp)
        if self._df_rule == "design" and n_domains > 1:
            n, _ = self._domain_sizes(codes, n_domains)
            _, df = self._domain_sizes(np.where(codes >= 0, 0, -1), 1)
            return n, np.full(n_domains, df[0], dtype=np.int64)
        return self._domain_sizes(codes, n_domains)

    def _domain_sizes(self, codes: np.ndarray, n_domains: int) -> tuple[np.ndarray, np.ndarray]:
        plain = not (self._calibration or self._zero_weights)
        if n_domains == 1 and plain and codes.min() >= 0:
            return np.array([self.n_rows], dtype=np.int64), np.array([self.df], dtype=np.int64)
        n_psu = self.n_psu
        size = n_domains * n_psu
        psu, weights = self._psu, self._weights

        def key_of(rows: slice) -> np.ndarray:  # (domain, PSU) cells, block by block
            c = codes[rows]
            key = c * n_psu
            key += psu[rows]
            outside = c < 0
            if not plain:  # R's degf and counts leave out rows of weight 0
                outside |= weights[rows] == 0
            key[outside] = size
            return key

        if size <= max(1 << 22, 4 * self.n_rows):
            cnt = keyed_counts(key_of, self.n_rows, size + 1)[:size].reshape(n_domains, n_psu)
            present = cnt > 0
            n_obs = cnt.sum(axis=1)
            psus = present.sum(axis=1)
            dom_idx, psu_idx = np.nonzero(present)
        else:
            key = np.concatenate([key_of(b) for b in blocks(self.n_rows)])
            uniq, cnt = np.unique(key[key < size], return_counts=True)
            dom_idx, psu_idx = uniq // n_psu, uniq % n_psu
            n_obs = np.bincount(dom_idx, weights=cnt, minlength=n_domains).astype(np.int64)
            psus = np.bincount(dom_idx, minlength=n_domains)
        st_key = dom_idx * self.n_strata + self._stages[0].unit_group[psu_idx]
        strata = np.bincount(np.unique(st_key) // self.n_strata, minlength=n_domains)
        return n_obs.astype(np.int64), (psus - strata).astype(np.int64)

    def with_calibration(self, weights: Any, residualise: Residualiser) -> SurveyDesign:
        """A design with calibrated weights whose variance accounts for the calibration.

        For the weighting module (post-stratification, raking, GREG), as R's
        ``postStratify``/``rake``/``calibrate``: ``residualise`` maps an
        ``(n, k)`` influence matrix to its residuals from the calibration (R's
        ``svyrecvar`` ``postStrata`` step) and is applied before the PSU totals.
        Calibrations compose: a calibrated design can be calibrated again.

        Parameters
        ----------
        weights : array_like
            ``(n,)`` new weights (zero allowed, e.g. trimmed or nonrespondents).
        residualise : callable
            ``(n, k) -> (n, k)`` linear map.

        Returns
        -------
        SurveyDesign

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> df = pd.DataFrame({"s": [1, 1, 2, 2], "w": [2.0, 2.0, 3.0, 3.0]})
        >>> d = SurveyDesign(df, weights="w", strata="s")
        >>> c = d.with_calibration(d.weights * 1.1, lambda z: z)
        >>> c.is_calibrated, float(c.weights[0])
        (True, 2.2)
        """
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (self.n_rows,) or not np.isfinite(w).all() or (w < 0).any():
            raise DesignError(
                "DES021",
                "calibrated weights must be finite, non-negative and one per row",
                expected=f"shape ({self.n_rows},), values >= 0",
                found=f"shape {w.shape}",
                hint="Check the calibration result before building the calibrated design.",
            )
        if not callable(residualise):
            raise DesignError(
                "DES021",
                "residualise must be a function of the influence matrix",
                expected="callable (n, k) -> (n, k)",
                found=type(residualise).__name__,
                hint="Pass the calibration's residual function.",
            )
        new = object.__new__(SurveyDesign)
        for name in self.__slots__:
            object.__setattr__(new, name, getattr(self, name))
        object.__setattr__(new, "_weights", readonly(w.copy()))
        object.__setattr__(new, "_calibration", (*self._calibration, residualise))
        object.__setattr__(new, "_cache", {})
        return new

    def with_df_rule(self, rule: str) -> SurveyDesign:
        """The same design with another degrees-of-freedom rule for domain estimates.

        ``"domain"`` (the default, R survey's ``svyby``): each domain's df is the ``degf``
        of its own rows. ``"design"`` (srvyr, REACH analysistools): every domain of an
        estimate gets the ``degf`` of all the rows the estimate uses. Estimates and standard
        errors are the same; only ``df`` and the intervals differ.

        Examples
        --------
        >>> import pandas as pd
        >>> from analysis import estimate as est
        >>> frame = pd.DataFrame({"g": ["a"] * 3 + ["b"] * 5, "y": [1.0, 2, 4, 3, 5, 6, 7, 9]})
        >>> design = SurveyDesign(frame, weights=None)
        >>> est.mean(design, "y", by="g")["df"].tolist()
        [2, 4]
        >>> est.mean(design.with_df_rule("design"), "y", by="g")["df"].tolist()
        [7, 7]
        """
        if rule not in DF_RULES:
            raise DesignError(
                "DES023",
                f"unknown degrees-of-freedom rule {rule!r}",
                expected=" or ".join(DF_RULES),
                found=repr(rule),
                hint="Use 'domain' (R survey's svyby) or 'design' (srvyr, analysistools).",
            )
        new = object.__new__(SurveyDesign)
        for name in self.__slots__:
            object.__setattr__(new, name, getattr(self, name))
        object.__setattr__(new, "_df_rule", rule)
        object.__setattr__(new, "_cache", {})
        return new

    def with_columns(self, columns: Mapping[str, Any]) -> SurveyDesign:
        """The same design over its data with ``columns`` added (or replaced).

        For variables derived from the data (a choice's 0/1 indicator, a score): the
        rows, weights, strata and PSUs stay those of this design.

        Examples
        --------
        >>> import pandas as pd
        >>> from analysis import estimate as est
        >>> design = SurveyDesign(pd.DataFrame({"y": [1.0, 2.0, 6.0]}), weights=None)
        >>> wider = design.with_columns({"y2": design.data["y"] * 2})
        >>> float(est.mean(wider, "y2")["estimate"].iloc[0])
        6.0
        """
        data = self._data.assign(**{str(k): v for k, v in columns.items()})
        if len(data) != len(self._data):
            raise DesignError(
                "DES001",
                "added columns must have one value per row of the design",
                expected=f"{len(self._data)} rows",
                found=f"{len(data)} rows",
                hint="Derive the columns from design.data (same index).",
            )
        new = object.__new__(SurveyDesign)
        for name in self.__slots__:
            object.__setattr__(new, name, getattr(self, name))
        object.__setattr__(new, "_data", data)
        object.__setattr__(new, "_cache", {})
        return new

    # ------------------------------------------------------------------ shared caches
    def _cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Memoise derived codes (domains) on the immutable design."""
        cache = self._cache
        if key not in cache:
            if len(cache) > 64:
                cache.clear()
            cache[key] = compute()
        return cache[key]
