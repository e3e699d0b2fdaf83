"""Faults found in a parsed CSV: undecodable bytes located by cell, repeated header rows.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from analysis.readers.issues import IssueLog
>>> log = IssueLog()
>>> frame = pd.DataFrame({0: ["张三", "户主", "李\\ufffd"], 1: ["4", "人口", "5"]}, dtype="str")
>>> frame, rows = drop_repeated_headers(["户主", "人口"], frame, np.array([2, 3, 4]), log=log, label="main")
>>> rows.tolist()
[2, 4]
>>> locate_undecodable(["户主", "人口"], frame, rows, [(30, b"\\xff")], "gbk", "a\\n" * 3, log=log, label="main")
>>> log.frame()[["code", "row", "column", "value"]].to_dict("records")[1]
{'code': 'RD156', 'row': 4, 'column': '户主', 'value': 'ff'}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .issues import IssueLog

__all__ = ["drop_repeated_headers", "locate_undecodable"]

_MARK = "\ufffd"


def drop_repeated_headers(
    headers: list[str], frame: pd.DataFrame, rows: np.ndarray, *, log: IssueLog, label: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """Drop records that repeat the header line (files pasted together), logging RD148."""
    width = len(headers)
    if not len(frame) or width < 2 or frame.shape[1] < width:
        return frame, rows
    same = np.ones(len(frame), dtype=bool)
    for j, name in enumerate(headers):
        column = frame.iloc[:, j]
        same &= (column.astype("object").fillna("").str.strip() == name.strip()).to_numpy()
        if not same.any():
            return frame, rows
    if frame.shape[1] > width:  # the _extra column of long rows
        extra = frame.iloc[:, width:].astype("object").fillna("")
        same &= (extra == "").all(axis=1).to_numpy()
    for row in rows[same]:
        log.add(
            "RD148",
            f"line {int(row)} repeats the header line (files pasted together?); dropped, "
            "not read as a record",
            table=label,
            row=int(row),
        )
    keep = ~same
    return frame.loc[keep].reset_index(drop=True), rows[keep]


def locate_undecodable(
    headers: list[str],
    frame: pd.DataFrame,
    rows: np.ndarray,
    bad: list[tuple[int, bytes]],
    encoding: str,
    text: str,
    *,
    log: IssueLog,
    label: str,
) -> None:
    """Log RD156 for each undecodable place, at its row and column when it can be found.

    ``bad`` lists the places in text order; each is one U+FFFD in ``text``. The marks
    are looked for cell by cell (header first, then each record, columns in order); when
    their count differs from ``bad`` (a U+FFFD written in the file itself), each place is
    logged at its line.
    """
    if not bad:
        return
    cells: list[tuple[int, int, int, str]] = []  # (row, column, marks, value)
    header_row = int(rows[0]) - 1 if len(rows) else 1
    for j, name in enumerate(headers):
        if _MARK in name:
            cells.append((header_row if header_row >= 1 else 1, j, name.count(_MARK), name))
    names = list(headers) + [f"column {j + 1}" for j in range(len(headers), frame.shape[1])]
    for j in range(frame.shape[1]):
        column = frame.iloc[:, j].astype("object")
        hit = column.map(lambda v: isinstance(v, str) and _MARK in v).to_numpy(dtype=bool)
        for position in np.flatnonzero(hit):
            value = column.iloc[position]
            cells.append((int(rows[position]), j, value.count(_MARK), value))
    cells.sort(key=lambda c: (c[0], c[1]))
    if sum(c[2] for c in cells) != len(bad):
        for offset, chunk in bad:
            line = text.count("\n", 0, _text_offset(text, bad, offset)) + 1
            log.add(
                "RD156",
                f"byte(s) {chunk.hex(' ')} at byte {offset} (line {line}) are not {encoding} "
                "text; replaced by U+FFFD, the rest of the text is intact",
                table=label,
                value=chunk.hex(" "),
            )
        return
    places = iter(bad)
    for row, j, marks, value in cells:
        for _ in range(marks):
            offset, chunk = next(places)
            log.add(
                "RD156",
                f"byte(s) {chunk.hex(' ')} at byte {offset} are not {encoding} text; replaced "
                f"by U+FFFD in this cell ({value[:60]!r}), the rest of the text is intact",
                table=label,
                row=row,
                column=names[j],
                value=chunk.hex(" "),
            )


def _text_offset(text: str, bad: list[tuple[int, bytes]], offset: int) -> int:
    """Where the mark of the place at byte ``offset`` is in ``text`` (best effort)."""
    index = [o for o, _ in bad].index(offset)
    position = -1
    for _ in range(index + 1):
        position = text.find(_MARK, position + 1)
        if position < 0:
            return len(text)
    return position
