"""ODK Central exports: the CSV zip (``submissions.csv.zip``) or its main CSV alone.

Layout (ODK Central's Briefcase-compatible export):

* ``<formId>.csv``: the main table. ``SubmissionDate`` first, group paths joined by
  ``-`` (``hh-size``), geopoints in four columns ``<q>-Latitude``, ``-Longitude``,
  ``-Altitude``, ``-Accuracy``, ``meta-instanceID``, then ``KEY`` (the instance ID)
  and Central's columns ``SubmitterID, SubmitterName, AttachmentsPresent,
  AttachmentsExpected, Status, ReviewState, DeviceID, Edits, FormVersion``. With
  "split select multiples", a select_multiple ``q`` is followed by ``q/<code>`` 0/1
  columns; with "remove group names", headers are bare question names.
* ``<formId>-<repeat>.csv``: one per repeat (``~1``, ``~2`` suffixes when two repeats
  share a name), question headers relative to the repeat, then ``PARENT_KEY`` (the
  parent's ``KEY``) and ``KEY`` (``<parent KEY>/<group path>/<repeat>[i]``).
* ``media/``: attachments (ignored, counted).

Examples
--------
>>> import io, zipfile, tempfile, pathlib
>>> from analysis.readers.issues import IssueLog
>>> path = pathlib.Path(tempfile.mkdtemp()) / "hh.zip"
>>> with zipfile.ZipFile(path, "w") as z:
...     z.writestr("hh.csv", "SubmissionDate,name,KEY\\n2024-05-01T02:00:00.000Z,A,uuid:1\\n")
...     z.writestr("hh-member.csv", "age,PARENT_KEY,KEY\\n30,uuid:1,uuid:1/member[1]\\n")
>>> [(t.table, t.member, len(t)) for t in read_odk_central(path, log=IssueLog())]
[('main', 'hh.csv', 1), ('member', 'hh-member.csv', 1)]
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ..errors import ReadError
from ..instrument.model import Instrument
from .csv import read_csv_table, sniff_delimiter
from .encoding import decode_text
from .entry_export import restore_entry_export
from .issues import IssueLog
from .table import SourceTable

__all__ = ["read_odk_central"]


def _header(raw: bytes) -> list[str]:
    try:
        text = decode_text(raw[:65536])[0]
    except ReadError:  # pragma: no cover
        return []
    line = text.replace("\r\n", "\n").split("\n", 1)[0]
    delimiter = sniff_delimiter(line)
    return [c.strip().strip('"').replace("\ufeff", "") for c in line.split(delimiter)]


def read_odk_central(
    path: Path | str,
    *,
    log: IssueLog,
    encoding: str | None = None,
    instrument: Instrument | None = None,
) -> list[SourceTable]:
    """The main table and every repeat table of an ODK Central export."""
    path = Path(path)
    with path.open("rb") as handle:
        is_zip = handle.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    if not is_zip:
        table = read_csv_table(path, log=log, encoding=encoding, label=f"file:{path.name}")
        if "PARENT_KEY" in table.headers:
            table.table = _repeat_name(path.stem, None, instrument)
        else:
            table.table = "main"
            restore_entry_export([table])
        return [table]
    try:
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.infolist() if not m.is_dir()]
        apple = [m.filename for m in members if _macos_metadata(m.filename)]
        members = [m for m in members if not _macos_metadata(m.filename)]
        found = {
            m.filename: archive.read(m)
            for m in members
            if m.filename.lower().endswith(".csv") and not m.filename.startswith("media/")
        }
    except Exception as exc:  # BadZipFile, EOFError, zlib.error, encrypted or unsupported zips
        raise ReadError(
            "RD006",
            f"the zip archive cannot be read ({exc})",
            file=path,
            hint="The download is probably incomplete: export the submissions from ODK Central again.",
        ) from None
    if apple:
        log.add(
            "RD166",
            f"{len(apple)} macOS metadata member(s) of the zip ignored (e.g. {apple[0]!r})",
            table="main",
        )
    contents, sources = _one_copy_each(found, path, log)
    others = [m.filename for m in members if m.filename not in found]
    if others:
        log.add(
            "RD162",
            f"{len(others)} file(s) of the zip are not data tables and were not read (e.g. {others[0]!r})",
            table="main",
        )
    headers = {name: _header(raw) for name, raw in contents.items()}
    mains = [n for n, h in headers.items() if "PARENT_KEY" not in h]
    if instrument is not None:
        named = [n for n in mains if Path(n).stem == instrument.form_id]
        mains = named + [n for n in mains if n not in named]
    if not mains:
        raise ReadError(
            "RD007",
            "the zip has no main CSV (every CSV is a repeat table with PARENT_KEY)"
            if contents
            else "the zip holds no CSV file",
            file=path,
            expected="<formId>.csv with the submissions"
            + (f" ({instrument.form_id}.csv)" if instrument else ""),
            found=", ".join(sorted(contents))
            or ", ".join(m.filename for m in members)
            or "an empty zip",
            hint="Export again from ODK Central with 'Download all submissions' (CSV zip), without removing files.",
        )
    named = instrument is not None and Path(mains[0]).stem == instrument.form_id
    main = mains[0] if named else min(mains, key=lambda n: (len(n), n))
    base = Path(main).stem
    tables: list[SourceTable] = []
    first = read_csv_table(
        path, log=log, encoding=encoding, raw=contents[main], member=sources[main],
        label=f"file:{sources[main]}",
    )  # fmt: skip
    first.table = "main"
    tables.append(first)
    for name in sorted(contents):
        if name == main:
            continue
        table = read_csv_table(
            path, log=log, encoding=encoding, raw=contents[name], member=sources[name],
            label=f"file:{sources[name]}",
        )  # fmt: skip
        repeat = _repeat_name(Path(name).stem, base, instrument)
        known = instrument is not None and repeat in {g.name for g in instrument.repeats}
        if "PARENT_KEY" in headers[name] or "PARENT_KEY" in table.headers or known:
            table.table = repeat  # without PARENT_KEY: kept, logged RD134 when linking
        else:
            table.table = Path(name).stem
            log.add(
                "RD135",
                f"{sources[name]!r} is a second table without PARENT_KEY; kept as table {table.table!r}",
                table=f"file:{sources[name]}",
            )
        tables.append(table)
    if instrument is not None:
        present = {t.table for t in tables}
        for group in instrument.repeats:
            if group.name not in present:
                log.add(
                    "RD167",
                    f"repeat {group.name!r} of the form has no CSV in the zip (expected "
                    f"'{base}-{group.name}.csv'): its table is empty",
                    table=group.name,
                )
    restore_entry_export(tables)
    return tables


_COPY = re.compile(r" \((\d+)\)(?=\.csv$)", re.IGNORECASE)


def _macos_metadata(name: str) -> bool:
    """Members macOS adds when it zips a folder: ``__MACOSX/...`` and ``._<name>``."""
    return name.startswith("__MACOSX/") or name.rsplit("/", 1)[-1].startswith("._")


def _one_copy_each(
    found: dict[str, bytes], path: Path, log: IssueLog
) -> tuple[dict[str, bytes], dict[str, str]]:
    """One member per table: ``x (1).csv`` (downloaded twice) is ``x.csv``.

    Returns ``({table file name: bytes}, {table file name: member read})``.

    Raises
    ------
    ReadError
        ``RD023`` when two copies of one table differ.
    """
    groups: dict[str, list[str]] = {}
    for name in found:
        groups.setdefault(_COPY.sub("", name), []).append(name)
    contents: dict[str, bytes] = {}
    sources: dict[str, str] = {}
    for canonical, names in groups.items():
        names.sort(key=lambda n: (n != canonical, len(n), n))
        first = names[0]
        for other in names[1:]:
            if found[other] != found[first]:
                raise ReadError(
                    "RD023",
                    f"the zip holds two different copies of one table: {first!r} and {other!r}",
                    file=path,
                    expected="one CSV per table",
                    found=f"{first} ({len(found[first])} bytes), {other} ({len(found[other])} bytes)",
                    hint="A file was downloaded twice; keep the right copy, delete the other, "
                    "and zip the export again.",
                )
            log.add(
                "RD165",
                f"{other!r} is an identical copy of {first!r} (downloaded twice); read once",
                table="main",
            )
        contents[canonical] = found[first]
        sources[canonical] = first
    return contents, sources


def _repeat_name(stem: str, base: str | None, instrument: Instrument | None) -> str:
    """The repeat a CSV holds, from its name ``<base>-<repeat>[~n]``."""
    match = re.fullmatch(r"(.*?)(~\d+)?", stem)
    name = match.group(1) if match else stem
    suffix = match.group(2) if match else None
    if base and name.startswith(base + "-"):
        name = name[len(base) + 1 :]
    if instrument is not None:
        repeats = [g.name for g in instrument.repeats]
        if name in repeats:
            return name if suffix is None or repeats.count(name) == 1 else f"{name}{suffix}"
        for candidate in sorted(repeats, key=len, reverse=True):
            if name.endswith("-" + candidate) or name == candidate:
                return candidate
    if base is None and "-" in name:
        name = name.rsplit("-", 1)[-1]
    return name + (suffix or "")
