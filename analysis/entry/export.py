"""Export resolved questionnaires to ``data/raw/<wave>/`` in ODK Central's CSV-zip layout.

Only questionnaires whose two typings agreed, or whose differences a supervisor
resolved, are exported: one ``<form>.zip`` per instrument, laid out exactly as ODK
Central's "all submissions" export (so :func:`analysis.readers.read_raw` reads it, repeats
linked, and a wave holds one file per instrument):

``<form>.csv``
    one row per questionnaire, sorted by its key: ``SubmissionDate`` (when the
    questionnaire was resolved, UTC), one column per question of the main record in form
    order (bare names, as Central's "remove group names"; notes excluded), then ``KEY``
    (``uuid:...``, also the answer of ``instanceID``, stable across exports),
    ``SubmitterName`` (the two clerks, ``li / wang``), ``ReviewState`` (``approved``),
    ``DeviceID`` (always ``baicun-entry``: marks a file written by this export) and
    ``FormVersion``.
``<form>-<repeat>.csv``
    one row per repeat row: the repeat's questions, then ``PARENT_KEY`` (the ``KEY``
    of the record it belongs to) and ``KEY`` (``<PARENT_KEY>/<group path>/<repeat>[n]``).

Cells are UTF-8 text (with a byte-order mark, so Excel on a Chinese Windows machine shows
the Chinese once the zip is unpacked); an unanswered question is an empty cell;
select_multiple answers are space-separated codes.

**Formula injection.** A cell that would start with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return (after any leading apostrophes) and is not a plain number gets one
apostrophe in front, so Excel shows it as text instead of running it. The rule is
reversible: :func:`unneutralise` removes exactly that apostrophe, and a reader should
apply it to every cell of a file whose ``DeviceID`` is ``baicun-entry``.

An export replaces only a zip an earlier entry export wrote; a file from anywhere else
(an ODK Central download of the same instrument) is never overwritten (``ENT030``).
The zips are written with mode 0600 (owner only): they hold the answers.

Examples
--------
>>> neutralise("=HYPERLINK(1)"), neutralise("-5"), neutralise("'=x"), neutralise("普通")
("'=HYPERLINK(1)", '-5', "''=x", '普通')
>>> all(unneutralise(neutralise(v)) == v for v in ["=1+1", "@a", "-x", "'=x", "-3.5", "a"])
True
"""

from __future__ import annotations

import csv
import io
import os
import re
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import EntryError
from ..instrument.model import Instrument
from .answers import Answers
from .layout import RepeatBlock, Section, layout
from .store import EntryStore

__all__ = [
    "DEVICE_ID",
    "ExportSummary",
    "Table",
    "export_wave",
    "instance_id",
    "neutralise",
    "tables",
    "unneutralise",
]

#: The ``DeviceID`` of every exported row: marks a file written by the entry export.
DEVICE_ID = "baicun-entry"

#: Central's columns after the questions of the main CSV.
_TRAILING = ("KEY", "SubmitterName", "ReviewState", "DeviceID", "FormVersion")

_NAMESPACE = uuid.UUID("6f1c2a7e-1b0c-5a8e-9a51-0b5c1e7d2a10")
_TRIGGER = re.compile(r"'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
#: A fixed time stamp for zip members, so that the same data gives the same bytes.
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def neutralise(value: str) -> str:
    """The cell text Excel will not run as a formula (see the module notes)."""
    if _TRIGGER.match(value) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """Undo :func:`neutralise` (safe on every cell of an entry export)."""
    if _ESCAPED.match(value):
        return value[1:]
    return value


def instance_id(wave: str, form: str, key: str) -> str:
    """The stable instance ID (``uuid:...``) of the questionnaire ``key``.

    Examples
    --------
    >>> instance_id("2025", "household", "H001") == instance_id("2025", "household", "H001")
    True
    >>> instance_id("2025", "household", "H001").startswith("uuid:")
    True
    """
    return f"uuid:{uuid.uuid5(_NAMESPACE, f'{wave}/{form}/{key}')}"


def _columns(nodes: tuple) -> tuple[list[str], list[RepeatBlock]]:
    names: list[str] = []
    repeats: list[RepeatBlock] = []
    for node in nodes:
        if isinstance(node, Section):
            inner, inner_repeats = _columns(node.children)
            names += inner
            repeats += inner_repeats
        elif isinstance(node, RepeatBlock):
            repeats.append(node)
        elif node.question.is_data:
            names.append(node.name)
    return names, repeats


@dataclass(frozen=True)
class Table:
    """One CSV of the zip: its file stem, header and rows (cells not yet neutralised)."""

    stem: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Record:
    """One resolved questionnaire to export."""

    key: str
    answers: Answers
    instance: str
    submitted: str = ""
    submitters: str = ""


def tables(instrument: Instrument, form: str, records: Sequence[Record]) -> tuple[Table, ...]:
    """The CSVs of one form: the main table, then one per repeat (nested ones too).

    Examples
    --------
    >>> from analysis.instrument.model import Group, Instrument, Question
    >>> form = Instrument(path=None, form_id="hh", title="hh", version="3",
    ...     default_language=None, languages=(), choice_lists={},
    ...     groups=(Group("members", "repeat"),),
    ...     questions=(Question("hh_id", "text"),
    ...                Question("m_age", "integer", group_path=("members",), repeat="members")))
    >>> a = Answers({"hh_id": "H1"}, {"members": [Answers({"m_age": "30"}), Answers({"m_age": "4"})]})
    >>> main, members = tables(form, "household", [Record("H1", a, "uuid:1", "2025-01-02T03:04:05.000Z", "li / wang")])
    >>> main.header
    ('SubmissionDate', 'hh_id', 'KEY', 'SubmitterName', 'ReviewState', 'DeviceID', 'FormVersion')
    >>> main.rows[0]
    ('2025-01-02T03:04:05.000Z', 'H1', 'uuid:1', 'li / wang', 'approved', 'baicun-entry', '3')
    >>> members.stem, members.header, members.rows[1]
    ('household-members', ('m_age', 'PARENT_KEY', 'KEY'), ('4', 'uuid:1', 'uuid:1/members[2]'))
    """
    names, repeats = _columns(layout(instrument))
    version = instrument.version or ""
    main_rows = []
    parents: list[tuple[str, Answers]] = []
    for record in sorted(records, key=lambda r: r.key):
        values = {**record.answers.values, "instanceID": record.instance}
        main_rows.append(
            (
                record.submitted,
                *(values.get(n, "") for n in names),
                record.instance,
                record.submitters,
                "approved",
                DEVICE_ID,
                version,
            )
        )
        parents.append((record.instance, record.answers))
    out = [Table(form, ("SubmissionDate", *names, *_TRAILING), tuple(main_rows))]

    def add(block: RepeatBlock, owners: list[tuple[str, Answers]]) -> None:
        inner_names, inner_repeats = _columns(block.children)
        path = "/".join([*block.group.path[len(_repeat_path(instrument, block)) :], block.name])
        rows = []
        nested: list[tuple[str, Answers]] = []
        for parent_key, parent in owners:
            for index, row in enumerate(parent.rows(block.name), start=1):
                row_key = f"{parent_key}/{path}[{index}]"
                rows.append((*(row.get(n) for n in inner_names), parent_key, row_key))
                nested.append((row_key, row))
        out.append(Table(f"{form}-{block.name}", (*inner_names, "PARENT_KEY", "KEY"), tuple(rows)))
        for inner in inner_repeats:
            add(inner, nested)

    for block in repeats:
        add(block, parents)
    return tuple(out)


def _repeat_path(instrument: Instrument, block: RepeatBlock) -> tuple[str, ...]:
    """The group path up to and including the nearest enclosing repeat of ``block``."""
    enclosing = block.group.repeat
    if enclosing is None:
        return ()
    path = block.group.path
    return path[: path.index(enclosing) + 1]


def _csv_bytes(table: Table) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow([neutralise(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _zip_bytes(members: Sequence[Table]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in members:
            info = zipfile.ZipInfo(f"{table.stem}.csv", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, _csv_bytes(table))
    return buffer.getvalue()


def _written_by_export(path: Path) -> bool:
    """True when ``path`` is a zip an entry export wrote (DeviceID baicun-entry)."""
    try:
        with zipfile.ZipFile(path) as archive:
            main = f"{path.stem}.csv"
            if main not in archive.namelist():
                return False
            text = archive.read(main).decode("utf-8-sig")
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError, KeyError):
        return False
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or "DeviceID" not in rows[0]:
        return False
    column = rows[0].index("DeviceID")
    return all(len(r) > column and r[column] == DEVICE_ID for r in rows[1:])


def _submitted(stamp: str) -> str:
    """ISO time as ODK Central writes SubmissionDate (UTC, milliseconds, Z)."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote: files, and per form the questionnaires exported / left out."""

    files: tuple[Path, ...]
    exported: Mapping[str, int]
    waiting: Mapping[str, int]


def _write_private(path: Path, data: bytes) -> None:
    """Write ``path`` readable and writable by its owner only (mode 0600): it holds answers."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # an older temporary file kept its own mode
        handle.write(data)


def export_wave(
    store: EntryStore,
    wave: str,
    instruments: Mapping[str, Instrument],
    out_dir: Path,
) -> ExportSummary:
    """Write ``<form>.zip`` of the resolved questionnaires of ``wave`` for each instrument.

    A form with nothing typed in the wave writes nothing.

    Raises
    ------
    EntryError
        ``ENT030`` when a zip to be written exists and was not written by an entry export.
    """
    payloads: dict[str, bytes] = {}
    exported: dict[str, int] = {}
    waiting: dict[str, int] = {}
    for form, instrument in instruments.items():
        records = []
        for q, resolution, typings in store.resolved(wave, form):
            records.append(
                Record(
                    key=q.key,
                    answers=resolution.answers,
                    instance=instance_id(wave, form, q.key),
                    submitted=_submitted(resolution.resolved_at),
                    submitters=" / ".join(t.clerk for t in typings),
                )
            )
        everything = store.questionnaires(wave, form)
        exported[form] = len(records)
        waiting[form] = len(everything) - len(records)
        if everything:
            payloads[f"{form}.zip"] = _zip_bytes(tables(instrument, form, records))
    for name in payloads:
        target = out_dir / name
        if target.exists() and not _written_by_export(target):
            raise EntryError(
                "ENT030",
                f"{name} exists and was not written by the entry export",
                file=target,
                hint="Raw data is never overwritten: move that file out of the wave folder, then export again.",
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in payloads.items():
        target = out_dir / name
        temporary = target.with_name(f".{name}.tmp")
        _write_private(temporary, data)
        os.replace(temporary, target)
        written.append(target)
    return ExportSummary(tuple(written), exported, waiting)
