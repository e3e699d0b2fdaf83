"""Several estimates requested together, from one reduction of the rows.

:func:`estimate_many` takes a list (or a dict) of requests, each one call of
:func:`~analysis.estimate.estimators.mean`, :func:`~analysis.estimate.estimators.total`,
:func:`~analysis.estimate.estimators.proportion`, :func:`~analysis.estimate.estimators.ratio`
or :func:`~analysis.estimate.estimators.quantile` written as a dict, and returns the same
tidy tables, in the same order (or under the same keys).

Inside, the rows are read once per domain coding: every estimate whose domains are
those of one ``by`` (and ``where``) coding, or the whole sample under the same ``where``,
is served by one weighted ``bincount`` per quantity over the cells (domain, sampling
unit), or (domain, sampling unit, level) for categorical variables:

* a numeric variable ``y`` gives the cell totals of ``w``, ``w (y - c)`` and
  ``w (y - c)^2``, ``c`` being its overall weighted mean (a shift that keeps the sums of
  squares accurate); its means, totals, influence totals, sums of squares (for ``deff``)
  and their variances follow from these small tables;
* a categorical variable gives the weighted count of each level in each cell, the table
  :func:`~analysis.estimate.levels.level_table` works on for shares and level totals;
* the estimates without ``by`` sum the cells of a ``by`` coding (same ``where``) over its
  domains, when those cells are few beside the rows.

The variances come from :func:`~analysis.design.variance.stage_variance` and the
intervals, ``df`` and ``n`` from the same code as the single calls. The numbers equal
the single calls' up to rounding (relative differences of about 1e-15; a domain where the
variable is nearly constant is checked on its rows). Ratios and quantiles, replicate-weight,
calibrated and engine designs, designs with zero weights and codings too large for dense
cells are computed by the single calls, so every request is answered.

Examples
--------
>>> import pandas as pd
>>> from analysis.design.survey import SurveyDesign
>>> df = pd.DataFrame({"county": ["A"] * 4 + ["B"] * 4,
...                    "village": [1, 1, 2, 2, 1, 1, 2, 2],
...                    "w": [10.0, 10, 12, 12, 8, 8, 9, 9],
...                    "tv": ["yes", "no", "yes", "yes", "no", "yes", "yes", "yes"],
...                    "income": [3.0, 4, 6, 5, 2, 3, 4, 8]})
>>> design = SurveyDesign(df, weights="w", strata="county", psu="village")
>>> tables = estimate_many(design, {
...     "income": {"stat": "mean", "variables": "income"},
...     "tv": {"stat": "proportion", "variables": "tv", "method": "wald"},
...     "by_county": {"stat": "mean", "variables": "income", "by": "county"}})
>>> round(float(tables["income"]["estimate"].iloc[0]), 4)
4.4872
>>> tables["tv"][["level", "estimate"]].round(4).values.tolist()
[['no', 0.2308], ['yes', 0.7692]]
>>> tables["by_county"][["county", "estimate"]].round(4).values.tolist()
[['A', 4.5909], ['B', 4.3529]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..design.domains import DomainRows, Domains, column_names, domains
from ..design.replicate import ReplicateDesign
from ..design.rowpass import bincount
from ..design.survey import SurveyDesign
from ..design.variance import UnitTotals, stage_variance
from ..errors import BaicunError, EstimationError
from . import engines
from . import estimators as single
from .levels import is_categorical, level_codes, level_table
from .tidy import (
    check_design,
    check_level,
    concat,
    numeric_values,
    safe_div,
    srs_deff,
    tidy_table,
    variable_rows,
)

__all__ = ["REQUEST_OPTIONS", "estimate_many"]

#: The statistics a request may ask for, and the options each takes (as the single calls).
REQUEST_OPTIONS: dict[str, tuple[str, ...]] = {
    "mean": ("by", "where", "na_rm", "ci_level"),
    "total": ("by", "where", "na_rm", "ci_level"),
    "proportion": ("by", "where", "method", "na_rm", "ci_level"),
    "ratio": ("denominator", "by", "where", "na_rm", "ci_level"),
    "quantile": ("q", "by", "where", "qrule", "interval", "na_rm", "ci_level"),
}

#: Cells of one dense reduction at most (beyond it: the single calls' sparse paths).
_DENSE_CELLS = 1 << 23

#: A domain whose sum of squares is below this share of its sum of squares around the
#: overall mean is checked on its rows (it may be constant: SE exactly 0, as the single calls).
_NEAR_CONSTANT = 1e-8


@dataclass(frozen=True)
class _Request:
    """One request, checked: the statistic, its variables and its options."""

    stat: str
    variables: Any
    options: dict[str, Any]


@dataclass
class _Numeric:
    """A numeric variable's cell totals on one domain coding (cells ``domain * U + unit``)."""

    y: np.ndarray
    shift: float
    #: the weighted total of every row (complete variables: the whole sample's, as mean())
    ty_all: float | None
    sw: np.ndarray
    swd: np.ndarray
    #: ``(G,)`` sums of ``w (y - c)^2`` per domain of the host coding (not per cell)
    swdd: np.ndarray


@dataclass
class _Host:
    """One domain coding whose rows are reduced, and the codings served from its cells."""

    dom: Domains
    #: the key of the coding's unit weight totals cached on the design (None: not cached)
    cache_key: Any = None
    folded: list[Domains] = field(default_factory=list)
    numeric: set[str] = field(default_factory=set)
    categorical: set[str] = field(default_factory=set)


def estimate_many(
    design: SurveyDesign, requests: Sequence[Mapping[str, Any]] | Mapping[Any, Mapping[str, Any]]
) -> list[pd.DataFrame] | dict[Any, pd.DataFrame]:
    """Several estimates at once, each the table of the single call it describes.

    Parameters
    ----------
    design : SurveyDesign
        Any design the single calls take (replicate and engine designs are answered
        by the single calls, one request at a time).
    requests : list of dict, or dict of dict
        Each request names ``stat`` (``"mean"``, ``"total"``, ``"proportion"``,
        ``"ratio"`` or ``"quantile"``) and ``variables`` (a column or a list of columns),
        and optionally the keyword arguments of that single call: ``by``, ``where``,
        ``na_rm``, ``ci_level``; ``method`` (proportion); ``denominator`` (ratio, required);
        ``q``, ``qrule``, ``interval`` (quantile). See :data:`REQUEST_OPTIONS`.

    Returns
    -------
    list or dict of pandas.DataFrame
        The tables in request order (a list), or under the requests' keys (a dict).

    Raises
    ------
    EstimationError
        ``EST560`` no requests, or not a list or dict of them; ``EST561`` a request that
        is not a dict with ``stat`` and ``variables``; ``EST562`` an unknown statistic;
        ``EST563`` an option the statistic does not take, or a ratio without a
        ``denominator``. A request the single call would refuse raises the single call's
        error, saying which request it was.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.design.survey import SurveyDesign
    >>> df = pd.DataFrame({"s": [1, 1, 2, 2], "w": [2.0, 2.0, 3.0, 3.0],
    ...                    "y": [1.0, 3.0, 2.0, 6.0]})
    >>> d = SurveyDesign(df, weights="w", strata="s")
    >>> [t["estimate"].item() for t in estimate_many(
    ...     d, [{"stat": "total", "variables": "y"}, {"stat": "mean", "variables": "y"}])]
    [32.0, 3.2]
    """
    keys, reqs = _requests(requests)
    names = keys if isinstance(requests, Mapping) else list(range(len(reqs)))
    if engines.is_engine(design) or not _reducible(check_design(design)):
        tables = [_single(design, r, k) for r, k in zip(reqs, names)]
    else:
        try:
            tables = _batch(design, reqs, names)
        except BaicunError:
            # say which request failed: the single calls, in order, raise it with its name
            tables = [_single(design, r, k) for r, k in zip(reqs, names)]
    return dict(zip(keys, tables)) if isinstance(requests, Mapping) else tables


def _reducible(design: SurveyDesign) -> bool:
    """Designs whose estimates come from positive weights and Taylor linearisation alone."""
    return not (
        isinstance(design, ReplicateDesign) or design.is_calibrated or design.has_zero_weights
    )


# ---------------------------------------------------------------------------- requests
def _requests(requests: Any) -> tuple[list[Any], list[_Request]]:
    """The requests' keys (positions for a list) and the checked requests."""
    if isinstance(requests, Mapping):
        keys: list[Any] = list(requests)
        items = list(requests.values())
    elif isinstance(requests, Sequence) and not isinstance(requests, (str, bytes)):
        keys = list(range(len(requests)))
        items = list(requests)
    else:
        items = []
        keys = []
        requests = repr(requests)
    if not items:
        raise EstimationError(
            "EST560",
            "estimate_many() needs a non-empty list (or dict) of requests",
            expected='e.g. [{"stat": "mean", "variables": "income"}, ...]',
            found=repr(requests),
            hint="Pass one dict per estimate: its statistic, variables and options.",
        )
    return keys, [_request(item, key) for key, item in zip(keys, items)]


def _request(item: Any, key: Any) -> _Request:
    if not isinstance(item, Mapping) or "stat" not in item or "variables" not in item:
        raise EstimationError(
            "EST561",
            f"request {key!r} is not a dict with 'stat' and 'variables'",
            expected='{"stat": "mean", "variables": "income", "by": "county", ...}',
            found=repr(item),
            hint="Write each request as a dict naming the statistic and its variables.",
        )
    stat = item["stat"]
    if stat not in REQUEST_OPTIONS:
        raise EstimationError(
            "EST562",
            f"request {key!r} asks for an unknown statistic {stat!r}",
            expected=" / ".join(REQUEST_OPTIONS),
            found=repr(stat),
            hint="Use one of the statistics listed (quantiles and ratios included).",
        )
    allowed = REQUEST_OPTIONS[stat]
    options = {k: v for k, v in item.items() if k not in ("stat", "variables")}
    unknown = [k for k in options if k not in allowed]
    if unknown or (stat == "ratio" and "denominator" not in options):
        found = f"options {unknown}" if unknown else "no denominator"
        raise EstimationError(
            "EST563",
            f"request {key!r} ({stat}) has "
            + (
                f"options {stat}() does not take: {', '.join(map(repr, unknown))}"
                if unknown
                else "no 'denominator'"
            ),
            expected=f"options among {', '.join(allowed)}"
            + ("; a ratio needs 'denominator'" if stat == "ratio" else ""),
            found=found,
            hint=f"Give {stat}() only its own options (e.g. method= is for proportions).",
        )
    return _Request(stat, item["variables"], options)


def _context(key: Any) -> str:
    return f"estimate_many request {key!r}"


def _single(design: Any, req: _Request, key: Any) -> pd.DataFrame:
    """The request answered by its single call."""
    options = dict(req.options)
    call = getattr(single, req.stat)
    try:
        if req.stat == "ratio":
            return call(design, req.variables, options.pop("denominator"), **options)
        if req.stat == "quantile":
            return call(design, req.variables, options.pop("q", 0.5), **options)
        return call(design, req.variables, **options)
    except BaicunError as err:
        raise err.with_context(_context(key)) from None


# ---------------------------------------------------------------------------- the batch
def _batch(design: SurveyDesign, reqs: list[_Request], keys: list[Any]) -> list[pd.DataFrame]:
    """Plan the domain codings, reduce each host's rows once, then build every table."""
    out: list[pd.DataFrame | None] = [None] * len(reqs)
    planned: list[tuple[int, Domains, list[str], float, str]] = []
    codings: dict[Any, Domains] = {}
    for i, (req, key) in enumerate(zip(reqs, keys)):
        if req.stat in ("ratio", "quantile"):
            continue
        try:
            opts = req.options
            level = check_level(opts.get("ci_level", 0.95))
            method = single.check_method(opts.get("method", "logit"))
            names = column_names(design, req.variables, "variable")
            dom = _coding(design, opts.get("by"), opts.get("where"), codings)
        except BaicunError as err:
            raise err.with_context(_context(key)) from None
        planned.append((i, dom, names, level, method))
    hosts = _hosts(design, planned, reqs)
    reduced: dict[int, dict[str, Any]] = {}  # id(consumer Domains) -> variable -> cells
    for host in hosts:
        reduced.update(_reduce(design, host, reqs, planned))
    for i, dom, names, level, method in planned:
        req, key = reqs[i], keys[i]
        na_rm = bool(req.options.get("na_rm", True))
        try:
            tables = []
            for name in names:
                cells = reduced.get(id(dom), {}).get(name)
                if cells is None:  # not reduced here (too many cells): the single call
                    tables.append(_single(design, _Request(req.stat, name, req.options), key))
                elif isinstance(cells, tuple):
                    kind = "proportion" if req.stat == "proportion" else "total"
                    tables.append(level_table(design, dom, name, na_rm, level, kind, method, cells))
                else:
                    tables.append(_numeric_table(dom, name, cells, req.stat, level))
            out[i] = concat(tables)
        except BaicunError as err:
            raise err.with_context(_context(key)) from None
    for i, (req, key) in enumerate(zip(reqs, keys)):
        if out[i] is None:
            out[i] = _single(design, req, key)
    return out  # type: ignore[return-value]


def _coding(design: SurveyDesign, by: Any, where: Any, codings: dict[Any, Domains]) -> Domains:
    """The domains of ``by``/``where``, one object per distinct coding in the batch."""
    by_key = (by,) if isinstance(by, str) or by is None else tuple(by)
    key = (by_key, where if where is None or isinstance(where, str) else id(where))
    if key not in codings:
        codings[key] = domains(design, by, where)
    return codings[key]


def _hosts(design: SurveyDesign, planned: list, reqs: list[_Request]) -> list[_Host]:
    """The codings to reduce; a coding without ``by`` is served by a ``by`` coding with
    the same ``where`` (its cells summed over the domains) when there is one."""
    by_id: dict[int, _Host] = {}
    where_of: dict[int, Any] = {}
    for i, dom, names, _, _ in planned:
        if id(dom) not in by_id:
            where = reqs[i].options.get("where")
            cached = where is None or isinstance(where, str)
            by_id[id(dom)] = _Host(dom, ("cell weights", dom.by, where) if cached else None)
            where_of[id(dom)] = where if cached else id(where)
        host = by_id[id(dom)]
        for name in names:
            if _on_levels(design, reqs[i].stat, name):
                host.categorical.add(name)
            else:
                host.numeric.add(name)
    hosts = list(by_id.values())
    with_by = [h for h in hosts if h.dom.by]
    result = list(with_by)
    for h in hosts:
        if h.dom.by:
            continue
        target = next(
            (
                t
                for t in with_by
                if where_of[id(t.dom)] == where_of[id(h.dom)] and _foldable(design, t, h)
            ),
            None,
        )
        if target is None:
            result.append(h)
            continue
        target.folded.append(h.dom)
        target.numeric |= h.numeric
        target.categorical |= h.categorical
    return result


def _foldable(design: SurveyDesign, host: _Host, whole: _Host) -> bool:
    """Whether the cells of ``host`` (with the levels of ``whole``'s categorical variables)
    are few enough beside the rows that summing them beats reducing the rows again."""
    n_lev = max((len(level_codes(design, name)[1]) for name in whole.categorical), default=1)
    return 2 * host.dom.n_domains * design.stages[-1].n_units * n_lev <= design.n_rows


def _on_levels(design: SurveyDesign, stat: str, name: str) -> bool:
    """Proportions, and totals of categorical columns, work on level counts."""
    return stat == "proportion" or (stat == "total" and is_categorical(design.data[name]))


def _reduce(
    design: SurveyDesign, host: _Host, reqs: list[_Request], planned: list
) -> dict[int, dict[str, Any]]:
    """The cells of every variable of ``host``, for the host coding and the folded ones."""
    n_units = design.stages[-1].n_units
    unit = design.unit_codes
    w = design.weights
    g = host.dom.n_domains
    size = g * n_units
    codes = host.dom.codes
    if size > _DENSE_CELLS:
        return {}
    if g == 1 and codes.min() >= 0:
        base = unit
    else:
        base = codes * n_units
        base += unit
        if codes.min() < 0:
            base[codes < 0] = size  # rows in no domain: a trash cell, dropped
    consumers = [host.dom, *host.folded]
    na_rm = _na_rm_of(consumers, reqs, planned)
    out: dict[int, dict[str, Any]] = {id(d): {} for d in consumers}
    sw_all: np.ndarray | None = None
    for name in sorted(host.categorical):
        lev_codes, labels = level_codes(design, name)
        n_lev = len(labels)
        if n_lev == 0 or size * n_lev > max(_DENSE_CELLS, 4 * design.n_rows):
            continue  # the single call raises (no values) or takes its sparse path
        missing = lev_codes < 0
        key = base * n_lev  # rows in no domain land beyond the cells kept
        key += lev_codes
        if missing.any():
            key[missing] = size * n_lev
        cells = size * n_lev
        dense = bincount(key, weights=w, minlength=cells + n_lev)[:cells].reshape(size, n_lev)
        del key
        if sw_all is None and not missing.any():
            sw_all = dense.sum(axis=1)
        for d in consumers:
            table = dense if d is host.dom else dense.reshape(g, n_units, n_lev).sum(axis=0)
            tw = table.sum(axis=1)
            present = np.flatnonzero(tw > 0)
            ut = UnitTotals(present // n_units, present % n_units, table[present], d.n_domains)
            out[id(d)][name] = (ut, tw[present])
    for name in sorted(host.numeric):
        stat = _first_stat(name, consumers, reqs, planned)
        y = numeric_values(design, name, stat)
        missing = np.isnan(y)
        any_missing = bool(missing.any())
        rows = {id(d): variable_rows(design, d, missing, na_rm.get(name, True), name)
                for d in consumers}  # fmt: skip
        if any_missing:
            key = np.where(missing, size, base)
            sw = bincount(key, weights=w, minlength=size + 1)[:size]
            present_w = w[~missing]
            shift = float(np.einsum("i,i->", present_w, y[~missing]) / present_w.sum())
            ty_all = None
        else:
            key = base
            if sw_all is None:
                sw_all = _cell_weights(design, host, base, size)
            sw = sw_all
            ty_all = float(np.einsum("i,i->", w, y))  # as DomainRows.dot
            shift = ty_all / float(w.sum())
        d_ = y - shift
        wd = w * d_
        swd = bincount(key, weights=wd, minlength=size + 1)[:size]
        if key is unit:  # one domain holding every row: one sum, no cells
            swdd = np.array([np.einsum("i,i->", wd, d_)])
        else:
            np.multiply(wd, d_, out=wd)
            swdd = bincount(key, weights=wd, minlength=size + 1)[:size]
            swdd = swdd.reshape(g, n_units).sum(axis=1)
        del wd, d_
        cells = _Numeric(y, shift, ty_all, sw, swd, swdd)
        for d in consumers:
            out[id(d)][name] = _stats(design, d, rows[id(d)], cells, d is host.dom, g)
    return out


def _cell_weights(design: SurveyDesign, host: _Host, base: np.ndarray, size: int) -> np.ndarray:
    """The weight total of every cell (domain, unit), cached on the design per coding."""

    def compute() -> np.ndarray:
        return bincount(base, weights=design.weights, minlength=size + 1)[:size]

    if host.cache_key is None:
        return compute()
    return design._cached(host.cache_key, compute)


def _na_rm_of(consumers: list[Domains], reqs: list[_Request], planned: list) -> dict[str, bool]:
    """``na_rm`` per variable (False when any request on these codings says so)."""
    ids = {id(d) for d in consumers}
    out: dict[str, bool] = {}
    for i, dom, names, _, _ in planned:
        if id(dom) in ids:
            for name in names:
                out[name] = out.get(name, True) and bool(reqs[i].options.get("na_rm", True))
    return out


def _first_stat(name: str, consumers: list[Domains], reqs: list[_Request], planned: list) -> str:
    """The statistic of the first request on ``name`` (for the messages of its checks)."""
    ids = {id(d) for d in consumers}
    for i, dom, names, _, _ in planned:
        if id(dom) in ids and name in names:
            return reqs[i].stat
    return "mean"


# ---------------------------------------------------------------------------- small tables
@dataclass(frozen=True)
class _Stats:
    """A numeric variable's estimates on one coding: what mean and total need."""

    rows: DomainRows
    ybar: np.ndarray
    ty: np.ndarray
    ss: np.ndarray
    v_mean: np.ndarray
    v_total: np.ndarray
    constant: np.ndarray


def _stats(
    design: SurveyDesign, dom: Domains, rows: DomainRows, c: _Numeric, own: bool, g_host: int
) -> _Stats:
    """Means, totals, sums of squares and variances of one coding from the cell totals."""
    n_units = design.stages[-1].n_units
    g = dom.n_domains
    if own:
        sw, swd, dom_swdd = c.sw, c.swd, c.swdd.copy()
    else:  # the whole sample (same where): the host's cells summed over its domains
        sw, swd = (a.reshape(g_host, n_units).sum(axis=0) for a in (c.sw, c.swd))
        dom_swdd = np.array([c.swdd.sum()])
    size = rows.size
    dom_swd = swd.reshape(g, n_units).sum(axis=1)
    if rows.slot is None and c.ty_all is not None:  # every row: the single call's sum
        ty = np.array([c.ty_all])
    else:
        ty = dom_swd + c.shift * size
    ybar = safe_div(ty, size)
    dev = safe_div(dom_swd, size)  # ybar - shift, without cancellation
    ss = dom_swdd - dev * dom_swd  # sum of w (y - ybar)^2
    constant = rows.n == 0  # no row: a sum of squares of exactly 0, as mean()
    ss[constant] = 0.0
    near = ~(ss > _NEAR_CONSTANT * dom_swdd) & ~constant
    if near.any():  # maybe constant: the single calls' test, on these domains' rows
        inside = near[rows.codes] & (rows.codes >= 0) if g > 1 else rows.codes >= 0
        dom = rows.codes[inside]
        e = c.y[inside] - ybar[dom]
        we = design.weights[inside] * e
        s1 = bincount(dom, weights=we, minlength=g)
        ss_rows = bincount(dom, weights=we * e, minlength=g)
        ss = np.where(near, ss_rows, ss)
        constant |= near & ((ss == 0) | (s1 * s1 > 0.25 * size * ss))
    present = np.flatnonzero(sw > 0)
    pdom = present // n_units
    z = np.empty((present.size, 2))
    z[:, 0] = swd[present] - dev[pdom] * sw[present]  # influence of the mean, times W
    z[:, 1] = swd[present] + c.shift * sw[present]  # the total's unit totals
    v = stage_variance(
        design.stages,
        UnitTotals(pdom, present % n_units, z, g),
        lonely_psu=design.lonely_psu,
        adjust_domain_lonely=design.adjust_domain_lonely,
        diagonal=True,
    )
    return _Stats(rows, ybar, ty, ss, safe_div(v[:, 0], size * size), v[:, 1], constant)


def _numeric_table(dom: Domains, name: str, s: _Stats, stat: str, level: float) -> pd.DataFrame:
    rows = s.rows
    if stat == "mean":
        v = s.v_mean
        deff = srs_deff(v, s.ss, rows.size, rows.n, 1.0)
        if s.constant.any():  # exactly: SE 0 and no design effect, as mean()
            v, deff = np.where(s.constant, 0.0, v), np.where(s.constant, np.nan, deff)
        est = s.ybar
    else:
        v = s.v_total
        deff = srs_deff(v, s.ss, rows.size, rows.n, rows.size * rows.size)
        est = s.ty
    return tidy_table(dom, name, single._result(est, np.sqrt(v), rows.df, level, deff, rows.n))
