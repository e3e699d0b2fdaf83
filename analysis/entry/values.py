"""Canonical answer values per question type, as typed by a clerk.

Every answer is stored as text, exactly as ODK stores it: integers without leading
zeros, decimals without trailing zeros, dates ``YYYY-MM-DD``, times ``HH:MM:SS``,
date-times ``YYYY-MM-DDTHH:MM:SS`` (with the UTC offset when one was typed),
select_multiple codes space-separated in choice-list order. What a typed text means is
decided by the one grammar of :mod:`analysis.readers.answers` (full-width digits from a
Chinese input method are accepted, ``1.0`` is the integer 1, ``05/01/2024`` is refused
as ambiguous). :func:`canonical` returns the canonical text and, when the text cannot
be an answer of that type, a bilingual message.

Examples
--------
>>> from analysis.instrument.model import Question
>>> canonical(Question("age", "integer"), " ０42 ")
('42', None)
>>> canonical(Question("area", "decimal"), "1.50")
('1.5', None)
>>> canonical(Question("age", "integer"), "4x")[1]["en"]
'Enter a whole number.'
>>> canonical(Question("d", "date"), "2024/3/5")
('2024-03-05', None)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from ..instrument.model import METADATA_TYPES, Question
from ..readers.answers import (
    decimal_text,
    parse_date,
    parse_datetime,
    parse_integer,
    parse_time,
    split_codes,
)
from ..readers.answers import (
    plain as _plain,
)

__all__ = [
    "ENTERED_TYPES",
    "MAX_TEXT",
    "Message",
    "canonical",
    "message",
    "split_codes",
]

#: A message in each UI language: {"zh": ..., "en": ...}.
Message = dict[str, str]

#: Longest text answer accepted (characters).
MAX_TEXT = 10_000

#: Types whose answer is not typed from paper (filled by phones, or media files).
NOT_ENTERED = frozenset(
    METADATA_TYPES
    | {"image", "audio", "video", "file", "xml-external", "csv-external", "note", "calculate"}
)

#: Types a clerk types.
ENTERED_TYPES = frozenset(
    {
        "integer",
        "decimal",
        "range",
        "text",
        "barcode",
        "select_one",
        "select_multiple",
        "select_one_from_file",
        "select_multiple_from_file",
        "select_one_external",
        "rank",
        "date",
        "datetime",
        "time",
        "geopoint",
        "geotrace",
        "geoshape",
        "acknowledge",
        "trigger",
        "hidden",
    }
)

_INT = re.compile(r"[+-]?\d+")


def message(zh: str, en: str) -> Message:
    """A bilingual message."""
    return {"zh": zh, "en": en}


def _integer(text: str) -> str | None:
    value = parse_integer(text)
    return None if value is None else str(value)


def _date(text: str) -> str | None:
    value = parse_date(text)
    return None if value is None else value.isoformat()


def _clock_text(clock: dt.time, offset: int | None) -> str:
    text = clock.isoformat(timespec="milliseconds" if clock.microsecond else "seconds")
    if offset is not None:
        sign = "-" if offset < 0 else "+"
        text += f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    return text


def _time(text: str) -> str | None:
    found = parse_time(text)
    return None if found is None else _clock_text(*found)


def _datetime(text: str) -> str | None:
    moment = parse_datetime(text)
    if moment is None:
        return None
    return f"{moment.wall.date().isoformat()}T{_clock_text(moment.wall.time(), moment.offset)}"


def _geopoint(text: str) -> str | None:
    parts = _plain(text).replace(",", " ").split()
    if len(parts) not in (2, 3, 4):
        return None
    numbers = [decimal_text(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    lat, lon = float(numbers[0]), float(numbers[1])  # type: ignore[arg-type]
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return " ".join(numbers)  # type: ignore[arg-type]


def canonical(
    question: Question, text: str, codes: Sequence[str] | None = None
) -> tuple[str, Message | None]:
    """The canonical text of an answer and a message when it is not a valid answer.

    Parameters
    ----------
    question : Question
        The question answered.
    text : str
        The answer as typed ('' when unanswered; an empty answer is never an error here).
    codes : sequence of str, optional
        The codes of the question's choice list, in list order (select questions).

    Returns
    -------
    (str, dict or None)
        The canonical answer (the trimmed input when it is invalid) and the message.
    """
    qtype = question.type
    if qtype in NOT_ENTERED:
        return "", None
    if qtype in ("text", "barcode"):
        value = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()
        if len(value) > MAX_TEXT:
            return value[:MAX_TEXT], message(
                f"文字太长（最多 {MAX_TEXT} 字）。",
                f"Text too long (at most {MAX_TEXT} characters).",
            )
        return value, None
    if not text.strip():
        return "", None
    plain = _plain(text)
    if qtype == "integer" or (qtype == "range" and _is_integer_range(question)):
        value = _integer(plain)
        if value is None:
            return plain, message("请输入整数。", "Enter a whole number.")
        return value, _range_message(question, value)
    if qtype in ("decimal", "range"):
        value = decimal_text(plain)
        if value is None:
            return plain, message("请输入数字。", "Enter a number.")
        return value, _range_message(question, value)
    if qtype == "date":
        value = _date(plain)
        return (
            (value, None)
            if value
            else (plain, message("请输入日期，如 2024-03-05。", "Enter a date like 2024-03-05."))
        )
    if qtype == "time":
        value = _time(plain)
        return (
            (value, None)
            if value
            else (plain, message("请输入时间，如 14:30。", "Enter a time like 14:30."))
        )
    if qtype == "datetime":
        value = _datetime(plain)
        return (
            (value, None)
            if value
            else (
                plain,
                message(
                    "请输入日期和时间，如 2024-03-05 14:30。",
                    "Enter a date and time like 2024-03-05 14:30.",
                ),
            )
        )
    if qtype == "geopoint":
        value = _geopoint(plain)
        return (
            (value, None)
            if value
            else (
                plain,
                message(
                    "请输入“纬度 经度”，如 30.5 104.1。",
                    "Enter 'latitude longitude', e.g. 30.5 104.1.",
                ),
            )
        )
    if qtype in ("acknowledge", "trigger"):
        return (
            ("OK", None)
            if plain.upper() in ("OK", "1", "Y", "YES", "是")
            else (
                plain,
                message("输入 1 表示确认。", "Type 1 to acknowledge."),
            )
        )
    if qtype in ("select_one", "select_one_from_file", "select_one_external"):
        if " " in plain:
            return plain, message("只能选一项。", "Choose one code only.")
        if codes is not None and plain not in codes:
            return plain, _unknown_codes([plain])
        return plain, None
    if qtype in ("select_multiple", "select_multiple_from_file", "rank"):
        chosen = split_codes(plain)
        if len(set(chosen)) != len(chosen):
            if qtype == "rank":
                return " ".join(chosen), message(
                    "排序中有重复的代码。", "A code appears twice in the ranking."
                )
            chosen = list(dict.fromkeys(chosen))
        if codes is not None:
            unknown = [c for c in chosen if c not in codes]
            if unknown:
                return " ".join(chosen), _unknown_codes(unknown)
            if qtype != "rank":
                order = {c: i for i, c in enumerate(codes)}
                chosen.sort(key=order.__getitem__)
        return " ".join(chosen), None
    # geotrace, geoshape, hidden and anything new: keep the text as typed.
    return text.strip(), None


def _unknown_codes(codes: list[str]) -> Message:
    shown = " ".join(codes)
    return message(f"没有这个选项代码：{shown}。", f"No such choice code: {shown}.")


def _is_integer_range(question: Question) -> bool:
    params = question.parameters
    return all(
        _INT.fullmatch(str(params.get(k, "1")).strip() or "1") for k in ("start", "end", "step")
    )


def _range_message(question: Question, value: str) -> Message | None:
    if question.type != "range":
        return None
    params = question.parameters
    try:
        start = Decimal(str(params.get("start", "1")))
        end = Decimal(str(params.get("end", "10")))
        number = Decimal(value)
    except InvalidOperation:
        return None
    low, high = min(start, end), max(start, end)
    if low <= number <= high:
        return None
    return message(f"请输入 {low} 到 {high} 之间的数。", f"Enter a number from {low} to {high}.")
