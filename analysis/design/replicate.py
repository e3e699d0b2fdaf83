"""Replicate-weight designs: BRR, Fay, JK1, JKn and bootstrap (R's ``svrepdesign``).

A :class:`ReplicateDesign` estimates variances by re-estimating every statistic
with each set of replicate weights ``w_r`` and combining the replicate estimates
``theta_r`` as R's ``svrVar`` does::

    V = scale * sum_r rscales[r] * (theta_r - centre) ** 2

where ``centre`` is the full-sample estimate when ``mse=True`` and the mean of the
replicate estimates (those with ``rscales > 0``) otherwise.

Two ways to build one:

* :class:`ReplicateDesign` from replicate weight columns of the data (as public
  survey files ship them; R's ``svrepdesign``), with ``type`` one of
  :data:`REPLICATE_TYPES`;
* :func:`~analysis.design.resampling.as_replicate` from a stratified cluster
  :class:`~analysis.design.SurveyDesign` (R's ``as.svrepdesign``): JK1, JKn, BRR and Fay
  (Sylvester Hadamard matrices) and a seeded bootstrap.

Replicate weights are held as ``W[i, r] = base[i] * M[unit[i], r]``: designs built by
``as_replicate`` keep one row of multipliers per PSU (R's compressed replicate weights), so
that ``W.T @ x`` is a sum per PSU followed by a small matrix product. Given columns that are
the weight times a factor row shared by many rows (see :func:`_factor_units`) are held the
same way; other given columns are ``M`` itself (``base`` and ``unit`` unused), a read-only
view of the frame's float block.

``ReplicateDesign`` is a :class:`~analysis.design.SurveyDesign` (domains, checks and
tidy tables take it unchanged); the estimators of :mod:`analysis.estimate` see its
type and re-estimate with the replicate weights. Its :meth:`ReplicateDesign.variance`
(the engine of crosstab tests and regression) gives the replicate variance of the
totals of linearised values, an approximation to R's refits.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"w": [1.0, 1.0, 1.0, 1.0], "y": [1.0, 2.0, 3.0, 6.0],
...                    "r1": [0.0, 4 / 3, 4 / 3, 4 / 3], "r2": [4 / 3, 0.0, 4 / 3, 4 / 3],
...                    "r3": [4 / 3, 4 / 3, 0.0, 4 / 3], "r4": [4 / 3, 4 / 3, 4 / 3, 0.0]})
>>> d = ReplicateDesign(df, weights="w", replicate_weights=["r1", "r2", "r3", "r4"],
...                     type="JK1", scale=3 / 4)
>>> d
ReplicateDesign(4 rows, 4 JK1 replicates, df=3, weights='w', mse=False)
>>> from analysis import estimate as est
>>> round(float(est.mean(d, "y")["se"].iloc[0]), 6)  # sd(y) / sqrt(n), as for SRS
1.080123
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DesignError
from .stages import readonly
from .survey import DF_RULES, SurveyDesign

__all__ = ["REPLICATE_TYPES", "ReplicateDesign", "replicate_variance"]

#: Types of given replicate weights (R's ``svrepdesign(type=)``).
REPLICATE_TYPES = ("BRR", "Fay", "JK1", "JKn", "bootstrap", "other")

# R's degf(): qr(weights(design, "analysis"), tol = 1e-5)$rank - 1
_RANK_TOL = 1e-5
# rows per block when multiplying given replicate weights by domain-expanded values
_BLOCK = 1 << 15
# bytes of the factor rows of one block when looking for them (a few thousand rows: the
# block and its temporaries stay in the cache)
_FACTOR_BLOCK_BYTES = 1 << 22
# given columns are held per unit when at most this share of the rows are distinct
_FACTOR_SHARE = 0.25


def _hash_probe(n_rep: int) -> np.ndarray:
    """Odd 64-bit multipliers hashing the bytes of a factor row (fixed seed)."""
    return np.random.default_rng(19).integers(1, 1 << 62, n_rep, dtype=np.uint64) | 1


def _factor_units(
    matrix: np.ndarray, weights: np.ndarray, combined: bool
) -> tuple[np.ndarray, np.ndarray] | None:
    """Unit codes and factor rows of given replicate weights, or ``None``.

    Replicate weights are the base weight times a factor constant within a PSU
    (JK1, JKn, BRR, Fay, bootstrap): ``W[i, :] = w[i] * F[unit[i], :]`` where
    ``F[i, :] = W[i, :] / w[i]`` (combined weights; the columns themselves otherwise).
    Rows are grouped by the exact bytes of their factor row; rows with ``w == 0`` need
    all-zero replicate weights. ``None`` when that fails or more than a quarter of the
    rows are distinct.

    One pass over the columns, in blocks of rows small enough to stay in the cache: a
    block's factor rows are compared with the row before them (files sorted by PSU hold
    a unit's rows together); only the rows that differ from their predecessor are hashed,
    looked up among the units seen so far and checked byte for byte against their unit's
    row, so that every row is exactly its unit's factor row.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([1.0, 2.0, 1.0, 2.0, 0.0, 4.0, 4.0, 1.0, 2.0, 3.0, 3.0, 5.0])
    >>> f = np.array([[0.0, 2.0], [2.0, 0.0]])
    >>> unit, rows = _factor_units(w[:, None] * f[[0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0, 1]], w, True)
    >>> unit.tolist()
    [0, 0, 1, 1, 2, 0, 1, 0, 0, 1, 0, 1]
    >>> rows.tolist()
    [[0.0, 2.0], [2.0, 0.0], [0.0, 0.0]]
    """
    n, n_rep = matrix.shape
    limit = int(n * _FACTOR_SHARE)
    if limit < 1:
        return None
    probe = _hash_probe(n_rep)
    step = max(64, _FACTOR_BLOCK_BYTES // (8 * n_rep))
    columns = matrix.T  # rows of the frame's float block: each one contiguous
    buf = np.empty((n_rep, min(step, n)))
    differ = np.empty((n_rep, min(step, n)), dtype=bool)
    new_buf = np.empty(min(step, n), dtype=bool)
    has_zero = combined and not weights.all()
    unit = np.empty(n, dtype=np.intp)
    table = np.empty((n_rep, 64))  # factor rows as columns, in order of appearance
    table_bits = table.view(np.uint64)
    count = 0
    known = np.empty(0, dtype=np.uint64)  # sorted hashes of the units seen so far
    known_ids = np.empty(0, dtype=np.intp)
    last = -1  # the unit of the previous block's last row
    for start in range(0, n, step):
        stop = min(start + step, n)
        b = stop - start
        f = buf[:, :b]
        if combined:
            w = weights[start:stop]
            if has_zero and not w.all():
                zero = w == 0
                if columns[:, start:stop][:, zero].any():
                    return None
                with np.errstate(divide="ignore", invalid="ignore"):
                    np.divide(columns[:, start:stop], w, out=f)
                f[:, zero] = 0.0
            else:
                np.divide(columns[:, start:stop], w, out=f)
        else:
            np.copyto(f, columns[:, start:stop])
        bits = f.view(np.uint64)
        # rows that differ (in any byte) from the row before them start a run
        new = new_buf[:b]
        if b > 1:
            np.not_equal(bits[:, 1:], bits[:, :-1], out=differ[:, : b - 1])
            np.logical_or.reduce(differ[:, : b - 1], axis=0, out=new[1:])
        new[0] = last < 0 or bool((bits[:, 0] != table_bits[:, last]).any())
        heads = np.flatnonzero(new)
        if heads.size > b // 2:  # rows not in runs (a file not sorted by unit): all heads
            new[:] = True
            head_bits = bits
            heads = np.arange(b)
        else:
            head_bits = np.take(bits, heads, axis=1)
        # a hash of the bytes (integer products wrap: no rounding)
        hashes = np.einsum("r,rb->b", probe, head_bits)
        pos = np.minimum(np.searchsorted(known, hashes), max(known.size - 1, 0))
        seen = known[pos] == hashes if known.size else np.zeros(heads.size, dtype=bool)
        if seen.all():
            head_units = known_ids[pos]
        else:  # units not seen before, numbered in order of appearance
            local, first, inverse = np.unique(hashes[~seen], return_index=True, return_inverse=True)
            if count + local.size > limit:
                return None
            ids = np.empty(local.size, dtype=np.intp)
            ids[np.argsort(first, kind="stable")] = np.arange(count, count + local.size)
            head_units = np.empty(heads.size, dtype=np.intp)
            head_units[seen] = known_ids[pos[seen]]
            head_units[~seen] = ids[inverse.reshape(-1)]
            if count + local.size > table.shape[1]:
                grown = np.empty((n_rep, max(2 * table.shape[1], count + local.size)))
                grown[:, :count] = table[:, :count]
                table, table_bits = grown, grown.view(np.uint64)
            table_bits[:, ids] = head_bits[:, np.flatnonzero(~seen)[first]]
            count += local.size
            known = np.concatenate([known, local])
            known_ids = np.concatenate([known_ids, ids])
            order = np.argsort(known, kind="stable")
            known, known_ids = known[order], known_ids[order]
        # each run's head against its unit's row: a hash collision fails here
        check = differ[:, : heads.size]
        np.not_equal(head_bits, np.take(table_bits, head_units, axis=1), out=check)
        if check.any():
            return None
        # every other row equals the row before it: the unit of its run's head
        unit[start:stop] = np.concatenate(([last], head_units))[np.cumsum(new)]
        last = int(unit[stop - 1])
    return unit, np.ascontiguousarray(table[:, :count].T)


def replicate_variance(
    thetas: np.ndarray, theta: np.ndarray, scale: float, rscales: np.ndarray, mse: bool
) -> np.ndarray:
    """R's ``svrVar``: variances of estimates from their replicates.

    Parameters
    ----------
    thetas : numpy.ndarray
        ``(R, ...)`` replicate estimates (replicates first).
    theta : numpy.ndarray
        ``(...)`` full-sample estimates (the centre when ``mse``).
    scale : float
    rscales : numpy.ndarray
        ``(R,)`` per-replicate multipliers.
    mse : bool
        Centre at ``theta`` (True) or at the mean of the replicates with ``rscales > 0``.

    Returns
    -------
    numpy.ndarray
        ``(...)`` variances (elementwise; no covariances).

    Examples
    --------
    >>> import numpy as np
    >>> float(replicate_variance(np.array([1.0, 3.0]), np.array(2.5), 0.5, np.ones(2), False))
    1.0
    >>> float(replicate_variance(np.array([1.0, 3.0]), np.array(2.5), 0.5, np.ones(2), True))
    1.25
    """
    thetas = np.asarray(thetas, dtype=np.float64)
    rs = np.asarray(rscales, dtype=np.float64).reshape((-1,) + (1,) * (thetas.ndim - 1))
    if mse:
        centre = np.asarray(theta, dtype=np.float64)
    else:
        centre = thetas[np.asarray(rscales) > 0].mean(axis=0)
    dev = thetas - centre
    return scale * np.sum(dev * dev * rs, axis=0)


def _qr_rank(gram: np.ndarray, n_rows: int, tol: float = _RANK_TOL) -> int:
    """R's ``qr(W, tol)$rank`` (LINPACK ``dqrdc2``, limited pivoting) from ``W.T @ W``.

    A column is dropped when its norm, orthogonal to the columns kept before it, is
    below ``tol`` times its own norm; zero columns are dropped. The orthogonal part's
    squared norm is the diagonal of the Schur complement after eliminating the kept
    columns.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 5.0], [2.0, 4.0, 1.0]])
    >>> _qr_rank(w.T @ w, 3)  # the second column is twice the first
    2
    >>> _qr_rank(w[:, [0, 2]].T @ w[:, [0, 2]], 3)  # full rank: one Cholesky factorisation
    2
    """
    schur = np.array(gram, dtype=np.float64)
    original = np.diag(gram).copy()
    if schur.shape[0] <= n_rows and (original > 0).all():
        # Without a dropped column the Schur complements are the squared pivots of the
        # Cholesky factor; far above the tolerance, rounding cannot drop a column either.
        try:
            pivots = np.diag(np.linalg.cholesky(schur))
        except np.linalg.LinAlgError:
            pivots = None
        if pivots is not None and (pivots >= 4 * tol * np.sqrt(original)).all():
            return schur.shape[0]
    kept = 0
    for j in range(schur.shape[0]):
        if kept >= n_rows:
            break
        d = schur[j, j]
        if not original[j] > 0 or np.sqrt(max(d, 0.0)) < tol * np.sqrt(original[j]):
            continue
        kept += 1
        row = schur[j, j + 1 :]
        schur[j + 1 :, j + 1 :] -= np.outer(row, row) / d
    return kept


class _CellKey:
    """Per-row cell codes (``(domain, unit)`` pairs) and sums over them.

    ``np.bincount`` adds one row after another into its cell; rows of a file sorted by
    PSU fall in long runs of the same cell, and each addition then waits for the one
    before it. When the rows form few runs, the values are summed per run first
    (``np.add.reduceat``, pairwise and vectorised) and the runs' sums per cell.

    Examples
    --------
    >>> import numpy as np
    >>> key = _CellKey(np.repeat([0, 2, 1, 2], 40), 3)
    >>> key.runs is not None
    True
    >>> key.sums(np.ones(160)).tolist(), key.counts().tolist()
    ([40.0, 40.0, 80.0], [40, 40, 80])
    """

    __slots__ = ("key", "runs", "size")

    def __init__(self, key: np.ndarray, size: int) -> None:
        self.key, self.size = key, size
        n = key.size
        heads = np.flatnonzero(key[1:] != key[:-1]) if n > 1 else np.empty(0, np.intp)
        if 8 * (heads.size + 1) <= n:
            starts = np.concatenate(([0], heads + 1))
            self.runs: tuple[np.ndarray, np.ndarray] | None = (starts, key[starts])
        else:
            self.runs = None

    def sums(self, values: np.ndarray) -> np.ndarray:
        """``(size,)`` sums of per-row ``values`` per cell (codes ``>= size`` left out)."""
        if self.runs is None:
            return np.bincount(self.key, weights=values, minlength=self.size)[: self.size]
        starts, cells = self.runs
        return np.bincount(cells, np.add.reduceat(values, starts), self.size)[: self.size]

    def counts(self) -> np.ndarray:
        """``(size,)`` rows per cell."""
        if self.runs is None:
            return np.bincount(self.key, minlength=self.size)[: self.size]
        starts, cells = self.runs
        lengths = np.diff(np.append(starts, self.key.size))
        return np.bincount(cells, lengths, self.size)[: self.size].astype(np.int64)


def _column_names(data: pd.DataFrame, spec: Any) -> list[str]:
    if isinstance(spec, str):
        names = [str(c) for c in data.columns if re.search(spec, str(c))]
        if not names:
            raise DesignError(
                "DES200",
                f"no column name matches the replicate weights pattern {spec!r}",
                expected="a regular expression matching the replicate weight columns",
                found=f"columns {list(map(str, data.columns))[:12]}",
                hint="Pass the list of replicate weight columns, or a pattern such as "
                "'^repwt[0-9]+$'.",
            )
        return names
    if not isinstance(spec, Sequence) or not spec or not all(isinstance(c, str) for c in spec):
        raise DesignError(
            "DES200",
            "replicate_weights must be a list of column names or a pattern",
            expected="list of str, or a regular expression",
            found=repr(spec),
            hint="Pass replicate_weights=['rw1', 'rw2', ...] or replicate_weights='^rw'.",
        )
    missing = [c for c in spec if c not in data.columns]
    if missing:
        raise DesignError(
            "DES200",
            f"replicate weight column(s) {missing[:5]} not in the data",
            column=missing[0],
            expected="columns of the data",
            found=f"columns {list(map(str, data.columns))[:12]}",
            hint="Check the names (they are case-sensitive).",
        )
    return list(spec)


def _replicate_matrix(data: pd.DataFrame, names: list[str]) -> np.ndarray:
    """The replicate weight columns as one ``(n, R)`` array (a read-only view of the frame's
    float block when it is one: pandas' copy-on-write keeps it unchanged)."""
    columns = data[names]
    for name, dtype in zip(names, columns.dtypes):
        if dtype == np.float64:
            continue
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise DesignError(
                "DES201",
                f"replicate weight column {name!r} is not numeric",
                column=name,
                expected="numbers",
                found=str(dtype),
                hint="Convert the column with pandas.to_numeric first.",
            )
    return columns.to_numpy(dtype=np.float64, na_value=np.nan)


def _check_values(out: np.ndarray, data: pd.DataFrame, names: list[str]) -> None:
    """Refuse replicate weights that are missing, infinite or negative (``DES201``)."""
    with np.errstate(invalid="ignore"):
        fine = bool(out.min() >= 0) and bool(np.isfinite(out.max()))
    if not fine:
        bad = ~np.isfinite(out) | (out < 0)
        i, j = np.argwhere(bad)[0]
        raise DesignError(
            "DES201",
            f"replicate weights must be finite and non-negative; {int(bad.sum())} are not",
            column=names[j],
            record=str(data.index[i]),
            expected="finite values >= 0 in every replicate weight column",
            found=repr(out[i, j]),
            hint="Missing replicate weights are not allowed (R refuses them too); check the "
            "file's replicate weight columns.",
        )


def _scales(
    type: str,
    n_rep: int,
    rho: float | None,
    scale: float | None,
    rscales: Any,
    combined: bool,
    matrix: np.ndarray,
) -> tuple[float, np.ndarray]:
    """R's ``svrepdesign`` defaults for ``scale`` and ``rscales``."""
    if rscales is not None:
        rs = np.asarray(rscales, dtype=np.float64).reshape(-1)
        if rs.size == 1:
            rs = np.full(n_rep, rs[0])
        if rs.size != n_rep or not np.isfinite(rs).all() or (rs < 0).any():
            raise DesignError(
                "DES203",
                f"rscales has {rs.size} values for {n_rep} replicates",
                expected=f"one non-negative number or {n_rep} of them",
                found=repr(rscales),
                hint="Give one rscale per replicate weight column (JKn: (n_h - 1) / n_h of "
                "the replicate's stratum).",
            )
    else:
        rs = None
    if type == "Fay":
        if rho is None or not 0 <= rho < 1:
            raise DesignError(
                "DES202",
                "type='Fay' needs Fay's rho in [0, 1)",
                expected="rho, e.g. 0.5",
                found=repr(rho),
                hint="Pass the rho the data producer used (e.g. rho=0.5 for the CPS).",
            )
        scale = 1 / (n_rep * (1 - rho) ** 2)
    elif type == "BRR":
        scale = 1 / n_rep
    elif type == "bootstrap":
        if scale is None:
            scale = 1 / (n_rep - 1)
    elif type == "JK1" and scale is None:
        scale = (n_rep - 1) / n_rep if combined else 1 / float(matrix[:, 0].max())
    elif type == "JKn" and rs is None:
        if combined:
            raise DesignError(
                "DES203",
                "type='JKn' with combined weights needs rscales",
                expected="rscales=(n_h - 1) / n_h for each replicate",
                found="rscales=None",
                hint="Give each replicate the factor (n_h - 1) / n_h of the stratum whose PSU "
                "it drops.",
            )
        rs = 1 / matrix.max(axis=0)
    if scale is None:
        scale = 1.0
    scale = float(scale)
    if not np.isfinite(scale) or scale < 0:
        raise DesignError(
            "DES203",
            "scale must be a non-negative number",
            expected="e.g. (R - 1) / R for JK1",
            found=repr(scale),
            hint="Use the scale the data producer documents.",
        )
    return scale, (np.ones(n_rep) if rs is None else rs)


class ReplicateDesign(SurveyDesign):
    """A design whose variances come from replicate weights (R's ``svrepdesign``).

    Parameters
    ----------
    data : pandas.DataFrame
    weights : str or None
        Full-sample weights column (``None``: equal weights 1, as R assumes).
    replicate_weights : list of str or str
        The replicate weight columns, or a regular expression matching their names
        (R's ``repweights="pattern"``).
    type : {"BRR", "Fay", "JK1", "JKn", "bootstrap", "other"}
        How the replicates were made; sets R's default ``scale``/``rscales``:
        BRR ``1/R``; Fay ``1/(R (1 - rho)^2)``; JK1 ``(R - 1)/R``; bootstrap
        ``1/(R - 1)``; JKn needs ``rscales``; other ``1``.
    rho : float, optional
        Fay's rho (``type="Fay"``).
    scale : float, optional
        Overall multiplier (ignored for BRR and Fay, as in R).
    rscales : float or array_like, optional
        Per-replicate multipliers (default 1; required for JKn).
    mse : bool
        Centre the replicates at the full-sample estimate (R's ``mse=TRUE``) instead of
        at their mean (default False, R's default).
    combined_weights : bool
        The columns are the final replicate weights (default, R's
        ``combined.weights=TRUE``); False means they multiply ``weights``.

    Raises
    ------
    DesignError
        ``DES200``-``DES205`` (see ``docs/errors/design.md``), and the weight checks of
        :class:`~analysis.design.SurveyDesign`.
    """

    __slots__ = ("_combined", "_rep_base", "_rep_df", "_rep_info", "_rep_matrix", "_rep_unit")

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        weights: str | None,
        replicate_weights: str | Sequence[str],
        type: str,
        rho: float | None = None,
        scale: float | None = None,
        rscales: Any = None,
        mse: bool = False,
        combined_weights: bool = True,
    ) -> None:
        if type not in REPLICATE_TYPES:
            raise DesignError(
                "DES202",
                f"unknown replicate weights type {type!r}",
                expected=" / ".join(REPLICATE_TYPES),
                found=repr(type),
                hint="Use the type the data documentation names (R's svrepdesign types).",
            )
        if not isinstance(mse, bool) or not isinstance(combined_weights, bool):
            raise DesignError(
                "DES203",
                "mse and combined_weights must be True or False",
                expected="bool",
                found=f"mse={mse!r}, combined_weights={combined_weights!r}",
                hint="Pass mse=True to centre replicates at the full-sample estimate.",
            )
        SurveyDesign.__init__(self, data, weights=weights)
        names = _column_names(data, replicate_weights)
        matrix = _replicate_matrix(data, names)
        n_rep = matrix.shape[1]
        if n_rep < 2:
            raise DesignError(
                "DES200",
                "a replicate design needs at least two replicate weight columns",
                expected="2 or more columns",
                found=names,
                hint="Check the replicate_weights pattern or list.",
            )
        units = _factor_units(matrix, self._weights, combined_weights)
        # factor rows (any missing value makes the rows' check fail) and weights >= 0 and
        # finite mean valid columns; otherwise check every value
        if units is None or not (np.isfinite(units[1]).all() and (units[1] >= 0).all()):
            units = None
            _check_values(matrix, data, names)
        sc, rs = _scales(type, n_rep, rho, scale, rscales, combined_weights, matrix)
        set_ = object.__setattr__
        set_(self, "_combined", combined_weights)
        if units is None:  # keep the view of the given columns
            set_(self, "_rep_matrix", readonly(matrix))
            set_(self, "_rep_base", None if combined_weights else self._weights)
            set_(self, "_rep_unit", None)
        else:  # one factor row per unit: totals are sums per unit and a small product
            set_(self, "_rep_matrix", readonly(units[1]))
            set_(self, "_rep_base", self._weights)
            set_(self, "_rep_unit", readonly(units[0]))
        set_(self, "_rep_info", dict(type=type, rho=rho, scale=sc, rscales=readonly(rs), mse=mse))
        set_(self, "_rep_df", {})

    # ------------------------------------------------------------------ constructor helper
    @classmethod
    def _from_parts(
        cls,
        design: SurveyDesign,
        weights: np.ndarray,
        multipliers: np.ndarray,
        unit: np.ndarray,
        info: dict[str, Any],
    ) -> ReplicateDesign:
        new = object.__new__(cls)
        for name in SurveyDesign.__slots__:
            object.__setattr__(new, name, getattr(design, name))
        set_ = object.__setattr__
        set_(new, "_weights", readonly(weights))
        set_(new, "_cache", {})
        set_(new, "_df_rule", "domain")
        set_(new, "_combined", False)
        set_(new, "_rep_matrix", readonly(np.ascontiguousarray(multipliers, dtype=np.float64)))
        set_(new, "_rep_base", new._weights)
        set_(new, "_rep_unit", readonly(unit))
        info = dict(info)
        info["rscales"] = readonly(np.asarray(info["rscales"], dtype=np.float64))
        set_(new, "_rep_info", info)
        set_(new, "_rep_df", {})
        return new

    def __repr__(self) -> str:
        info = self._rep_info
        rho = f", rho={info['rho']}" if info["type"] == "Fay" else ""
        return (
            f"ReplicateDesign({self.n_rows} rows, {self.n_replicates} {info['type']} replicates"
            f"{rho}, df={self.df}, weights={self._weights_column!r}, mse={info['mse']})"
        )

    # ------------------------------------------------------------------ attributes
    @property
    def replicate_type(self) -> str:
        """``"BRR"``, ``"Fay"``, ``"JK1"``, ``"JKn"``, ``"bootstrap"`` or ``"other"``."""
        return self._rep_info["type"]

    @property
    def n_replicates(self) -> int:
        """Number of replicates ``R``."""
        return self._rep_matrix.shape[1]

    @property
    def scale(self) -> float:
        """R's ``scale``."""
        return self._rep_info["scale"]

    @property
    def rscales(self) -> np.ndarray:
        """R's ``rscales``, ``(R,)``."""
        return self._rep_info["rscales"]

    @property
    def mse(self) -> bool:
        """Whether replicates are centred at the full-sample estimate."""
        return self._rep_info["mse"]

    @property
    def rho(self) -> float | None:
        """Fay's rho (``None`` unless ``type="Fay"``)."""
        return self._rep_info["rho"] if self.replicate_type == "Fay" else None

    @property
    def replicate_weights(self) -> np.ndarray:
        """``(n, R)`` replicate (analysis) weights, expanded (R's ``weights(d, "analysis")``)."""
        return self.replicate_rows(np.arange(self.n_rows))

    def replicate_rows(self, rows: np.ndarray) -> np.ndarray:
        """``(len(rows), R)`` replicate weights of the given row positions."""
        rows = np.asarray(rows, dtype=np.intp)
        m = self._rep_matrix[rows if self._rep_unit is None else self._rep_unit[rows]]
        if self._rep_base is not None:
            m = m * self._rep_base[rows, None]
        return readonly(m)

    @property
    def df(self) -> int:
        """R's ``degf``: the rank of the replicate weights minus one."""
        return int(self.domain_sizes(np.zeros(self.n_rows, dtype=np.intp), 1)[1][0])

    @property
    def is_calibrated(self) -> bool:
        """Replicate designs are never calibrated here."""
        return False

    # ------------------------------------------------------------------ replicate estimates
    def replicate_totals(
        self,
        values: np.ndarray | Sequence[np.ndarray | None] | None,
        codes: np.ndarray | None = None,
        n_domains: int = 1,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Full-sample and replicate domain totals of per-row values.

        With one factor row per unit, the replicate totals of a column are one sum per
        (domain, unit) of the weighted values (one pass over the rows) and a small
        product with the ``(units, R)`` factor rows.

        Parameters
        ----------
        values : numpy.ndarray, list or None
            ``(n, k)`` per-row values (not weighted); or a list of ``k`` ``(n,)``
            columns in which ``None`` stands for a column of ones (the weights alone);
            ``None`` is ``[None]``.
        codes : numpy.ndarray, optional
            ``(n,)`` domain codes, ``-1`` outside every domain (default: one domain).
            Codes of (domain, level) cells give every cell's totals at once.
        n_domains : int

        Returns
        -------
        (full, replicates) : tuple of numpy.ndarray
            ``(G, k)`` totals with the full-sample weights and ``(G, R, k)`` with each
            replicate's weights.

        Examples
        --------
        >>> import pandas as pd
        >>> from analysis.design.resampling import as_replicate
        >>> df = pd.DataFrame({"p": [1, 1, 2, 2, 3], "w": [1.0, 2.0, 1.0, 1.0, 2.0]})
        >>> d = as_replicate(SurveyDesign(df, weights="w", psu="p"), "JK1")
        >>> full, reps = d.replicate_totals(None, np.array([0, 1, 1, 0, -1]), 2)
        >>> full.ravel().tolist()  # the weights of each domain
        [2.0, 3.0]
        >>> reps[:, :, 0].tolist()  # replicate r drops PSU r + 1, the others times 3/2
        [[1.5, 1.5, 3.0], [1.5, 3.0, 4.5]]
        """
        if values is None:
            columns: list[np.ndarray | None] = [None]
        elif isinstance(values, np.ndarray):
            x = np.asarray(values, dtype=np.float64)
            columns = [x] if x.ndim == 1 else [x[:, j] for j in range(x.shape[1])]
        else:
            columns = [None if c is None else np.asarray(c, dtype=np.float64) for c in values]
        k, g = len(columns), n_domains
        one = codes is None or (g == 1 and bool(np.min(codes) >= 0))
        if self._rep_unit is not None:
            return self._unit_totals(columns, None if one else codes, g)
        w, base = self._weights, self._rep_base
        if one:
            full = np.array([[w.sum() if c is None else w @ c for c in columns]])
        else:
            slot = np.where(codes >= 0, codes, g)
            full = np.empty((g, k))
            for j, c in enumerate(columns):
                wc = w if c is None else w * c
                full[:, j] = np.bincount(slot, weights=wc, minlength=g + 1)[:g]
        n = self.n_rows
        xb = np.empty((n, k))
        for j, c in enumerate(columns):
            xb[:, j] = (1.0 if c is None else c) * (1.0 if base is None else base)
        m = self._rep_matrix
        if one:
            return full, (m.T @ xb)[None]
        if g * k <= 64:
            cols = np.arange(k)
            acc = np.zeros((m.shape[1], g * k))
            for start in range(0, n, _BLOCK):
                stop = min(start + _BLOCK, n)
                c = codes[start:stop]
                inside = np.flatnonzero(c >= 0)
                block = np.zeros((stop - start, g * k))
                block[inside[:, None], c[inside][:, None] * k + cols] = xb[start:stop][inside]
                acc += m[start:stop].T @ block  # (R, rows) @ (rows, G k): BLAS on any layout
            reps = acc.T
        else:
            from scipy import sparse

            inside = np.flatnonzero(codes >= 0)
            rows = (codes[inside][:, None] * k + np.arange(k)).ravel()
            cols = np.repeat(inside, k)
            a = sparse.csr_array((xb[inside].ravel(), (rows, cols)), shape=(g * k, n))
            reps = a @ m
        return full, reps.reshape(g, k, -1).transpose(0, 2, 1)

    def _unit_totals(
        self, columns: list[np.ndarray | None], codes: np.ndarray | None, g: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`replicate_totals` with one factor row per unit: a sum of the weighted
        values per (domain, unit), then a ``(G k, units) @ (units, R)`` product."""
        m, base = self._rep_matrix, self._rep_base
        units = m.shape[0]
        size = g * units
        key = self._unit_key(codes, g)
        k = len(columns)
        table = np.empty((k, size))
        for j, c in enumerate(columns):
            table[j] = key.sums(base if c is None else base * c)
        table = table.reshape(k, g, units)
        full = table.sum(axis=2).T  # the base weights are the full-sample weights
        # einsum, not BLAS: a small product, and BLAS threads wait for cores on a busy host
        return full, np.einsum("ur,kgu->grk", m, table)

    def replicate_variance(self, thetas: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """Variances of estimates from their replicates, ``thetas`` shaped ``(G, R, ...)``."""
        return replicate_variance(
            np.moveaxis(thetas, 1, 0), theta, self.scale, self.rscales, self.mse
        )

    # ------------------------------------------------------------------ SurveyDesign hooks
    def domain_sizes(self, codes: np.ndarray, n_domains: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows with non-zero weight and R's ``degf`` (replicate-weight rank - 1) per domain."""
        codes = np.asarray(codes, dtype=np.intp)
        g = n_domains
        if self._df_rule == "design" and g > 1:
            n, _ = self._rep_sizes(codes, g)
            _, df = self._rep_sizes(np.where(codes >= 0, 0, -1), 1)
            return n, np.full(g, df[0], dtype=np.int64)
        return self._rep_sizes(codes, g)

    def _rep_sizes(self, codes: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows with non-zero weight and ``degf`` per domain, cached per domain codes."""
        key = (1, None) if g == 1 and bool(codes.min() >= 0) else (g, codes.tobytes())
        if key not in self._rep_df:
            if len(self._rep_df) > 32:
                self._rep_df.clear()
            if self._rep_unit is not None:
                n, ranks = self._unit_ranks(None if key[1] is None else codes, g)
            else:
                slot = np.where(codes >= 0, codes, g)
                n = np.bincount(slot, weights=self._weights != 0, minlength=g + 1)[:g]
                ranks = self._ranks(codes, g)
            self._rep_df[key] = (n.astype(np.int64), ranks - 1)
        n, df = self._rep_df[key]
        return n.copy(), df.copy()

    def _unit_key(self, codes: np.ndarray | None, g: int) -> _CellKey:
        """The (domain, unit) cells ``codes * units + unit`` (``g * units`` outside every
        domain); the units' and the last read-only codes' kept (an estimate's degf and
        totals share its domains' cells)."""
        units = self._rep_matrix.shape[0]
        if codes is None:
            if "units" not in self._rep_df:
                self._rep_df["units"] = _CellKey(self._rep_unit, units)
            return self._rep_df["units"]
        hit = self._rep_df.get("cells")
        if hit is not None and hit[0] is codes and hit[1] == g:
            return hit[2]
        key = codes * units
        key += self._rep_unit
        key[codes < 0] = g * units
        out = _CellKey(key, g * units)
        if not codes.flags.writeable:
            self._rep_df["cells"] = (codes, g, out)
        return out

    def _unit_ranks(self, codes: np.ndarray | None, g: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows with non-zero weight and the rank of the replicate weights per domain, with
        one row of multipliers per unit: the rank of the rows of the units present (one
        count per (domain, unit) pair)."""
        m, w = self._rep_matrix, self._weights
        units = m.shape[0]
        key = self._unit_key(codes, g)
        if bool(w.min() > 0):
            counts = key.counts().reshape(g, units)
            n = rows = counts.sum(axis=1)
        else:
            counts = key.sums((w != 0).astype(np.float64)).reshape(g, units)
            n = counts.sum(axis=1)
            rows = (
                np.array([self.n_rows])
                if codes is None
                else np.bincount(np.where(codes >= 0, codes, g), minlength=g + 1)[:g]
            )
        ranks = np.empty(g, dtype=np.int64)
        for d in range(g):
            sub = m[counts[d] > 0]
            ranks[d] = _qr_rank(np.einsum("ij,ik->jk", sub, sub), int(rows[d]))
        return n, ranks

    def _ranks(self, codes: np.ndarray, g: int) -> np.ndarray:
        """Rank of each domain's given replicate weights (R's ``qr(W_d)$rank``)."""
        m = self._rep_matrix
        n_rep = m.shape[1]
        out = np.empty(g, dtype=np.int64)
        if g > 64:
            order = np.argsort(codes.astype(np.int16 if g < 32767 else np.int64), kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(g + 1))
        for d in range(g):
            idx = order[bounds[d] : bounds[d + 1]] if g > 64 else np.flatnonzero(codes == d)
            target = min(n_rep, idx.size)
            # Rows spread over the domain usually reach full rank already (the rank cannot
            # exceed the number of replicates); otherwise take more rows, then all of them.
            rank = 0
            for size in (8 * n_rep, 40 * n_rep, 320 * n_rep, idx.size):
                take = (
                    idx
                    if size >= idx.size
                    else idx[np.linspace(0, idx.size - 1, size).astype(np.intp)]
                )
                rank = _qr_rank(self._gram(take), take.size)
                if rank >= target or size >= idx.size:
                    break
            out[d] = rank
        return out

    def _gram(self, rows: np.ndarray) -> np.ndarray:
        """``W[rows].T @ W[rows]`` in blocks of rows."""
        m = self._rep_matrix
        gram = np.zeros((m.shape[1], m.shape[1]))
        for start in range(0, rows.size, _BLOCK):
            block = m[rows[start : start + _BLOCK]]
            if self._rep_base is not None:
                block = block * self._rep_base[rows[start : start + _BLOCK], None]
            # einsum, not ``block.T @ block``: BLAS syrk is slow on small blocks of a busy host
            gram += np.einsum("ij,ik->jk", block, block)
        return gram

    def variance(self, influence: Any, *, domain: Any = None) -> np.ndarray:
        """Replicate covariance of the totals of linearised values.

        The replicate totals are ``sum_i (W[i, r] / w[i]) z[i]``: the replicate variance of
        the linearised estimator. Estimators do not use it (they re-estimate with every
        replicate, as R does); crosstab tests and regression do.
        """
        z = np.asarray(influence, dtype=np.float64)
        squeeze = z.ndim == 1
        z2 = z[:, None] if squeeze else z
        if z2.ndim != 2 or z2.shape[0] != self.n_rows:
            return SurveyDesign.variance(self, influence, domain=domain)
        if domain is None:
            v = self._domain_variance(z2, None, 1)[0]
        else:
            dom = np.asarray(domain)
            if dom.dtype == bool:
                v = self._domain_variance(z2, np.where(dom, 0, -1).astype(np.intp), 1)[0]
            else:
                codes = dom.astype(np.intp)
                g = int(codes.max()) + 1 if codes.size and codes.max() >= 0 else 0
                v = self._domain_variance(z2, codes, g)
        return v

    def _domain_variance(
        self, z: np.ndarray, codes: np.ndarray | None, n_domains: int
    ) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.where(self._weights[:, None] != 0, z / self._weights[:, None], 0.0)
        full, reps = self.replicate_totals(u, codes, n_domains)
        if self.mse:
            dev = reps - full[:, None, :]
        else:
            keep = self.rscales > 0
            dev = reps - reps[:, keep].mean(axis=1, keepdims=True)
        dev = dev * np.sqrt(self.rscales)[None, :, None]
        return self.scale * np.einsum("grk,grl->gkl", dev, dev)

    def with_calibration(self, weights: Any, residualise: Any) -> SurveyDesign:
        """Not available: calibrate the replicate weights themselves instead."""
        raise DesignError(
            "DES204",
            "replicate designs cannot be calibrated with with_calibration()",
            expected="a SurveyDesign (strata and PSUs)",
            found="ReplicateDesign",
            hint="Calibrate the full-sample and every replicate weight column, then build "
            "the ReplicateDesign from the calibrated columns.",
        )

    def with_df_rule(self, rule: str) -> ReplicateDesign:
        """The same design with another degrees-of-freedom rule for domains."""
        if rule not in DF_RULES:
            SurveyDesign.with_df_rule(self, rule)  # raises DES023
        out = object.__new__(ReplicateDesign)
        for name in (*SurveyDesign.__slots__, *ReplicateDesign.__slots__):
            object.__setattr__(out, name, getattr(self, name))
        object.__setattr__(out, "_df_rule", rule)
        object.__setattr__(out, "_cache", {})
        object.__setattr__(out, "_rep_df", {})
        return out
