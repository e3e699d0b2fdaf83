"""Taylor-linearised variance from sampling-unit totals (R survey's ``svyrecvar``).

The variance of an estimated total :math:`\\hat T = \\sum_i z_i` (``z`` being the
weighted, linearised "influence" values of the rows) depends on the data only
through the totals of ``z`` per sampling unit. Estimation therefore happens in
two steps:

1. :func:`unit_totals` reduces the rows, in one pass (``numpy.bincount`` on
   integer codes), to a small table: one row per *(domain, sampling unit)*
   present in the domain, with the totals of the linearised variables.
2. :func:`stage_variance` turns that table into covariance matrices, stage by
   stage, with the with-replacement first-stage formula, finite population
   corrections, R's recursive multistage formula when every stage has an fpc,
   and R's lonely-PSU policies.

Both steps reproduce R's ``survey`` package (``onestrat``/``onestage``/
``multistage``), including how R treats domains: a domain keeps the full
design, PSUs of a stratum that have no row in the domain count as PSUs with a
zero total, strata without any row in the domain are left out.

Examples
--------
Two strata with two PSUs each, totals of one variable per PSU:

>>> import numpy as np
>>> stage = SamplingStage(number=1, n_units=4, unit_group=np.array([0, 0, 1, 1]),
...                       n_groups=2, sampled=np.array([2, 2]),
...                       population=np.array([np.inf, np.inf]),
...                       f=np.array([1.0, 1.0]), multiplier=np.array([1.0, 1.0]))
>>> totals = UnitTotals(domain=np.zeros(4, dtype=np.intp), unit=np.arange(4),
...                     totals=np.array([[1.0], [3.0], [2.0], [6.0]]), n_domains=1)
>>> stage_variance((stage,), totals, lonely_psu="fail").ravel().tolist()
[20.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .rowpass import bincount, keyed_counts, keyed_sums

__all__ = ["CENSUS_TOLERANCE", "SamplingStage", "UnitTotals", "stage_variance", "unit_totals"]

#: R's ``onestrat`` treats a stratum whose fpc factor is below this as a census (zero variance).
CENSUS_TOLERANCE = 1e-7

# Dense bincount tables up to this many cells; sparser reductions go through a hash factorisation.
_DENSE_LIMIT = 1 << 22


@dataclass(frozen=True)
class SamplingStage:
    """One stage of sampling: the units drawn at this stage, grouped as they were drawn.

    At stage 1 the groups are the strata and the units the PSUs; at stage ``s > 1``
    the groups are the units of stage ``s - 1`` (each PSU is a "stratum" for its
    secondary units), exactly as R's ``svydesign`` nests them.

    Attributes
    ----------
    number : int
        1-based stage number.
    n_units : int
        Number of distinct sampled units at this stage.
    unit_group : numpy.ndarray
        ``(n_units,)`` group code of each unit (stratum at stage 1, parent unit later).
    n_groups : int
        Number of groups.
    sampled : numpy.ndarray
        ``(n_groups,)`` number of units sampled in each group (R's ``fpc$sampsize``).
    population : numpy.ndarray
        ``(n_groups,)`` population size of each group (``inf`` without an fpc).
    f : numpy.ndarray
        ``(n_groups,)`` finite population correction factor ``(N - n) / N`` (1 without fpc).
    multiplier : numpy.ndarray
        ``(n_groups,)`` product of the sampling fractions ``n / N`` of the groups above
        (1 at stage 1); R's multistage formula scales stage ``s`` by it.
    """

    number: int
    n_units: int
    unit_group: np.ndarray
    n_groups: int
    sampled: np.ndarray
    population: np.ndarray
    f: np.ndarray
    multiplier: np.ndarray

    @property
    def lonely(self) -> np.ndarray:
        """``(n_groups,)`` True where a group has a single sampled unit and is not a census."""
        return (self.sampled == 1) & (self.f >= CENSUS_TOLERANCE)


@dataclass(frozen=True)
class UnitTotals:
    """Totals of ``K`` linearised variables per (domain, sampling unit) present in the domain.

    Attributes
    ----------
    domain : numpy.ndarray
        ``(P,)`` domain code of each row of the table.
    unit : numpy.ndarray
        ``(P,)`` unit code (at the finest stage used for variance).
    totals : numpy.ndarray
        ``(P, K)`` totals of the linearised variables.
    n_domains : int
        Number of domains ``G`` (codes ``0..G-1``).
    """

    domain: np.ndarray
    unit: np.ndarray
    totals: np.ndarray
    n_domains: int


def unit_totals(
    unit_codes: np.ndarray,
    n_units: int,
    values: np.ndarray,
    domain_codes: np.ndarray | None = None,
    n_domains: int = 1,
    *,
    all_units_present: bool = False,
) -> UnitTotals:
    """Reduce per-row linearised values to totals per (domain, unit) in one pass.

    Parameters
    ----------
    unit_codes : numpy.ndarray
        ``(n,)`` code ``0..n_units-1`` of each row's sampling unit.
    n_units : int
        Number of units.
    values : numpy.ndarray
        ``(n,)`` or ``(n, K)`` per-row values to total.
    domain_codes : numpy.ndarray, optional
        ``(n,)`` domain code of each row, ``-1`` for rows outside every domain
        (R's subset: those rows are dropped). Default: one domain holding every row.
    n_domains : int
        Number of domains.
    all_units_present : bool
        Keep every unit of the design in every domain, as R does for calibrated
        designs (their subsets keep all rows with zero weight).

    Returns
    -------
    UnitTotals

    Examples
    --------
    >>> import numpy as np
    >>> t = unit_totals(np.array([0, 0, 1, 2]), 3, np.array([1.0, 2.0, 3.0, 4.0]),
    ...                 np.array([0, 1, 1, -1]), 2)
    >>> t.domain.tolist(), t.unit.tolist(), t.totals.ravel().tolist()
    ([0, 1, 1], [0, 0, 1], [1.0, 2.0, 3.0])
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    n, k = values.shape
    unit_codes = np.asarray(unit_codes, dtype=np.intp)
    size = n_units
    codes = None
    if domain_codes is not None:
        codes = np.asarray(domain_codes, dtype=np.intp)
        size = n_domains * n_units
        if n_domains == 1 and codes.min() >= 0:
            codes = None  # one domain holding every row: the unit is the key
    else:
        n_domains = 1
    if size <= max(_DENSE_LIMIT, 4 * n) or all_units_present:
        cells = size + 1
        if codes is None:  # the key is the unit: one bincount per column, nothing to build
            present = np.arange(size)
            totals = np.empty((size, k))
            for j in range(k):
                totals[:, j] = bincount(unit_codes, weights=values[:, j], minlength=size)
            return UnitTotals(present // n_units, present % n_units, totals, n_domains)

        def key_of(rows: slice) -> np.ndarray:  # (domain, unit) cells, block by block
            return _cell_keys(codes[rows], unit_codes[rows], n_units, size)

        if all_units_present:
            present = np.arange(size)
        else:
            present = np.flatnonzero(keyed_counts(key_of, n, cells)[:size])
        totals = keyed_sums(key_of, n, cells, values)[present]
        return UnitTotals(present // n_units, present % n_units, totals, n_domains)
    key = unit_codes if codes is None else _cell_keys(codes, unit_codes, n_units, size)
    inside = key < size
    codes_c, uniques = pd.factorize(key[inside], sort=True)
    totals = np.empty((uniques.size, k))
    for j in range(k):
        totals[:, j] = np.bincount(codes_c, weights=values[inside, j], minlength=uniques.size)
    uniques = np.asarray(uniques, dtype=np.intp)
    return UnitTotals(uniques // n_units, uniques % n_units, totals, n_domains)


def _cell_keys(codes: np.ndarray, units: np.ndarray, n_units: int, trash: int) -> np.ndarray:
    """``codes * n_units + units``, and ``trash`` for rows outside every domain (code -1)."""
    key = codes * n_units
    key += units
    key[codes < 0] = trash
    return key


def group_sum(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum the rows of ``values`` (any trailing shape) by integer group code.

    Examples
    --------
    >>> import numpy as np
    >>> group_sum(np.array([[1.0], [2.0], [4.0]]), np.array([1, 0, 1]), 3).ravel().tolist()
    [2.0, 5.0, 0.0]
    """
    shape = values.shape
    flat = values.reshape(shape[0], -1)
    if flat.shape[1] <= 8:
        out = np.empty((n_groups, flat.shape[1]))
        for j in range(flat.shape[1]):
            out[:, j] = np.bincount(codes, weights=flat[:, j], minlength=n_groups)
    else:
        from scipy import sparse  # only for wide sums: importing it costs ~60 ms at start-up

        indicator = sparse.csr_array(
            (np.ones(shape[0]), (codes, np.arange(shape[0]))), shape=(n_groups, shape[0])
        )
        out = indicator @ flat
    return out.reshape((n_groups, *shape[1:]))


def _outer(x: np.ndarray) -> np.ndarray:
    return x[:, :, None] * x[:, None, :]


def _square(x: np.ndarray) -> np.ndarray:
    return x * x


def stage_variance(
    stages: tuple[SamplingStage, ...],
    totals: UnitTotals,
    *,
    lonely_psu: str,
    adjust_domain_lonely: bool = False,
    diagonal: bool = False,
) -> np.ndarray:
    """Covariance matrices of the domain totals from unit totals, stage by stage.

    Parameters
    ----------
    stages : tuple of SamplingStage
        The stages used for variance (only the first without an fpc; all with one).
    totals : UnitTotals
        Totals per (domain, unit) at the last stage in ``stages``.
    lonely_psu : {"fail", "remove", "certainty", "adjust", "adjust_mean", "average"}
        R's ``options(survey.lonely.psu=)``. ``"fail"`` is checked when the design is
        built, so here it behaves like ``"remove"``. ``"adjust"`` is R survey 4.1.1's rule
        (a lonely stratum's PSU totals centred at zero); ``"adjust_mean"`` is R survey
        >= 4.4's (centred at the average PSU total of the domain: its total over the
        number of sampled PSUs of the strata it touches). At later stages a sampling
        unit is its own "design", so ``"adjust_mean"`` centres a lonely unit at itself.
    adjust_domain_lonely : bool
        R's ``options(survey.adjust.domain.lonely=)``: apply the lonely-PSU policy
        to strata that have a single PSU *in the domain* (default False: such strata
        use the full design's PSU count, the absent PSUs having zero totals).
    diagonal : bool
        Only the variances (the diagonals), ``(G, K)``: the same numbers for ``K``
        times less work when the covariances are not needed (shares of many levels).

    Returns
    -------
    numpy.ndarray
        ``(G, K, K)`` covariance matrix of the ``K`` totals in each of the ``G`` domains,
        or ``(G, K)`` variances with ``diagonal=True``.
    """
    n_domains = totals.n_domains
    k = totals.totals.shape[1]
    variance = np.zeros((n_domains, k) if diagonal else (n_domains, k, k))
    outer = _square if diagonal else _outer
    cells = (slice(None), None) if diagonal else (slice(None), None, None)
    dom, unit, tot = totals.domain, totals.unit, totals.totals
    for s in range(len(stages) - 1, -1, -1):
        st = stages[s]
        group = st.unit_group[unit]
        cell_key = dom * st.n_groups + group
        cell_codes, cell_keys = _factorize_small(cell_key)
        n_cells = cell_keys.size
        cell_dom = cell_keys // st.n_groups
        cell_group = cell_keys % st.n_groups
        n_present = np.bincount(cell_codes, minlength=n_cells).astype(np.float64)
        sums = group_sum(tot, cell_codes, n_cells)
        n_sampled = st.sampled[cell_group].astype(np.float64)
        f = st.f[cell_group]
        means = sums / n_sampled[:, None]
        dev = tot - means[cell_codes]
        # Absent units of the group count as units with a zero total (R pads with zero rows).
        ss = group_sum(outer(dev), cell_codes, n_cells) + (n_sampled - n_present)[cells] * outer(
            means
        )
        lonely = n_sampled == 1
        domain_lonely = adjust_domain_lonely & (n_present == 1) & ~lonely
        if lonely_psu == "adjust":
            uncentred = lonely | domain_lonely
            if uncentred.any():
                raw = group_sum(outer(tot), cell_codes, n_cells)
                ss[uncentred] = raw[uncentred]
        elif lonely_psu == "adjust_mean" and s == 0:
            recentred = lonely | domain_lonely
            if recentred.any():
                ss[recentred] = _recentred(
                    tot, sums, cell_codes, cell_dom, n_sampled, n_present, recentred, n_domains
                )
        scale = np.where(n_sampled > 1, f * n_sampled / np.maximum(n_sampled - 1, 1), f)
        contrib = scale[cells] * ss
        census = f < CENSUS_TOLERANCE
        contrib[census] = 0.0
        unusable = (lonely_psu == "average") & ~census & (lonely | domain_lonely)
        if s == 0:
            n_strata = np.bincount(cell_dom, minlength=n_domains).astype(np.float64)
            n_unusable = np.bincount(cell_dom, weights=unusable, minlength=n_domains)
            contrib[unusable] = 0.0
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(n_strata > 0, n_strata / (n_strata - n_unusable), 1.0)
            stage_v = group_sum(contrib, cell_dom, n_domains)
            with np.errstate(invalid="ignore"):
                stage_v = stage_v * factor[cells]
        else:
            contrib = contrib * st.multiplier[cell_group][cells]
            contrib[unusable] = np.nan  # R: 0 * 1/0 for a one-stratum call with no usable stratum
            stage_v = group_sum(contrib, cell_dom, n_domains)
        variance += stage_v
        dom, unit, tot = cell_dom, cell_group, sums
    return variance


def _recentred(
    tot: np.ndarray,
    sums: np.ndarray,
    cell_codes: np.ndarray,
    cell_dom: np.ndarray,
    n_sampled: np.ndarray,
    n_present: np.ndarray,
    cells: np.ndarray,
    n_domains: int,
) -> np.ndarray:
    """Sums of squares of the ``cells`` (lonely strata) centred at the domain's average
    PSU total, R survey >= 4.4's ``adjust`` (``onestage``'s ``recentering``).

    The centre of a domain is its total over the sampled PSUs of every stratum it
    touches; sampled PSUs without rows in the domain count with a zero total.
    """
    dom_total = group_sum(sums, cell_dom, n_domains)
    dom_psus = np.bincount(cell_dom, weights=n_sampled, minlength=n_domains)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = dom_total / dom_psus[:, None]
    rows = cells[cell_codes]
    dev = tot[rows] - centre[cell_dom[cell_codes[rows]]]
    out = group_sum(_outer(dev), cell_codes[rows], cells.size)[cells]
    c = centre[cell_dom[cells]]
    return out + (n_sampled - n_present)[cells][:, None, None] * _outer(c)


def _factorize_small(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    uniques, inverse = np.unique(key, return_inverse=True)
    return inverse.ravel(), uniques
