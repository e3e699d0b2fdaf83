"""Interview duration from the form's ``start`` and ``end`` metadata.

``VAL160`` shorter than ``min_minutes``, ``VAL161`` longer than ``max_minutes``,
``VAL162`` end before start, ``VAL163`` start or end missing (only when the other is
there). Issues are about the derived variable ``duration``; a ``confirm`` row of
corrections.csv with variable ``duration`` (or ``_record``) vouches for it.

Examples
--------
>>> from analysis.instrument.model import Question
>>> from analysis.validate.settings import ValidateSettings
>>> form = [Question("start", "start"), Question("end", "end")]
>>> t = pd.Timestamp("2024-07-01 09:00")
>>> frame = pd.DataFrame({"_key": ["a", "b", "c"], "start": [t, t, t],
...     "end": [t + pd.Timedelta(minutes=40), t + pd.Timedelta(minutes=3), t - pd.Timedelta(minutes=5)]})
>>> found, minutes = check_duration(Records.of_frame(frame, form), ValidateSettings(), "en")
>>> minutes.tolist()
[40.0, 3.0, -5.0]
>>> found.frame[["position", "code", "value"]].values.tolist()
[[2, 'VAL162', '-5'], [1, 'VAL160', '3']]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..expressions import evaluate
from ..expressions.errors import BadExpression
from ..readers.rawdata import MAIN
from ..readers.records import Records
from .issues import Found, join_text, say
from .settings import ValidateSettings

__all__ = ["check_duration", "duration_applies", "interview_minutes"]

#: Main records per block when ``when`` is evaluated on the engine's data.
_BLOCK = 50_000


def _moment(records: Records, qtype: str) -> pd.Series | None:
    for q in records.instrument.questions:
        if q.type == qtype and q.repeat is None and q.name in records.main.columns:
            col = records.main.column(q.name)
            if not pd.api.types.is_datetime64_any_dtype(col.dtype):
                col = pd.to_datetime(col.astype("str"), errors="coerce", format="mixed", utc=True)
            if getattr(col.dtype, "tz", None) is not None:
                col = col.dt.tz_convert("UTC").dt.tz_localize(None)
            return col.reset_index(drop=True).astype("datetime64[us]")
    return None


def interview_minutes(records: Records) -> pd.Series | None:
    """Minutes from ``start`` to ``end`` per main record (None without both columns)."""
    start, end = _moment(records, "start"), _moment(records, "end")
    if start is None or end is None:
        return None
    return ((end - start).dt.total_seconds() / 60.0).astype("float64")


def _fmt(minutes: np.ndarray) -> pd.Series:
    return pd.Series(
        [f"{m:.0f}" if abs(m - round(m)) < 0.05 else f"{m:.1f}" for m in minutes], dtype="str"
    )


def duration_applies(
    records: Records, settings: ValidateSettings, form_data: Any, context: Any, lang: str
) -> tuple[np.ndarray, Found]:
    """Which interviews the duration limits apply to (the ``duration.when`` setting,
    evaluated per record), and the issue saying it cannot be evaluated (``VAL190``)."""
    return _applies(records, settings.duration.when_for(records.name), form_data, context, lang)


def _applies(
    records: Records, when: str, form_data: Any, context: Any, lang: str
) -> tuple[np.ndarray, Found]:
    n = len(records.main)
    if not when or form_data is None:
        return np.ones(n, dtype=bool), Found.none()
    # the engine's data a block at a time (what the form-rule checks do), or given whole
    blocks = (
        (form_data.block(a, b) for a, b in form_data.ranges(_BLOCK))
        if hasattr(form_data, "block")
        else iter([form_data])
    )
    try:
        verdict = np.concatenate(
            [
                evaluate(when, part, instrument=records.instrument, context=context, repeat=None)
                .astype(bool)
                .to_numpy(dtype=bool)
                for part in blocks
            ]
        )
    except BadExpression as err:
        message = say(
            lang,
            f"设置 duration.when 无法计算：{err.message}",
            f"setting duration.when cannot be evaluated: {err.message}",
        )
        return np.ones(n, dtype=bool), Found.table_level(
            MAIN, "duration", "VAL190", "", message, when
        )
    return verdict, Found.none()


def check_duration(
    records: Records,
    settings: ValidateSettings,
    lang: str,
    *,
    form_data: Any = None,
    context: Any = None,
    applies: tuple[np.ndarray, Found] | None = None,
) -> tuple[Found, pd.Series | None]:
    """Duration issues, and the minutes of every interview (None without start/end).

    ``form_data`` (the data as the expression engine reads it) is needed for the
    ``duration.when`` setting, unless ``applies`` gives its verdict already
    (:func:`duration_applies`, e.g. block by block).
    """
    minutes = interview_minutes(records)
    if minutes is None or not len(minutes):
        return Found.none(), minutes
    cfg = settings.duration
    m = minutes.to_numpy(dtype=float)
    when = cfg.when_for(records.name)
    if applies is None:
        applies = _applies(records, when, form_data, context, lang)
    applies, problem = applies
    parts = [problem]
    rule_when = f" when {when}" if when else ""
    rules = (
        (
            m < 0,
            "VAL162",
            say(lang, "结束时间早于开始时间，相差 ", "the interview ends before it starts, by "),
            "end >= start",
        ),
        (
            applies & (m >= 0) & (m < cfg.min_minutes),
            "VAL160",
            say(lang, "访问只用了 ", "the interview took only "),
            f">= {cfg.min_minutes:g} min{rule_when}",
        ),
        (
            applies & (m > cfg.max_minutes),
            "VAL161",
            say(lang, "访问用了 ", "the interview took "),
            f"<= {cfg.max_minutes:g} min{rule_when}",
        ),
    )
    for mask, code, before, rule in rules:
        if not mask.any():
            continue
        pos = np.flatnonzero(mask)
        shown = _fmt(m[pos])
        if code == "VAL162":
            message = join_text(before, _fmt(-m[pos]), say(lang, " 分钟", " minutes"))
        elif code == "VAL160":
            message = join_text(
                before,
                shown,
                say(
                    lang,
                    f" 分钟，少于 {cfg.min_minutes:g} 分钟",
                    f" minutes, less than {cfg.min_minutes:g}",
                ),
            )
        else:
            message = join_text(
                before,
                shown,
                say(
                    lang,
                    f" 分钟，超过 {cfg.max_minutes:g} 分钟",
                    f" minutes, more than {cfg.max_minutes:g}",
                ),
            )
        parts.append(Found.of(MAIN, pos, "duration", code, shown, message, rule))
    start, end = _moment(records, "start"), _moment(records, "end")
    one_missing = (start.isna() ^ end.isna()).to_numpy()
    if one_missing.any():
        pos = np.flatnonzero(one_missing)
        message = say(
            lang, "缺少开始或结束时间，无法计算访问时长", "start or end time missing: no duration"
        )
        parts.append(
            Found.of(MAIN, pos, "duration", "VAL163", [""] * len(pos), message, "start and end")
        )
    return Found.concat(parts), minutes
