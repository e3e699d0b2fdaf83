"""The validation report: the summaries first, then XLSX sheets per check and HTML details."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from validate_support import form, good_household, raw

from analysis.errors import ValidationError
from analysis.instrument import load_instrument
from analysis.readers import read_raw
from analysis.validate import (
    ENUMERATOR_COLUMNS,
    ISSUE_COLUMNS,
    ValidationResult,
    validate,
    write_html_report,
    write_report,
    write_xlsx_report,
)
from analysis.validate import report as report_module
from analysis.validate.report import combine_compact
from analysis.validate.summary import issue_summary, question_summary, record_totals


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    household = form(tmp_path_factory.mktemp("forms"))
    records = [good_household(i) for i in range(6)]
    records[1].update(age=160, double_age="320")
    records[2]["has_tv"] = "7"
    records[3]["notes"] = "电话13373044609"
    return validate(raw(records), household, name="household")


@pytest.fixture(scope="module")
def other(tmp_path_factory):
    """A second instrument whose issues' categories differ from ``result``'s."""
    household = form(tmp_path_factory.mktemp("forms"))
    records = [good_household(i) for i in range(5)]
    records[0]["age"] = 170
    records[3]["has_tv"] = "9"
    records[4]["notes"] = "电话13912345678"
    return validate(raw(records), household, name="villager")


def test_a_compact_combination_writes_the_reports_of_the_plain_one(
    result, other, tmp_path, monkeypatch
):
    monkeypatch.setattr(report_module, "_CHUNK_ROWS", 2)  # sheets filled over several chunks
    plain = ValidationResult.combine([result, other])
    compact, overview = combine_compact([result, other])
    assert plain.issues["message"].dtype == "str"  # categories differ: combine makes text
    assert isinstance(compact.issues["message"].dtype, pd.CategoricalDtype)
    assert compact.issues.astype(object).equals(plain.issues.astype(object))
    assert overview.equals(plain.summary())
    written = {
        "plain": write_report(plain, tmp_path / "plain"),
        "compact": write_report(compact, tmp_path / "compact", overview=overview),
        "list": write_report([result, other], tmp_path / "list"),
    }
    for kind in ("xlsx", "html"):
        expected = written["plain"][kind].read_bytes()
        assert written["compact"][kind].read_bytes() == expected
        assert written["list"][kind].read_bytes() == expected


def test_check_positions_are_the_rows_of_by_check(result, other):
    issues = ValidationResult.combine([result, other]).issues
    by_check = ValidationResult.combine([result, other]).by_check()
    found = dict(report_module._check_positions(issues))
    assert list(found) == list(by_check)
    for check, positions in found.items():
        assert issues.take(positions).reset_index(drop=True).equals(by_check[check])


def test_xlsx_has_a_sheet_per_check_and_the_enumerator_summary(result, tmp_path):
    path = write_xlsx_report(result, tmp_path / "validation.xlsx")
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == [
        "问题汇总",
        "题目汇总",
        "概览",
        "选项代码",
        "约束条件",
        "跳答错误",
        "个人信息",
        "调查员汇总",
        "记录数",
    ]
    rows = list(book["约束条件"].iter_rows(values_only=True))
    assert rows[0][:3] == ("问卷", "表", "编号")  # one language per run: the study's
    assert rows[1][2] == "H001" and rows[1][10] == "160"
    enumerators = list(book["调查员汇总"].iter_rows(values_only=True))
    assert [r[1] for r in enumerators[1:]] == ["101", "102"]


def test_html_is_self_contained_with_chinese_headings(result, tmp_path):
    path = write_html_report(result, tmp_path / "validation.html")
    text = path.read_text(encoding="utf-8")
    headings = ("数据质量检查报告", "一、概览", "二、按题目汇总", "三、调查员汇总", "四、各项检查")
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)  # the summary first, then the details
    assert "约束条件" in text and "涉及题目" in text and "questions concerned" not in text
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


def _issues(rows: list[dict]) -> pd.DataFrame:
    base = {c: "" for c in ISSUE_COLUMNS} | {"instrument": "hh", "table": "main"}
    rows = [base | {"source_row": 2, "confirmed": False} | r for r in rows]
    return pd.DataFrame(rows, columns=list(ISSUE_COLUMNS))


HAND_MADE = [
    # three constraint errors on two records and two questions
    {
        "key": "A",
        "variable": "age",
        "check": "constraint",
        "code": "VAL120",
        "severity": "error",
        "value": "160",
        "message": "年龄超出范围",
    },
    {
        "key": "A",
        "variable": "income",
        "check": "constraint",
        "code": "VAL120",
        "severity": "error",
        "value": "-5",
        "message": "收入为负",
    },
    {
        "key": "B",
        "variable": "age",
        "check": "constraint",
        "code": "VAL120",
        "severity": "error",
        "value": "200",
        "message": "年龄超出范围",
    },
    # an outlier warning, and a confirmed one (info)
    {
        "key": "C",
        "variable": "income",
        "check": "outlier",
        "code": "VAL140",
        "severity": "warning",
        "value": "90000",
        "message": "异常值",
    },
    {
        "key": "D",
        "variable": "income",
        "check": "outlier",
        "code": "VAL140",
        "severity": "info",
        "value": "80000",
        "message": "异常值",
        "confirmed": True,
    },
    # a column-level reader note (no record) and a duplicate (no question)
    {
        "variable": "phone",
        "check": "read",
        "code": "RD102",
        "severity": "warning",
        "message": "absent",
    },
    {
        "key": "B",
        "check": "duplicate",
        "code": "VAL131",
        "severity": "error",
        "value": "B",
        "message": "重复",
    },
]


def test_summary_counts_a_hand_made_issues_table():
    table = issue_summary(_issues(HAND_MADE), {"hh": 10})
    got = table[["check", "code", "severity", "issues", "records", "share", "question_count"]]
    assert got.values.tolist() == [
        ["constraint", "VAL120", "error", 3, 2, 0.2, 2],
        ["duplicate", "VAL131", "error", 1, 1, 0.1, 0],
        ["outlier", "VAL140", "warning", 1, 1, 0.1, 1],
        ["read", "RD102", "warning", 1, 0, 0.0, 1],
        ["outlier", "VAL140", "info", 1, 1, 0.1, 1],
    ]
    first = table.iloc[0]
    assert first["questions"] == "age (2)、income (1)"
    assert first["title"] == "不符合约束条件"
    assert [first[f"example_{c}"] for c in ("key", "question", "value", "message")] == [
        "A",
        "age",
        "160",
        "年龄超出范围",
    ]
    assert table["issues"].sum() == len(HAND_MADE)


def test_question_summary_counts_errors_warnings_and_records():
    table = question_summary(_issues(HAND_MADE), {"hh": 10})
    assert table.values.tolist() == [
        ["hh", "age", 2, 0, 2, 2, 0.2],
        ["hh", "income", 1, 1, 3, 3, 0.3],
        ["hh", "", 1, 0, 1, 1, 0.1],
        ["hh", "phone", 0, 1, 1, 0, 0.0],
    ]
    assert table["issues"].sum() == len(HAND_MADE)


def test_summary_of_no_issue_and_without_totals():
    assert issue_summary(_issues([])).empty and question_summary(_issues([])).empty
    assert issue_summary(_issues(HAND_MADE))["share"].isna().all()


def test_xlsx_summary_sheets_come_first_and_add_up(result, tmp_path):
    path = write_xlsx_report(result, tmp_path / "validation.xlsx")
    book = openpyxl.load_workbook(path)
    rows = list(book["问题汇总"].iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("问卷", "检查", "代码", "严重程度", "问题")
    issues = header.index("条数")
    assert sum(r[issues] for r in rows[1:]) == len(result.issues)
    assert {r[3] for r in rows[1:]} <= {"错误", "警告", "提示"}
    share = header.index("占比") + 1
    assert book["问题汇总"].cell(row=2, column=share).number_format == "0.0%"
    questions = list(book["题目汇总"].iter_rows(values_only=True))
    assert sum(r[4] for r in questions[1:]) == len(result.issues)


def test_several_instruments_keep_the_instrument_in_the_summary(result, tmp_path):
    other = ValidationResult(
        "other", result.issues.assign(instrument="other"), result.enumerators, result.counts
    )
    paths = write_report([result, other], tmp_path)
    book = openpyxl.load_workbook(paths["xlsx"], read_only=True)
    rows = list(book["问题汇总"].iter_rows(values_only=True))
    assert rows[0][0] == "问卷"
    assert {r[0] for r in rows[1:]} == {"household", "other"}


def test_an_english_run_writes_the_validation_report_in_english_only(result, tmp_path):
    import dataclasses
    import re

    english = dataclasses.replace(result, language="en")
    paths = write_report(english, tmp_path)
    text = paths["html"].read_text(encoding="utf-8")
    assert "Data quality report" in text and "1. Overview" in text and "Constraints" in text
    chinese = re.compile(r"[\u4e00-\u9fff]")
    headers = re.findall(r"<th>(.*?)</th>", text) + re.findall(r"<h[123]>(.*?)</h[123]>", text)
    assert headers and not any(chinese.search(h) for h in headers)
    book = openpyxl.load_workbook(paths["xlsx"], read_only=True)
    assert book.sheetnames[:3] == ["Problems", "Questions", "Overview"]
    assert not any(
        chinese.search(h or "") for h in next(book["Problems"].iter_rows(values_only=True))
    )


def test_html_escapes_what_the_data_says(tmp_path):
    nasty = "<script>alert('x')</script>"
    issues = _issues(
        [
            {
                "key": "<b>K</b>",
                "variable": "q&a",
                "check": "constraint",
                "code": "VAL120",
                "severity": "error",
                "value": nasty,
                "message": f"value {nasty}",
            }
        ]
    )
    enumerators = pd.DataFrame({c: [] for c in ENUMERATOR_COLUMNS})
    result = ValidationResult("hh", issues, enumerators, {"main": 1})
    text = write_html_report(result, tmp_path / "v.html", title="<i>T</i>").read_text("utf-8")
    assert "<script" not in text and "<b>K</b>" not in text and "<i>T</i>" not in text
    assert "&lt;script&gt;" in text and "&lt;b&gt;K&lt;/b&gt;" in text and "q&amp;a" in text


REACH_FORM = "xlsform/reach_impact/cleaningtools_reach_kobo_tool.xlsx"
REACH_DATA = "exports/reach_msna/cleaningtools_raw_data.csv"


@pytest.mark.realdata
def test_reach_summary_is_short_and_adds_up(realdata, tmp_path):
    form = load_instrument(realdata / REACH_FORM)
    result = validate(read_raw(realdata / REACH_DATA, form), form, name="msna")
    issues = result.issues
    table = issue_summary(issues, record_totals(result))
    assert len(issues) > 1000 and len(table) <= 20  # far fewer rows than issues
    assert table["issues"].sum() == len(issues)
    n = result.counts["main"]
    assert table["records"].max() <= n and table["share"].between(0, 1).all()
    by_question = question_summary(issues, record_totals(result))
    assert by_question["issues"].sum() == len(issues)
    assert (by_question["errors"] + by_question["warnings"] <= by_question["issues"]).all()
    text = write_html_report(result, tmp_path / "validation.html").read_text("utf-8")
    assert text.index("一、概览") < text.index("四、各项检查")
