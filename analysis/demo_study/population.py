"""The synthetic province: villages, their facilities, every household, and the truth.

:func:`build_province` makes, from one seed, about 1,500 villages in the 12 counties of
:mod:`.geography` (farming 农区, pastoral 牧区 and mixed 半农半牧 villages; ethnic
composition; population; distance to the county seat), their cultural facilities in each
wave, and every one of their ~300,000 households with the attributes the household
questionnaire asks about. The models are simple and believable:

* pastoral and remote villages have fewer facilities; broadband falls with distance;
* a household takes part in more cultural activities where the village has a culture
  room (and a library, a distance-education station) and when its attitude is positive;
* satisfaction is an ordinal cut of the same latent attitude (so Likert items correlate);
* in 2025 some villages open a culture room or a library and broadband spreads.

:func:`population_truth` computes the population values of the key indicators, per
wave, for the province and by county. The draws are vectorised and use common random
numbers across waves, so a household that took part in 2024 mostly takes part in 2025.

Examples
--------
>>> p = build_province(seed=7, scale=0.05)
>>> sorted(p.villages["village_type"].unique().tolist())
['1', '2', '3']
>>> t = population_truth(p)
>>> bool(0 < t.loc[("demo-2024", "province", "share_culture_room"), "value"] < 1)
True
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .geography import COUNTIES, townships

__all__ = [
    "INDICATORS",
    "WAVES",
    "Province",
    "build_province",
    "population_truth",
    "rng_for",
]

#: The demo waves and the year each was collected.
WAVES: dict[str, int] = {"demo-2024": 2024, "demo-2025": 2025}

#: Key indicators: name -> (level, definition in the instruments' terms).
INDICATORS: dict[str, tuple[str, str]] = {
    "share_culture_room": ("village", "mean of has_culture_room = '1' over villages"),
    "mean_cable_tv_coverage": (
        "village",
        "mean over villages of cable_tv_households div households",
    ),
    "mean_broadband_coverage": (
        "village",
        "mean over villages of broadband_households div households",
    ),
    "participation_rate": (
        "household",
        "share of households with visited_library = '1' or watched_film = '1' or attended_lecture = '1' "
        "or attended_training = '1' or attended_performance = '1' or used_distance_edu = '1'",
    ),
    "mean_satisfaction": (
        "household",
        "mean of att_culture_satisfied over households answering 1-5 (98 = 说不清 excluded)",
    ),
    "share_info_tv": (
        "household",
        "share of households with selected(info_channels, '1') (television)",
    ),
    "share_info_phone": (
        "household",
        "share of households with selected(info_channels, '3') (WeChat/short video)",
    ),
}

_ACTIVITIES = (
    "visited_library",
    "watched_film",
    "attended_lecture",
    "attended_training",
    "attended_performance",
    "used_distance_edu",
)


def rng_for(seed: int, *keys: object) -> np.random.Generator:
    """A generator seeded from ``seed`` and any keys (strings are hashed stably).

    Examples
    --------
    >>> float(rng_for(1, "village", 2024).random()) == float(rng_for(1, "village", 2024).random())
    True
    """
    entropy = [int(seed)]
    for key in keys:
        entropy.append(key if isinstance(key, int) else zlib.crc32(str(key).encode("utf-8")))
    return np.random.default_rng(entropy)


@dataclass(frozen=True, eq=False)
class Province:
    """The synthetic province of one seed.

    Attributes
    ----------
    villages : DataFrame
        One row per village (static attributes), in frame order (by village_id).
    facilities : DataFrame
        One row per village and wave: facilities and connected-household counts.
    households : DataFrame
        One row per household (static attributes and the random draws behind its answers).
    outcomes : DataFrame
        One row per household and wave: the key-indicator answers.
    """

    seed: int
    villages: pd.DataFrame = field(repr=False)
    facilities: pd.DataFrame = field(repr=False)
    households: pd.DataFrame = field(repr=False)
    outcomes: pd.DataFrame = field(repr=False)
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def village_frame(self, wave: str) -> pd.DataFrame:
        """Villages with the facilities of ``wave`` (the sampling frame plus the truth)."""
        if ("villages", wave) not in self._cache:
            f = self.facilities[self.facilities["wave"] == wave].drop(columns="wave")
            self._cache[("villages", wave)] = self.villages.merge(
                f, on="village_id", how="left", validate="1:1"
            )
        return self._cache[("villages", wave)].copy()

    def answers(self, wave: str) -> pd.DataFrame:
        """The households' key-indicator answers of ``wave`` (one row per household; do not modify)."""
        if ("answers", wave) not in self._cache:
            rows = self.outcomes[self.outcomes["wave"] == wave].drop(columns="wave")
            self._cache[("answers", wave)] = rows.reset_index(drop=True)  # row i = household i
        return self._cache[("answers", wave)]

    def household_frame(self, wave: str) -> pd.DataFrame:
        """Households with their answers of ``wave``."""
        o = self.outcomes[self.outcomes["wave"] == wave].drop(columns="wave")
        return self.households.merge(o, on="hh_uid", how="left", validate="1:1")


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def build_province(seed: int = 2024, *, scale: float = 1.0) -> Province:
    """Build the synthetic province of ``seed``.

    Parameters
    ----------
    seed : int
        The same seed gives the same province, value for value.
    scale : float
        Multiplies the number of villages per township (1.0: about 1,500 villages);
        small values make quick examples.

    Returns
    -------
    Province
    """
    villages = _villages(seed, scale)
    households = _households(seed, villages)
    facilities, outcomes = _waves(seed, villages, households)
    return Province(
        seed=seed,
        villages=villages,
        facilities=facilities,
        households=households,
        outcomes=outcomes,
    )


# ----------------------------------------------------------------------------- villages
def _villages(seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "villages")
    towns = townships()
    by_code = {c.code: c for c in COUNTIES}
    rows = []
    for t in towns.itertuples():
        county = by_code[t.county]
        seat = t.township.endswith("01")
        n = max(1, round((6 + rng.poisson(6.5)) * scale))
        n = min(n, 99)
        # Townships lie at a typical distance from the county seat; the seat's town is close.
        base = (
            rng.uniform(2, 8)
            if seat
            else rng.gamma(4.0, 9.0) * (1.6 if county.types[1] > 0.5 else 1.0)
        )
        for i in range(1, n + 1):
            kind = rng.choice(["1", "2", "3"], p=np.array(county.types) / sum(county.types))
            rows.append((t.county, t.township, f"{t.township}{i:02d}", kind, base))
    v = pd.DataFrame(rows, columns=["county", "township", "village_id", "village_type", "town_km"])
    n = len(v)
    _, pastoral, mixed = (v["village_type"] == k for k in ("1", "2", "3"))
    past = pastoral.to_numpy().astype(float)

    dist = v["town_km"].to_numpy() * rng.uniform(0.6, 1.4, n) + rng.gamma(2.0, 3.0 + 8.0 * past, n)
    v["distance_county_km"] = np.clip(np.round(dist, 1), 0.5, 320.0)
    log_hh = np.where(pastoral, np.log(110), np.where(mixed, np.log(180), np.log(240)))
    hh = np.exp(log_hh + rng.normal(0, 0.45, n))
    v["households"] = np.clip(np.round(hh), 30, 1200).astype(int)
    size = np.where(pastoral, 4.2, np.where(mixed, 3.8, 3.5)) * np.exp(rng.normal(0, 0.08, n))
    v["population"] = np.maximum(v["households"], np.round(v["households"] * size)).astype(int)
    away = np.clip(rng.beta(4, 18, n) * np.where(pastoral, 0.6, 1.0), 0, 0.6)
    v["migrant_workers"] = np.round(v["population"] * away).astype(int)
    v["resident_population"] = (v["population"] - np.round(v["migrant_workers"] * 0.8)).astype(int)
    v["village_effect"] = rng.normal(0, 1, n)

    # Ethnic composition: a county-level mean minority share, concentrated by village.
    shares = np.zeros((n, 7))  # columns: codes 1..6 and 97
    codes = ["1", "2", "3", "4", "5", "6", "97"]
    for i, county in enumerate(v["county"]):
        c = by_code[county]
        total = sum(s for _, s in c.minorities)
        m = rng.beta(max(total, 0.02) * 1.3, max(1 - total, 0.02) * 1.3)
        split = rng.dirichlet([s * 8 + 0.2 for _, s in c.minorities])
        for (code, _), part in zip(c.minorities, split, strict=True):
            shares[i, codes.index(code)] = m * part
        other = rng.uniform(0, 0.01) if rng.random() < 0.08 else 0.0
        shares[i, 6] = other
        shares[i, 0] = max(0.0, 1.0 - shares[i, 1:].sum())
    shares = shares / shares.sum(axis=1, keepdims=True)
    v["minority_share"] = 1.0 - shares[:, 0]
    v["minority_population"] = np.round(v["population"] * v["minority_share"]).astype(int)
    for j, code in enumerate(codes):
        v[f"share_{code}"] = shares[:, j]
    v["ethnic_main"] = [codes[j] for j in shares.argmax(axis=1)]
    v["ethnic_groups"] = [
        " ".join(c for c, s in zip(codes, row, strict=True) if s >= 0.01) for row in shares
    ]

    # Place and height.
    county_centre = {c.code: c.centre for c in COUNTIES}
    angle = rng.uniform(0, 2 * np.pi, n)
    straight = v["distance_county_km"].to_numpy() * 0.7
    lat0 = np.array([county_centre[c][0] for c in v["county"]])
    lon0 = np.array([county_centre[c][1] for c in v["county"]])
    v["lat"] = np.round(lat0 + straight * np.sin(angle) / 111.0, 6)
    v["lon"] = np.round(lon0 + straight * np.cos(angle) / (111.0 * np.cos(np.radians(lat0))), 6)
    v["altitude"] = np.round(
        np.where(pastoral, 3600, np.where(mixed, 2900, 2350)) + rng.normal(0, 220, n), 1
    )
    v["natural_villages"] = np.clip(rng.poisson(np.where(pastoral, 3.5, 4.5)) + 1, 1, 50)
    v["paved_road"] = np.where(
        rng.random(n) < _logistic(3.5 - 0.03 * v["distance_county_km"] - 1.0 * past), "1", "2"
    )
    v["village_name"] = _village_names(rng, v)
    v["has_first_secretary"] = np.where(rng.random(n) < 0.72, "1", "2")
    v = v.drop(columns="town_km")
    v = v.sort_values("village_id", kind="stable").reset_index(drop=True)
    v["vidx"] = np.arange(len(v))
    return v


_PREFIX = list("上下前后东西南北大小新老红黄白青石马杨李王张刘沙河泉柳松高")
_SUFFIX = list("庄沟湾坪台滩岭川堡寨营峪塬洼岔")
_PASTORAL = [
    "扎西",
    "尕玛",
    "拉加",
    "夏日",
    "多什",
    "赛尔",
    "曲麻",
    "德吉",
    "加吾",
    "索日",
    "昂拉",
    "秀麻",
    "达日",
    "日干",
    "格日",
    "巴彦",
    "乌兰",
    "哈日",
    "塔拉",
    "查干",
]


def _village_names(rng: np.random.Generator, v: pd.DataFrame) -> list[str]:
    names: list[str] = []
    used: dict[str, set[str]] = {}
    for township, kind in zip(v["township"], v["village_type"], strict=True):
        taken = used.setdefault(township, set())
        for _ in range(50):
            if kind == "2" and rng.random() < 0.7:
                name = f"{rng.choice(_PASTORAL)}村"
            else:
                name = f"{rng.choice(_PREFIX)}{rng.choice(_SUFFIX)}村"
            if name not in taken:
                break
        taken.add(name)
        names.append(name)
    return names


# ----------------------------------------------------------------------------- households
def _households(seed: int, villages: pd.DataFrame) -> pd.DataFrame:
    rng = rng_for(seed, "households")
    sizes = villages["households"].to_numpy()
    vidx = np.repeat(np.arange(len(villages)), sizes)
    h = len(vidx)
    line = np.concatenate([np.arange(1, s + 1) for s in sizes])
    vt = villages["village_type"].to_numpy()[vidx]
    past = (vt == "2").astype(float)
    mix = (vt == "3").astype(float)
    vid = villages["village_id"].to_numpy()[vidx]
    hh = pd.DataFrame({"village_id": vid, "line_no": line})
    hh["hh_uid"] = [f"{a}{b:04d}" for a, b in zip(vid, line, strict=True)]
    hh["vidx"] = vidx
    hh["hh_size"] = np.clip(1 + rng.poisson(2.6 + 0.3 * mix + 0.7 * past), 1, 14)
    hh["head_sex"] = np.where(rng.random(h) < 0.86, "1", "2")
    hh["head_age"] = np.clip(np.round(rng.normal(51, 12, h)), 22, 88).astype(int)

    # Ethnicity of the head: drawn from the village's composition.
    codes = np.array(["1", "2", "3", "4", "5", "6", "97"])
    shares = villages[[f"share_{c}" for c in codes]].to_numpy()[vidx]
    cum = shares.cumsum(axis=1)
    u = rng.random(h)[:, None]
    hh["head_ethnicity"] = codes[np.minimum((u > cum).sum(axis=1), len(codes) - 1)]
    script_minority = np.isin(hh["head_ethnicity"], ["2", "4"]).astype(float)

    score = (
        rng.normal(0, 1, h)
        - 0.04 * (hh["head_age"].to_numpy() - 50)
        - 0.5 * script_minority
        - 0.3 * past
    )
    edu = 1 + np.searchsorted(np.array([-0.9, 0.1, 1.0, 1.7, 2.4]), score)
    hh["head_education"] = edu.astype(str)
    literate = _logistic(-1.5 + 1.1 * edu - 2.2 * script_minority)
    partly = rng.random(h)
    hh["head_literacy"] = np.where(
        partly < literate, "1", np.where(partly < literate + 0.5 * (1 - literate), "2", "3")
    )
    hh["head_party"] = np.where(
        rng.random(h) < 0.04 + 0.05 * (edu >= 4) + 0.04 * (hh["head_sex"] == "1"), "1", "2"
    )
    hh["distance_centre_km"] = np.round(
        rng.exponential(np.where(past == 1, 7.0, np.where(mix == 1, 2.5, 0.8))), 1
    )
    hh["attitude"] = 0.45 * villages["village_effect"].to_numpy()[vidx] + rng.normal(0, 1, h)
    hh["smartphones_base"] = rng.poisson(
        np.clip(0.4 + 0.35 * hh["hh_size"] - 0.025 * (hh["head_age"] - 50), 0.1, None)
    )
    # Common random numbers: one draw per household for each answer that changes over waves.
    for name in _ACTIVITIES:
        hh[f"u_{name}"] = rng.random(h)
    for name in ("u_cable", "u_sat", "u_bb", "u_bb_new", "u_tv", "u_phone", "u_dk", "u_room"):
        hh[name] = rng.random(h)
    hh["e_sat"] = rng.normal(0, 1, h)
    hh["e_sat_wave"] = rng.normal(0, 1, (h,))
    return hh


# ----------------------------------------------------------------------------- waves
def _waves(
    seed: int, villages: pd.DataFrame, hh: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = rng_for(seed, "facilities")
    n = len(villages)
    dist = villages["distance_county_km"].to_numpy()
    past = (villages["village_type"] == "2").to_numpy().astype(float)
    mix = (villages["village_type"] == "3").to_numpy().astype(float)
    ve = villages["village_effect"].to_numpy()
    log_size = np.log(villages["households"].to_numpy() / 200.0)

    u = {
        k: rng.random(n)
        for k in ("lib", "room", "edu", "cast", "square", "gain_lib", "gain_room", "gain_cast")
    }
    lib = u["lib"] < _logistic(2.6 - 1.3 * past - 0.6 * mix - 0.008 * dist + 0.4 * ve)
    room = u["room"] < _logistic(
        0.9 - 1.2 * past - 0.5 * mix - 0.012 * dist + 0.5 * log_size + 0.6 * ve
    )
    edu = u["edu"] < _logistic(1.8 - 0.7 * past - 0.006 * dist + 0.3 * ve)
    cast = u["cast"] < _logistic(1.9 - 0.6 * past + 0.3 * ve)
    square = u["square"] < _logistic(0.5 - 1.0 * past - 0.008 * dist + 0.5 * ve)
    p_cable = _logistic(
        np.where(past == 1, -2.2 - 0.01 * dist, 0.7 - 0.03 * dist - 1.0 * mix + 0.3 * ve)
    )
    p_sat = _logistic(1.2 + 1.2 * past)
    p_bb = _logistic(0.9 - 0.035 * dist - 0.8 * past - 0.3 * mix + 0.3 * ve + 0.2 * log_size)
    p_bb_new = np.clip(0.10 + 0.04 * ve, 0.02, 0.25)

    waves = {
        "demo-2024": {"lib": lib, "room": room, "edu": edu, "cast": cast},
        "demo-2025": {
            "lib": lib | (u["gain_lib"] < 0.20),
            "room": room | (u["gain_room"] < np.clip(0.13 + 0.05 * ve, 0.02, 0.3)),
            "edu": edu,
            "cast": cast | (u["gain_cast"] < 0.20),
        },
    }

    vidx = hh["vidx"].to_numpy()
    cable = hh["u_cable"].to_numpy() < p_cable[vidx]
    sat = ~cable & (hh["u_sat"].to_numpy() < p_sat[vidx])
    d_c = hh["distance_centre_km"].to_numpy()
    bb24 = hh["u_bb"].to_numpy() < _logistic(np.log(p_bb / (1 - p_bb))[vidx] - 0.05 * d_c)
    bb25 = bb24 | (hh["u_bb_new"].to_numpy() < p_bb_new[vidx])

    facilities, outcomes = [], []
    for wave, year in WAVES.items():
        f = waves[wave]
        bb = bb24 if year == 2024 else bb25

        def count(flags: np.ndarray) -> np.ndarray:
            return np.bincount(vidx, weights=flags.astype(float), minlength=n).astype(int)

        facilities.append(
            pd.DataFrame(
                {
                    "village_id": villages["village_id"],
                    "wave": wave,
                    "has_library": np.where(f["lib"], "1", "2"),
                    "has_culture_room": np.where(f["room"], "1", "2"),
                    "has_distance_edu": np.where(f["edu"], "1", "2"),
                    "has_broadcast": np.where(f["cast"], "1", "2"),
                    "has_square": np.where(square, "1", "2"),
                    "cable_tv_households": count(cable),
                    "satellite_households": count(sat),
                    "broadband_households": count(bb),
                }
            )
        )
        outcomes.append(_household_outcomes(hh, wave, year, f, cable, sat, bb))
    fac = pd.concat(facilities, ignore_index=True)
    fac["cable_tv_coverage"] = fac["cable_tv_households"] / np.tile(
        villages["households"].to_numpy(), len(WAVES)
    )
    fac["broadband_coverage"] = fac["broadband_households"] / np.tile(
        villages["households"].to_numpy(), len(WAVES)
    )
    return fac, pd.concat(outcomes, ignore_index=True)


def _household_outcomes(
    hh: pd.DataFrame,
    wave: str,
    year: int,
    f: dict[str, np.ndarray],
    cable: np.ndarray,
    sat: np.ndarray,
    bb: np.ndarray,
) -> pd.DataFrame:
    vidx = hh["vidx"].to_numpy()
    lib = f["lib"][vidx].astype(float)
    room = f["room"][vidx].astype(float)
    edu_st = f["edu"][vidx].astype(float)
    a = hh["attitude"].to_numpy()
    d = hh["distance_centre_km"].to_numpy()
    educ = hh["head_education"].astype(int).to_numpy()
    party = (hh["head_party"] == "1").to_numpy().astype(float)
    age = hh["head_age"].to_numpy() + (year - 2024)
    shift = 0.15 * (year - 2024)
    p = {
        "visited_library": lib
        * _logistic(-1.9 + 0.6 * room - 0.06 * d + 0.25 * (educ - 2) + 0.35 * a + shift),
        "watched_film": _logistic(-1.3 + 0.7 * room - 0.04 * d + 0.25 * a + shift),
        "attended_lecture": _logistic(-1.5 + 0.8 * room + 0.5 * party - 0.03 * d + 0.3 * a + shift),
        "attended_training": _logistic(-1.8 + 0.5 * room + 0.3 * (age < 55) + 0.2 * a + shift),
        "attended_performance": _logistic(-1.5 + 0.9 * room - 0.03 * d + 0.25 * a + shift),
        "used_distance_edu": edu_st * _logistic(-2.6 + 0.9 * party + 0.4 * room + 0.2 * a),
    }
    out = pd.DataFrame({"hh_uid": hh["hh_uid"], "wave": wave})
    for name in _ACTIVITIES:
        out[name] = np.where(hh[f"u_{name}"].to_numpy() < p[name], "1", "2")
    took_part = np.zeros(len(hh), dtype=bool)
    for name in _ACTIVITIES:
        took_part |= out[name].to_numpy() == "1"
    out["participated"] = took_part

    noise = 0.75 * hh["e_sat"].to_numpy() + 0.45 * hh["e_sat_wave"].to_numpy() * (
        1 if year == 2024 else -1
    )
    latent = 0.9 * a + 0.5 * room + 0.4 * took_part + noise
    sat_code = 1 + np.searchsorted(np.array([-1.3, -0.3, 0.7, 1.8]), latent)
    dk = hh["u_dk"].to_numpy() < 0.025 + 0.04 * (educ == 1)
    out["att_culture_satisfied"] = np.where(dk, 98, sat_code)
    out["satisfaction_latent"] = latent
    out["has_cable"] = cable
    out["has_satellite"] = sat
    out["has_broadband"] = bb
    internet_tv = ~cable & ~sat & bb & (hh["u_room"].to_numpy() < 0.7)
    out["tv_access"] = np.where(cable, "1", np.where(sat, "2", np.where(internet_tv, "3", "4")))
    phones = hh["smartphones_base"].to_numpy() + (year - 2024) * (hh["u_bb_new"].to_numpy() < 0.15)
    out["smartphones"] = phones.astype(int)
    has_tv = out["tv_access"].to_numpy() != "4"
    out["info_tv"] = hh["u_tv"].to_numpy() < has_tv * _logistic(
        0.6 + 0.03 * (age - 50) + 0.3 * (cable | sat)
    )
    out["info_phone"] = hh["u_phone"].to_numpy() < (phones > 0) * _logistic(
        -0.6 + 0.45 * phones + 0.7 * bb - 0.035 * (age - 50) + shift * 2
    )
    return out


# ----------------------------------------------------------------------------- truth
def population_truth(province: Province) -> pd.DataFrame:
    """The population values of :data:`INDICATORS`, per wave, for the province and each county.

    Returns
    -------
    DataFrame
        Indexed by (wave, domain, indicator) with columns ``value``, ``level``,
        ``numerator``, ``denominator`` (the totals behind a share or mean) and
        ``county`` (None for the province).
    """
    rows = []
    v_county = province.villages["county"].to_numpy()
    h_county = v_county[province.households["vidx"].to_numpy()]
    counties = sorted(set(v_county))
    for wave in WAVES:
        v = province.village_frame(wave)
        a = province.answers(wave)
        sat = a["att_culture_satisfied"].to_numpy()
        sat_ok = sat < 90
        village_y = {
            "share_culture_room": (v["has_culture_room"] == "1").to_numpy().astype(float),
            "mean_cable_tv_coverage": v["cable_tv_coverage"].to_numpy(),
            "mean_broadband_coverage": v["broadband_coverage"].to_numpy(),
        }
        household_y = {
            "participation_rate": (
                a["participated"].to_numpy().astype(float),
                np.ones(len(a), dtype=bool),
            ),
            "mean_satisfaction": (np.where(sat_ok, sat, 0).astype(float), sat_ok),
            "share_info_tv": (a["info_tv"].to_numpy().astype(float), np.ones(len(a), dtype=bool)),
            "share_info_phone": (
                a["info_phone"].to_numpy().astype(float),
                np.ones(len(a), dtype=bool),
            ),
        }
        for domain, county in [("province", None)] + [(f"county {c}", c) for c in counties]:
            vin = np.ones(len(v), dtype=bool) if county is None else v_county == county
            hin = np.ones(len(a), dtype=bool) if county is None else h_county == county
            values = {k: (y[vin].sum(), vin.sum()) for k, y in village_y.items()}
            values |= {
                k: (y[hin & ok].sum(), (hin & ok).sum()) for k, (y, ok) in household_y.items()
            }
            for name in INDICATORS:
                num, den = values[name]
                rows.append(
                    {
                        "wave": wave,
                        "domain": domain,
                        "indicator": name,
                        "level": INDICATORS[name][0],
                        "county": county,
                        "value": float(num) / float(den),
                        "numerator": float(num),
                        "denominator": float(den),
                    }
                )
    return pd.DataFrame(rows).set_index(["wave", "domain", "indicator"])
