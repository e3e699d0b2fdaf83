"""The validation report: an XLSX workbook and a self-contained HTML page.

* XLSX: a summary sheet (概览), one sheet per check family that found something (in
  the order of :data:`~analysis.validate.settings.CHECKS`), and the enumerator summary
  (调查员汇总). Headers are bilingual (``问卷 instrument``). A sheet stops at Excel's
  row limit with a last row saying how many issues were left out.
* HTML: one file with inline styles and no external resource, Chinese headings, the
  summary, the enumerator table and each check's issues (the first ``max_rows``).

Both are deterministic: the same result gives the same bytes (no timestamps).

Examples
--------
>>> import tempfile, pathlib
>>> from analysis.validate.issues import empty_issues
>>> from analysis.validate.enumerators import ENUMERATOR_COLUMNS
>>> result = ValidationResult("household", empty_issues(), pd.DataFrame({c: [] for c in ENUMERATOR_COLUMNS}),
...                           {"main": 0})
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> paths = write_report(result, folder)
>>> sorted(p.name for p in paths.values())
['validation.html', 'validation.xlsx']
>>> "数据质量检查报告" in paths["html"].read_text(encoding="utf-8")
True
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from ..errors import ValidationError
from ..office.package import workbook_bytes
from .enumerators import ENUMERATOR_COLUMNS
from .issues import ISSUE_COLUMNS
from .settings import CHECKS
from .validation import ValidationResult

__all__ = [
    "CHECK_TITLES",
    "COLUMN_TITLES",
    "write_html_report",
    "write_report",
    "write_xlsx_report",
]

#: Check family -> (zh, en) title, used for sheet names and headings.
CHECK_TITLES = {
    "read": ("读取问题", "Reading"),
    "type": ("类型错误", "Types"),
    "choice": ("选项代码", "Choices"),
    "constraint": ("约束条件", "Constraints"),
    "required": ("必答题漏答", "Required"),
    "relevance": ("跳答错误", "Skips"),
    "calculation": ("计算值", "Calculations"),
    "structure": ("数据结构", "Structure"),
    "duplicate": ("重复记录", "Duplicates"),
    "near_duplicate": ("疑似重复", "Near duplicates"),
    "outlier": ("异常值", "Outliers"),
    "missing_code": ("缺失码", "Missing codes"),
    "duration": ("访问时长", "Duration"),
    "enumerator": ("调查员提示", "Enumerator flags"),
    "consistency": ("问卷间一致性", "Consistency"),
    "panel": ("追踪样本", "Panel"),
    "pii": ("个人信息", "Personal data"),
    "settings": ("设置", "Settings"),
}

#: Column -> bilingual header.
COLUMN_TITLES = {
    "instrument": "问卷 instrument",
    "table": "表 table",
    "key": "编号 key",
    "record": "记录 record",
    "source_row": "行号 row",
    "enumerator": "调查员 enumerator",
    "variable": "变量 variable",
    "check": "检查 check",
    "code": "代码 code",
    "severity": "严重程度 severity",
    "value": "值 value",
    "message": "说明 message",
    "rule": "规则 rule",
    "confirmed": "已核实 confirmed",
    "title": "问题 problem",
    "issues": "条数 issues",
    "records": "记录数 records",
    "interviews": "访问数 interviews",
    "days": "工作天数 days",
    "interviews_per_day": "日均访问 per day",
    "most_in_a_day": "单日最多 most in a day",
    "first_day": "第一天 first day",
    "last_day": "最后一天 last day",
    "median_minutes": "时长中位数（分钟）median minutes",
    "short_interviews": "过短访问 short",
    "missing_code_rate": "不知道/拒答比例 missing-code rate",
    "duplicates": "重复记录 duplicates",
    "errors": "错误 errors",
    "warnings": "警告 warnings",
    "issues_per_interview": "每次访问问题数 issues per interview",
}

_SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
_EXCEL_ROWS = 1_048_576
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _combined(results: ValidationResult | Iterable[ValidationResult]) -> ValidationResult:
    if isinstance(results, ValidationResult):
        return results
    return ValidationResult.combine(results)


def _cell_value(value):
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _sheet(wb: Workbook, title: str, frame: pd.DataFrame, columns: list[str]) -> None:
    ws = wb.create_sheet(title=title[:31])
    header = []
    for c in columns:
        cell = WriteOnlyCell(ws, value=COLUMN_TITLES.get(c, c))
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        header.append(cell)
    ws.append(header)
    limit = _EXCEL_ROWS - 2
    shown = frame.iloc[:limit]
    for row in shown[columns].itertuples(index=False, name=None):
        ws.append([_cell_value(v) for v in row])
    if len(frame) > limit:
        ws.append(
            [
                f"其余 {len(frame) - limit} 条未列出（超出Excel行数上限） / {len(frame) - limit} more not listed (Excel row limit)"
            ]
        )


def _write(path: Path, data: bytes) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise ValidationError(
            "VAL020",
            f"cannot write the validation report ({exc.strerror or exc})",
            file=str(path),
            hint="Check that the folder exists and is writable, and close the file if Excel has it open.",
        ) from None
    return path


def _summary_frame(result: ValidationResult) -> pd.DataFrame:
    summary = result.summary()
    if len(summary):
        summary["check"] = summary["check"].map(lambda c: CHECK_TITLES.get(c, (c, c))[0])
        summary["severity"] = summary["severity"].map(lambda s: _SEVERITY_ZH.get(s, s))
    return summary


def write_xlsx_report(
    results: ValidationResult | Iterable[ValidationResult], path: str | Path
) -> Path:
    """Write the XLSX report (summary, a sheet per check, enumerator summary) to ``path``."""
    result = _combined(results)
    wb = Workbook(write_only=True)
    wb.properties.creator = "baicun"
    counts = pd.DataFrame(
        [{"table": t, "records": n} for t, n in result.counts.items()], columns=["table", "records"]
    )
    _sheet(
        wb,
        "概览",
        _summary_frame(result),
        ["instrument", "check", "code", "severity", "title", "issues", "records"],
    )
    for check, part in result.by_check().items():
        _sheet(wb, CHECK_TITLES.get(check, (check, check))[0], part, list(ISSUE_COLUMNS))
    _sheet(wb, "调查员汇总", result.enumerators, list(ENUMERATOR_COLUMNS))
    _sheet(wb, "记录数", counts, ["table", "records"])
    return _write(Path(path), workbook_bytes(wb))


_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2em;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.25em .5em;vertical-align:top;text-align:left}
th{background:#ddebf7}tr.error td.sev{color:#b00020;font-weight:bold}
tr.warning td.sev{color:#a05a00}tr.info td.sev{color:#555}p.note{color:#555;font-size:.85em}
"""


def _table_html(frame: pd.DataFrame, columns: list[str], severity: bool = False) -> str:
    head = "".join(f"<th>{html.escape(COLUMN_TITLES.get(c, c))}</th>" for c in columns)
    rows = []
    for record in frame[columns].itertuples(index=False, name=None):
        values = dict(zip(columns, record, strict=True))
        cells = []
        for c in columns:
            v = values[c]
            text = "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)
            if c == "severity":
                text = _SEVERITY_ZH.get(text, text)
            cls = ' class="sev"' if c == "severity" else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        cls = f' class="{html.escape(str(values.get("severity", "")))}"' if severity else ""
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _instruments(result: ValidationResult) -> str:
    if result.instrument != "*":
        return result.instrument
    names = dict.fromkeys(k.split(".", 1)[0] for k in result.counts)
    return "、".join(names) or "无"


def write_html_report(
    results: ValidationResult | Iterable[ValidationResult],
    path: str | Path,
    *,
    title: str = "数据质量检查报告",
    max_rows: int = 200,
) -> Path:
    """Write the self-contained HTML report to ``path`` (each check's first ``max_rows`` issues)."""
    result = _combined(results)
    issues = result.issues
    n_err = (
        int(((issues["severity"] == "error") & ~issues["confirmed"]).sum()) if len(issues) else 0
    )
    n_warn = (
        int(((issues["severity"] == "warning") & ~issues["confirmed"]).sum()) if len(issues) else 0
    )
    records = "，".join(f"{html.escape(t)} {n} 条" for t, n in result.counts.items())
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>问卷：{html.escape(_instruments(result))}；记录数：{records or '无'}。</p>",
        f"<p>共发现错误 {n_err} 条、警告 {n_warn} 条（已核实的不计入）。</p>",
        "<h2>一、概览</h2>",
    ]
    summary = _summary_frame(result)
    if len(summary):
        parts.append(
            _table_html(
                summary, ["instrument", "check", "code", "severity", "title", "issues", "records"]
            )
        )
    else:
        parts.append("<p>没有发现问题。</p>")
    parts.append("<h2>二、调查员汇总</h2>")
    if len(result.enumerators):
        parts.append(_table_html(result.enumerators, list(ENUMERATOR_COLUMNS)))
    else:
        parts.append("<p>没有调查员信息。</p>")
    parts.append("<h2>三、各项检查</h2>")
    shown_columns = [
        "instrument",
        "key",
        "source_row",
        "enumerator",
        "variable",
        "severity",
        "value",
        "message",
        "rule",
    ]
    for number, (check, part) in enumerate(result.by_check().items(), start=1):
        zh, en = CHECK_TITLES.get(check, (check, check))
        parts.append(f"<h3>{number}. {html.escape(zh)}（{html.escape(en)}）</h3>")
        parts.append(_table_html(part.iloc[:max_rows], shown_columns, severity=True))
        if len(part) > max_rows:
            parts.append(
                f'<p class="note">共 {len(part)} 条，仅列出前 {max_rows} 条；完整清单见 XLSX 报告。</p>'
            )
    order = [c for c in CHECKS if c in CHECK_TITLES]
    parts.append(f'<p class="note">检查项目：{"、".join(CHECK_TITLES[c][0] for c in order)}。</p>')
    parts.append("</body></html>")
    return _write(Path(path), "\n".join(parts).encode("utf-8"))


def write_report(
    results: ValidationResult | Iterable[ValidationResult],
    folder: str | Path,
    *,
    stem: str = "validation",
) -> dict[str, Path]:
    """Write ``<stem>.xlsx`` and ``<stem>.html`` into ``folder``; returns their paths."""
    result = _combined(results)
    folder = Path(folder)
    return {
        "xlsx": write_xlsx_report(result, folder / f"{stem}.xlsx"),
        "html": write_html_report(result, folder / f"{stem}.html"),
    }
