"""The demo sample: villages by stratified PPS, households systematically, and the cadres.

Everything here goes through :mod:`analysis.sampling` (the toolkit's own selection,
inclusion probabilities, design weights and nonresponse adjustment):

* :func:`allocate` — villages per county, proportional to households (at least 4 each);
* :func:`two_stage_sample` — one clean two-stage draw (used by the coverage benchmark);
* :func:`field_villages` — the 100 villages of the demo with one replacement each; two
  remote villages turn out to be unreachable and their replacements are surveyed;
* :func:`field_households` — 20 households per village (+5 reserves) in 2024; in 2025
  half of them are kept (same ``hh_no``, so ``hh_id`` is a stable panel id) and 10 new
  ones are drawn; refusals, absences and replacements; weights adjusted for nonresponse;
* :func:`cadre_roster` — the ~150 cadres on temporary postings assessed in a wave.

Examples
--------
>>> from analysis.demo_study.population import build_province
>>> p = build_province(seed=3, scale=0.3)
>>> hh, villages = two_stage_sample(p, "demo-2024", seed=1, n_villages=24, n_households=5)
>>> villages["county"].nunique(), len(hh) <= 24 * 5
(12, True)
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..sampling import (
    adjust_for_nonresponse,
    design_weights,
    pps_inclusion,
    select_pps,
    select_systematic,
)
from .population import WAVES, Province, rng_for

__all__ = [
    "HOUSEHOLDS_PER_VILLAGE",
    "RESERVES_PER_VILLAGE",
    "VILLAGES_IN_SAMPLE",
    "allocate",
    "cadre_roster",
    "field_households",
    "field_villages",
    "two_stage_sample",
]

VILLAGES_IN_SAMPLE = 100
HOUSEHOLDS_PER_VILLAGE = 20
RESERVES_PER_VILLAGE = 5


def allocate(
    frame: pd.DataFrame,
    n: int,
    *,
    stratum: str = "county",
    size: str = "households",
    minimum: int = 4,
) -> dict[str, int]:
    """Villages per stratum: proportional to total size, at least ``minimum``, summing to ``n``.

    Examples
    --------
    >>> f = pd.DataFrame({"county": list("aaabbc"), "households": [100, 100, 100, 50, 50, 10]})
    >>> allocate(f, 4, minimum=1)
    {'a': 2, 'b': 1, 'c': 1}
    """
    totals = frame.groupby(stratum)[size].sum().sort_index()
    minimum = min(minimum, n // len(totals))
    counts = frame.groupby(stratum).size().reindex(totals.index)
    alloc = np.maximum(minimum, np.floor(n * totals / totals.sum())).astype(int)
    alloc = np.minimum(alloc, counts)
    while alloc.sum() < n:
        share = n * totals / totals.sum() - alloc
        share[alloc >= counts] = -np.inf
        alloc[share.idxmax()] += 1
    while alloc.sum() > n:
        share = n * totals / totals.sum() - alloc
        share[alloc <= minimum] = np.inf
        alloc[share.idxmin()] -= 1
    return {str(k): int(v) for k, v in alloc.items()}


def two_stage_sample(
    province: Province,
    wave: str,
    *,
    seed: int,
    n_villages: int = VILLAGES_IN_SAMPLE,
    n_households: int = HOUSEHOLDS_PER_VILLAGE,
    shuffle: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One two-stage sample with full response: (households, villages), with weights.

    Villages are drawn by systematic PPS (size = households) within counties; with
    ``shuffle`` the frame is put in random order within counties first, so that the
    with-replacement variance approximation fits the design. Households are drawn
    systematically from each village's register.

    Returns
    -------
    tuple of DataFrame
        Households (the wave's answers, ``county``, ``village_id``, ``pi_village``,
        ``pi_household``, ``weight``) and villages (the wave's facilities, ``pi``,
        ``weight``).
    """
    rng = rng_for(seed, "two-stage", wave)
    frame = province.village_frame(wave)
    if shuffle:
        frame = frame.iloc[rng.permutation(len(frame))].sort_values("county", kind="stable")
    n = allocate(frame, n_villages)
    chosen = select_pps(
        frame,
        stratum="county",
        size="households",
        n=n,
        seed=int(rng.integers(2**31)),
        replacements=0,
    )
    villages = chosen[chosen["role"] == "selected"].copy()
    villages["weight"] = design_weights(villages["pi"])
    hh = province.households
    units = hh.loc[
        np.isin(hh["vidx"].to_numpy(), villages["vidx"].to_numpy()), ["village_id", "vidx"]
    ]
    picked = select_systematic(units, group="vidx", n=n_households, seed=int(rng.integers(2**31)))
    by_vidx = villages.set_index("vidx")
    vidx = picked["vidx"].to_numpy()
    answers = province.answers(wave).iloc[picked.index.to_numpy()].reset_index(drop=True)
    households = pd.concat([picked[["village_id"]].reset_index(names="hh_row"), answers], axis=1)
    households["county"] = by_vidx.loc[vidx, "county"].to_numpy()
    households["pi_village"] = by_vidx.loc[vidx, "pi"].to_numpy()
    households["pi_household"] = picked["pi"].to_numpy()
    households["weight"] = design_weights(households["pi_village"], households["pi_household"])
    return households.reset_index(drop=True), villages.reset_index(drop=True)


# ----------------------------------------------------------------------------- villages
def field_villages(province: Province, *, seed: int, n: int = VILLAGES_IN_SAMPLE) -> pd.DataFrame:
    """The demo's village sample as fielded (the same villages in both waves).

    Returns
    -------
    DataFrame
        Every selected and replacement village with ``pi``, ``role``, ``replaces``,
        ``status`` (surveyed / unreachable / reserve) and ``village_weight`` (1/pi for
        surveyed villages; a surveyed replacement gets its own PPS probability).
    """
    rng = rng_for(seed, "field-villages")
    frame = province.village_frame("demo-2024")[
        [
            "village_id",
            "county",
            "township",
            "village_name",
            "village_type",
            "households",
            "distance_county_km",
        ]
    ]
    alloc = allocate(frame, n)
    s = select_pps(
        frame,
        stratum="county",
        size="households",
        n=alloc,
        seed=int(rng.integers(2**31)),
        replacements=1,
    )
    s = s.reset_index(names="frame_row")
    # A replacement's own probability of selection (as if it had been drawn in the first pass).
    pi_all = pd.Series(np.nan, index=frame.index)
    for county, units in frame.groupby("county"):
        pi_all[units.index] = pps_inclusion(units["households"].to_numpy(), alloc[county])
    s["pi"] = s["pi"].fillna(s["frame_row"].map(pi_all))
    s["status"] = np.where(s["role"] == "selected", "surveyed", "reserve")
    remote = s[(s["role"] == "selected") & ~s["certainty"] & (s["distance_county_km"] > 60)]
    lost = remote.sample(n=min(2, len(remote)), random_state=int(rng.integers(2**31)))
    for row in lost.itertuples():
        s.loc[row.Index, "status"] = "unreachable"
        stand_in = s.index[(s["role"] == "replacement") & (s["replaces"] == row.frame_row)]
        s.loc[stand_in[:1], "status"] = "surveyed"
    s["village_weight"] = np.where(s["status"] == "surveyed", 1.0 / s["pi"], np.nan)
    s["replaces"] = s["replaces"].map(lambda r: frame.loc[r, "village_id"] if pd.notna(r) else "")
    return s.drop(columns="frame_row").reset_index(drop=True)


# ----------------------------------------------------------------------------- households
def field_households(province: Province, villages: pd.DataFrame, *, seed: int) -> pd.DataFrame:
    """Household samples of both waves as fielded, with final weights.

    Returns
    -------
    DataFrame
        One row per listed household and wave: ``wave``, ``village_id``, ``hh_uid``,
        ``hh_no`` (number on the sample list; 1-20 in 2024, kept in 2025 for the panel
        half; 26-35 for the new 2025 households; reserves after them), ``role``
        (primary / reserve), ``panel`` (interviewed in both waves' lists), ``outcome``
        (interviewed / refused / absent / unused), ``replaced_hh_no``, ``pi_village``,
        ``pi_household``, ``design_weight`` and ``weight`` (adjusted for nonresponse
        within the village; carried by whoever was interviewed in the primary's place).
    """
    surveyed = villages[villages["status"] == "surveyed"]
    hh = province.households[["hh_uid", "village_id", "line_no"]]
    hh = hh[hh["village_id"].isin(surveyed["village_id"])]
    n_of = surveyed.set_index("village_id")["households"]
    pi_v = surveyed.set_index("village_id")["pi"]
    rng = rng_for(seed, "field-households")
    replacing = {c: rng.random() < 0.6 for c in sorted(surveyed["county"].unique())}
    county_of = surveyed.set_index("village_id")["county"]

    primary24 = select_systematic(
        hh, group="village_id", n=HOUSEHOLDS_PER_VILLAGE, seed=int(rng.integers(2**31))
    )
    primary24["hh_no"] = primary24["order"]
    rest = hh[~hh["hh_uid"].isin(primary24["hh_uid"])]
    reserve24 = select_systematic(
        rest, group="village_id", n=RESERVES_PER_VILLAGE, seed=int(rng.integers(2**31))
    )
    reserve24["hh_no"] = HOUSEHOLDS_PER_VILLAGE + reserve24["order"]
    half = HOUSEHOLDS_PER_VILLAGE // 2
    ticket = pd.Series(rng.random(len(primary24)), index=primary24.index)
    keep = primary24[ticket.groupby(primary24["village_id"]).rank(method="first") <= half]
    lists = {
        "demo-2024": (primary24.assign(panel=primary24["hh_uid"].isin(keep["hh_uid"])), reserve24)
    }
    fresh_pool = hh[~hh["hh_uid"].isin(primary24["hh_uid"])]
    fresh = select_systematic(fresh_pool, group="village_id", n=half, seed=int(rng.integers(2**31)))
    fresh["hh_no"] = HOUSEHOLDS_PER_VILLAGE + RESERVES_PER_VILLAGE + fresh["order"]
    primary25 = pd.concat([keep.assign(panel=True), fresh.assign(panel=False)])
    rest25 = fresh_pool[~fresh_pool["hh_uid"].isin(fresh["hh_uid"])]
    reserve25 = select_systematic(
        rest25, group="village_id", n=RESERVES_PER_VILLAGE, seed=int(rng.integers(2**31))
    )
    reserve25["hh_no"] = HOUSEHOLDS_PER_VILLAGE + RESERVES_PER_VILLAGE + half + reserve25["order"]
    lists["demo-2025"] = (primary25, reserve25)

    out = []
    for wave, (primary, reserve) in lists.items():
        wrng = rng_for(seed, "field-outcomes", wave)
        p = (
            primary[["village_id", "hh_uid", "hh_no", "panel"]]
            .copy()
            .sort_values(["village_id", "hh_no"])
        )
        p["role"] = "primary"
        u = wrng.random(len(p))
        p["outcome"] = np.where(u < 0.03, "refused", np.where(u < 0.045, "absent", "interviewed"))
        r = reserve[["village_id", "hh_uid", "hh_no"]].copy().sort_values(["village_id", "hh_no"])
        r["panel"] = False
        r["role"] = "reserve"
        r["outcome"] = "unused"
        r["replaced_hh_no"] = pd.NA
        p["replaced_hh_no"] = pd.NA
        p["stand_in"] = p["hh_uid"].where(p["outcome"] == "interviewed")
        r = r.set_index("hh_uid")
        for village, rows in p.groupby("village_id", sort=True):
            if not replacing[county_of[village]]:
                continue
            queue = list(r.index[r["village_id"] == village])
            for idx in rows.index[rows["outcome"] != "interviewed"]:
                while queue:
                    cand = queue.pop(0)
                    refused = wrng.random() < 0.05
                    r.loc[cand, "outcome"] = "refused" if refused else "interviewed"
                    r.loc[cand, "replaced_hh_no"] = int(p.loc[idx, "hh_no"])
                    if not refused:
                        p.loc[idx, "stand_in"] = cand
                        break
        r = r.reset_index()
        n_v = p["village_id"].map(n_of).to_numpy()
        p["pi_village"] = p["village_id"].map(pi_v).to_numpy()
        p["pi_household"] = HOUSEHOLDS_PER_VILLAGE / n_v
        p["design_weight"] = design_weights(p["pi_village"], p["pi_household"])
        p["responded"] = p["stand_in"].notna()
        p["weight"] = adjust_for_nonresponse(
            p, weight="design_weight", responded="responded", classes="village_id"
        )
        carried = p.loc[
            p["responded"], ["stand_in", "weight", "pi_village", "pi_household", "design_weight"]
        ]
        carried = carried.rename(columns={"stand_in": "hh_uid"})
        r = r.merge(carried, on="hh_uid", how="left")
        p.loc[p["stand_in"] != p["hh_uid"], "weight"] = np.nan
        both = pd.concat([p.drop(columns=["stand_in", "responded"]), r], ignore_index=True)
        both.insert(0, "wave", wave)
        out.append(both.sort_values(["village_id", "hh_no"]))
    result = pd.concat(out, ignore_index=True)
    result["replaced_hh_no"] = result["replaced_hh_no"].astype("Int64")
    return result


# ----------------------------------------------------------------------------- cadres
_MODES = ("1", "2", "3")  # 外派 out, 下派 down, 上派 up
_MODE_SHARE = (0.2, 0.55, 0.25)
#: Mean weighted total score by posting mode (the effect the demo builds in).
MODE_EFFECT = {"1": 2.5, "2": 1.0, "3": -1.5}


def cadre_roster(*, seed: int) -> pd.DataFrame:
    """The cadres on temporary postings assessed in each wave (about 150 a wave).

    2024: cadres who started in 2023 or 2024. 2025: those on 24-month postings still
    running (same ``cadre_id``) and the new 2025 postings. The scores are the clean
    truth; :mod:`.answers` writes them and :mod:`.dirt` spoils a few.
    """
    rng = rng_for(seed, "cadres")
    counties = [f"{c}" for c in range(11, 23)]
    rows = []
    seq = {2023: 0, 2024: 0, 2025: 0}
    for year, n in ((2023, 45), (2024, 110), (2025, 120)):
        for _ in range(n + int(rng.integers(-5, 6))):
            seq[year] += 1
            mode = str(rng.choice(_MODES, p=_MODE_SHARE))
            durations = {"1": (6, 12), "2": (12, 24), "3": (6, 12)}[mode]
            duration = int(rng.choice(durations, p=(0.5, 0.5)))
            if year == 2023:
                duration = 24 if mode == "2" else int(rng.choice((12, 18)))
            start = dt.date(year, int(rng.integers(2, 10)), int(rng.integers(1, 29)))
            z = rng.normal()
            rows.append(
                {
                    "cadre_id": f"GZ{year}-{seq[year]:03d}",
                    "start_year": year,
                    "county": str(rng.choice(counties)),
                    "posting_mode": mode,
                    "start_date": start,
                    "duration_months": duration,
                    "performance": z,
                    "ended_early": rng.random() < 0.04,
                }
            )
    roster = pd.DataFrame(rows)
    roster["end_date"] = [
        s + dt.timedelta(days=round(30.4375 * m))
        for s, m in zip(roster["start_date"], roster["duration_months"], strict=True)
    ]
    waves = []
    for wave, year in WAVES.items():
        if year == 2024:
            on_posting = roster["start_year"].isin([2023, 2024])
        else:
            on_posting = (roster["start_year"] == 2025) | (
                (roster["start_year"] == 2024) & (roster["duration_months"] == 24)
            )
        w = roster[on_posting].copy()
        w["wave"] = wave
        offsets = rng_for(seed, "assess", wave).integers(0, 20, len(w))
        year_end = [dt.date(year, 12, 1) + dt.timedelta(days=int(x)) for x in offsets]
        w["assessment_date"] = [
            min(e + dt.timedelta(days=int(x) % 10 + 3), y)
            for e, y, x in zip(w["end_date"], year_end, offsets, strict=True)
        ]
        wrng = rng_for(seed, "scores", wave)
        k = len(w)
        eff = w["posting_mode"].map(MODE_EFFECT).to_numpy()
        z = w["performance"].to_numpy() + 0.3 * wrng.normal(size=k)

        def score(
            base: float, extra: np.ndarray, sd: float = 3.0, *, eff=eff, z=z, wrng=wrng, k=k
        ) -> np.ndarray:
            return np.clip(
                np.round(base + eff + 4.5 * z + extra + wrng.normal(0, sd, k), 1), 45, 99.5
            )

        down = (w["posting_mode"] == "2").to_numpy()
        out = (w["posting_mode"] == "1").to_numpy()
        w["score_daily"] = score(83, 0.0)
        w["score_democratic"] = score(82, 1.5 * down - 1.0 * out)
        w["score_report"] = score(81, 1.5 * out)
        w["score_worklog"] = score(84, 0.0, 4)
        w["score_interview"] = score(82, 1.0 * down, 4)
        total = (
            0.3 * w["score_daily"]
            + 0.3 * w["score_democratic"]
            + 0.2 * w["score_report"]
            + 0.1 * w["score_worklog"]
            + 0.1 * w["score_interview"]
        )
        w["total_score"] = np.floor(total * 10 + 0.5) / 10  # ODK's round(x, 1): half away from zero
        waves.append(w)
    return pd.concat(waves, ignore_index=True)
