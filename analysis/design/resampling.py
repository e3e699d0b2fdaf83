"""Replicate weights made from a stratified cluster design (R's ``as.svrepdesign``).

:func:`as_replicate` turns a :class:`~analysis.design.SurveyDesign` into a
:class:`~analysis.design.replicate.ReplicateDesign` with one row of weight multipliers per
PSU (R's compressed replicate weights): delete-one jackknives (JK1, JKn), balanced
half-samples (BRR, Fay's variant) on a Hadamard matrix, and a seeded with-replacement
bootstrap of the PSUs within strata.

Examples
--------
>>> sylvester_hadamard(3).shape
(4, 4)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import DesignError
from .replicate import ReplicateDesign
from .survey import SurveyDesign

__all__ = ["AS_REPLICATE_TYPES", "as_replicate", "sylvester_hadamard"]

#: Types :func:`as_replicate` builds from a design (R's ``as.svrepdesign(type=)``).
AS_REPLICATE_TYPES = ("auto", "JK1", "JKn", "BRR", "Fay", "bootstrap")


def sylvester_hadamard(n_pairs: int) -> np.ndarray:
    """A 0/1 Hadamard matrix of order ``max(4, 2**k) > n_pairs`` (Sylvester's construction).

    R's ``survey::hadamard(n)`` returns this matrix (1 for +1, 0 for -1) for up to seven
    pairs and whenever its chosen order is a power of two; for other sizes (e.g. 8-11
    pairs) it uses a smaller precomputed matrix: pass R's matrix to :func:`as_replicate`
    as ``hadamard=`` for the same replicates.

    Examples
    --------
    >>> sylvester_hadamard(2).tolist()
    [[1, 1, 1, 1], [1, 0, 1, 0], [1, 1, 0, 0], [1, 0, 0, 1]]
    >>> sylvester_hadamard(4).shape
    (8, 8)
    """
    h = np.ones((1, 1), dtype=np.int64)
    while h.shape[0] < max(4, n_pairs + 1):
        h = np.block([[h, h], [h, -h]])
    return (1 + h) // 2


# ---------------------------------------------------------------------------- as_replicate
def _psu_table(design: SurveyDesign) -> tuple[np.ndarray, np.ndarray]:
    """Stratum code of each PSU, and the PSUs in R's order (first appearance in the data)."""
    strata_of_psu = design.stages[0].unit_group
    order = np.argsort(design._psu_first_row, kind="stable")
    return strata_of_psu, order


def _lonely_refusal(design: SurveyDesign, what: str) -> DesignError:
    return DesignError(
        "DES205",
        f"{what} needs at least two PSUs in every stratum",
        expected="2 or more PSUs per stratum",
        found="a stratum with a single PSU",
        hint="Merge the stratum with a neighbour, or use lonely_psu='remove', 'certainty' or "
        "'average' on the design (JKn follows R's handling of lonely PSUs).",
    )


def as_replicate(
    design: SurveyDesign,
    type: str = "auto",
    *,
    rho: float = 0.0,
    replicates: int = 50,
    seed: int | None = None,
    hadamard: Any = None,
    mse: bool = False,
) -> ReplicateDesign:
    """Replicate weights from a stratified cluster design (R's ``as.svrepdesign``).

    Parameters
    ----------
    design : SurveyDesign
        Not calibrated. Only the first stage counts (its strata, PSUs and fpc), as in R.
    type : {"auto", "JK1", "JKn", "BRR", "Fay", "bootstrap"}
        ``"auto"``: JK1 without strata, JKn with. JK1 (unstratified): drop one PSU per
        replicate, scale ``f (n - 1) / n``. JKn: drop one PSU per replicate within its
        stratum, ``rscales = f_h (n_h - 1) / n_h``. BRR/Fay: two PSUs per stratum,
        half-samples from a Hadamard matrix; Fay multiplies by ``rho`` and ``2 - rho``.
        bootstrap: ``replicates`` with-replacement resamples of the PSUs in each stratum
        (R's ``bootweights``; numbers differ from R's, whose random numbers are R's).
    rho : float
        Fay's rho (``type="Fay"``; 0 is BRR).
    replicates : int
        Bootstrap replicates.
    seed : int, optional
        Seed of the bootstrap's random numbers.
    hadamard : array_like, optional
        A Hadamard matrix (two distinct values; at least ``pairs + 1`` rows) for BRR/Fay;
        default :func:`sylvester_hadamard`.
    mse : bool
        As in :class:`ReplicateDesign`.

    Returns
    -------
    ReplicateDesign

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"s": [1, 1, 1, 1, 2, 2, 2, 2], "v": [1, 1, 2, 2, 3, 3, 4, 4],
    ...                    "w": [2.0] * 8, "y": [1.0, 2, 3, 4, 5, 6, 7, 9]})
    >>> d = SurveyDesign(df, weights="w", strata="s", psu="v")
    >>> as_replicate(d, "BRR")
    ReplicateDesign(8 rows, 4 BRR replicates, df=2, weights='w', mse=False)
    >>> as_replicate(d, "JKn").rscales.tolist()
    [0.5, 0.5, 0.5, 0.5]
    """
    if not isinstance(design, SurveyDesign) or isinstance(design, ReplicateDesign):
        raise DesignError(
            "DES204",
            "as_replicate() takes a SurveyDesign with strata and PSUs",
            expected="analysis.SurveyDesign",
            found=design.__class__.__name__,
            hint="Build SurveyDesign(data, weights=..., strata=..., psu=...) first.",
        )
    if design.is_calibrated:
        raise DesignError(
            "DES204",
            "as_replicate() cannot convert a calibrated design",
            expected="an uncalibrated SurveyDesign",
            found="calibrated design",
            hint="Make the replicate design first, then calibrate each replicate weight column.",
        )
    if type not in AS_REPLICATE_TYPES:
        raise DesignError(
            "DES202",
            f"unknown replicate type {type!r} for as_replicate()",
            expected=" / ".join(AS_REPLICATE_TYPES),
            found=repr(type),
            hint="Use 'JK1' without strata, 'JKn', 'BRR' or 'Fay' with strata, or 'bootstrap'.",
        )
    has_strata = design.columns["strata"] is not None
    if type == "auto":
        type = "JKn" if has_strata else "JK1"
    if type == "JK1" and has_strata:
        raise DesignError(
            "DES204",
            "JK1 replicates are for unstratified designs",
            expected="type='JKn' (or BRR/Fay) for a stratified design",
            found="type='JK1' with strata",
            hint="Use type='JKn', as R's as.svrepdesign does.",
        )
    if type in ("JKn", "BRR", "Fay") and not has_strata:
        raise DesignError(
            "DES204",
            f"{type} replicates need strata",
            expected="type='JK1' or 'bootstrap' for an unstratified design",
            found=f"type={type!r} without strata",
            hint="Use type='JK1' or 'bootstrap'.",
        )
    stage = design.stages[0]
    strata_of_psu, order = _psu_table(design)
    n_psu = design.n_psu
    weights = 1.0 / (1.0 / design.weights)  # R keeps 1/w and uses 1/(1/w)
    info: dict[str, Any] = dict(type=type, rho=None, mse=mse)
    if type == "JK1":
        n = n_psu
        m = np.full((n_psu, n), n / (n - 1))
        m[order, np.arange(n)] = 0.0
        info.update(scale=float(stage.f[0]) * (n - 1) / n, rscales=np.ones(n))
    elif type == "JKn":
        m, rscales, scale = _jkn(design, strata_of_psu, order)
        info.update(scale=scale, rscales=rscales)
    elif type in ("BRR", "Fay"):
        if type == "Fay" and not 0 < rho < 1:
            raise DesignError(
                "DES202",
                "type='Fay' needs rho strictly between 0 and 1",
                expected="rho, e.g. 0.5",
                found=repr(rho),
                hint="Use type='BRR' for rho=0.",
            )
        r = rho if type == "Fay" else 0.0
        m = _brr(design, strata_of_psu, order, r, hadamard)
        info.update(type="Fay" if r else "BRR", rho=r if r else None)
        info.update(scale=1 / (m.shape[1] * (1 - r) ** 2), rscales=np.ones(m.shape[1]))
    else:
        m, scale = _bootstrap(design, strata_of_psu, order, replicates, seed)
        info.update(scale=scale, rscales=np.ones(replicates))
    return ReplicateDesign._from_parts(design, weights, m, design.psu, info)


def _jkn(
    design: SurveyDesign, strata_of_psu: np.ndarray, order: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    stage = design.stages[0]
    n_psu = design.n_psu
    lonely = design.lonely_psu
    columns, rscales = [], []
    sizes = np.bincount(strata_of_psu, minlength=stage.n_groups)
    strata_order = pd.unique(strata_of_psu[order])
    for h in strata_order:
        psus = order[strata_of_psu[order] == h]
        n_h = psus.size
        f_h = float(stage.f[h])
        if n_h == 1 and f_h != 0:
            if lonely in ("fail",):
                raise _lonely_refusal(design, "JKn")
            if lonely in ("remove", "certainty", "average"):
                continue
            # "adjust": R drops the lonely PSU and rescales every other stratum
            n_strata = stage.n_groups
            col = np.where(strata_of_psu == h, 0.0, n_strata / (n_strata - 1))
            columns.append(col)
            rscales.append((n_strata - 1) / n_strata)
            continue
        for p in psus:
            col = np.ones(n_psu)
            col[psus] = n_h / (n_h - 1)
            col[p] = 0.0
            columns.append(col)
            rscales.append(f_h * (n_h - 1) / n_h)
    if not columns:
        raise _lonely_refusal(design, "JKn")
    scale = 1.0
    if len(columns) < n_psu and lonely == "average":
        scale = n_psu / len(columns)
    del sizes
    return np.column_stack(columns), np.array(rscales), scale


def _brr(
    design: SurveyDesign, strata_of_psu: np.ndarray, order: np.ndarray, rho: float, hadamard: Any
) -> np.ndarray:
    n_strata = design.stages[0].n_groups
    sizes = np.bincount(strata_of_psu, minlength=n_strata)
    if (sizes != 2).any():
        raise DesignError(
            "DES205",
            "BRR and Fay replicates need exactly two PSUs in every stratum",
            expected="2 PSUs per stratum",
            found=f"strata with {sorted(set(sizes.tolist()) - {2})} PSUs",
            hint="Pair the PSUs into pseudo-strata of two (variance strata), or use JKn.",
        )
    if hadamard is None:
        h = sylvester_hadamard(n_strata)
    else:
        raw = np.asarray(hadamard)
        values = pd.unique(raw.T.ravel())  # R: unique(as.vector(H)), column-major
        if raw.ndim != 2 or values.size != 2 or raw.shape[0] < n_strata + 1:
            raise DesignError(
                "DES205",
                "hadamard must be a matrix of two values with at least pairs + 1 rows",
                expected=f"a Hadamard matrix with >= {n_strata + 1} rows",
                found=f"shape {raw.shape}, {values.size} distinct values",
                hint="Leave hadamard=None for Sylvester's matrix.",
            )
        h = np.where(raw == values[0], 0, 1)
    # strata in sorted label order (R's order(strata)), PSUs in order of appearance
    first, second = np.empty(n_strata, np.intp), np.empty(n_strata, np.intp)
    seen = np.zeros(n_strata, dtype=np.intp)
    for p in order:
        s = strata_of_psu[p]
        (first if seen[s] == 0 else second)[s] = p
        seen[s] += 1
    rows = h[1 : n_strata + 1, :]  # (strata, replicates)
    m = np.empty((design.n_psu, h.shape[1]))
    m[first] = np.where(rows == 0, rho, 2 - rho)
    m[second] = np.where(rows == 0, 2 - rho, rho)
    return m


def _bootstrap(
    design: SurveyDesign,
    strata_of_psu: np.ndarray,
    order: np.ndarray,
    replicates: int,
    seed: int | None,
) -> tuple[np.ndarray, float]:
    if not isinstance(replicates, (int, np.integer)) or replicates < 2:
        raise DesignError(
            "DES203",
            "bootstrap needs at least two replicates",
            expected="an integer >= 2",
            found=repr(replicates),
            hint="Use e.g. replicates=200.",
        )
    stage = design.stages[0]
    rng = np.random.default_rng(seed)
    m = np.empty((design.n_psu, replicates))
    sizes = np.bincount(strata_of_psu, minlength=stage.n_groups)
    for h in range(stage.n_groups):
        psus = order[strata_of_psu[order] == h]
        n_h = psus.size
        pop = stage.population[h]
        for r in range(replicates):
            if np.isfinite(pop):
                pool = np.resize(np.arange(n_h), int(pop))  # R: rep(upsu, length = popsize)
                draw = rng.choice(pool, size=n_h, replace=False)
            else:
                draw = rng.integers(0, n_h, size=n_h)
            m[psus, r] = np.bincount(draw, minlength=n_h)
    psu_per_stratum = 1 / np.mean(1 / sizes)
    if psu_per_stratum <= 1:
        raise _lonely_refusal(design, "the bootstrap")
    scale = psu_per_stratum / ((psu_per_stratum - 1) * (replicates - 1))
    return m, float(scale)
