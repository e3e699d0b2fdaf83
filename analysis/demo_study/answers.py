"""The answers every sampled unit gives to every question of the three instruments.

Each function returns one record as ``{question name: answer text}`` in the form's own
encoding (choice codes, space-separated codes for select_multiple, ``YYYY-MM-DD`` dates,
``lat lon altitude accuracy`` geopoints, ODK date-times for start/end), with calculated
fields computed as the form computes them and non-relevant questions left empty. The
answers come from the population model (:mod:`.population`) so that the estimates can
be checked against the truth; the rest follow believable relationships (Likert items
share a latent attitude; the open answers follow the unit's situation).

:func:`fit_to_instrument` lines records up with an instrument: a question the models do
not know gets a plain answer of its type (and is reported), an answer to a question
the instrument lacks is dropped (and reported).

Examples
--------
>>> fmt_number(0.5), fmt_number(12.0), fmt_number(3.14159, 2)
('0.5', '12', '3.14')
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..instrument import Instrument
from .texts import id_number, open_answer, person_name, phone_number

__all__ = [
    "Visit",
    "cadre_answers",
    "fit_to_instrument",
    "fmt_number",
    "household_answers",
    "odk_datetime",
    "village_answers",
]

TZ = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True)
class Visit:
    """Who collected a record, on which device, when, and for how long."""

    enumerator: int
    start: dt.datetime
    minutes: float
    device: str

    @property
    def end(self) -> dt.datetime:
        """When the form was finalised."""
        return self.start + dt.timedelta(minutes=self.minutes)


def fmt_number(x: float, digits: int | None = None) -> str:
    """A number as ODK writes it: no trailing zeros, integers without a decimal point."""
    if digits is not None:
        x = round(float(x), digits)
    if float(x).is_integer():
        return str(int(x))
    return f"{float(x):.10g}"


def odk_datetime(t: dt.datetime) -> str:
    """An ODK date-time with milliseconds and offset, e.g. ``2024-07-16T09:05:11.379+08:00``."""
    return t.isoformat(timespec="milliseconds")


def new_uuid(rng: np.random.Generator) -> str:
    """A random (version 4) UUID drawn from ``rng`` (deterministic)."""
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


def _yn(flag: bool) -> str:
    return "1" if flag else "2"


def _pick(rng: np.random.Generator, options: Sequence[str], weights: Sequence[float]) -> str:
    cum = np.cumsum(weights, dtype=float)
    return str(options[int(np.searchsorted(cum, rng.random() * cum[-1], side="right"))])


def _multi(codes: Sequence[str], chosen: set[str]) -> str:
    """Space-separated codes in list order (as ODK Collect stores them)."""
    return " ".join(c for c in codes if c in chosen)


def _likert(latent: float, rng: np.random.Generator, dk: float) -> str:
    if rng.random() < dk:
        return "98"
    return str(1 + int(np.searchsorted([-1.3, -0.4, 0.5, 1.5], latent + rng.normal(0, 0.7))))


def _meta(record: dict[str, str], visit: Visit, username: str) -> None:
    record["start"] = odk_datetime(visit.start)
    record["end"] = odk_datetime(visit.end)
    record["today"] = visit.start.date().isoformat()
    record["deviceid"] = visit.device
    record["username"] = username
    record["enumerator"] = str(visit.enumerator)


# ============================================================================ village
def village_answers(
    v: Mapping[str, Any],
    visit: Visit,
    *,
    village_weight: float,
    year: int,
    rng: np.random.Generator,
    stable: np.random.Generator | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """The village questionnaire of village ``v`` (a row of ``Province.village_frame``).

    ``stable`` draws what does not change between waves (the usual respondent); by
    default ``rng``. Returns the answers and the themes of the open answers.
    """
    stable = rng if stable is None else stable
    r: dict[str, str] = {}
    themes: dict[str, str] = {}
    _meta(r, visit, f"enum{visit.enumerator}")
    r["visit_date"] = visit.start.date().isoformat()
    r["county"], r["township"], r["village_id"] = v["county"], v["township"], v["village_id"]
    r["village_name"] = v["village_name"]
    r["village_weight"] = fmt_number(village_weight, 4)
    r["village_gps"] = " ".join(
        (
            fmt_number(v["lat"] + rng.normal(0, 2e-4), 6),
            fmt_number(v["lon"] + rng.normal(0, 2e-4), 6),
            fmt_number(v["altitude"] + rng.normal(0, 8), 1),
            fmt_number(rng.uniform(3, 9.9), 1),
        )
    )
    main = v["ethnic_main"] if v["ethnic_main"] != "97" else "1"
    who = stable if rng.random() < 0.75 else rng  # usually the same respondent as last wave
    role = _pick(who, ["1", "2", "3", "4", "97"], [60, 12, 20, 6, 2])
    r["respondent_role"] = role
    other = str(who.choice(["村监委会主任", "村妇联主席", "村团支部书记"]))
    r["respondent_role_other"] = other if role == "97" else ""
    r["respondent_name"] = person_name(who, main, "1" if who.random() < 0.85 else "2")
    r["respondent_phone"] = phone_number(who)

    kind = v["village_type"]
    households, population = int(v["households"]), int(v["population"])
    r["village_type"] = kind
    r["natural_villages"] = str(int(v["natural_villages"]))
    r["households"], r["population"] = str(households), str(population)
    r["resident_population"] = str(int(v["resident_population"]))
    minority = int(v["minority_population"])
    r["minority_population"] = str(minority)
    r["minority_share"] = fmt_number(round_half_away(minority / population, 4))
    r["ethnic_groups"] = v["ethnic_groups"]
    r["ethnic_main"] = v["ethnic_main"]
    r["migrant_workers"] = str(int(v["migrant_workers"]))
    r["low_income_households"] = str(round(households * rng.uniform(0.03, 0.14)))
    r["distance_county_km"] = fmt_number(v["distance_county_km"], 1)
    r["paved_road"] = v["paved_road"]
    r["main_income_source"] = {
        "1": _pick(rng, ["1", "3", "4", "5"], [55, 35, 6, 4]),
        "2": _pick(rng, ["2", "5", "3"], [85, 10, 5]),
        "3": _pick(rng, ["2", "1", "3"], [50, 30, 20]),
    }[kind]
    r["collective_income"] = "0" if rng.random() < 0.25 else fmt_number(rng.gamma(1.5, 4.0), 1)

    lib = v["has_library"] == "1"
    r["has_library"] = v["has_library"]
    r["library_books"] = str(int(rng.integers(8, 31)) * 100) if lib else ""
    r["library_minority_books"] = (
        _yn(rng.random() < (0.8 if v["minority_share"] > 0.4 else 0.2)) if lib else ""
    )
    r["library_manager"] = _pick(rng, ["1", "2", "3", "4"], [15, 60, 15, 10]) if lib else ""
    r["library_open_days"] = (
        str(int(rng.choice([1, 2, 3, 5, 7], p=[0.25, 0.25, 0.2, 0.2, 0.1]))) if lib else ""
    )
    r["library_visits_month"] = str(int(rng.poisson(25))) if lib else ""
    room = v["has_culture_room"] == "1"
    r["has_culture_room"] = v["has_culture_room"]
    r["culture_room_area"] = str(int(rng.integers(4, 31)) * 10) if room else ""
    edu = v["has_distance_edu"] == "1"
    r["has_distance_edu"] = v["has_distance_edu"]
    r["distance_edu_sessions"] = str(int(rng.integers(4, 25))) if edu else ""
    r["has_broadcast"] = v["has_broadcast"]
    r["broadcast_freq"] = (
        _pick(rng, ["1", "2", "3", "4", "5"], [25, 30, 20, 20, 5])
        if v["has_broadcast"] == "1"
        else ""
    )
    r["has_square"] = v["has_square"]
    for name in ("cable_tv_households", "satellite_households", "broadband_households"):
        r[name] = str(int(v[name]))
    d = float(v["distance_county_km"])
    r["mobile_signal"] = str(
        1 + int(np.clip(np.floor(d / 45 + (kind == "2") + rng.normal(0, 0.6)), 0, 3))
    )
    for calc, count in (
        ("cable_tv_coverage", "cable_tv_households"),
        ("satellite_coverage", "satellite_households"),
        ("broadband_coverage", "broadband_households"),
    ):
        r[calc] = fmt_number(round_half_away(int(v[count]) / households, 4))
    r["coverage_note"] = ""

    staff = int(rng.integers(0, 7))
    r["propaganda_staff"] = str(staff)
    if 0 < staff < 98:
        full = int(rng.integers(0, min(staff, 2) + 1))
        r["propaganda_fulltime"] = str(full)
        r["propaganda_parttime"] = str(staff - full)
    else:
        r["propaganda_fulltime"] = r["propaganda_parttime"] = ""
    r["secretary_in_charge"] = _yn(rng.random() < 0.7)
    r["lecturers"] = str(int(rng.integers(0, 6)))
    r["culture_volunteers"] = str(int(rng.poisson(12 if room else 5)))
    r["staff_trained"] = str(int(rng.poisson(4)))
    r["has_first_secretary"] = v["has_first_secretary"]

    funding = 0.0 if rng.random() < 0.15 else round(float(rng.gamma(2.0, 1.5 + room)), 1)
    r["culture_funding"] = fmt_number(funding)
    if funding > 0:
        sources = {
            c for c, p in (("1", 0.8), ("2", 0.25), ("3", 0.35), ("4", 0.08)) if rng.random() < p
        } or {"96"}
        r["funding_sources"] = _multi(["1", "2", "3", "4", "96"], sources)
        r["funding_collective"] = (
            fmt_number(round(funding * rng.uniform(0.1, 0.6), 1)) if "2" in sources else ""
        )
    else:
        r["funding_sources"] = r["funding_collective"] = ""
    r["funding_adequacy"] = _pick(
        rng, ["1", "2", "3", "4"], [3, 27, 45, 25] if funding < 3 else [10, 45, 35, 10]
    )

    p_act = {
        "1": 0.85,
        "2": 0.5,
        "3": 0.55 + 0.2 * room,
        "4": 0.7,
        "5": 0.6,
        "6": 0.55,
        "7": 0.35,
        "8": 0.45,
        "9": 0.3 + 0.3 * (v["minority_share"] > 0.4),
        "97": 0.04,
    }
    held = {c for c, p in p_act.items() if rng.random() < p}
    codes = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "96", "97"]
    r["activities_held"] = _multi(codes, held) if held else "96"
    r["activities_other"] = (
        str(rng.choice(["春节联欢会", "篮球比赛", "赛马会", "读书分享会"])) if "97" in held else ""
    )
    r["activity_count"] = str(int(len(held) * rng.integers(2, 6))) if held else ""
    r["film_screenings"] = str(int(rng.integers(4, 13))) if "4" in held else ""
    r["lecture_sessions"] = str(int(rng.integers(2, 13))) if "1" in held else ""
    r["participants_avg"] = str(int(min(households * 2, rng.integers(20, 150)))) if held else ""
    r["model_households"] = str(round(households * rng.uniform(0.0, 0.08)))
    r["civilised_village"] = _pick(rng, ["1", "2", "3", "4", "5"], [50, 28, 15, 6, 1])

    likely = []
    if funding < 3:
        likely.append("2")
    if not room:
        likely.append("3")
    if d > 50 or kind == "2":
        likely.append("7")
    if v["minority_share"] > 0.5:
        likely.append("6")
    weights = {c: (5.0 if c in likely else 1.0) for c in ["1", "2", "3", "4", "5", "6", "7"]}
    k = int(rng.integers(1, 4))
    chosen = set(
        rng.choice(
            list(weights),
            size=k,
            replace=False,
            p=np.array(list(weights.values())) / sum(weights.values()),
        )
    )
    if rng.random() < 0.03:
        chosen = set(sorted(chosen)[:2]) | {"97"}
    r["difficulties"] = _multi(["1", "2", "3", "4", "5", "6", "7", "97"], chosen)
    r["difficulties_other"] = "冬季大雪封路，半年进不去" if "97" in chosen else ""
    theme_of = {
        "1": "人员缺乏",
        "2": "经费不足",
        "3": "设施老化",
        "5": "活动形式单一",
        "6": "语言障碍",
        "7": "距离远",
    }
    text, theme = open_answer(
        rng, "village_difficulty", [theme_of[c] for c in chosen if c in theme_of]
    )
    r["difficulties_detail"], themes["difficulties_detail"] = text, theme
    if rng.random() < 0.8:
        r["suggestions"], themes["suggestions"] = open_answer(rng, "village_suggestion")
    else:
        r["suggestions"] = ""
    r["enumerator_notes"] = ""
    return r, themes


# ============================================================================ household
_EDU_BY_AGE = ((6, "1"), (12, "2"), (15, "3"), (18, "4"))


def household_answers(
    h: Mapping[str, Any],
    v: Mapping[str, Any],
    listing: Mapping[str, Any],
    visit: Visit,
    *,
    year: int,
    rng: np.random.Generator,
    stable: np.random.Generator | None = None,
) -> tuple[dict[str, str], list[dict[str, str]], dict[str, str]]:
    """The household questionnaire of household ``h`` in village ``v``.

    ``listing`` holds the sample-list facts: ``hh_no``, ``village_weight``,
    ``village_hh_total``, ``replaced_hh_no`` (or None) and ``consent`` (False for a
    refusal). ``stable`` draws what a panel household answers alike in every wave (names,
    phone, ID number, livelihood, who lives there); by default ``rng``. Returns the main
    record, the roster members and the open-answer themes.
    """
    stable = rng if stable is None else stable
    r: dict[str, str] = {}
    themes: dict[str, str] = {}
    _meta(r, visit, f"enum{visit.enumerator}")
    r["visit_date"] = visit.start.date().isoformat()
    r["county"], r["township"], r["village_id"] = v["county"], v["township"], v["village_id"]
    hh_no = int(listing["hh_no"])
    r["hh_no"] = str(hh_no)
    r["hh_id"] = f"{v['village_id']}{hh_no:02d}"
    r["village_hh_total"] = str(int(listing["village_hh_total"]))
    r["hh_sampled"] = "20"
    r["village_weight"] = fmt_number(listing["village_weight"], 4)
    r["weight"] = fmt_number(
        round_half_away(float(r["village_weight"]) * int(r["village_hh_total"]) / 20, 4)
    )
    replaced = listing.get("replaced_hh_no")
    r["is_replacement"] = _yn(replaced is not None and not pd.isna(replaced))
    r["replaced_hh_no"] = str(int(replaced)) if r["is_replacement"] == "1" else ""
    dist_km = float(h["distance_centre_km"])
    lat = v["lat"] + rng.normal(0, 0.004 + dist_km / 111)
    lon = v["lon"] + rng.normal(0, 0.004 + dist_km / 111)
    r["hh_gps"] = " ".join(
        (
            fmt_number(lat, 6),
            fmt_number(lon, 6),
            fmt_number(v["altitude"] + rng.normal(0, 30), 1),
            fmt_number(rng.uniform(3, 15), 1),
        )
    )
    eth = h["head_ethnicity"]
    literacy = h["head_literacy"]
    if eth == "2" and literacy != "1":
        language = _pick(rng, ["2", "4"], [80, 20])
    elif eth == "4" and literacy != "1":
        language = _pick(rng, ["3", "4"], [75, 25])
    else:
        language = "1"
    r["interview_language"] = language
    r["consent_note"] = ""
    r["id_shown"] = "OK"
    consent = bool(listing.get("consent", True))
    r["consent"] = _yn(consent)
    r["refusal_reason"] = "" if consent else _pick(rng, ["1", "2", "3", "97"], [45, 25, 25, 5])
    members: list[dict[str, str]] = []
    if consent:
        members = _household_body(r, h, v, year, rng, stable, themes)
    # 2025 form only: a stream of its own, so that the 2024 answers do not shift
    own = np.random.default_rng(zlib.crc32(f"livestream/{r['hh_id']}/{year}".encode()))
    r["livestream_sales"] = _yn(own.random() < 0.12) if consent else ""
    r["cooperation"] = _pick(rng, ["1", "2", "3", "4"], [45, 40, 12, 3]) if consent else ""
    r["cadre_present"] = _yn(rng.random() < 0.1) if consent else ""
    notes = ""
    if consent and r.get("respondent_is_head") == "2":
        notes = "户主外出，由家人代答。" if rng.random() < 0.3 else ""
    r["enumerator_notes"] = notes
    return r, members, themes


def _household_body(
    r: dict[str, str],
    h: Mapping[str, Any],
    v: Mapping[str, Any],
    year: int,
    rng: np.random.Generator,
    stable: np.random.Generator,
    themes: dict[str, str],
) -> list[dict[str, str]]:
    kind = v["village_type"]
    eth, sex = h["head_ethnicity"], h["head_sex"]
    age0 = int(h["head_age"])  # age in 2024
    age = age0 + (year - 2024)
    educ = int(h["head_education"])
    # What stays the same in every wave, drawn first and always in the same order.
    head_name = person_name(stable, eth, sex)
    phone = phone_number(stable)
    has_phone = stable.random() < (0.9 if age0 < 65 else 0.6)
    id_no = id_number(stable, v["county"], 2024 - age0, sex)
    gives_id = stable.random() < 0.65
    livelihood = {
        "1": _pick(stable, ["1", "3", "4", "5", "97"], [48, 35, 8, 6, 3]),
        "2": _pick(stable, ["2", "5", "3", "4"], [80, 10, 6, 4]),
        "3": _pick(stable, ["1", "2", "3", "5"], [30, 40, 22, 8]),
    }[kind]
    size = int(h["hh_size"])
    people = _people(stable, size, head_name, sex, age0, eth, str(educ))

    is_head = rng.random() < 0.8
    r["respondent_is_head"] = _yn(is_head)
    r["respondent_relation"] = "" if is_head else _pick(rng, ["2", "3", "6", "97"], [60, 30, 5, 5])
    r["head_name"] = head_name
    r["head_phone"] = phone if has_phone else ""
    r["head_id_number"] = id_no if gives_id else ""
    r["head_sex"], r["head_age"], r["head_ethnicity"] = sex, str(age), eth
    r["head_education"] = str(educ)
    r["head_party"] = h["head_party"]
    r["head_cadre"] = _yn(rng.random() < (0.35 if h["head_party"] == "1" else 0.04))
    r["head_literacy"] = h["head_literacy"]

    members = _roster(rng, people, year - 2024, livelihood)
    r["hh_size"] = str(size)
    r["roster_note"] = ""
    r["n_away"] = str(sum(int(m["member_away_flag"]) for m in members))
    r["n_children"] = str(sum(int(m["member_child_flag"]) for m in members))
    r["n_elderly"] = str(sum(int(m["member_elderly_flag"]) for m in members))
    r["n_school_age"] = str(sum(int(m["member_school_age_flag"]) for m in members))
    r["roster_summary"] = ""

    r["main_livelihood"] = livelihood
    income = rng.lognormal(np.log(6.0 if kind == "2" else 4.5), 0.55)
    r["income_total"] = "998" if rng.random() < 0.02 else fmt_number(income, 1)
    r["cropland_mu"] = {
        "1": fmt_number(rng.uniform(3, 25), 1),
        "2": "0",
        "3": fmt_number(rng.uniform(1, 12), 1),
    }[kind]
    r["livestock_units"] = {
        "1": str(int(rng.integers(0, 12))),
        "2": str(int(rng.lognormal(np.log(350), 0.6))),
        "3": str(int(rng.lognormal(np.log(80), 0.7))),
    }[kind]
    r["distance_centre_km"] = fmt_number(h["distance_centre_km"], 1)
    r["tv_access"] = h["tv_access"]
    r["has_radio"] = _yn(rng.random() < (0.75 if v["has_broadcast"] == "1" else 0.3))
    r["has_broadband"] = _yn(bool(h["has_broadband"]))
    phones = int(min(h["smartphones"], 20))
    r["smartphones"] = str(phones)
    r["uses_wechat"] = _yn(rng.random() < 0.8) if 0 < phones < 98 else ""
    # 2025 form: the same question renamed (the generator keeps the name the wave's form has)
    r["uses_wechat_group"] = r["uses_wechat"]
    r["pension_insurance"] = _yn(rng.random() < 0.92)
    r["medical_insurance"] = _yn(rng.random() < 0.95)
    n_school = int(r["n_school_age"])
    subsidies = set()
    if kind in ("2", "3") and rng.random() < 0.85:
        subsidies.add("1")
    if kind in ("1", "3") and rng.random() < 0.8:
        subsidies.add("2")
    for code, p in (("3", 0.12), ("4", 0.4 if n_school else 0.0), ("5", 0.08), ("97", 0.02)):
        if rng.random() < p:
            subsidies.add(code)
    r["subsidies"] = _multi(["1", "2", "3", "4", "5", "96", "97"], subsidies) or "96"
    r["subsidies_other"] = (
        str(rng.choice(["高龄补贴", "残疾人补贴", "护林员工资"])) if "97" in subsidies else ""
    )

    lib_village = v["has_library"] == "1"
    r["visited_library"] = h["visited_library"]
    r["library_visits"] = str(int(1 + rng.poisson(4))) if h["visited_library"] == "1" else ""
    if h["visited_library"] == "2":
        script = eth in ("2", "4") and h["head_literacy"] == "3"
        r["library_reason"] = (
            "1"
            if not lib_village
            else _pick(
                rng, ["2", "3", "4", "5", "6", "97"], [20, 35, 15, 25 if script else 2, 20, 3]
            )
        )
    else:
        r["library_reason"] = ""
    r["watched_film"] = h["watched_film"]
    r["film_times"] = str(int(1 + rng.poisson(2.5))) if h["watched_film"] == "1" else ""
    r["attended_lecture"] = h["attended_lecture"]
    r["lecture_times"] = str(int(1 + rng.poisson(1.5))) if h["attended_lecture"] == "1" else ""
    lit = h["head_literacy"]
    r["lecture_understood"] = (
        _pick(
            rng,
            ["1", "2", "3", "4"],
            {"1": [45, 45, 8, 2], "2": [15, 50, 30, 5], "3": [3, 25, 47, 25]}[lit],
        )
        if h["attended_lecture"] == "1"
        else ""
    )
    r["attended_training"] = h["attended_training"]
    if h["attended_training"] == "1":
        topics = {{"1": "1", "2": "2", "3": "3"}.get(livelihood, "1")}
        for code, p in (("4", 0.12), ("5", 0.15), ("6", 0.2), ("97", 0.02)):
            if rng.random() < p:
                topics.add(code)
        r["training_topics"] = _multi(["1", "2", "3", "4", "5", "6", "97"], topics)
    else:
        r["training_topics"] = ""
    r["attended_performance"] = h["attended_performance"]
    r["used_distance_edu"] = h["used_distance_edu"]
    civic = {c for c, p in (("1", 0.3), ("2", 0.15), ("3", 0.45), ("4", 0.5)) if rng.random() < p}
    r["civic_activities"] = _multi(["1", "2", "3", "4", "96"], civic) or "96"
    if "2" in (h["visited_library"], h["attended_lecture"], h["attended_training"]):
        weights = {
            "1": 4.0 if age < 55 else 2.0,
            "2": 2.5,
            "3": 1.0 + float(h["distance_centre_km"]) / 2,
            "4": 2.0,
            "5": 5.0 if lit == "3" else 0.3,
            "6": 4.0 if age >= 65 else 0.3,
            "97": 0.15,
        }
        k = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
        w = np.array(list(weights.values()))
        chosen = set(rng.choice(list(weights), size=k, replace=False, p=w / w.sum()))
        r["barriers"] = _multi(["1", "2", "3", "4", "5", "6", "97"], chosen)
        r["barriers_other"] = (
            str(rng.choice(["要照顾孙子", "要放牧走不开", "家里有病人"])) if "97" in chosen else ""
        )
    else:
        r["barriers"] = r["barriers_other"] = ""
    school_age = [m for m in members if m["member_school_age_flag"] == "1"]
    if school_age:
        all_in = all(m["member_in_school"] == "1" for m in school_age)
        r["children_in_school"] = _yn(all_in)
        r["out_of_school_reason"] = (
            "" if all_in else _pick(rng, ["1", "2", "3", "4", "5", "97"], [25, 25, 20, 20, 5, 5])
        )
    else:
        r["children_in_school"] = r["out_of_school_reason"] = ""

    channels = set()
    if h["info_tv"]:
        channels.add("1")
    if h["info_phone"]:
        channels.add("3")
    for code, p in (
        ("2", 0.35 if r["has_radio"] == "1" else 0.05),
        ("4", 0.08),
        ("5", 0.45),
        ("6", 0.35),
        ("7", 0.35 if h["attended_lecture"] == "1" else 0.03),
        ("8", 0.3),
    ):
        if rng.random() < p:
            channels.add(code)
    if not channels:
        channels.add("5")
    other = rng.random() < 0.006
    if other:
        channels.add("other")
    r["info_channels"] = _multi(["1", "2", "3", "4", "5", "6", "7", "8", "other"], channels)
    r["info_channels_other"] = "村里的公告栏" if other else ""
    if len(channels) > 1:
        prefs = [c for c in ("3", "1", "5", "6", "2", "8", "7", "4", "other") if c in channels]
        r["info_main"] = prefs[0] if rng.random() < 0.7 else str(rng.choice(prefs))
    else:
        r["info_main"] = ""
    if eth in ("2", "4"):
        r["info_language"] = _pick(
            rng, ["1", "2", "3"], [10, 55, 35] if lit != "1" else [35, 20, 45]
        )
    else:
        r["info_language"] = _pick(rng, ["1", "3"], [92, 8])
    known = {
        c
        for c, p in (
            ("1", 0.6),
            ("2", 0.75),
            ("3", 0.6 if kind != "1" else 0.1),
            ("4", 0.45),
            ("5", 0.35),
            ("6", 0.2),
        )
        if rng.random() < p
    }
    r["policies_known"] = _multi(["1", "2", "3", "4", "5", "6", "96"], known) or "96"
    r["policy_contact"] = _pick(rng, ["1", "2", "3", "4", "5", "6"], [45, 20, 8, 10, 7, 10])

    a = float(h["attitude"])
    dk = 0.02 + 0.03 * (educ == 1)
    r["likert_note"] = ""
    r["att_culture_satisfied"] = str(int(h["att_culture_satisfied"]))
    r["att_library_useful"] = _likert(
        0.6 * a + (0.4 if lib_village else -0.8), rng, dk + (0.1 if not lib_village else 0)
    )
    r["att_tv_enough"] = _likert(0.5 * a + (0.5 if h["tv_access"] in ("1", "2") else -0.6), rng, dk)
    r["att_lecture_clear"] = _likert(0.7 * a + {"1": 0.5, "2": 0.0, "3": -0.8}[lit], rng, dk)
    r["att_formality_r"] = _likert(-0.7 * a - 0.2, rng, dk)
    r["att_cadres_listen"] = _likert(0.8 * a + 0.2, rng, dk)
    r["att_training_helps"] = _likert(
        0.5 * a + (0.7 if h["attended_training"] == "1" else 0.0), rng, dk
    )
    r["att_policy_timely"] = _likert(0.6 * a + 0.3 * len(channels) / 3, rng, dk)
    r["att_not_my_business_r"] = _likert(-0.7 * a - 0.5, rng, dk)
    r["att_neighbours_help"] = _likert(0.5 * a + 0.5, rng, dk)
    r["att_rely_on_aid_r"] = _likert(-0.6 * a - 0.6, rng, dk)
    r["att_join_public"] = _likert(0.8 * a + 0.6, rng, dk)
    r["att_education_matters"] = _likert(0.3 * a + 1.6, rng, dk / 2)
    r["att_irrelevant_r"] = _likert(-0.7 * a - 0.1, rng, dk)
    life = 0.6 * a + 0.05 * (income - 5) + 0.3
    r["att_life_satisfied"] = _likert(life, rng, dk / 2)
    r["life_score"] = str(int(np.clip(round(6.3 + 1.5 * life + rng.normal(0, 1.2)), 0, 10)))

    hard = set()
    for code, p in (
        ("1", 0.55),
        ("2", 0.35),
        ("3", 0.25 if n_school else 0.05),
        ("4", 0.15),
        ("5", 0.2),
        ("6", 0.2),
        ("7", 0.15 if age > 60 else 0.05),
        ("97", 0.02),
    ):
        if rng.random() < p:
            hard.add(code)
    order = rng.permutation(len(hard))
    hard = {sorted(hard)[i] for i in order[:3]}
    r["hardships"] = _multi(["1", "2", "3", "4", "5", "6", "7", "96", "97"], hard) or "96"
    likely = []
    if v["has_culture_room"] == "2":
        likely.append("设施老化")
    if float(h["distance_centre_km"]) > 5:
        likely.append("距离远")
    if lit == "3" and eth in ("2", "4"):
        likely.append("语言障碍")
    if not h["has_broadband"] and phones > 0:
        likely.append("网络信号差")
    if "1" in hard:
        likely.append("收入低")
    if "2" in hard:
        likely.append("看病难")
    for name, kind_of, p in (
        ("problem_detail", "household_problem", 0.7),
        ("culture_wish", "household_wish", 0.6),
        ("suggestions", "household_suggestion", 0.45),
    ):
        if rng.random() < p:
            r[name], themes[name] = open_answer(rng, kind_of, likely)
        else:
            r[name] = ""
    return members


def _people(
    rng: np.random.Generator, size: int, head_name: str, sex: str, age: int, eth: str, educ: str
) -> list[tuple[str, str, int, str, str, str]]:
    """Who lives in the household (name, sex, age in 2024, relation, education, ethnicity)."""
    people = [(head_name, sex, age, "1", educ, eth)]
    spouse = size >= 2 and rng.random() < 0.85
    if spouse:
        s_sex = "2" if sex == "1" else "1"
        s_age = int(np.clip(age + rng.integers(-6, 4), 18, 95))
        people.append((person_name(rng, eth, s_sex), s_sex, s_age, "2", "", eth))
    while len(people) < size:
        roll = rng.random()
        if age >= 55 and roll < 0.45:
            rel, m_age = "5", int(max(0, age - rng.integers(45, 60)))
        elif age <= 45 and roll < 0.15:
            rel, m_age = "6", int(min(95, age + rng.integers(22, 32)))
        elif roll < 0.85:
            rel, m_age = "3", int(max(0, age - rng.integers(20, 36)))
        elif roll < 0.93:
            rel, m_age = "4", int(max(18, age - rng.integers(20, 30)))
        else:
            rel, m_age = "7", int(np.clip(age + rng.integers(-10, 10), 10, 90))
        m_sex = "1" if rng.random() < 0.5 else "2"
        m_eth = eth if rng.random() < 0.97 else "1"
        people.append((person_name(rng, eth, m_sex), m_sex, m_age, rel, "", m_eth))
    return people


def _roster(
    rng: np.random.Generator,
    people: list[tuple[str, str, int, str, str, str]],
    years_on: int,
    livelihood: str,
) -> list[dict[str, str]]:
    """The roster of a wave ``years_on`` years after 2024."""
    members = []
    for name, m_sex, age0, rel, m_edu, m_eth in people:
        m_age = age0 + years_on
        m: dict[str, str] = {
            "member_name": name,
            "member_sex": m_sex,
            "member_age": str(m_age),
            "member_relation": rel,
        }
        m["member_ethnicity"] = m_eth
        if m_age >= 3:
            if not m_edu:
                m_edu = _member_education(rng, m_age)
            m["member_education"] = m_edu
        else:
            m["member_education"] = ""
        in_school = ""
        if 6 <= m_age <= 25 and rel == "1":
            in_school = "2"
        elif 6 <= m_age <= 25:
            p = 0.98 if m_age <= 15 else (0.85 if m_age <= 18 else 0.3)
            in_school = _yn(rng.random() < p)
        m["member_in_school"] = in_school
        if m_age >= 16:
            if in_school == "1":
                occ = "7"
            elif m_age >= 68:
                occ = "9"
            elif m_sex == "2" and rng.random() < 0.35:
                occ = "8"
            else:
                occ = {"1": "1", "2": "2", "3": "3", "4": "5"}.get(livelihood, "4")
                if rng.random() < 0.25:
                    occ = str(rng.choice(["1", "2", "3", "4", "6"]))
            m["member_occupation"] = occ
        else:
            m["member_occupation"] = ""
        away = (m.get("member_occupation") == "3" and rng.random() < 0.8) or (
            in_school == "1" and m_age >= 19
        )
        m["member_away"] = _yn(bool(away))
        m["member_away_flag"] = "1" if m["member_away"] == "1" else "0"
        m["member_child_flag"] = "1" if m_age < 16 else "0"
        m["member_elderly_flag"] = "1" if 60 <= m_age < 998 else "0"
        m["member_school_age_flag"] = "1" if 6 <= m_age <= 15 else "0"
        members.append(m)
    return members


def _member_education(rng: np.random.Generator, age: int) -> str:
    if age < 6:
        return "1"
    for limit, level in _EDU_BY_AGE[1:]:
        if age < limit:
            return level
    if age <= 22:
        return _pick(rng, ["3", "4", "5", "6"], [25, 40, 15, 20])
    if age <= 45:
        return _pick(rng, ["1", "2", "3", "4", "5", "6"], [8, 22, 40, 18, 7, 5])
    return _pick(rng, ["1", "2", "3", "4"], [35, 40, 20, 5])


# ============================================================================ cadre
_REGIONS = ("上海市", "江苏省", "浙江省", "北京市", "天津市", "山东省", "广东省")
_UNITS_UP = (
    "州委组织部",
    "州发展改革委",
    "省农业农村厅",
    "省文化和旅游厅",
    "州教育局",
    "省委宣传部",
)
_UNITS_ORIGIN = (
    "县委办公室",
    "县政府办公室",
    "县农牧局",
    "县教育局",
    "县文体广电局",
    "县卫健局",
    "县委宣传部",
    "县财政局",
    "县民政局",
)
_POSITIONS = {
    "1": ("副区长助理", "副局长", "总经理助理", "主任助理"),
    "2": ("乡长助理", "副乡长", "党委委员", "驻村第一书记"),
    "3": ("科员", "副科长", "业务骨干"),
}


def cadre_answers(
    c: Mapping[str, Any],
    *,
    entry: dt.date,
    rng: np.random.Generator,
    stable: np.random.Generator | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """The cadre questionnaire and appraisal of cadre ``c`` (a row of ``cadre_roster``).

    ``entry`` is the day the record was typed in (the form's ``today()``); ``stable``
    draws the person and the posting (the same when a cadre is assessed again).
    """
    person = rng if stable is None else stable
    r: dict[str, str] = {}
    themes: dict[str, str] = {}
    r["today"] = entry.isoformat()
    r["enumerator"] = str(int(rng.integers(201, 206)))
    r["cadre_id"] = c["cadre_id"]
    r["county"] = c["county"]
    sex = "1" if person.random() < 0.78 else "2"
    eth = _pick(person, ["1", "2", "3", "4", "5"], [50, 25, 12, 8, 5])
    r["cadre_name"] = person_name(person, eth, sex)
    r["cadre_phone"] = phone_number(person)
    r["sex"] = sex
    birth = int(person.integers(1972, 1998))
    r["birth_year"] = str(birth)
    r["age"] = str(entry.year - birth)
    r["ethnicity"] = eth
    r["education"] = _pick(person, ["4", "5", "6", "7"], [3, 22, 65, 10])
    r["party_member"] = _yn(person.random() < 0.9)
    r["rank"] = _pick(person, ["1", "2", "3", "4"], [35, 35, 25, 5])
    r["origin_type"] = _pick(person, ["1", "2", "3", "4", "5", "97"], [45, 30, 15, 4, 5, 1])
    r["origin_unit"] = str(person.choice(_UNITS_ORIGIN))
    mode = c["posting_mode"]
    r["posting_mode"] = mode
    r["posting_region"] = str(person.choice(_REGIONS)) if mode == "1" else ""
    if mode == "1":
        r["posting_unit"] = r["posting_region"].rstrip("省市") + str(
            person.choice(["某区发展改革委", "某区商务局", "某开发区管委会"])
        )
        level = "5"
    elif mode == "2":
        r["posting_unit"] = (
            str(person.choice(["城关镇", "河口乡", "草滩乡", "牧场乡", "红山乡"])) + "人民政府"
        )
        level = "1"
    else:
        r["posting_unit"] = str(person.choice(_UNITS_UP))
        level = "4" if "省" in r["posting_unit"] else "3"
    r["posting_level"] = level
    r["posting_position"] = str(person.choice(_POSITIONS[mode]))
    r["selection_method"] = _pick(person, ["1", "2", "3", "4"], [70, 8, 12, 10])
    start: dt.date = c["start_date"]
    r["start_date"] = start.isoformat()
    duration = int(c["duration_months"])
    r["duration_months"] = str(duration)
    served = int((entry - start).days / 30.4375)
    r["months_served"] = str(served)
    if c["ended_early"]:
        status = "3"
    else:
        status = "2" if served >= duration else "1"
    r["posting_status"] = status
    r["early_end_reason"] = (
        str(rng.choice(["因工作需要提前召回", "家中有特殊困难", "身体原因"]))
        if status == "3"
        else ""
    )
    r["rotated"] = _yn(rng.random() < 0.2)
    work_p = {
        "1": (0.6, 0.4, 0.2, 0.2, 0.1, 0.1, 0.2, 0.5),
        "2": (0.5, 0.2, 0.7, 0.4, 0.4, 0.4, 0.5, 0.1),
        "3": (0.6, 0.1, 0.1, 0.2, 0.1, 0.1, 0.2, 0.8),
    }[mode]
    work = {str(i + 1) for i, p in enumerate(work_p) if rng.random() < p} or {"1"}
    if rng.random() < 0.03:
        work.add("97")
    codes = ["1", "2", "3", "4", "5", "6", "7", "8", "97"]
    r["work_assigned"] = _multi(codes, work)
    r["work_other"] = "疫情防控和安全生产检查" if "97" in work else ""
    r["work_main"] = str(rng.choice(sorted(work, key=codes.index))) if len(work) > 1 else ""
    own = rng.random() < (0.5 if mode != "3" else 0.2)
    r["own_project"] = _yn(own)
    r["own_project_desc"] = (
        str(
            rng.choice(
                [
                    "牵头建设村级文化广场，已投入使用。",
                    "引进农产品电商企业一家，带动农户销售牦牛肉。",
                    "组织双语政策宣讲20场，覆盖牧户600余户。",
                    "协调落实帮扶资金50万元用于饮水工程。",
                ]
            )
        )
        if own
        else ""
    )
    r["field_days"] = str(int(np.clip(rng.normal({"1": 4, "2": 14, "3": 2}[mode], 3), 0, 31)))
    r["work_log"] = _yn(rng.random() < 0.85)
    support = {c2 for c2, p in (("1", 0.7), ("2", 0.6), ("3", 0.5), ("4", 0.3)) if rng.random() < p}
    r["support"] = _multi(["1", "2", "3", "4", "96"], support) or "96"
    z = float(c["performance"])
    r["self_note"] = ""
    for name, shift in (
        ("self_real_work", 0.4 + 0.4 * (mode == "2") - 0.6 * (mode == "3")),
        ("self_sender_support", 0.6),
        ("self_passer_by_r", -0.6),
        ("self_mass_work", 0.8 * (mode == "2")),
        ("self_rules_clear", 0.1),
        ("self_logistics", -0.2 + 0.2 * len(support)),
        ("self_isolated_r", -0.5 + 0.4 * (mode == "1")),
    ):
        sign = -1 if name.endswith("_r") else 1
        r[name] = _likert(sign * 0.6 * z + shift, rng, 0.02)
    r["gain_score"] = str(int(np.clip(round(7 + 1.2 * z + rng.normal(0, 1)), 0, 10)))
    r["assessment_date"] = c["assessment_date"].isoformat()
    for name in (
        "score_daily",
        "score_democratic",
        "score_report",
        "score_worklog",
        "score_interview",
    ):
        r[name] = fmt_number(c[name], 1)
    total = round_half_away(
        0.3 * c["score_daily"]
        + 0.3 * c["score_democratic"]
        + 0.2 * c["score_report"]
        + 0.1 * c["score_worklog"]
        + 0.1 * c["score_interview"],
        1,
    )
    r["total_score"] = fmt_number(total, 1)
    grade = 1 if total >= 90 else 2 if total >= 75 else 3 if total >= 60 else 4
    r["grade_by_score"] = str(grade)
    r["total_note"] = ""
    appraisers = int(rng.integers(12, 61))
    good = float(np.clip((c["score_democratic"] - 50) / 50, 0.05, 1.0))
    p_ex = good * 0.55
    p_comp = good * 0.45
    counts = rng.multinomial(
        appraisers,
        [p_ex, p_comp, max(0.0, (1 - good) * 0.8), max(0.0, (1 - good) * 0.2)]
        / np.sum([p_ex, p_comp, max(0.0, (1 - good) * 0.8), max(0.0, (1 - good) * 0.2)]),
    )
    blank = int(rng.random() < 0.2)
    counts[1] = max(0, counts[1] - blank)
    r["appraisers"] = str(appraisers)
    for name, n in zip(
        ("votes_excellent", "votes_competent", "votes_basic", "votes_incompetent"),
        counts,
        strict=True,
    ):
        r[name] = str(int(n))
    r["good_rate"] = fmt_number(round_half_away((counts[0] + counts[1]) / appraisers, 4))
    for name in (
        "eval_integrity_politics",
        "eval_ability",
        "eval_diligence",
        "eval_results",
        "eval_clean",
    ):
        r[name] = str(int(np.clip(np.round(2.2 - 0.8 * z + rng.normal(0, 0.6)), 1, 5)))
    overall = grade if rng.random() < 0.85 else int(np.clip(grade + rng.choice([-1, 1]), 1, 4))
    r["overall_grade"] = str(overall)
    r["recommended_use"] = {
        1: _pick(rng, ["1", "2"], [60, 40]),
        2: _pick(rng, ["2", "3"], [40, 60]),
        3: _pick(rng, ["3", "4"], [50, 50]),
        4: "4",
    }[overall]
    for name, kind, p in (
        ("problems", "cadre_problem", 0.75),
        ("suggestions", "cadre_suggestion", 0.6),
    ):
        if rng.random() < p:
            r[name], themes[name] = open_answer(rng, kind)
        else:
            r[name] = ""
    kind = "assessor_good" if overall <= 1 else "assessor_fair" if overall <= 2 else "assessor_poor"
    r["assessor_comments"], themes["assessor_comments"] = open_answer(rng, kind)
    return r, themes


# ============================================================================ instrument fit
def fit_to_instrument(
    records: list[dict[str, str]], instrument: Instrument, *, repeat: str | None = None
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Line records up with an instrument's questions (of the main record or of ``repeat``).

    Returns a DataFrame with one column per question of the instrument at that level
    (in form order; keys starting with ``__`` are kept as bookkeeping columns) and a
    report ``{"generic": [...], "dropped": [...]}``: questions answered with a plain
    value of their type because no model knows them, and answers dropped because the
    instrument has no such question.
    """
    names = [
        q.name
        for q in instrument.questions_in(repeat)
        if q.type not in ("begin_group", "end_group")
    ]
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame(columns=names)
    known = set(frame.columns)
    report: dict[str, list[str]] = {"generic": [], "dropped": []}
    for name in names:
        if name not in known:
            q = instrument.question(name)
            frame[name] = _generic(q.type, instrument.choices(q))
            report["generic"].append(name)
    report["dropped"] = sorted(c for c in known if c not in names and not c.startswith("__"))
    keep = names + sorted(c for c in known if c.startswith("__"))
    return frame[keep].fillna("").astype(str), report


def _generic(qtype: str, choices: Any) -> str:
    if qtype in ("select_one", "select_multiple") and choices is not None and len(choices):
        return choices.codes[0]
    if qtype in ("integer", "decimal", "range"):
        return "1"
    return ""


def round_half_away(x: float, digits: int = 0) -> float:
    """Round half away from zero (as JavaRosa's ``round()``), not Python's banker's rounding."""
    factor = 10**digits
    return math.copysign(math.floor(abs(x) * factor + 0.5) / factor, x)
