"""Type checks: text in integer fields, numbers that are not numbers, bad dates, Excel date
serials, GPS coordinates out of range.

A reader given the instrument has already typed the columns; what it could not type it
logged (``RD110``-``RD113``, ``RD116``, ``RD118``) with the source text, and those come
through :func:`reader_issues`. This module checks what the reader could not have seen:
columns still holding text (data read without the instrument, or built by hand, or
replaced by a correction), integers with decimals, serial numbers stored as numbers.
Text is typed by the readers' grammar (:mod:`analysis.readers.answers`), so a value the
reader would refuse is reported here and a value it accepts is not.

Examples
--------
>>> from analysis.instrument.model import Question
>>> form = [Question("n", "integer"), Question("d", "date")]
>>> frame = pd.DataFrame({"_key": ["a", "b", "c"], "n": ["3", "三", "2.5"],
...                       "d": ["2024-07-01", "45474", "July"]})
>>> found = check_types(Records.of_frame(frame, form), "en")
>>> found.frame[["position", "variable", "code", "value"]].values.tolist()
[[1, 'n', 'VAL101', '三'], [2, 'n', 'VAL101', '2.5'], [2, 'd', 'VAL103', 'July'], [1, 'd', 'VAL105', '45474']]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..readers.rawdata import MAIN
from ..readers.records import (
    DATE_TYPES,
    DATETIME_TYPES,
    Records,
    RecordTable,
    as_text,
    question_type,
)
from ..readers.values import to_date, to_datetime
from .issues import Found, join_text, say

__all__ = ["READER_CHECKS", "check_types", "reader_issues"]

#: Reader issue codes and the check family they belong to; codes absent here are
#: covered by a validation check of their own (RD120 choices, RD130 duplicate keys,
#: RD133 orphans) and are not repeated.
READER_CHECKS = {
    "RD110": "type",
    "RD111": "type",
    "RD112": "type",
    "RD113": "type",
    "RD114": "type",
    "RD116": "type",
    "RD118": "type",
    "RD119": "type",
}
_COVERED = frozenset({"RD120", "RD130", "RD133"})
#: Reader codes about one cell whose typed value was left empty.
_CELL_CODES = frozenset({"RD110", "RD111", "RD112", "RD113", "RD116"})


def _text_column(col: pd.Series) -> bool:
    return col.dtype == "str" or col.dtype == object or isinstance(col.dtype, pd.StringDtype)


def _not_a(
    table: RecordTable,
    q: str,
    bad: np.ndarray,
    expected: tuple[str, str, str],
    rule: str,
    lang: str,
) -> Found:
    """The ``bad`` values of ``q``, which are not what its type expects.

    ``expected`` is the issue code and what a value should be, in Chinese and English
    (``("VAL101", "整数", "an integer")``).
    """
    code, what_zh, what_en = expected
    pos = np.flatnonzero(bad)
    values = table.texts_at(q, pos)
    message = join_text(
        say(lang, f"{q} 应为{what_zh}，实际为 “", f"{q} should be {what_en}, found '"),
        values,
        say(lang, "”", "'"),
    )
    return Found.of(table.name, pos, q, code, values, message, rule)


def _integers(table: RecordTable, q: str, lang: str) -> Found:
    col = table.column(q)
    if col is None:
        return Found.none()
    empty = table.empty(q)
    num = table.numbers(q)
    # as parse_integer: a whole number below 2**53 (larger ones are not held exactly)
    bad = ~empty & ~(np.isfinite(num) & (num == np.round(num)) & (np.abs(num) < 2**53))
    if not bad.any():
        return Found.none()
    return _not_a(table, q, bad, ("VAL101", "整数", "an integer"), "integer", lang)


def _decimals(table: RecordTable, q: str, lang: str) -> Found:
    col = table.column(q)
    if col is None or not _text_column(col):
        return Found.none()
    bad = ~table.empty(q) & np.isnan(table.numbers(q))
    if not bad.any():
        return Found.none()
    return _not_a(table, q, bad, ("VAL102", "数字", "a number"), "decimal", lang)


def _dates(table: RecordTable, q: str, qtype: str, lang: str) -> Found:
    col = table.column(q)
    if col is None or pd.api.types.is_datetime64_any_dtype(col.dtype):
        return Found.none()
    empty = table.empty(q)
    if not (~empty).any():
        return Found.none()
    # numbers as their text (45474.0 -> "45474"), then the readers' grammar: one typing
    typed = (to_date if qtype in DATE_TYPES else to_datetime)(table.texts(q))
    bad = typed.bad.to_numpy(dtype=bool) & ~empty
    serial = typed.adjusted.to_numpy(dtype=bool) & ~empty
    parts = []
    expected = (
        ("VAL103", "日期", "a date")
        if qtype in DATE_TYPES
        else ("VAL104", "日期时间", "a date-time")
    )
    if bad.any():
        parts.append(_not_a(table, q, bad, expected, qtype, lang))
    if serial.any():
        pos = np.flatnonzero(serial)
        dates = typed.values.iloc[pos].dt.strftime("%Y-%m-%d").to_numpy()
        values = table.texts_at(q, pos)
        message = join_text(
            say(lang, f"{q} 是Excel日期序号 ", f"{q} holds the Excel date serial "),
            values,
            say(lang, "，应是 ", ", which stands for "),
            pd.Series(dates, dtype="str"),
            say(
                lang,
                "（请在导出时把单元格设为日期格式）",
                " (format the cells as dates before exporting)",
            ),
        )
        parts.append(Found.of(table.name, pos, q, "VAL105", values, message, qtype))
    return Found.concat(parts)


def _geopoints(table: RecordTable, q: str, lang: str) -> Found:
    col = table.column(q)
    if col is None:
        return Found.none()
    parts = {}
    for ci_name, ci in table.records.data.metadata.column_info(table.name).items():
        if ci.kind == "geopoint_part" and ci.question == q and ci_name in table.frame.columns:
            parts[ci.choice] = pd.to_numeric(table.frame[ci_name], errors="coerce").to_numpy(
                dtype=float
            )
    if "latitude" not in parts or "longitude" not in parts:
        text = table.texts(q)
        split = text.str.strip().str.split(r"\s+", n=3, expand=True, regex=True)
        if split.shape[1] < 2:
            return Found.none()
        parts["latitude"] = pd.to_numeric(split[0], errors="coerce").to_numpy(dtype=float)
        parts["longitude"] = pd.to_numeric(split[1], errors="coerce").to_numpy(dtype=float)
    lat, lon = parts["latitude"], parts["longitude"]
    bad = (np.abs(lat) > 90) | (np.abs(lon) > 180)
    if not bad.any():
        return Found.none()
    pos = np.flatnonzero(bad)
    values = table.texts_at(q, pos)
    message = join_text(
        say(
            lang,
            f"{q} 坐标超出范围（纬度±90，经度±180）：",
            f"{q} is out of range (latitude ±90, longitude ±180): ",
        ),
        values,
    )
    return Found.of(table.name, pos, q, "VAL106", values, message, "geopoint")


def check_types(records: Records, lang: str) -> Found:
    """Values that do not fit their question's type, in every table."""
    parts = []
    for table in records.tables.values():
        for q in table.questions:
            qtype = question_type(q)
            if q.name not in table.columns:
                continue
            if qtype == "integer":
                parts.append(_integers(table, q.name, lang))
            elif qtype in ("decimal", "range"):
                parts.append(_decimals(table, q.name, lang))
            elif qtype in DATE_TYPES or qtype in DATETIME_TYPES:
                parts.append(_dates(table, q.name, qtype, lang))
            elif qtype == "geopoint":
                parts.append(_geopoints(table, q.name, lang))
    return Found.concat(parts)


def reader_issues(records: Records) -> Found:
    """The reader's issues (``RD1xx``) as findings, except those a check covers itself."""
    issues = records.data.issues
    if issues is None or issues.empty:
        return Found.none()
    issues = issues[~issues["code"].isin(_COVERED)].reset_index(drop=True)
    if issues.empty:
        return Found.none()
    out = []
    for table_name, part in issues.groupby(issues["table"].fillna(MAIN).astype(str), sort=False):
        table = records.tables.get(table_name)
        rows = pd.to_numeric(part["row"], errors="coerce").fillna(-1).to_numpy(dtype=np.int64)
        if table is not None and len(table):
            first = np.flatnonzero(~pd.Index(table.source_row).duplicated())
            found = pd.Index(table.source_row[first]).get_indexer(rows)
            pos = np.where((rows >= 0) & (found >= 0), first[np.maximum(found, 0)], -1)
        else:
            pos = np.full(len(part), -1, dtype=np.int64)
        gone = (rows >= 0) & (pos < 0)  # the record was dropped by a correction
        variable = part["column"].fillna("").astype(str)
        fixed = np.zeros(len(part), dtype=bool)
        if table is not None:
            codes = part["code"].to_numpy(dtype=object)
            for i in np.flatnonzero(np.isin(codes, list(_CELL_CODES)) & (pos >= 0)):
                column = variable.iloc[i]
                if column in table.frame.columns and not pd.isna(table.frame[column].iloc[pos[i]]):
                    fixed[i] = True  # a correction gave the cell a value since
        keep = ~(gone | fixed)
        part, pos, rows, variable = part[keep], pos[keep], rows[keep], variable[keep]
        if part.empty:
            continue
        found = Found.of(
            table_name if table is not None else MAIN,
            pos,
            variable.to_numpy(dtype=object),
            "VAL100",  # replaced below
            as_text(part["value"].astype("str")).to_numpy(dtype=object),
            part["message"].fillna("").astype(str).to_numpy(dtype=object),
            part["code"].astype(str).to_numpy(dtype=object),
        )
        frame = found.frame
        frame["code"] = part["code"].astype("str").astype("category").reset_index(drop=True)
        frame["severity"] = (
            part["severity"]
            .fillna("warning")
            .astype("str")
            .astype("category")
            .reset_index(drop=True)
        )
        frame["reader_record"] = part["record"].to_numpy(dtype=object)
        frame["reader_row"] = rows
        out.append(Found(frame))
    return Found.concat(out)
