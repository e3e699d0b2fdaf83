"""Helpers for the reader and writer tests: the household form and its exports.

``tests/fixtures/exports/`` holds a small XLSForm (``household.md``, zh/en, a group,
a repeat ``member`` with a nested repeat ``job``) and the same three submissions
exported as ODK Central writes them (``odk_central/``: main CSV with split select
multiples + one CSV per repeat, zipped by :func:`odk_zip`), as KoboToolbox writes
its CSV (``kobo/``: XML values with ``;``, Chinese labels with ``,``) and its XLSX
(``kobo_xlsx/``: one CSV per sheet, assembled by :func:`kobo_xlsx`).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from openpyxl import Workbook

from analysis.instrument import Instrument, load_instrument
from analysis.readers.encoding import decode_marked

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"
ODK_FILES = ("household.csv", "household-member.csv", "household-job.csv")


@lru_cache(maxsize=1)
def household_form() -> Instrument:
    """The household XLSForm of the fixtures."""
    return load_instrument(EXPORTS / "household.md")


def fixture_text(*parts: str) -> str:
    """A fixture file's text (UTF-8)."""
    return EXPORTS.joinpath(*parts).read_text(encoding="utf-8")


def odk_zip(
    folder: Path,
    *,
    edit: Callable[[str, str], str | None] | None = None,
    media: bool = True,
    name: str = "household.zip",
) -> Path:
    """The ODK Central export zip; ``edit(member, text)`` may change (or drop: ``None``) a CSV."""
    path = folder / name
    with zipfile.ZipFile(path, "w") as archive:
        for member in ODK_FILES:
            text = fixture_text("odk_central", member)
            if edit is not None:
                text = edit(member, text)
            if text is not None:
                archive.writestr(member, text.encode("utf-8"))
        if media:
            archive.writestr("media/1717212000000.jpg", b"\xff\xd8\xff\xe0")
    return path


def kobo_xlsx(folder: Path, *, sheets: tuple[str, ...] = ("household", "member", "job")) -> Path:
    """The KoboToolbox XLSX export (numbers as Excel numbers, like Kobo's typed XLSX)."""
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        ws = book.create_sheet(sheet)
        with EXPORTS.joinpath("kobo_xlsx", f"{sheet}.csv").open(
            encoding="utf-8", newline=""
        ) as handle:
            for i, row in enumerate(csv.reader(handle)):
                ws.append([v if i == 0 or not v.isdigit() or len(v) > 9 else int(v) for v in row])
    path = folder / "household_kobo.xlsx"
    book.save(path)
    return path


def codes(raw) -> set[str]:
    """Issue codes logged while reading."""
    return set(raw.issues["code"])


def issues_of(raw, code: str):
    """The issues with ``code``."""
    return raw.issues[raw.issues["code"] == code]


DEMO_RAW = Path(__file__).resolve().parents[1] / "data" / "raw"


def cut_records(text: str, keep: Callable[[int, list[str]], bool]) -> str:
    """The header and the records ``keep(index, cells)`` accepts, their source lines unchanged."""
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=";" if text[:200].count(";") > text[:200].count(",") else ",",
    )
    out: list[str] = []
    before = 0
    for index, cells in enumerate(reader):
        after = reader.line_num
        if index == 0 or keep(index, cells):
            out.extend(lines[before:after])
        before = after
    return "".join(out)


def demo_slice(wave: str = "demo-2025", records: int = 12) -> dict[str, bytes]:
    """Small real-shaped copies of a demo wave's exports: ``{file or member: bytes}``.

    ``village.csv`` and ``cadre.csv`` keep their first ``records`` records; the household
    zip's main CSV its first ``records`` households and its repeat CSV their members.
    """
    folder = DEMO_RAW / wave
    out = {}
    for name in ("village.csv", "cadre.csv"):
        found = decode_marked((folder / name).read_bytes())
        encoding = found.encoding.replace("utf-8-sig", "utf-8")
        out[name] = cut_records(found.text, lambda i, _c: i <= records).encode(encoding)
    with zipfile.ZipFile(folder / "household.zip") as archive:
        names = archive.namelist()
        main = next(n for n in names if "-" not in n)
        text = archive.read(main).decode("utf-8-sig")
        keys: set[str] = set()
        header = next(csv.reader(io.StringIO(text)))
        key_at = header.index("KEY")

        def first(index: int, cells: list[str]) -> bool:
            if index <= records:
                keys.add(cells[key_at])
                return True
            return False

        out[main] = cut_records(text, first).encode("utf-8")
        for name in names:
            if name == main:
                continue
            text = archive.read(name).decode("utf-8-sig")
            header = next(csv.reader(io.StringIO(text)))
            parent_at = header.index("PARENT_KEY")
            out[name] = cut_records(text, lambda _i, c, at=parent_at: c[at] in keys).encode("utf-8")
    return out


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    """A zip of ``members`` (in the given order)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path
