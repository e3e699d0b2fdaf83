"""Reading a wave's cleaning log, ``corrections.csv``, and checking its rows.

The file has the columns of :data:`CORRECTIONS_COLUMNS`
(``instrument, key, variable, old_value, new_value, action, reason, who, date``); the
Chinese headers ``问卷, 编号, 变量, 原值, 新值, 操作, 原因, 修改人, 日期`` are accepted
too, and other columns (notes) are kept. It may be saved as UTF-8 (with or without
BOM), GBK or GB18030 (Excel on a Chinese Windows machine), with ``,``, ``;`` or tabs.

Every row is checked before anything is applied; the first problem is raised as a
:class:`~analysis.errors.CorrectionError` naming the file and its row (the header is
row 1), and its message counts the other problems found, so a user fixes them in one
pass. Blank rows (``,,,,,,,,``) are skipped.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "corrections.csv"
>>> _ = path.write_bytes('''instrument,key,variable,old_value,new_value,action,reason,who,date
... household,16091302,head_age,156,56,replace,核对纸质问卷,王敏,2024-09-03
... '''.encode("gbk"))
>>> log = read_corrections(path)
>>> log.encoding, len(log)
('gbk', 1)
>>> log.rows[["csv_row", "key", "variable", "action"]].values.tolist()
[[2, '16091302', 'head_age', 'replace']]
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import CorrectionError, ReadError
from ..readers.encoding import decode_text

__all__ = ["ACTIONS", "CORRECTIONS_COLUMNS", "CleaningLog", "empty_log", "read_corrections"]

#: Columns of a wave's cleaning log, in order.
CORRECTIONS_COLUMNS = (
    "instrument",
    "key",
    "variable",
    "old_value",
    "new_value",
    "action",
    "reason",
    "who",
    "date",
)
#: The actions of a correction and the words accepted for them.
ACTIONS = {
    "replace": "replace",
    "替换": "replace",
    "修改": "replace",
    "更正": "replace",
    "drop": "drop",
    "删除": "drop",
    "剔除": "drop",
    "confirm": "confirm",
    "确认": "confirm",
    "核实": "confirm",
}

_HEADER_ALIASES = {
    "问卷": "instrument",
    "编号": "key",
    "记录编号": "key",
    "变量": "variable",
    "变量名": "variable",
    "原值": "old_value",
    "新值": "new_value",
    "操作": "action",
    "原因": "reason",
    "修改人": "who",
    "日期": "date",
}
_ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030", "ascii")


@dataclass(frozen=True)
class CleaningLog:
    """A parsed and checked corrections.csv.

    Attributes
    ----------
    rows : DataFrame
        ``csv_row`` (the row in the file, header = 1) and the corrections columns (text,
        stripped; ``action`` normalised to replace/drop/confirm; ``date`` as YYYY-MM-DD),
        then any extra column of the file, in file order.
    path : str or None
        The file read.
    encoding : str or None
        The encoding it was read with.
    """

    rows: pd.DataFrame
    path: str | None = None
    encoding: str | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def for_instrument(self, name: str) -> pd.DataFrame:
        """The rows of one instrument, in file order."""
        return self.rows[self.rows["instrument"] == name].reset_index(drop=True)

    def check_instruments(self, names: Iterable[str]) -> None:
        """Raise ``COR011`` for a row naming an instrument not in ``names``."""
        problems = _Problems(self.path)
        _unknown_instruments(problems, self.rows, list(names))
        problems.raise_first()


def empty_log(path: str | None = None) -> CleaningLog:
    """A cleaning log without corrections."""
    return CleaningLog(
        pd.DataFrame({c: pd.Series(dtype="str") for c in ("csv_row", *CORRECTIONS_COLUMNS)}).astype(
            {"csv_row": "int64"}
        ),
        path,
        None,
    )


class _Problems:
    """Collects the problems of a file; raises the first with a count of the others."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.items: list[dict[str, Any]] = []

    def add(self, code: str, message: str, **where: Any) -> None:
        self.items.append({"code": code, "message": message, **where})

    def raise_first(self) -> None:
        if not self.items:
            return
        first = dict(self.items[0])
        code, message = first.pop("code"), first.pop("message")
        if len(self.items) > 1:
            rows = sorted({str(p.get("row")) for p in self.items[1:] if p.get("row") is not None})
            more = f" (and {len(self.items) - 1} more problem(s) in this file"
            more += (
                f": rows {', '.join(rows[:10])}{' ...' if len(rows) > 10 else ''})" if rows else ")"
            )
            message += more
        raise CorrectionError(code, message, file=self.path, **first)


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _date(text: str) -> str | None:
    text = text.strip()
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?", text)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return None
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # an Excel serial day
        serial = int(float(text))
        if 20000 <= serial <= 80000:
            return (dt.date(1899, 12, 30) + dt.timedelta(days=serial)).isoformat()
    return None


def _decode(raw: bytes, path: str | None, encoding: str | None) -> tuple[str, str]:
    try:
        text, used, _notes = decode_text(raw, encoding, file=path)
    except ReadError as err:
        raise CorrectionError(
            "COR002",
            f"corrections.csv cannot be decoded: {err.message}",
            file=path,
            expected=err.expected,
            found=err.found,
            hint="Save the file as UTF-8 (Excel: CSV UTF-8), or as GBK, and leave the encoding out.",
        ) from None
    if used.replace("_", "-").lower() not in _ENCODINGS and not used.lower().startswith("utf-16"):
        raise CorrectionError(
            "COR002",
            "corrections.csv is neither UTF-8 nor GBK/GB18030",
            file=path,
            expected="UTF-8, GBK or GB18030",
            found=used,
            hint="Open it in Excel and save as 'CSV UTF-8 (逗号分隔)'.",
        )
    return text, used


def read_corrections(
    path: str | Path,
    *,
    encoding: str | None = None,
    study: Any = None,
    missing_ok: bool = False,
) -> CleaningLog:
    """Read and check a wave's ``corrections.csv`` (see module doc).

    Parameters
    ----------
    path : path
        The file (``study.raw_dir(wave) / "corrections.csv"``).
    encoding : str, optional
        Force an encoding instead of detecting it.
    study : Study, optional
        When given, rows naming an instrument the study does not have fail (``COR011``).
    missing_ok : bool
        A missing file is an empty log instead of ``COR001``.

    Raises
    ------
    CorrectionError
        ``COR001`` no file, ``COR002`` encoding, ``COR003`` columns missing, ``COR004``
        no header, ``COR005`` a row with too many or too few fields, ``COR010`` unknown
        action, ``COR011`` unknown instrument, ``COR016`` a required field empty,
        ``COR023`` a row repeating an earlier one, ``COR024`` two rows changing one value
        from the same old value to different new values, ``COR025`` a new value on a
        drop/confirm row, ``COR030`` a date that is not a date.
    """
    path = Path(path)
    where = str(path)
    if not path.is_file():
        if missing_ok:
            return empty_log(where)
        raise CorrectionError(
            "COR001",
            "corrections.csv not found",
            file=where,
            hint="Create it with `baicun wave new` (or a header row only) if the wave has no corrections.",
        )
    raw = path.read_bytes()
    text, used = _decode(raw, where, encoding)
    lines = [line for line in text.splitlines() if line.strip().strip(",;\t").strip()]
    if not lines:
        raise CorrectionError(
            "COR004",
            "corrections.csv is empty (no header row)",
            file=where,
            expected=",".join(CORRECTIONS_COLUMNS),
            hint="Write the header row (or delete the file if the wave has no corrections).",
        )
    records, line_of = _records(text, _delimiter(lines[0]))
    start = 0
    while start < len(records) and not any(c.strip() for c in records[start]):
        start += 1
    header = [
        _HEADER_ALIASES.get(h.strip().lstrip("\ufeff").lower(), h.strip().lstrip("\ufeff").lower())
        for h in records[start]
    ]
    missing = [c for c in CORRECTIONS_COLUMNS if c not in header]
    if missing:
        raise CorrectionError(
            "COR003",
            f"corrections.csv lacks column(s) {', '.join(missing)}",
            file=where,
            row=start + 1,
            expected=",".join(CORRECTIONS_COLUMNS),
            found=",".join(header),
            hint="Use the header of the template: instrument,key,variable,old_value,new_value,action,reason,who,date.",
        )
    problems = _Problems(where)
    rows: list[dict[str, Any]] = []
    for i, fields in enumerate(records[start + 1 :], start=start + 1):
        csv_row = line_of[i]
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            problems.add(
                "COR005",
                f"row {csv_row} has {len(fields)} fields, the header has {len(header)}",
                row=csv_row,
                expected=len(header),
                found=len(fields),
                hint="Quote values that contain commas, and check for an unclosed quote on this or an earlier row.",
            )
            continue
        row = {"csv_row": csv_row, **{h: f.strip() for h, f in zip(header, fields, strict=True)}}
        _check_row(row, problems)
        rows.append(row)
    frame = pd.DataFrame(
        rows,
        columns=[
            "csv_row",
            *CORRECTIONS_COLUMNS,
            *[h for h in header if h not in CORRECTIONS_COLUMNS],
        ],
    )
    frame = frame.astype({c: "str" for c in frame.columns if c != "csv_row"}).astype(
        {"csv_row": "int64"}
    )
    _duplicates(frame, problems)
    if study is not None:
        _unknown_instruments(problems, frame, list(study.instrument_names), skip_empty=True)
    problems.raise_first()
    return CleaningLog(frame, where, used)


def _records(text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """The CSV records and the line each starts on (a quoted value may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    lines: list[int] = []
    line = 1
    try:
        for fields in reader:
            records.append(fields)
            lines.append(line)
            line = reader.line_num + 1
    except csv.Error as exc:  # e.g. a NUL byte: not a text file
        raise CorrectionError(
            "COR005",
            f"corrections.csv cannot be parsed as CSV ({exc})",
            row=reader.line_num or None,
            hint="Save the cleaning log from Excel as CSV; it must be a plain text file.",
        ) from None
    return records, lines


def _check_row(row: dict[str, Any], problems: _Problems) -> None:
    r = row["csv_row"]
    action = ACTIONS.get(row["action"].lower())
    if action is None:
        problems.add(
            "COR010",
            f"unknown action '{row['action']}'",
            row=r,
            column="action",
            expected="replace, drop or confirm (替换, 删除, 确认)",
            found=row["action"] or "(empty)",
            hint="replace changes a value, drop removes a record, confirm vouches for a flagged value.",
        )
        return
    row["action"] = action
    required = ["instrument", "key", "reason", "who", "date"]
    if action in ("replace", "confirm"):
        required.insert(2, "variable")
    for column in required:
        if not row[column]:
            problems.add(
                "COR016",
                f"row {r}: '{column}' is empty",
                row=r,
                column=column,
                hint="Every correction names the instrument, the record's key, the variable (except a drop), "
                "why (reason), who decided and when (date).",
            )
            return
    if action in ("drop", "confirm") and row["new_value"]:
        problems.add(
            "COR025",
            f"row {r}: a {action} row has a new value",
            row=r,
            column="new_value",
            expected="empty",
            found=row["new_value"],
            hint="Leave new_value empty, or use action replace to change the value.",
        )
    date = _date(row["date"])
    if date is None:
        problems.add(
            "COR030",
            f"row {r}: '{row['date']}' is not a date",
            row=r,
            column="date",
            expected="YYYY-MM-DD, e.g. 2024-09-03",
            found=row["date"],
            hint="Write the date the correction was decided as YYYY-MM-DD.",
        )
    else:
        row["date"] = date


def _duplicates(frame: pd.DataFrame, problems: _Problems) -> None:
    if frame.empty:
        return
    cell = ["instrument", "key", "variable", "action", "old_value"]
    seen: dict[tuple, tuple[int, str]] = {}
    for row in frame.itertuples(index=False):
        k = tuple(getattr(row, c) for c in cell)
        if k in seen:
            first_row, first_new = seen[k]
            if first_new == row.new_value:
                problems.add(
                    "COR023",
                    f"row {row.csv_row} repeats row {first_row}",
                    row=row.csv_row,
                    record=row.key,
                    column=row.variable or None,
                    hint="Delete one of the two rows: each correction is applied once.",
                )
            else:
                problems.add(
                    "COR024",
                    f"rows {first_row} and {row.csv_row} change the same value in two different ways",
                    row=row.csv_row,
                    record=row.key,
                    column=row.variable or None,
                    expected=first_new,
                    found=row.new_value,
                    hint="Keep the row with the right new value and delete the other.",
                )
        else:
            seen[k] = (row.csv_row, row.new_value)


def _unknown_instruments(
    problems: _Problems, rows: pd.DataFrame, names: list[str], *, skip_empty: bool = False
) -> None:
    """``COR011`` for every row naming an instrument not in ``names``."""
    for row in rows.itertuples(index=False):
        if (row.instrument or not skip_empty) and row.instrument not in names:
            problems.add(
                "COR011",
                f"unknown instrument '{row.instrument}'",
                row=row.csv_row,
                column="instrument",
                expected=", ".join(names),
                found=row.instrument,
                hint="Use the instrument names of study.toml ([instruments.<name>]).",
            )
