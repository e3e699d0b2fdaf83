"""SPSS (.sav, .zsav, .por) and Stata (.dta) files through pyreadstat.

Values keep the file's types (numbers, text, dates); user-missing values are kept as
values (``user_missing=True``) and declared in ``ColumnInfo.user_missing`` (SPSS
discrete values and ``(low, high)`` ranges; Stata extended missing ``.a``-``.z`` come
as the letters ``"a"``..``"z"``). Variable labels and value labels go to the column
metadata. A file pyreadstat rejects gives a coded :class:`~analysis.errors.ReadError`:
``RD008`` (not a valid file), ``RD009`` (a date outside the range Python holds, e.g.
haven's ``datetime.sav`` in pyreadstat 1.3.7), never a raw traceback.

Examples
--------
>>> import tempfile, pathlib, pandas as pd, pyreadstat
>>> from analysis.readers.issues import IssueLog
>>> path = pathlib.Path(tempfile.mkdtemp()) / "hh.sav"
>>> pyreadstat.write_sav(pd.DataFrame({"tv": [1.0, 2.0]}), path, column_labels={"tv": "有电视吗"},
...                      variable_value_labels={"tv": {1: "有", 2: "没有"}})
>>> table = read_stat_file(path, log=IssueLog())
>>> table.headers, table.column_meta[0]["label"], table.column_meta[0]["value_labels"][1.0]
(['tv'], '有电视吗', '有')
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ReadError
from .issues import IssueLog
from .table import SourceTable

__all__ = ["read_stat_file"]


def _reader(path: Path):
    import pyreadstat

    suffix = path.suffix.lower()
    if suffix == ".dta":
        return pyreadstat.read_dta, "Stata"
    if suffix == ".por":
        return pyreadstat.read_por, "SPSS portable"
    return pyreadstat.read_sav, "SPSS"


def _out_of_range_column(path: Path, reader) -> tuple[str | None, Any]:
    """The first date column whose raw value overflows, and that value (best effort)."""
    try:
        frame, meta = reader(str(path), disable_datetime_conversion=True)
    except Exception:  # pragma: no cover - the first read already failed differently
        return None, None
    formats = getattr(meta, "original_variable_types", {}) or {}
    for column, fmt in formats.items():
        text = str(fmt).upper()
        if any(t in text for t in ("DATE", "TIME", "%T", "%D", "%TC", "%TD")) and column in frame:
            values = pd.to_numeric(frame[column], errors="coerce")
            # SPSS counts seconds from 1582-10-14, Stata days/ms from 1960: flag the largest
            big = values.abs().idxmax() if values.notna().any() else None
            if big is not None and abs(values[big]) > 1e11:
                return column, values[big]
    return None, None


def read_stat_file(
    path: Path | str,
    *,
    log: IssueLog,
    encoding: str | None = None,
    row_offset: int = 0,
    row_limit: int = 0,
) -> SourceTable:
    """Read a .sav/.zsav/.por/.dta file into a SourceTable of native values.

    ``row_offset`` and ``row_limit`` read the cases ``row_offset + 1`` to ``row_offset +
    row_limit`` only (a block; ``row_limit=0``: to the end), their rows the file's case numbers.
    """
    import pyreadstat

    path = Path(path)
    reader, kind = _reader(path)
    kwargs: dict[str, Any] = {}
    if row_offset or row_limit:
        kwargs.update(row_offset=row_offset, row_limit=row_limit)
    if reader is not pyreadstat.read_por:
        kwargs["user_missing"] = True
    if encoding is not None and reader is not pyreadstat.read_por:
        kwargs["encoding"] = encoding
    try:
        frame, meta = reader(str(path), **kwargs)
    except OverflowError as exc:
        column, value = _out_of_range_column(path, reader)
        raise ReadError(
            "RD009",
            f"a date or time in the {kind} file is outside the range that can be read ({exc})",
            file=path,
            column=column,
            found=None if value is None else f"raw value {float(value)!r}",
            expected="dates between years 1 and 9999",
            hint=(
                "Fix or clear the impossible date in the source program and save the file again"
                " (in SPSS: change the variable's format to a number to see the raw value)."
            ),
        ) from None
    except pyreadstat.ReadstatError as exc:
        raise ReadError(
            "RD008",
            f"pyreadstat cannot read this {kind} file: {exc}",
            file=path,
            expected=f"a valid {kind} file",
            hint="Check the file is complete and really a "
            + kind
            + " file; save it again from the source program.",
        ) from None
    except UnicodeError as exc:
        raise ReadError(
            "RD005",
            f"the text of the {kind} file cannot be decoded ({exc})",
            file=path,
            hint="Pass encoding='gbk' (or the encoding the file was written in).",
        ) from None
    except Exception as exc:  # pyreadstat raises bare exceptions for some damaged files
        raise ReadError(
            "RD008",
            f"pyreadstat cannot read this {kind} file ({type(exc).__name__}: {exc})",
            file=path,
            hint="Check the file is complete; save it again from the source program.",
        ) from None
    expected_rows = getattr(meta, "number_rows", None)
    if expected_rows is not None and expected_rows >= 0 and expected_rows != len(frame):
        raise ReadError(
            "RD008",
            f"the {kind} file declares {expected_rows} cases but {len(frame)} were read",
            file=path,
            expected=expected_rows,
            found=len(frame),
            hint="The file is probably truncated: save or export it again.",
        )
    if reader is pyreadstat.read_por:
        _refuse_undecoded_por(path, frame, meta)
    headers = [str(c) for c in frame.columns]
    missing_ranges = getattr(meta, "missing_ranges", {}) or {}
    missing_user = getattr(meta, "missing_user_values", {}) or {}
    value_labels = getattr(meta, "variable_value_labels", {}) or {}
    labels = getattr(meta, "column_names_to_labels", {}) or {}
    column_meta = []
    for name in headers:
        declared: list[Any] = []
        for item in missing_ranges.get(name, []):
            lo, hi = item.get("lo"), item.get("hi")
            declared.append(lo if lo == hi else (lo, hi))
        declared.extend(missing_user.get(name, []))
        column_meta.append(
            {
                "label": labels.get(name),
                "value_labels": dict(value_labels.get(name, {})),
                "user_missing": tuple(declared),
            }
        )
        if declared:
            log.add(
                "RD164",
                f"user-missing values {declared} of {name!r} are kept as values",
                table="file:" + path.name,
                column=name,
            )
    frame = frame.reset_index(drop=True)
    for name in frame.columns:
        frame[name] = _tidy(frame[name])
    frame.columns = range(len(headers))
    return SourceTable(
        headers=headers,
        frame=frame,
        rows=np.arange(row_offset + 1, row_offset + len(frame) + 1, dtype="int64"),
        path=str(path),
        encoding=getattr(meta, "file_encoding", None),
        native=True,
        column_meta=column_meta,
        label="file:" + path.name,
        file_label=getattr(meta, "file_label", None) or None,
    )


def _refuse_undecoded_por(path: Path, frame: pd.DataFrame, meta: Any) -> None:
    """Raise ``RD022`` when pyreadstat replaced text of a .por file by U+FFFD.

    The portable format has its own 256-character table and no encoding: text in
    another script (Chinese) comes back as U+FFFD, which is refused rather than read.
    """
    places: list[tuple[str | None, int | None, str]] = []
    labels = getattr(meta, "column_names_to_labels", {}) or {}
    for name in frame.columns:
        if "\ufffd" in str(name) or "\ufffd" in str(labels.get(name) or ""):
            places.append((str(name), None, f"name or label {labels.get(name) or name!r}"))
        for value_label in (
            (getattr(meta, "variable_value_labels", {}) or {}).get(name, {}).values()
        ):
            if "\ufffd" in str(value_label):
                places.append((str(name), None, f"value label {value_label!r}"))
                break
        values = frame[name]
        if values.dtype == object or values.dtype == "str":
            hit = values.map(lambda v: isinstance(v, str) and "\ufffd" in v).to_numpy(dtype=bool)
            if hit.any():
                first = int(hit.argmax())
                places.append((str(name), first + 1, f"value {values.iloc[first]!r}"))
    if "\ufffd" in str(getattr(meta, "file_label", "") or ""):
        places.append((None, None, "the file label"))
    if places:
        column, row, what = places[0]
        raise ReadError(
            "RD022",
            f"the text of the SPSS portable file cannot be decoded ({len(places)} place(s); "
            f"first: {what})",
            file=path,
            column=column,
            row=row,
            expected="text in the portable format's character set (ASCII)",
            found="characters outside it, returned as U+FFFD",
            hint="SPSS portable (.por) files cannot hold Chinese: save the data as .sav instead.",
        )


def _tidy(values: pd.Series) -> pd.Series:
    """Dates read as Python ``date`` objects become ``datetime64``; empty SPSS strings NA."""
    if values.dtype == object:
        sample = values.dropna()
        if len(sample) and all(
            isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in sample
        ):
            return pd.to_datetime(values).astype("datetime64[us]")
    if values.dtype == "str":
        return values.where(values != "")
    return values
