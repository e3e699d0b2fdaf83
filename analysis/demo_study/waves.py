"""Two waves of fieldwork: who visits which unit when, and the clean records of each wave.

The villages are a panel (the same 100 in 2024 and 2025). Half of the 2024 households
are interviewed again in 2025 under the same sample-list number, so ``hh_id`` is a
stable panel id; the other half are new. Facilities improve a little in 2025 (the
population model). Each county has a team of four enumerators; the team leader takes
the village questionnaire; a village's households are interviewed on the day of the
visit (some on the next day).

The instrument of a wave is ``surveys/<name>-<year>.xlsx`` (or ``.md``) when the study
has one, else the study's current form: the 2024 household exports follow
``surveys/household-2024.*`` as soon as someone writes it, and the answer models fill in
whatever questions that version has (:func:`analysis.demo_study.answers.fit_to_instrument`).

Examples
--------
>>> from analysis.demo_study.geography import COUNTIES
>>> enumerators(0)
(111, 112, 113, 114)
>>> fieldwork_start(2025).isoformat()
'2025-07-07'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..instrument import Instrument, load_instrument
from ..study import Study
from .answers import (
    TZ,
    Visit,
    cadre_answers,
    household_answers,
    new_uuid,
    odk_datetime,
    village_answers,
)
from .geography import COUNTIES
from .population import WAVES, Province, rng_for

__all__ = [
    "INSTRUMENT_CHANGES_2025",
    "WaveRecords",
    "enumerators",
    "fieldwork_start",
    "form_for_wave",
    "load_wave_instruments",
    "wave_records",
]

#: The changes a real 2025 household questionnaire would make (proposed, not applied).
INSTRUMENT_CHANGES_2025 = (
    "info_channel list: split code 3 (手机微信或短视频) into 3 = 微信 and 9 = 抖音/快手等短视频平台",
    "tv_access list: add 5 = 智能电视或IPTV (many 2024 'Internet TV' answers move there)",
    "rename uses_wechat -> uses_wechat_group (question reworded to 村民微信群)",
    "drop has_radio (nearly every household answered 'yes' through the village loudspeaker)",
    "add livestream_sales (select_one yesno: 是否通过直播或电商卖过农畜产品)",
    "hh_sampled default stays 20; version 2025.1",
)


def fieldwork_start(year: int) -> dt.date:
    """First day of fieldwork in ``year``: the Monday on or after 7 July."""
    day = dt.date(year, 7, 7)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def enumerators(county_index: int, year: int = 2024) -> tuple[int, ...]:
    """Enumerator codes of a county's team (the first is the team leader).

    In 2025 the fourth member of every team is new.
    """
    base = 100 + 10 * (county_index + 1)
    codes = [base + 1, base + 2, base + 3, base + 4]
    if year >= 2025:
        codes[3] = base + 5
    return tuple(codes)


def _device(seed: int, enumerator: int) -> str:
    rng = rng_for(seed, "device", enumerator)
    alphabet = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
    return "collect:" + "".join(rng.choice(alphabet, 16))


def form_for_wave(study: Study, name: str, wave: str) -> Path:
    """The form a wave was collected with: ``<form stem>-<year>`` if present, else the current form.

    A missing ``.xlsx`` falls back to the ``.md`` source beside it.
    """
    current = study.form_path(name)
    year = WAVES.get(wave)
    candidates = []
    if year is not None:
        candidates += [current.with_name(f"{current.stem}-{year}{ext}") for ext in (".xlsx", ".md")]
    candidates += [current, current.with_suffix(".md")]
    for path in candidates:
        if path.is_file():
            return path
    return current


@dataclass(frozen=True)
class WaveRecords:
    """The clean records of one wave, before any dirt."""

    wave: str
    village: list[dict[str, str]]
    household: list[dict[str, str]]
    members: list[dict[str, str]]
    cadre: list[dict[str, str]]
    #: Open-answer themes: rows of (instrument, key, variable, theme).
    themes: list[tuple[str, str, str, str]] = field(default_factory=list)


def wave_records(
    province: Province,
    villages: pd.DataFrame,
    households: pd.DataFrame,
    cadres: pd.DataFrame,
    wave: str,
    *,
    seed: int,
) -> WaveRecords:
    """The answers of every unit interviewed in ``wave`` with their submission metadata.

    Bookkeeping keys (``__...``) carry what the export layouts need: the instance id,
    the server's submission time, the submitter and the record's position.
    """
    year = WAVES[wave]
    frame = province.village_frame(wave).set_index("village_id")
    visiting = households[
        (households["wave"] == wave) & households["outcome"].isin(["interviewed", "refused"])
    ]
    hh_all = province.households[province.households["hh_uid"].isin(visiting["hh_uid"])]
    answers_of = province.outcomes[
        (province.outcomes["wave"] == wave) & province.outcomes["hh_uid"].isin(visiting["hh_uid"])
    ]
    hh_frame = (
        hh_all.merge(answers_of.drop(columns="wave"), on="hh_uid")
        .set_index("hh_uid")
        .to_dict("index")
    )
    surveyed = villages[villages["status"] == "surveyed"].sort_values(["county", "order", "role"])
    county_index = {c.code: i for i, c in enumerate(COUNTIES)}
    start = fieldwork_start(year)
    themes: list[tuple[str, str, str, str]] = []
    village_rows, hh_rows, member_rows = [], [], []
    for k, row in enumerate(surveyed.itertuples(index=False)):
        ci = county_index[row.county]
        team = enumerators(ci, year)
        day = start + dt.timedelta(
            days=4 * ci + int((surveyed["county"].iloc[:k] == row.county).sum())
        )
        rng = rng_for(seed, "village-answers", wave, row.village_id)
        v = frame.loc[row.village_id].to_dict() | {"village_id": row.village_id}
        begin = dt.datetime.combine(day, dt.time(9, 0), TZ) + dt.timedelta(
            minutes=int(rng.integers(0, 90))
        )
        visit = Visit(team[0], begin, float(rng.uniform(35, 75)), _device(seed, team[0]))
        answers, th = village_answers(
            v,
            visit,
            village_weight=row.village_weight,
            year=year,
            rng=rng,
            stable=rng_for(seed, "village-stable", row.village_id),
        )
        answers |= _submission(rng, visit, remote=row.distance_county_km > 60, seq=k)
        village_rows.append(answers)
        themes += [("village", row.village_id, var, t) for var, t in th.items()]

        listed = households[
            (households["wave"] == wave) & (households["village_id"] == row.village_id)
        ]
        visited = listed[listed["outcome"].isin(["interviewed", "refused"])].sort_values("hh_no")
        for j, hh in enumerate(visited.itertuples(index=False)):
            hrng = rng_for(seed, "household-answers", wave, hh.hh_uid)
            who = team[j % 4]
            slot = j // 4
            next_day = hrng.random() < 0.15
            when = dt.datetime.combine(day + dt.timedelta(days=int(next_day)), dt.time(9, 30), TZ)
            when += dt.timedelta(minutes=int(slot * 55 + hrng.integers(0, 25)))
            consent = hh.outcome == "interviewed"
            minutes = float(hrng.normal(36, 6)) if consent else float(hrng.uniform(3, 7))
            hvisit = Visit(
                who, when, max(minutes, 18.0) if consent else minutes, _device(seed, who)
            )
            listing = {
                "hh_no": hh.hh_no,
                "village_weight": row.village_weight,
                "village_hh_total": row.households,
                "replaced_hh_no": hh.replaced_hh_no,
                "consent": consent,
            }
            h = hh_frame[hh.hh_uid] | {"hh_uid": hh.hh_uid}
            stable = rng_for(seed, "household-stable", hh.hh_uid)
            main, members, th = household_answers(
                h, v, listing, hvisit, year=year, rng=hrng, stable=stable
            )
            main |= _submission(hrng, hvisit, remote=row.distance_county_km > 60, seq=len(hh_rows))
            main["__hh_uid"] = hh.hh_uid
            main["__panel"] = "1" if hh.panel else "0"
            hh_rows.append(main)
            for position, m in enumerate(members, start=1):
                member_rows.append(
                    m | {"__parent": main["__instance_id"], "__position": str(position)}
                )
            themes += [("household", main["hh_id"], var, t) for var, t in th.items()]

    cadre_rows = []
    for k, c in enumerate(
        cadres[cadres["wave"] == wave].sort_values("cadre_id").itertuples(index=False)
    ):
        crng = rng_for(seed, "cadre-answers", wave, c.cadre_id)
        entry = c.assessment_date + dt.timedelta(days=int(crng.integers(3, 15)))
        stable = rng_for(seed, "cadre-stable", c.cadre_id)
        answers, th = cadre_answers(c._asdict(), entry=entry, rng=crng, stable=stable)
        answers["__seq"] = str(k)
        cadre_rows.append(answers)
        themes += [("cadre", c.cadre_id, var, t) for var, t in th.items()]
    return WaveRecords(wave, village_rows, hh_rows, member_rows, cadre_rows, themes)


def _submission(
    rng: np.random.Generator, visit: Visit, *, remote: bool, seq: int
) -> dict[str, str]:
    """Server-side metadata: instance id and when the server received the record."""
    delay = dt.timedelta(
        hours=float(rng.uniform(20, 72) if remote and rng.random() < 0.6 else rng.uniform(0.5, 5))
    )
    received = (visit.end + delay).astimezone(dt.UTC)
    out = {
        "__instance_id": f"uuid:{new_uuid(rng)}",
        "__received": odk_datetime(received).replace("+00:00", "Z"),
    }
    out["__submitter"] = str(visit.enumerator)
    out["__seq"] = str(seq)
    return out


def load_wave_instruments(study: Study, wave: str) -> dict[str, Instrument]:
    """The three instruments as collected in ``wave``."""
    return {
        name: load_instrument(form_for_wave(study, name, wave))
        for name in ("village", "household", "cadre")
    }
