"""The validation report: XLSX (sheet per check, enumerator summary) and HTML."""

from __future__ import annotations

import openpyxl
import pytest
from validate_support import form, good_household, raw

from analysis.errors import ValidationError
from analysis.validate import (
    ValidationResult,
    validate,
    write_html_report,
    write_report,
    write_xlsx_report,
)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    household = form(tmp_path_factory.mktemp("forms"))
    records = [good_household(i) for i in range(6)]
    records[1].update(age=160, double_age="320")
    records[2]["has_tv"] = "7"
    records[3]["notes"] = "电话13373044609"
    return validate(raw(records), household, name="household")


def test_xlsx_has_a_sheet_per_check_and_the_enumerator_summary(result, tmp_path):
    path = write_xlsx_report(result, tmp_path / "validation.xlsx")
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == [
        "概览",
        "选项代码",
        "约束条件",
        "跳答错误",
        "个人信息",
        "调查员汇总",
        "记录数",
    ]
    rows = list(book["约束条件"].iter_rows(values_only=True))
    assert rows[0][:3] == ("问卷 instrument", "表 table", "编号 key")
    assert rows[1][2] == "H001" and rows[1][10] == "160"
    enumerators = list(book["调查员汇总"].iter_rows(values_only=True))
    assert [r[1] for r in enumerators[1:]] == ["101", "102"]


def test_html_is_self_contained_with_chinese_headings(result, tmp_path):
    path = write_html_report(result, tmp_path / "validation.html")
    text = path.read_text(encoding="utf-8")
    for heading in ("数据质量检查报告", "一、概览", "二、调查员汇总", "三、各项检查", "约束条件"):
        assert heading in text
    assert "<script" not in text and "http" not in text  # nothing fetched from elsewhere
    assert "133****4609" in text and "13373044609" not in text


def test_reports_are_byte_identical_across_runs(result, tmp_path):
    first = write_report(result, tmp_path / "a")
    second = write_report(result, tmp_path / "b")
    for kind in ("xlsx", "html"):
        assert first[kind].read_bytes() == second[kind].read_bytes()


def test_several_instruments_in_one_report(result, tmp_path):
    paths = write_report([result, result], tmp_path)
    book = openpyxl.load_workbook(paths["xlsx"], read_only=True)
    summary = list(book["概览"].iter_rows(values_only=True))
    assert sum(r[5] for r in summary[1:]) == 2 * len(result.issues)


def test_unwritable_report_is_a_coded_error(result, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        write_xlsx_report(result, blocker / "validation.xlsx")
    assert err.value.code == "VAL020"


def test_empty_result_still_makes_a_report(tmp_path):
    paths = write_report(ValidationResult.combine([]), tmp_path)
    assert "没有发现问题" in paths["html"].read_text(encoding="utf-8")
