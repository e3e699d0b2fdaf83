"""analysis.office: one deterministic writer for every DOCX/XLSX, shared Word helpers."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pandas as pd
from docx import Document
from openpyxl import Workbook, load_workbook

from analysis.office.package import (
    DOCUMENT_DATE,
    FIXED_TIME,
    document_bytes,
    normalise_package,
    save_workbook,
    workbook_bytes,
)
from analysis.office.widths import text_width
from analysis.office.word import get_or_add, qn, set_borders, set_table_borders


def _entries(data: bytes) -> list[zipfile.ZipInfo]:
    return zipfile.ZipFile(io.BytesIO(data)).infolist()


def test_packages_have_fixed_times_and_dates():
    book = Workbook()
    book.active["A1"] = "县"
    data = workbook_bytes(book)
    assert all(info.date_time == FIXED_TIME for info in _entries(data))
    core = zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml").decode()
    assert core.count(DOCUMENT_DATE) == 2
    assert load_workbook(io.BytesIO(data)).active["A1"].value == "县"
    doc = Document()
    doc.add_paragraph("百村")
    assert document_bytes(doc) == document_bytes(doc)
    assert normalise_package(data) == data  # idempotent


def test_a_workbook_saved_through_a_file_has_the_bytes_of_workbook_bytes(tmp_path, monkeypatch):
    import analysis.office.package as package

    monkeypatch.setattr(package, "_CHUNK", 1024)  # a sheet copied in many chunks

    def book() -> Workbook:
        wb = Workbook(write_only=True)
        # its own dates fixed: two books made a second apart would differ in them
        wb.properties.created = wb.properties.modified = datetime(2026, 1, 2, 3, 4, 5)
        sheet = wb.create_sheet("问题")
        for i in range(2000):
            sheet.append([f"uuid:{i:06d}", "年龄超出范围", i * 7 % 113])
        return wb

    for date in (DOCUMENT_DATE, None):
        saved = save_workbook(book(), tmp_path / "book.xlsx", document_date=date)
        assert saved.read_bytes() == workbook_bytes(book(), document_date=date)
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]  # no temporary file left


def test_a_workbook_can_keep_its_own_dates():
    import datetime as dt

    book = Workbook()
    book.properties.created = book.properties.modified = dt.datetime(2024, 1, 1)
    data = workbook_bytes(book, document_date=None)
    core = zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml").decode()
    assert core.count("2024-01-01T00:00:00Z") == 2 and DOCUMENT_DATE not in core
    assert all(info.date_time == FIXED_TIME for info in _entries(data))


def test_borders_and_children_are_found_or_added_once():
    doc = Document()
    table = doc.add_table(rows=1, cols=2)
    set_table_borders(table, size=4)
    set_table_borders(table, size=8, color="808080")
    borders = table._tbl.tblPr.findall(qn("w:tblBorders"))
    assert len(borders) == 1 and len(borders[0]) == 6
    assert {b.get(qn("w:sz")) for b in borders[0]} == {"8"}
    set_borders(borders[0], {"insideH": None})
    assert borders[0].find(qn("w:insideH")).get(qn("w:val")) == "nil"
    assert get_or_add(table._tbl.tblPr, "w:tblBorders") is borders[0]


def test_text_width_counts_chinese_twice():
    assert text_width("") == 0
    assert text_width("比例 share") == 10


def test_field_lists_are_deterministic(tmp_path):
    from analysis.sampling import write_field_lists

    villages = pd.DataFrame({"county": ["甲县"], "village": ["v1"]})
    first = write_field_lists(villages, None, tmp_path / "a.xlsx").read_bytes()
    second = write_field_lists(villages, None, tmp_path / "b.xlsx").read_bytes()
    assert first == second
    assert all(info.date_time == FIXED_TIME for info in _entries(first))


def test_one_definition_of_the_tidy_columns():
    from analysis.charts import estimates as chart_columns
    from analysis.estimate import tidy, waves

    assert chart_columns.ESTIMATE_COLUMNS is tidy.ESTIMATE_COLUMNS
    assert chart_columns.CHANGE_COLUMNS is tidy.CHANGE_COLUMNS is waves.CHANGE_COLUMNS
