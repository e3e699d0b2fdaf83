"""The validation report: an XLSX workbook and a self-contained HTML page.

* XLSX: the summaries first (问题汇总: one row per problem, see
  :func:`~analysis.validate.summary.issue_summary`; 题目汇总: one row per question), then
  the overview by code (概览), one sheet per check family that found something (in the
  order of :data:`~analysis.validate.settings.CHECKS`), the enumerator summary (调查员汇总)
  and the record counts. Headers are bilingual (``问卷 instrument``). A sheet stops at
  Excel's row limit with a last row saying how many issues were left out.
* HTML: one file rendered from ``templates/validation.<lang>.html`` (Jinja2, autoescaped;
  the page and the table macro shared in ``_page.html`` and ``_table.html``) with inline
  styles and no external resource, in the run's language: the summary by problem, the
  summary by question (the first ``max_questions``), the enumerator table and each
  check's issues (the first ``max_rows``).

Both are in one language, the run's (``ValidationResult.language``, the study's
language): sheet names, headers, headings and notes. Both are deterministic: the same
result gives the same bytes (no timestamps).

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

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from pandas.api.types import union_categoricals

from ..errors import ValidationError
from ..format import pct
from ..office.package import save_workbook
from .enumerators import ENUMERATOR_COLUMNS
from .issues import ISSUE_COLUMNS
from .settings import CHECKS
from .summary import (
    QUESTION_COLUMNS,
    SUMMARY_COLUMNS,
    issue_summary,
    question_summary,
    record_totals,
)
from .validation import ValidationResult

__all__ = [
    "CHECK_TITLES",
    "COLUMN_TITLES",
    "combine_compact",
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
    "share": "占比 share",
    "question_count": "题目数 questions",
    "questions": "涉及题目 questions concerned",
    "example_key": "示例编号 example key",
    "example_question": "示例题目 example question",
    "example_value": "示例值 example value",
    "example_message": "示例说明 example message",
    "question": "题目 question",
}

_SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
_TITLE_SPLIT = re.compile(r"^(?P<zh>[^A-Za-z]*?)\s*(?P<en>[A-Za-z].*)$")

#: Words of the report in each language (the run's language: one per report).
_WORDS = {
    "zh": {
        "title": "数据质量检查报告",
        "problems": "问题汇总",
        "questions": "题目汇总",
        "overview": "概览",
        "enumerators": "调查员汇总",
        "records": "记录数",
        "left_out": "其余 {n} 条未列出（超出Excel行数上限）",
        "no_question": "（不针对具体题目）",
    },
    "en": {
        "title": "Data quality report",
        "problems": "Problems",
        "questions": "Questions",
        "overview": "Overview",
        "enumerators": "Enumerators",
        "records": "Records",
        "left_out": "{n} more not listed (Excel row limit)",
        "no_question": "(not about one question)",
    },
}


def _lang(language: str | None) -> str:
    return "en" if language == "en" else "zh"


def column_title(column: str, lang: str = "zh") -> str:
    """A column's header in one language (``问卷`` or ``instrument``).

    Examples
    --------
    >>> column_title("instrument"), column_title("median_minutes", "en")
    ('问卷', 'median minutes')
    """
    title = COLUMN_TITLES.get(column, column)
    m = _TITLE_SPLIT.match(title)
    if not m or not m.group("zh"):
        return title
    return m.group("en") if lang == "en" else m.group("zh")


_EXCEL_ROWS = 1_048_576
#: Rows of the issues table taken at a time to fill a sheet (a check's issues are not
#: copied whole: a wave of a million households can log millions).
_CHUNK_ROWS = 50_000
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


#: The columns :meth:`ValidationResult.summary` groups by (the overview by code).
_OVERVIEW_GROUPS = ["instrument", "check", "code", "severity"]


def combine_compact(
    results: Iterable[ValidationResult],
) -> tuple[ValidationResult, pd.DataFrame]:
    """Several results as one, as :meth:`ValidationResult.combine` gives them but in less
    memory, and the overview by code of that combination (its ``summary()``).

    ``combine`` stacks the issues tables; a categorical column whose categories differ
    between the tables becomes a column of text, a copy of every value (a million
    households log millions of issues). Here it stays categorical, its categories
    united: the same values, in the same rows, at a fraction of the memory. The overview
    groups the columns as ``combine`` gives them (its order follows their type).

    Examples
    --------
    >>> from analysis.validate.issues import empty_issues
    >>> def one(name, check):
    ...     issues = pd.concat([empty_issues(), pd.DataFrame({"instrument": [name],
    ...         "check": [check], "code": ["VAL120"], "severity": ["error"], "record": ["r1"]})])
    ...     return ValidationResult(name, issues.astype({"check": "category"}), pd.DataFrame())
    >>> result, overview = combine_compact([one("hh", "constraint"), one("pp", "choice")])
    >>> result.issues["check"].tolist(), result.issues["check"].dtype.name
    (['constraint', 'choice'], 'category')
    >>> overview[["instrument", "check", "issues"]].values.tolist()
    [['hh', 'constraint', 1], ['pp', 'choice', 1]]
    """
    results = list(results)
    frames = [r.issues for r in results]
    columns = list(frames[0].columns) if frames else []
    if len(frames) < 2 or any(list(f.columns) != columns for f in frames):
        combined = ValidationResult.combine(results)
        return combined, combined.summary()
    issues = pd.DataFrame({c: _stacked([f[c] for f in frames]) for c in columns})
    empty = [replace(r, issues=r.issues.iloc[:0]) for r in results]
    combined = replace(ValidationResult.combine(empty), issues=issues)
    grouped = {c: pd.concat([f[c] for f in frames], ignore_index=True) for c in _OVERVIEW_GROUPS}
    # the records concerned are counted the same in either type
    overview = replace(combined, issues=pd.DataFrame({**grouped, "record": issues["record"]}))
    return combined, overview.summary()


def _stacked(parts: list[pd.Series]) -> pd.Series:
    """One column of several tables: categorical with united categories when every part
    is categorical, as ``pd.concat`` stacks it otherwise."""
    dtypes = [p.dtype for p in parts]
    if (
        all(isinstance(d, pd.CategoricalDtype) for d in dtypes)
        and len(set(dtypes)) > 1
        and len({d.categories.dtype for d in dtypes}) == 1
    ):
        return pd.Series(union_categoricals(parts, ignore_order=True), copy=False)
    return pd.concat(parts, ignore_index=True)


class _Summaries(NamedTuple):
    """What both reports show of a result: the overview by code (``summary()``), the
    summaries by problem and by question."""

    overview: pd.DataFrame
    problems: pd.DataFrame
    by_question: pd.DataFrame


def _combined(
    results: ValidationResult | Iterable[ValidationResult],
    overview: pd.DataFrame | None = None,
) -> tuple[ValidationResult, _Summaries]:
    """The result to report and its summaries."""
    if isinstance(results, ValidationResult):
        result = results
        overview = result.summary() if overview is None else overview
    else:
        result, overview = combine_compact(results)
    return result, _Summaries(overview, _problems(result), _by_question(result))


def _cell_value(value):
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _check_positions(issues: pd.DataFrame) -> Iterator[tuple[str, np.ndarray]]:
    """Each check's issues as their positions in ``issues``, in report order: the rows of
    :meth:`ValidationResult.by_check`, without a copy of each check's issues.

    Examples
    --------
    >>> issues = pd.DataFrame({"check": ["pii", "choice", "pii"]})
    >>> [(c, p.tolist()) for c, p in _check_positions(issues)]
    [('choice', [1]), ('pii', [0, 2])]
    """
    codes, found = pd.factorize(issues["check"]) if len(issues) else (np.array([]), [])
    index = {c: i for i, c in enumerate(found)}
    for check in CHECKS:
        if check in index:
            yield check, np.flatnonzero(codes == index[check])


def _rows(
    frame: pd.DataFrame, columns: list[str], positions: np.ndarray | None, limit: int
) -> Iterator[tuple[Any, ...]]:
    """The first ``limit`` rows of ``frame`` (or of its rows at ``positions``), a chunk
    of rows at a time."""
    count = min(limit, len(frame) if positions is None else len(positions))
    for start in range(0, count, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, count)
        chunk = frame.iloc[start:stop] if positions is None else frame.take(positions[start:stop])
        yield from chunk[columns].itertuples(index=False, name=None)


def _sheet(
    wb: Workbook,
    title: str,
    frame: pd.DataFrame,
    columns: list[str],
    formats: dict[str, str] | None = None,
    lang: str = "zh",
    positions: np.ndarray | None = None,
) -> None:
    """A sheet of ``frame``'s rows (or of those at ``positions``), up to Excel's limit."""
    ws = wb.create_sheet(title=title[:31])
    header = []
    for c in columns:
        cell = WriteOnlyCell(ws, value=column_title(c, lang))
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        header.append(cell)
    ws.append(header)
    limit = _EXCEL_ROWS - 2
    formatted = [(formats or {}).get(c) for c in columns]
    for row in _rows(frame, columns, positions, limit):
        values = [_cell_value(v) for v in row]
        if formats:
            values = [_formatted(ws, v, f) for v, f in zip(values, formatted, strict=True)]
        ws.append(values)
    total = len(frame) if positions is None else len(positions)
    if total > limit:
        ws.append([_WORDS[lang]["left_out"].format(n=total - limit)])


def _formatted(ws: Any, value: Any, number_format: str | None) -> Any:
    if number_format is None or value is None:
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = number_format
    return cell


def _write(path: Path, data: bytes | Workbook | None) -> Path:
    """Write the page's bytes, or the workbook (through a temporary file), to ``path``;
    ``None`` only makes its folder (before a workbook is filled)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        elif data is not None:
            save_workbook(data, path)
    except OSError as exc:
        raise ValidationError(
            "VAL020",
            f"cannot write the validation report ({exc.strerror or exc})",
            file=str(path),
            hint="Check that the folder exists and is writable, and close the file if Excel has it open.",
        ) from None
    return path


def _in_language(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """``check`` and ``severity`` as their names in the report language (for display)."""
    if len(frame):
        frame = frame.copy()
        i = 1 if lang == "en" else 0
        frame["check"] = frame["check"].map(lambda c: CHECK_TITLES.get(c, (c, c))[i])
        if lang != "en":
            frame["severity"] = frame["severity"].map(lambda s: _SEVERITY_ZH.get(s, s))
    return frame


def _problems(result: ValidationResult) -> pd.DataFrame:
    return issue_summary(result.issues, record_totals(result), language=result.language)


def _by_question(result: ValidationResult) -> pd.DataFrame:
    return question_summary(result.issues, record_totals(result))


#: Columns of the summary by problem, and by question, as the reports show them.
_PROBLEM_COLUMNS = [c for c in SUMMARY_COLUMNS if c != "question_count"]
_QUESTION_SHOWN = list(QUESTION_COLUMNS)
_SHARE_FORMAT = {"share": "0.0%"}


def _without_instrument(columns: list[str], result: ValidationResult) -> list[str]:
    return columns if result.instrument == "*" else [c for c in columns if c != "instrument"]


def write_xlsx_report(
    results: ValidationResult | Iterable[ValidationResult], path: str | Path
) -> Path:
    """Write the XLSX report (summaries, overview, a sheet per check, enumerators) to ``path``."""
    return _xlsx_report(*_combined(results), path)


def _xlsx_report(result: ValidationResult, summaries: _Summaries, path: str | Path) -> Path:
    """:func:`write_xlsx_report` of one result, its summaries given."""
    _write(Path(path), None)  # a folder that cannot be made, before the workbook is filled
    wb = Workbook(write_only=True)
    wb.properties.creator = "baicun"
    counts = pd.DataFrame(
        [{"table": t, "records": n} for t, n in result.counts.items()], columns=["table", "records"]
    )
    lang = _lang(result.language)
    words = _WORDS[lang]
    problems = _in_language(summaries.problems, lang)
    _sheet(wb, words["problems"], problems, _PROBLEM_COLUMNS, _SHARE_FORMAT, lang)
    _sheet(wb, words["questions"], summaries.by_question, _QUESTION_SHOWN, _SHARE_FORMAT, lang)
    _sheet(
        wb,
        words["overview"],
        _in_language(summaries.overview, lang),
        ["instrument", "check", "code", "severity", "title", "issues", "records"],
        lang=lang,
    )
    for check, positions in _check_positions(result.issues):
        name = CHECK_TITLES.get(check, (check, check))[1 if lang == "en" else 0]
        _sheet(wb, name, result.issues, list(ISSUE_COLUMNS), lang=lang, positions=positions)
    _sheet(wb, words["enumerators"], result.enumerators, list(ENUMERATOR_COLUMNS), lang=lang)
    _sheet(wb, words["records"], counts, ["table", "records"], lang=lang)
    return _write(Path(path), wb)


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("analysis.validate", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


_NUMBERS = {"issues", "records", "errors", "warnings", "share", "question_count"}


def _text(column: str, value: Any, lang: str = "zh") -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "—" if column == "share" else ""
    if column == "share":
        return pct(value)
    if column == "severity" and lang != "en":
        return _SEVERITY_ZH.get(str(value), str(value))
    return str(value)


def _table(
    frame: pd.DataFrame, columns: list[str], severity: bool = False, lang: str = "zh"
) -> dict[str, Any]:
    """A table for the template: header titles and rows of cells (text and CSS class)."""
    rows = []
    for record in frame[columns].itertuples(index=False, name=None):
        values = dict(zip(columns, record, strict=True))
        cells = []
        for c in columns:
            text = _text(c, values[c], lang)
            if c == "question" and text == "":
                text = _WORDS[lang]["no_question"]
            cls = "sev" if c == "severity" else "num" if c in _NUMBERS else ""
            cells.append({"text": text, "cls": cls})
        cls = str(values.get("severity", "")) if severity else ""
        rows.append({"cls": cls, "cells": cells})
    return {"titles": [column_title(c, lang) for c in columns], "rows": rows}


def _instruments(result: ValidationResult, lang: str = "zh") -> str:
    if result.instrument != "*":
        return result.instrument
    names = dict.fromkeys(k.split(".", 1)[0] for k in result.counts)
    if lang == "en":
        return ", ".join(names) or "none"
    return "、".join(names) or "无"


def _unconfirmed(issues: pd.DataFrame, severity: str) -> int:
    if not len(issues):
        return 0
    return int(((issues["severity"] == severity) & ~issues["confirmed"]).sum())


def write_html_report(
    results: ValidationResult | Iterable[ValidationResult],
    path: str | Path,
    *,
    title: str | None = None,
    max_rows: int = 200,
    max_questions: int = 50,
) -> Path:
    """Write the self-contained HTML report to ``path``, in the run's language.

    The summary by problem comes first, then the summary by question (its first
    ``max_questions`` rows), the enumerators, and each check's first ``max_rows`` issues.
    Headings, headers and notes are in the language of the validation messages
    (``ValidationResult.language``: the study's language), not both.
    """
    result, summaries = _combined(results)
    return _html_report(result, summaries, path, title, max_rows, max_questions)


def _html_report(
    result: ValidationResult,
    summaries: _Summaries,
    path: str | Path,
    title: str | None = None,
    max_rows: int = 200,
    max_questions: int = 50,
) -> Path:
    """:func:`write_html_report` of one result, its summaries given."""
    lang = _lang(result.language)
    issues = result.issues
    problems, by_question = summaries.problems, summaries.by_question
    problem_columns = _without_instrument(_PROBLEM_COLUMNS, result)
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
    i = 1 if lang == "en" else 0
    checks = []
    for check, positions in _check_positions(issues):
        name = CHECK_TITLES.get(check, (check, check))[i]
        shown = issues.take(positions[:max_rows])
        table = _table(shown, shown_columns, severity=True, lang=lang)
        checks.append({"name": name, "table": table, "total": len(positions)})
    order = [c for c in CHECKS if c in CHECK_TITLES]
    sep = ", " if lang == "en" else "，"
    unit = "" if lang == "en" else " 条"
    context = {
        "lang": lang,
        "title": title or _WORDS[lang]["title"],
        "instruments": _instruments(result, lang),
        "records": sep.join(f"{t} {n}{unit}" for t, n in result.counts.items()),
        "errors": _unconfirmed(issues, "error"),
        "warnings": _unconfirmed(issues, "warning"),
        "issues": len(issues),
        "summary": (
            _table(
                problems.assign(check=_in_language(problems, lang)["check"]),
                problem_columns,
                severity=True,
                lang=lang,
            )
            if len(problems)
            else None
        ),
        "questions": (
            _table(
                by_question.iloc[:max_questions],
                _without_instrument(_QUESTION_SHOWN, result),
                lang=lang,
            )
            if len(by_question)
            else None
        ),
        "questions_total": len(by_question),
        "enumerators": (
            _table(result.enumerators, list(ENUMERATOR_COLUMNS), lang=lang)
            if len(result.enumerators)
            else None
        ),
        "checks": checks,
        "check_names": (", " if lang == "en" else "、").join(CHECK_TITLES[c][i] for c in order),
    }
    page = _environment().get_template(f"validation.{lang}.html").render(context)
    return _write(Path(path), (page + "\n").encode("utf-8"))


def write_report(
    results: ValidationResult | Iterable[ValidationResult],
    folder: str | Path,
    *,
    stem: str = "validation",
    overview: pd.DataFrame | None = None,
) -> dict[str, Path]:
    """Write ``<stem>.xlsx`` and ``<stem>.html`` into ``folder``; returns their paths.

    Several results are combined with :func:`combine_compact`. A result that is
    already such a combination comes with its ``overview`` (the overview by code that
    :func:`combine_compact` returns); the summaries are computed once for both reports.
    """
    result, summaries = _combined(results, overview)
    folder = Path(folder)
    return {
        "xlsx": _xlsx_report(result, summaries, folder / f"{stem}.xlsx"),
        "html": _html_report(result, summaries, folder / f"{stem}.html"),
    }
