"""Per-enumerator summaries (a tidy table of its own) and enumerator-level flags.

:func:`enumerator_summary` gives one row per instrument and enumerator: interviews,
days worked, interviews per day (mean and most), first and last day, median duration,
short interviews, share of missing codes, records in duplicate groups, and the errors
and warnings of the validation. :func:`check_enumerators` flags days with too many
interviews (``VAL170``) and enumerators whose interviews are much shorter than
everybody else's (``VAL171``).

Examples
--------
>>> from analysis.instrument.model import Question
>>> from analysis.validate.settings import ValidateSettings
>>> form = [Question("enumerator", "integer", role="enumerator"), Question("start", "start")]
>>> day = pd.Timestamp("2024-07-01 09:00")
>>> frame = pd.DataFrame({"_key": [str(i) for i in range(14)], "enumerator": [101] * 12 + [102] * 2,
...                       "start": [day] * 14})
>>> recs = Records.of_frame(frame, form)
>>> found = check_enumerators(recs, None, ValidateSettings.from_mapping({"enumerators": {"max_per_day": 10}}), "en")
>>> found.frame[["enumerator", "code", "value"]].values.tolist()
[['101', 'VAL170', '12']]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..readers.rawdata import MAIN
from ..readers.records import Records
from .duplicates import DUPLICATE_CODES
from .issues import Found, say
from .settings import ValidateSettings

__all__ = ["ENUMERATOR_COLUMNS", "check_enumerators", "enumerator_summary"]

ENUMERATOR_COLUMNS = (
    "instrument",
    "enumerator",
    "interviews",
    "days",
    "interviews_per_day",
    "most_in_a_day",
    "first_day",
    "last_day",
    "median_minutes",
    "short_interviews",
    "missing_code_rate",
    "duplicates",
    "errors",
    "warnings",
    "issues_per_interview",
)


def _per_day(records: Records) -> pd.DataFrame:
    """Interviews per enumerator and day (the enumerator a category, in text order)."""
    frame = pd.DataFrame(
        {
            "enumerator": records.main.enumerator.reset_index(drop=True),
            "day": records.day.to_numpy(),
        }
    )
    frame = frame[frame["day"].notna()]
    by = frame.groupby(["enumerator", "day"], sort=True, observed=True)
    return by.size().rename("n").reset_index()


def check_enumerators(
    records: Records, minutes: pd.Series | None, settings: ValidateSettings, lang: str
) -> Found:
    """Days with too many interviews, and enumerators with much shorter interviews."""
    cfg = settings.enumerators
    parts = []
    days = _per_day(records)
    days = days[days["enumerator"] != ""]
    if len(days):
        median = float(days["n"].median())
        limit = cfg.max_per_day if cfg.max_per_day > 0 else max(2 * median, median + 4)
        for row in days[days["n"] > limit].itertuples(index=False):
            day = pd.Timestamp(row.day).strftime("%Y-%m-%d")
            message = say(
                lang,
                f"调查员 {row.enumerator} 在 {day} 完成了 {row.n} 次访问（上限 {limit:g}）",
                f"enumerator {row.enumerator} made {row.n} interviews on {day} (limit {limit:g})",
            )
            parts.append(
                Found.table_level(
                    MAIN,
                    "",
                    "VAL170",
                    str(row.n),
                    message,
                    f"<= {limit:g} per day",
                    enumerator=str(row.enumerator),
                )
            )
    if minutes is not None and len(minutes):
        frame = pd.DataFrame(
            {
                "enumerator": records.main.enumerator.reset_index(drop=True),
                "minutes": minutes.to_numpy(),
            }
        )
        frame = frame[
            (frame["enumerator"] != "") & frame["minutes"].notna() & (frame["minutes"] >= 0)
        ]
        if len(frame):
            overall = float(frame["minutes"].median())
            by = frame.groupby("enumerator", sort=True, observed=True)["minutes"].agg(
                ["median", "size"]
            )
            short = by[
                (by["size"] >= cfg.min_interviews) & (by["median"] < cfg.short_factor * overall)
            ]
            for enumerator, row in short.iterrows():
                message = say(
                    lang,
                    f"调查员 {enumerator} 的访问时长中位数为 {row['median']:.0f} 分钟，全体为 {overall:.0f} 分钟",
                    f"enumerator {enumerator}'s median interview takes {row['median']:.0f} minutes, against {overall:.0f} overall",
                )
                parts.append(
                    Found.table_level(
                        MAIN,
                        "duration",
                        "VAL171",
                        f"{row['median']:.0f}",
                        message,
                        f">= {cfg.short_factor:g} x median",
                        enumerator=str(enumerator),
                    )
                )
    return Found.concat(parts)


def enumerator_summary(
    records: Records,
    minutes: pd.Series | None,
    missing: pd.DataFrame | None,
    issues: pd.DataFrame,
    settings: ValidateSettings,
    *,
    duplicated: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per enumerator of this instrument (columns :data:`ENUMERATOR_COLUMNS`).

    ``duplicated``: main records in duplicate groups per enumerator (counted from the
    issues when not given).
    """
    main = records.main
    if not len(main):
        return pd.DataFrame({c: [] for c in ENUMERATOR_COLUMNS})
    # grouped by the enumerator category (its categories are in text order)
    base = pd.DataFrame(
        {"enumerator": main.enumerator.reset_index(drop=True), "day": records.day.to_numpy()}
    )
    base["minutes"] = minutes.to_numpy() if minutes is not None else np.nan
    base["short"] = base["minutes"] < settings.duration.min_minutes
    by = base.groupby("enumerator", sort=True, observed=True)
    out = pd.DataFrame({"interviews": by.size()})
    out["days"] = by["day"].nunique()
    per_day = _per_day(records).groupby("enumerator", observed=True)["n"]
    out["interviews_per_day"] = (out["interviews"] / out["days"].where(out["days"] > 0)).round(2)
    out["most_in_a_day"] = per_day.max().reindex(out.index)
    out["first_day"] = by["day"].min().dt.strftime("%Y-%m-%d")
    out["last_day"] = by["day"].max().dt.strftime("%Y-%m-%d")
    out["median_minutes"] = by["minutes"].median().round(1)
    out["short_interviews"] = by["short"].sum().astype(int)
    out.index = pd.Index(out.index.astype("str"), name="enumerator")
    if missing is not None and len(missing):
        out["missing_code_rate"] = (
            missing.set_index("enumerator")["missing_code_rate"].reindex(out.index).round(4)
        )
    else:
        out["missing_code_rate"] = np.nan
    enumerators = issues["enumerator"]
    dup_mask = ((issues["table"] == MAIN) & issues["code"].isin(DUPLICATE_CODES)).to_numpy()
    if duplicated is not None:
        dup_counts = duplicated
    elif dup_mask.any():
        dup = pd.DataFrame(
            {
                "enumerator": enumerators[dup_mask].astype("str").to_numpy(),
                "record": issues["record"][dup_mask].to_numpy(),
            }
        )
        dup_counts = dup.drop_duplicates().groupby("enumerator").size()
    else:
        dup_counts = pd.Series(dtype="int64")
    out["duplicates"] = dup_counts.reindex(out.index).fillna(0).astype(int)
    unconfirmed = ~issues["confirmed"].to_numpy(dtype=bool)
    for severity, column in (("error", "errors"), ("warning", "warnings")):
        mask = (issues["severity"] == severity).to_numpy() & unconfirmed
        counts = enumerators[mask].value_counts()
        counts.index = counts.index.astype("str")
        out[column] = counts.reindex(out.index).fillna(0).astype(int)
    out["issues_per_interview"] = ((out["errors"] + out["warnings"]) / out["interviews"]).round(3)
    out = out.reset_index().rename(columns={"index": "enumerator"})
    out.insert(0, "instrument", records.name)
    out["most_in_a_day"] = out["most_in_a_day"].astype("Int64")
    return out[list(ENUMERATOR_COLUMNS)]
