"""The raw exports, written byte for byte in the layouts the field servers produce.

* :func:`write_kobo_csv` — KoboToolbox "XML values and headers" CSV: ``;`` separator,
  every field quoted, CRLF, UTF-8 without BOM; group paths joined by ``/``; a
  select_multiple ``q`` as ``a b`` followed by one 0/1 column per choice ``grp/q/code``
  (empty when the question was not answered); a geopoint as its answer then
  ``grp/_q_latitude``, ``_longitude``, ``_altitude``, ``_precision``; notes as empty
  columns; then ``_id, _uuid, _submission_time, _validation_status, _notes, _status,
  _submitted_by, __version__, _tags, _index``; rows in the order received.
* :func:`write_odk_central_zip` — ODK Central's CSV zip: ``<form_id>.csv`` (``SubmissionDate``
  first, group paths joined by ``-``, geopoints as ``-Latitude/-Longitude/-Altitude/-Accuracy``,
  select_multiple space-separated, ``meta-instanceID``, ``meta-instanceName``, ``KEY``,
  ``SubmitterID, SubmitterName, AttachmentsPresent, AttachmentsExpected, Status,
  ReviewState, DeviceID, Edits, FormVersion``; newest submission first) and
  ``<form_id>-<repeat>.csv`` (the repeat's questions, ``PARENT_KEY``, ``KEY`` =
  ``<instance>/<group>/<repeat>[i]``); LF line endings, minimal quoting, UTF-8 without BOM.
* :func:`write_excel_csv` — what Excel on a Chinese Windows machine saves as "CSV (逗号分隔)":
  GBK, CRLF, ``,``, quotes only where needed, dates as ``2024/12/18``.
* :func:`write_corrections` — the wave's cleaning log.

Every writer is deterministic: the same tables give the same bytes (the zip entries
carry a fixed timestamp).

Examples
--------
>>> kobo_datetime("2024-07-16T03:35:29.727Z")
'2024-07-16T03:35:29'
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..corrections import CORRECTIONS_COLUMNS
from ..instrument import Instrument, Question
from .dirt import Problem

__all__ = [
    "kobo_datetime",
    "write_corrections",
    "write_excel_csv",
    "write_kobo_csv",
    "write_odk_central_zip",
]

_ZIP_TIME = (2024, 1, 1, 0, 0, 0)
_KOBO_TAIL = (
    "_id",
    "_uuid",
    "_submission_time",
    "_validation_status",
    "_notes",
    "_status",
    "_submitted_by",
    "__version__",
    "_tags",
    "_index",
)
_CENTRAL_TAIL = (
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
)
_GEO_CENTRAL = ("Latitude", "Longitude", "Altitude", "Accuracy")
_GEO_KOBO = ("latitude", "longitude", "altitude", "precision")
_NOT_COLUMNS = ("begin_group", "end_group", "begin_repeat", "end_repeat")


def kobo_datetime(text: str) -> str:
    """A server timestamp as Kobo writes ``_submission_time`` (UTC, seconds, no zone)."""
    return text.replace("Z", "")[:19]


def _csv_text(rows: list[list[str]], *, delimiter: str, quoting: int, terminator: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=terminator)
    writer.writerows(rows)
    return buffer.getvalue()


def _main_questions(instrument: Instrument, *, meta: bool) -> list[Question]:
    out = []
    for q in instrument.questions_in(None):
        if q.type in _NOT_COLUMNS:
            continue
        if q.group_path[:1] == ("meta",) and not meta:
            continue
        out.append(q)
    return out


# ----------------------------------------------------------------------------- Kobo
def write_kobo_csv(
    table: pd.DataFrame, instrument: Instrument, path: Path, *, version_uid: str, first_id: int
) -> Path:
    """Write ``table`` (answers + ``__instance_id``, ``__received``) as a Kobo CSV export."""
    questions = _main_questions(instrument, meta=False)
    header: list[str] = []
    for q in questions:
        prefix = "/".join(q.group_path)
        full = f"{prefix}/{q.name}" if prefix else q.name
        header.append(full)
        if q.type == "select_multiple":
            choices = instrument.choices(q)
            header += [f"{full}/{code}" for code in (choices.codes if choices is not None else ())]
        elif q.type == "geopoint":
            header += [f"{prefix + '/' if prefix else ''}_{q.name}_{part}" for part in _GEO_KOBO]
    header += list(_KOBO_TAIL)
    ordered = table.sort_values("__received", kind="stable").to_dict("records")
    rows = [header]
    for index, rec in enumerate(ordered, start=1):
        row: list[str] = []
        for q in questions:
            value = str(rec.get(q.name, ""))
            row.append(value)
            if q.type == "select_multiple":
                choices = instrument.choices(q)
                picked = set(value.split())
                row += [
                    ("1" if code in picked else "0") if value else ""
                    for code in (choices.codes if choices else ())
                ]
            elif q.type == "geopoint":
                parts = value.split()
                row += [parts[i] if i < len(parts) else "" for i in range(4)]
        uuid = str(rec["__instance_id"]).removeprefix("uuid:")
        row += [
            str(first_id + index - 1),
            uuid,
            kobo_datetime(str(rec["__received"])),
            "",
            "",
            "submitted_via_web",
            "baicun_team",
            version_uid,
            "",
            str(index),
        ]
        rows.append(row)
    path.write_bytes(
        _csv_text(rows, delimiter=";", quoting=csv.QUOTE_ALL, terminator="\r\n").encode("utf-8")
    )
    return path


# ----------------------------------------------------------------------------- ODK Central
def _central_header(questions: list[Question]) -> list[str]:
    header = []
    for q in questions:
        name = "-".join((*q.group_path, q.name))
        if q.type == "geopoint":
            header += [f"{name}-{part}" for part in _GEO_CENTRAL]
        else:
            header.append(name)
    return header


def _central_values(rec: dict, questions: list[Question]) -> list[str]:
    row = []
    for q in questions:
        value = str(rec.get(q.name, ""))
        if q.type == "geopoint":
            parts = value.split()
            row += [parts[i] if i < len(parts) else "" for i in range(4)]
        else:
            row.append(value)
    return row


def write_odk_central_zip(
    table: pd.DataFrame,
    members: pd.DataFrame,
    instrument: Instrument,
    path: Path,
    *,
    submitters: dict[str, tuple[str, str]],
    review: dict[str, str] | None = None,
) -> Path:
    """Write the main table and its roster as ODK Central's CSV zip export.

    ``submitters`` maps an enumerator code to Central's (SubmitterID, SubmitterName);
    ``review`` maps instance ids to a ReviewState (``hasIssues``, ``approved``, ...).
    """
    review = review or {}
    form_id = instrument.form_id
    main_q = [q for q in _main_questions(instrument, meta=True) if not (q.repeat or "")]
    repeat = instrument.repeats[0] if instrument.repeats else None
    ordered = table.sort_values("__received", ascending=False, kind="stable").to_dict("records")
    rows = [["SubmissionDate", *_central_header(main_q), "KEY", *_CENTRAL_TAIL]]
    for rec in ordered:
        sid, sname = submitters.get(str(rec["enumerator"]), ("", ""))
        key = str(rec["__instance_id"])
        rows.append(
            [
                str(rec["__received"]),
                *_central_values(rec, main_q),
                key,
                sid,
                sname,
                "0",
                "0",
                "",
                review.get(key, ""),
                str(rec.get("deviceid", "")),
                "0",
                instrument.version or "",
            ]
        )
    files = {
        f"{form_id}.csv": _csv_text(rows, delimiter=",", quoting=csv.QUOTE_MINIMAL, terminator="\n")
    }
    if repeat is not None:
        rep_q = [q for q in instrument.questions_in(repeat.name) if q.type not in _NOT_COLUMNS]
        inner = [q for q in rep_q]
        header = []
        for q in inner:
            sub = q.group_path[q.group_path.index(repeat.name) + 1 :]
            name = "-".join((*sub, q.name))
            header += [f"{name}-{p}" for p in _GEO_CENTRAL] if q.type == "geopoint" else [name]
        rep_rows = [[*header, "PARENT_KEY", "KEY"]]
        path_in = "/".join((*repeat.path, repeat.name))
        by_parent: dict[str, list[dict]] = {}
        for m in members.to_dict("records"):
            by_parent.setdefault(str(m["__parent"]), []).append(m)
        for rec in ordered:
            parent = str(rec["__instance_id"])
            group = sorted(by_parent.get(parent, []), key=lambda m: int(m["__position"]))
            for i, m in enumerate(group, start=1):
                rep_rows.append([*_central_values(m, inner), parent, f"{parent}/{path_in}[{i}]"])
        files[f"{form_id}-{repeat.name}.csv"] = _csv_text(
            rep_rows, delimiter=",", quoting=csv.QUOTE_MINIMAL, terminator="\n"
        )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8"))
    return path


# ----------------------------------------------------------------------------- Excel CSV
def _excel_date(value: str) -> str:
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        y, m, d = value.split("-")
        return f"{int(y)}/{int(m)}/{int(d)}"
    return value


def write_excel_csv(
    table: pd.DataFrame, instrument: Instrument, path: Path, *, trailing_empty_row: bool
) -> Path:
    """Write ``table`` as Excel's "CSV (逗号分隔)" on a Chinese Windows machine (GBK).

    Columns are the instrument's data questions by name (no notes, no phone metadata;
    ``today`` is the day the record was typed in).
    """
    skip = {"start", "end", "deviceid", "username", "instanceID", "instanceName"}
    questions = [
        q
        for q in _main_questions(instrument, meta=False)
        if q.type != "note" and q.name not in skip
    ]
    dates = {q.name for q in questions if q.type in ("date", "today")}
    rows = [[q.name for q in questions]]
    for rec in table.to_dict("records"):
        rows.append(
            [
                _excel_date(str(rec.get(q.name, "")))
                if q.name in dates
                else str(rec.get(q.name, ""))
                for q in questions
            ]
        )
    if trailing_empty_row:
        rows.append([""] * len(questions))
    text = _csv_text(rows, delimiter=",", quoting=csv.QUOTE_MINIMAL, terminator="\r\n")
    path.write_bytes(text.encode("gbk"))
    return path


# ----------------------------------------------------------------------------- corrections
def write_corrections(
    problems: list[Problem], path: Path, *, who: str, first_dates: dict[str, str]
) -> Path:
    """Write the rows of ``corrections.csv`` for the problems that carry a correction.

    ``first_dates`` gives, per instrument, the day checking started (a few rows a day);
    rows are in date order. A ``drop`` names the record to drop by its instance ID
    (``variable`` = ``instanceID``, ``old_value`` = the ID) when it has one.
    """
    entries = []
    done: dict[str, int] = {}
    for p in (x for x in problems if x.action):
        i = done.get(p.instrument, 0)
        done[p.instrument] = i + 1
        day = str(np.datetime64(first_dates[p.instrument]) + np.timedelta64(i // 3, "D"))
        variable, old = p.variable, p.value_in_file
        if p.action == "drop" and p.instance_id:
            variable, old = "instanceID", p.instance_id
        elif p.action == "drop":  # a record with no instance ID: named by its row
            variable, old = "", ""
        entries.append(
            [
                p.instrument,
                p.target or p.key,
                variable,
                old,
                p.new_value,
                p.action,
                p.reason,
                who,
                day,
            ]
        )
    entries.sort(key=lambda row: row[-1])
    text = _csv_text(
        [list(CORRECTIONS_COLUMNS), *entries],
        delimiter=",",
        quoting=csv.QUOTE_MINIMAL,
        terminator="\n",
    )
    path.write_bytes(text.encode("utf-8"))
    return path
