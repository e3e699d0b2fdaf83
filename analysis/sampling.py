"""Sampling: village frames, stratified systematic PPS, household selection, design weights.

A 百村 sample has two stages: villages drawn within counties (strata) with probability
proportional to size (PPS, systematic, on a randomly ordered or sorted frame), then
households drawn systematically with equal probability from each village's list.

* :func:`pps_inclusion` — first-order inclusion probabilities ``n * size / total`` with
  certainty selections (units larger than the sampling interval are taken with
  probability 1 and the rest re-scaled, repeatedly).
* :func:`select_pps` — systematic PPS selection within strata, with replacement villages
  drawn from the units not selected.
* :func:`select_systematic` — equal-probability systematic selection within groups.
* :func:`design_weights` — the product of the stage probabilities, inverted.
* :func:`adjust_for_nonresponse` — weighting-class nonresponse adjustment.

All functions are pure: they take a frame and a seed and return a new tidy DataFrame.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"county": ["A"] * 5 + ["B"] * 4,
...                       "village": [f"v{i}" for i in range(9)],
...                       "pop": [900, 100, 100, 100, 100, 50, 60, 70, 80]})
>>> pps_inclusion(frame["pop"].to_numpy()[:5], 2).tolist()
[1.0, 0.25, 0.25, 0.25, 0.25]
>>> s = select_pps(frame, stratum="county", size="pop", n={"A": 2, "B": 1}, seed=1)
>>> s.loc[s["role"] == "selected", "village"].tolist()
['v0', 'v3', 'v5']
>>> s.loc[s["village"] == "v0", "certainty"].item()
True
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DesignError
from .office.package import normalise_package

__all__ = [
    "adjust_for_nonresponse",
    "design_weights",
    "pps_inclusion",
    "select_pps",
    "select_systematic",
    "write_field_lists",
]


def pps_inclusion(sizes: np.ndarray, n: int) -> np.ndarray:
    """Inclusion probabilities of a PPS sample of ``n`` units, with certainty units.

    Units whose ``n * size / total`` reaches 1 are certainty selections (probability 1);
    the remaining sample is spread over the other units in proportion to size, repeated
    until no probability exceeds 1.

    Examples
    --------
    >>> pps_inclusion(np.array([10.0, 10.0, 80.0]), 2).tolist()
    [0.5, 0.5, 1.0]
    """
    sizes = np.asarray(sizes, dtype=float)
    if n > len(sizes):
        raise DesignError(
            "DES101",
            f"cannot draw {n} units from a frame of {len(sizes)}",
            expected=f"at most {len(sizes)} units",
            found=n,
            hint="Lower the sample size for this stratum or merge it with a neighbouring stratum.",
        )
    if np.any(~np.isfinite(sizes)) or np.any(sizes <= 0):
        raise DesignError(
            "DES102",
            "measures of size must be positive numbers",
            found=f"{int(np.sum(~np.isfinite(sizes) | (sizes <= 0)))} units with missing, zero or negative size",
            hint="Give every unit of the frame a positive size (e.g. population or households).",
        )
    pi = np.zeros_like(sizes)
    certain = np.zeros(len(sizes), dtype=bool)
    while True:
        remaining = n - certain.sum()
        rest = ~certain
        if remaining <= 0:
            break
        pi[rest] = remaining * sizes[rest] / sizes[rest].sum()
        new = rest & (pi >= 1.0 - 1e-12)
        if not new.any():
            break
        certain |= new
    pi[certain] = 1.0
    return pi


def _systematic_pps(pi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices chosen by systematic sampling on cumulated probabilities (Madow)."""
    cum = np.concatenate([[0.0], np.cumsum(pi)])
    start = rng.uniform(0.0, 1.0)
    points = start + np.arange(round(cum[-1]))
    return np.searchsorted(cum, points, side="right") - 1


def select_pps(
    frame: pd.DataFrame,
    *,
    stratum: str | None,
    size: str,
    n: int | Mapping[object, int],
    seed: int,
    replacements: int = 1,
    sort_by: str | None = None,
) -> pd.DataFrame:
    """Stratified systematic PPS selection with certainty units and replacement units.

    Parameters
    ----------
    frame : DataFrame
        The sampling frame, one row per unit.
    stratum : str or None
        Column of strata (counties); ``None`` for an unstratified frame.
    size : str
        Column of the measure of size (population, households).
    n : int or mapping
        Sample size per stratum (one number for all strata, or stratum -> size).
    seed : int
        Seed of the random start; the same seed gives the same sample.
    replacements : int
        Replacement units drawn per selected non-certainty unit, by PPS from the units
        not selected, for use when a selected unit cannot be surveyed.
    sort_by : str, optional
        Implicit stratification: sort the frame by this column within strata before the
        systematic pass (e.g. distance to the county seat).

    Returns
    -------
    DataFrame
        The frame's columns for every selected and replacement unit plus ``pi`` (the
        first-stage inclusion probability), ``certainty``, ``role`` ("selected" or
        "replacement"), ``replaces`` (index label of the selected unit a replacement
        stands in for) and ``order`` (field order within the stratum).
    """
    rng = np.random.default_rng(seed)
    groups = [(None, frame)] if stratum is None else list(frame.groupby(stratum, sort=True))
    if not isinstance(n, int):
        missing = [key for key, _ in groups if key not in n]
        if missing:
            raise DesignError(
                "DES103",
                f"no sample size given for stratum {', '.join(map(str, missing))}",
                column=stratum,
                expected="a sample size for every stratum of the frame",
                found=", ".join(map(str, n)),
                hint="Add the strata to the allocation (or give one number for all strata).",
            )
    pieces = []
    for key, units in groups:
        n_h = n if isinstance(n, int) else n[key]
        if sort_by is not None:
            units = units.sort_values(sort_by, kind="stable")
        pi = pps_inclusion(units[size].to_numpy(), n_h)
        chosen = _systematic_pps(pi, rng)
        selected = units.iloc[chosen].assign(
            pi=pi[chosen], certainty=pi[chosen] >= 1.0, role="selected"
        )
        selected["replaces"] = pd.NA
        selected["order"] = np.arange(1, len(selected) + 1)
        pieces.append(selected)
        # Replacements: PPS from the units not selected, paired in order with the
        # non-certainty selections (certainty units are never replaced).
        to_replace = selected.index[~selected["certainty"].to_numpy()]
        pool = units.drop(index=selected.index)
        k = min(len(pool), replacements * len(to_replace))
        if k:
            pool_pi = pps_inclusion(pool[size].to_numpy(), k)
            picks = _systematic_pps(pool_pi, rng)
            reserve = pool.iloc[picks].assign(pi=np.nan, certainty=False, role="replacement")
            reserve["replaces"] = list(np.repeat(to_replace.to_numpy(), replacements)[:k])
            reserve["order"] = np.arange(1, k + 1)
            pieces.append(reserve)
    return pd.concat(pieces)


def select_systematic(units: pd.DataFrame, *, group: str | None, n: int, seed: int) -> pd.DataFrame:
    """Equal-probability systematic selection of ``n`` units per group.

    Takes every unit when a group has ``n`` units or fewer. Adds ``pi`` (the
    within-group inclusion probability ``n / N``) and ``order``.

    Examples
    --------
    >>> hh = pd.DataFrame({"village": ["a"] * 10 + ["b"] * 3, "hh": range(13)})
    >>> s = select_systematic(hh, group="village", n=4, seed=3)
    >>> s.groupby("village")["pi"].first().tolist()
    [0.4, 1.0]
    """
    rng = np.random.default_rng(seed)
    groups = [(None, units)] if group is None else list(units.groupby(group, sort=True))
    pieces = []
    for _, members in groups:
        size = len(members)
        take = min(n, size)
        interval = size / take
        start = rng.uniform(0.0, interval)
        rows = np.floor(start + interval * np.arange(take)).astype(int)
        chosen = members.iloc[rows].assign(pi=take / size)
        chosen["order"] = np.arange(1, take + 1)
        pieces.append(chosen)
    return pd.concat(pieces)


def design_weights(*stage_probabilities: pd.Series | np.ndarray) -> np.ndarray:
    """Design weights: the inverse of the product of the stage inclusion probabilities.

    Examples
    --------
    >>> design_weights(np.array([0.5, 0.1]), np.array([0.2, 0.5])).tolist()
    [10.0, 20.0]
    """
    product = np.ones(len(stage_probabilities[0]))
    for p in stage_probabilities:
        p = np.asarray(p, dtype=float)
        if np.any(~(p > 0) | (p > 1)):
            raise DesignError(
                "DES104",
                "inclusion probabilities must lie in (0, 1]",
                found=f"{int(np.sum(~(p > 0) | (p > 1)))} values outside (0, 1]",
                hint="Check the frame sizes and sample sizes that produced these probabilities.",
            )
        product = product * p
    return 1.0 / product


def adjust_for_nonresponse(
    data: pd.DataFrame, *, weight: str, responded: str, classes: str | list[str] | None = None
) -> pd.Series:
    """Weighting-class nonresponse adjustment of a frame's weight column.

    Within each class, respondents' weights are multiplied by (sum of the weights of
    all sampled units) / (sum of the weights of respondents), and non-respondents get
    weight 0, so every class keeps its weighted total.

    This is the one implementation of the adjustment.
    :func:`analysis.weighting.adjust_nonresponse` is the same adjustment of a
    :class:`~analysis.design.survey.SurveyDesign` (it checks the indicator and the
    classes, calls this function and returns a design with the adjusted weights):
    ``adjust_nonresponse(SurveyDesign(data, weights=weight), responded,
    classes=classes).weights`` equals ``adjust_for_nonresponse(data, weight=weight,
    responded=responded, classes=classes)``.

    Parameters
    ----------
    data : DataFrame
        One row per sampled unit, respondents and nonrespondents.
    weight : str
        Column of the weights before the adjustment (e.g. design weights).
    responded : str
        Column that is true (1) for respondents.
    classes : str or list of str, optional
        Adjustment classes; default: one class.

    Returns
    -------
    Series
        The adjusted weights, named ``weight``, on ``data``'s index.

    Raises
    ------
    DesignError
        ``DES105`` when a class has no respondents.

    Examples
    --------
    >>> d = pd.DataFrame({"w": [10.0, 10.0, 20.0, 20.0], "ok": [1, 0, 1, 1], "c": ["a", "a", "b", "b"]})
    >>> adjust_for_nonresponse(d, weight="w", responded="ok", classes="c").tolist()
    [20.0, 0.0, 20.0, 20.0]
    """
    w = data[weight].astype(float)
    ok = data[responded].astype(bool)
    keys = [data[c] for c in ([classes] if isinstance(classes, str) else classes or [])]
    if keys:
        total = w.groupby(keys).transform("sum")
        resp = w.where(ok, 0.0).groupby(keys).transform("sum")
    else:
        total = pd.Series(w.sum(), index=w.index)
        resp = pd.Series(w[ok].sum(), index=w.index)
    if (resp[ok.index] == 0).any():
        empty = sorted({tuple(k[i] for k in keys) for i in resp.index[resp == 0]})
        raise DesignError(
            "DES105",
            "a nonresponse class has no respondents",
            found=", ".join(map(str, empty)),
            column=str(classes),
            hint="Merge classes with no respondents into neighbouring classes.",
        )
    return (w * total / resp).where(ok, 0.0).rename(weight)


def write_field_lists(villages: pd.DataFrame, households: pd.DataFrame | None, path: Path) -> Path:
    """Write the lists a field team takes to the field as one XLSX workbook.

    Sheets: ``村庄名单`` (selected villages, in field order, with their replacements)
    and, when given, ``农户名单`` (selected households per village). The same lists give
    the same bytes (:func:`analysis.office.package.normalise_package`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        villages.to_excel(writer, sheet_name="村庄名单", index=False)
        if households is not None:
            households.to_excel(writer, sheet_name="农户名单", index=False)
    path.write_bytes(normalise_package(buffer.getvalue()))
    return path
