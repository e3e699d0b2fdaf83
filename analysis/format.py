"""Numbers as Chinese survey reports write them, and narrative filled from table rows.

Percentages ``53.2%``, counts with units ``1,234户``, intervals in brackets
``（95%置信区间：48.1%–58.3%）``, and change phrases that claim a change only
when the comparison flags it significant. Rounding is half-up (四舍五入) on the
decimal value, not Python's round-half-even on binary floats.

:func:`fill` writes narrative from a template whose every number is a
placeholder bound to an estimate-table row; a digit typed into the template is
an error, so the text cannot drift from the tables.

Examples
--------
>>> pct(0.5325)
'53.3%'
>>> count(1234, "户")
'1,234户'
>>> ci(0.481, 0.583)
'（95%置信区间：48.1%–58.3%）'
>>> change_phrase(0.032, True)
'比上年提高3.2个百分点'
>>> change_phrase(0.032, False)
'与上年基本持平'
>>> import pandas as pd
>>> est = pd.DataFrame({"county": ["全省"], "estimate": [0.532], "ci_low": [0.481],
...                     "ci_high": [0.583], "n": [1234]})
>>> fill("全省有线电视入户率达{tv:pct}{tv:ci}，调查{tv:n:户}。", tv=pick(est, county="全省"))
'全省有线电视入户率达53.2%（95%置信区间：48.1%–58.3%），调查1,234户。'
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from .errors import ReportError

__all__ = [
    "FORMAT_KINDS",
    "change_phrase",
    "ci",
    "ci_range",
    "count",
    "difference_phrase",
    "fill",
    "number",
    "p_value",
    "pct",
    "pick",
    "round_half_up",
    "signed",
    "tidy_punctuation",
]

MISSING = "—"
_DASH = "–"


def _is_missing(x: Any) -> bool:
    return x is None or (isinstance(x, float | np.floating) and math.isnan(x)) or x is pd.NA


def round_half_up(x: float, decimals: int = 1) -> Decimal:
    """Round half away from zero on the shortest decimal form of ``x`` (四舍五入).

    Examples
    --------
    >>> str(round_half_up(2.25, 1)), str(round_half_up(-2.25, 1)), str(round_half_up(0.125, 2))
    ('2.3', '-2.3', '0.13')
    """
    d = Decimal(repr(float(x)))
    q = Decimal(1).scaleb(-decimals)
    r = d.quantize(q, rounding=ROUND_HALF_UP)
    return r + 0  # drops a negative zero


def _fixed(x: float, decimals: int, *, thousands: bool = True) -> str:
    r = round_half_up(x, decimals)
    if r == 0:
        r = abs(r)
    return format(r, f"{',' if thousands else ''}.{decimals}f")


def pct(x: float, decimals: int = 1) -> str:
    """A proportion as a percentage: ``0.532 -> '53.2%'``; missing -> ``'—'``.

    Examples
    --------
    >>> pct(0.532), pct(1), pct(0.05, 0), pct(float("nan"))
    ('53.2%', '100.0%', '5%', '—')
    """
    if _is_missing(x):
        return MISSING
    return _fixed(float(x) * 100, decimals) + "%"


def number(x: float, decimals: int = 1, unit: str = "") -> str:
    """A number with thousands separators and an optional unit.

    Examples
    --------
    >>> number(3.456, 2, "分"), number(12345.67), number(-0.04)
    ('3.46分', '12,345.7', '0.0')
    """
    if _is_missing(x):
        return MISSING
    return _fixed(float(x), decimals) + unit


def count(x: float, unit: str = "") -> str:
    """A count with thousands separators and a unit: ``'1,234户'``, ``'86个'``.

    Examples
    --------
    >>> count(86, "个"), count(1234.4, "户"), count(2.5)
    ('86个', '1,234户', '3')
    """
    if _is_missing(x):
        return MISSING
    return _fixed(float(x), 0) + unit


def ci_range(low: float, high: float, *, percent: bool = True, decimals: int = 1) -> str:
    """An interval for a table cell: ``'48.1%–58.3%'``.

    Examples
    --------
    >>> ci_range(0.481, 0.583), ci_range(3.21, 3.67, percent=False, decimals=2)
    ('48.1%–58.3%', '3.21–3.67')
    """
    if _is_missing(low) or _is_missing(high):
        return MISSING
    f = pct if percent else number
    return f"{f(low, decimals)}{_DASH}{f(high, decimals)}"


def ci(
    low: float,
    high: float,
    *,
    percent: bool = True,
    decimals: int = 1,
    level: int = 95,
    lang: str = "zh",
) -> str:
    """An interval in brackets, as reports write it after an estimate.

    Examples
    --------
    >>> ci(0.481, 0.583)
    '（95%置信区间：48.1%–58.3%）'
    >>> ci(0.481, 0.583, lang="en")
    ' (95% CI: 48.1%–58.3%)'
    """
    inner = ci_range(low, high, percent=percent, decimals=decimals)
    if lang == "en":
        return f" ({level}% CI: {inner})"
    return f"（{level}%置信区间：{inner}）"


def _flag(significant: Any) -> bool:
    if _is_missing(significant):
        return False
    if isinstance(significant, bool | np.bool_):
        return bool(significant)
    if isinstance(significant, int | np.integer) and significant in (0, 1):
        return bool(significant)
    raise ReportError(
        "REP003",
        "the 'significant' flag of a comparison row is not true/false",
        expected="True or False (column 'significant' of a wave comparison)",
        found=repr(significant),
        hint="Pass the comparison table from analysis.estimate.waves unchanged.",
    )


def change_phrase(
    change: float,
    significant: Any,
    *,
    percent: bool = True,
    decimals: int = 1,
    unit: str = "",
    period: str = "上年",
    lang: str = "zh",
) -> str:
    """Words for a change: a rise or fall only when the comparison flags it significant.

    Parameters
    ----------
    change : float
        ``estimate_new - estimate_old`` (a difference of proportions when ``percent``).
    significant : bool
        The comparison's ``significant`` flag; anything but True reads as no change.
    percent : bool
        Proportions: the change is said in percentage points (个百分点).
    unit : str
        Unit of a non-percent change (``'分'``, ``'元'``).
    period : str
        What is compared with (``'上年'``, ``'上一轮调查'``).

    Examples
    --------
    >>> change_phrase(-0.0149, True)
    '比上年降低1.5个百分点'
    >>> change_phrase(0.3, True, percent=False, unit="分", period="上一轮调查")
    '比上一轮调查提高0.3分'
    >>> change_phrase(0.2, False, percent=False)
    '与上年基本持平'
    >>> change_phrase(0.032, True, lang="en")
    'up 3.2 percentage points on last year'
    """
    flagged = _flag(significant)
    if lang == "en":
        when = "last year" if period == "上年" else period
        if not flagged or _is_missing(change):
            return f"about the same as {when}"
        size = _fixed(abs(float(change)) * (100 if percent else 1), decimals)
        what = " percentage points" if percent else (f" {unit}" if unit else "")
        return f"{'up' if change > 0 else 'down'} {size}{what} on {when}"
    if not flagged or _is_missing(change):
        return f"与{period}基本持平"
    size = _fixed(abs(float(change)) * (100 if percent else 1), decimals)
    verb = "提高" if change > 0 else "降低"
    if float(size.replace(",", "")) == 0:
        return f"比{period}略有{verb}"
    return f"比{period}{verb}{size}{'个百分点' if percent else unit}"


def difference_phrase(
    first: str,
    second: str,
    difference: float,
    significant: Any,
    *,
    percent: bool = True,
    decimals: int = 1,
    unit: str = "",
    lang: str = "zh",
) -> str:
    """Words for "A is higher than B": a gap only when the comparison flags it significant.

    ``difference`` is ``A - B`` (e.g. ``analysis.estimate.difference(table, a, b)``, whose
    ``p_value`` gives the flag).

    Examples
    --------
    >>> difference_phrase("临夏县", "和政县", 0.032, True)
    '临夏县比和政县高3.2个百分点'
    >>> difference_phrase("临夏县", "和政县", -120.0, True, percent=False, unit="元")
    '临夏县比和政县低120.0元'
    >>> difference_phrase("临夏县", "和政县", 0.032, False)
    '临夏县与和政县差异不显著'
    >>> difference_phrase("A", "B", 0.032, True, lang="en")
    'A is 3.2 percentage points higher than B'
    """
    flagged = _flag(significant)
    if not flagged or _is_missing(difference):
        if lang == "en":
            return f"{first} and {second} do not differ significantly"
        return f"{first}与{second}差异不显著"
    size = _fixed(abs(float(difference)) * (100 if percent else 1), decimals)
    if lang == "en":
        what = " percentage points" if percent else (f" {unit}" if unit else "")
        return f"{first} is {size}{what} {'higher' if difference > 0 else 'lower'} than {second}"
    verb = "高" if difference > 0 else "低"
    if float(size.replace(",", "")) == 0:
        return f"{first}略{verb}于{second}"
    return f"{first}比{second}{verb}{size}{'个百分点' if percent else unit}"


def signed(change: float, *, percent: bool = True, decimals: int = 1) -> str:
    """A change for a table cell, with its sign: ``'+3.2'``, ``'-1.5'`` (points when percent).

    Examples
    --------
    >>> signed(0.032), signed(-0.015), signed(0.0), signed(1.25, percent=False)
    ('+3.2', '-1.5', '0.0', '+1.3')
    """
    if _is_missing(change):
        return MISSING
    text = _fixed(float(change) * (100 if percent else 1), decimals)
    return text if text.startswith("-") or float(text.replace(",", "")) == 0 else "+" + text


def p_value(p: float) -> str:
    """A p-value for a table: three decimals, ``'<0.001'`` below that.

    Examples
    --------
    >>> p_value(0.0234), p_value(0.00001)
    ('0.023', '<0.001')
    """
    if _is_missing(p):
        return MISSING
    return "<0.001" if p < 0.0005 else _fixed(float(p), 3)


# ---------------------------------------------------------------------------
# narrative from rows


_QUOTE_END = re.compile(r"([。！？!?.])”([。，；、：,;.])")


def tidy_punctuation(text: str) -> str:
    """Chinese punctuation after quotations, not doubled: ``“……。”。`` -> ``“……”。``.

    A full stop closing a quotation goes when the sentence's own punctuation follows
    the closing mark (``“……。”；`` -> ``“……”；``); a quotation ending in ``！`` or ``？``
    keeps it and the full stop after it goes (``“好！”。`` -> ``“好！”``).

    Examples
    --------
    >>> tidy_punctuation("回答有：“钱少事多。”；“经费不足。”。")
    '回答有：“钱少事多”；“经费不足”。'
    >>> tidy_punctuation("他说“好！”。然后走了。")
    '他说“好！”然后走了。'
    """

    def fix(m: re.Match) -> str:
        inner, outer = m.group(1), m.group(2)
        if inner in "。.":
            return f"”{outer}"
        return f"{inner}”" if outer in "。." else f"{inner}”{outer}"

    return _QUOTE_END.sub(fix, text)


def pick(table: pd.DataFrame, /, **where: Any) -> pd.Series:
    """The one row of an estimate table matching ``where`` (column=value pairs).

    Raises ``REP004`` unless exactly one row matches.

    Examples
    --------
    >>> t = pd.DataFrame({"county": ["甲县", "乙县"], "estimate": [0.4, 0.6]})
    >>> pick(t, county="乙县")["estimate"]
    np.float64(0.6)
    >>> pick(t, county="丙县")
    Traceback (most recent call last):
    ...
    analysis.errors.ReportError: [REP004] no row of the table has county='丙县'
      expected: exactly one matching row
      found: 0 rows; county takes: 甲县, 乙县
      what to do: Pick with a value the table holds (check the domain labels and level names).
    """
    if not isinstance(table, pd.DataFrame):
        raise ReportError(
            "REP004",
            "pick needs an estimate table (a DataFrame)",
            expected="pandas.DataFrame",
            found=type(table).__name__,
            hint="Pass the DataFrame returned by an analysis.estimate.estimators function.",
        )
    mask = pd.Series(True, index=table.index)
    for col, value in where.items():
        if col not in table.columns:
            raise ReportError(
                "REP004",
                f"the table has no column {col!r} to pick by",
                expected="one of " + ", ".join(map(str, table.columns)),
                found=col,
                hint="Pick by a domain column or 'level'.",
            )
        mask &= table[col] == value
    hits = table[mask]
    cond = ", ".join(f"{k}={v!r}" for k, v in where.items())
    if len(hits) != 1:
        takes = "; ".join(f"{k} takes: " + ", ".join(map(str, pd.unique(table[k]))) for k in where)
        raise ReportError(
            "REP004",
            f"{'no row' if len(hits) == 0 else f'{len(hits)} rows'} of the table "
            f"{'has' if len(hits) == 0 else 'have'} {cond}",
            expected="exactly one matching row",
            found=f"{len(hits)} rows; {takes}",
            hint=(
                "Pick with a value the table holds (check the domain labels and level names)."
                if len(hits) == 0
                else "Add the other domain columns (or 'level') to the pick."
            ),
        )
    return hits.iloc[0]


#: Format kinds of :func:`fill` placeholders, ``{name:kind[.decimals][:unit]}``.
FORMAT_KINDS: dict[str, str] = {
    "pct": "estimate as a percentage: 53.2%",
    "pct_ci": "percentage and its interval: 53.2%（95%置信区间：48.1%–58.3%）",
    "ci": "interval of a proportion in brackets: （95%置信区间：48.1%–58.3%）",
    "num": "estimate as a number, with unit: 3.5分",
    "num_ci": "number and its interval in brackets",
    "count": "estimate as a whole count, with unit: 1,234户",
    "n": "the row's sample size n, with unit: 1,234户",
    "pct_old": "estimate_old of a comparison as a percentage",
    "pct_new": "estimate_new of a comparison as a percentage",
    "num_old": "estimate_old as a number, with unit",
    "num_new": "estimate_new as a number, with unit",
    "change": "change of a proportion: 比上年提高3.2个百分点 only when significant",
    "change_num": "change of a number, with unit: 比上年提高0.3分 only when significant",
}

_SPEC = re.compile(r"^(?P<kind>[a-z_]+)(?:\.(?P<dec>\d))?(?::(?P<unit>.*))?$", re.DOTALL)
_DIGIT = re.compile(r"[0-9０-９]")
_ROW_COLUMNS = {
    "pct": ("estimate",),
    "pct_ci": ("estimate", "ci_low", "ci_high"),
    "ci": ("ci_low", "ci_high"),
    "num": ("estimate",),
    "num_ci": ("estimate", "ci_low", "ci_high"),
    "count": ("estimate",),
    "n": ("n",),
    "pct_old": ("estimate_old",),
    "pct_new": ("estimate_new",),
    "num_old": ("estimate_old",),
    "num_new": ("estimate_new",),
    "change": ("change", "significant"),
    "change_num": ("change", "significant"),
}
_SCALAR_KINDS = {"pct", "num", "count", "n", "pct_old", "pct_new", "num_old", "num_new"}


def _as_row(name: str, value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        if len(value) != 1:
            raise ReportError(
                "REP005",
                f"placeholder {name!r} was given a table of {len(value)} rows",
                expected="one row (a Series, a one-row DataFrame or a mapping)",
                found=f"{len(value)} rows",
                hint="Select the row with pick(table, column=value).",
            )
        return value.iloc[0]
    if isinstance(value, pd.Series | Mapping | str):
        return value
    if isinstance(value, int | float | np.number | Decimal) and not isinstance(value, bool):
        raise ReportError(
            "REP002",
            f"placeholder {name!r} was given a bare number ({value!r})",
            expected="an estimate-table row (pick(table, ...)); numbers in narrative come from tables",
            found=type(value).__name__,
            hint=(
                "Pass the row the number belongs to and choose the column with the format, "
                "e.g. {tv:pct} for its estimate or {tv:n:户} for its sample size."
            ),
        )
    raise ReportError(
        "REP005",
        f"placeholder {name!r} was given a {type(value).__name__}",
        expected="an estimate-table row or a text label",
        found=type(value).__name__,
        hint="Select the row with pick(table, column=value).",
    )


def _get(row: Any, column: str, field: str) -> Any:
    try:
        return row[column]
    except (KeyError, IndexError, TypeError):
        have = list(row.keys()) if hasattr(row, "keys") else []
        raise ReportError(
            "REP006",
            f"placeholder {field!r} needs column {column!r}, which its row does not have",
            expected=f"a row with {column}",
            found="columns " + ", ".join(map(str, have)),
            hint="Use a format that fits the table (see FORMAT_KINDS), e.g. change for comparisons.",
        ) from None


class _RowFormatter(string.Formatter):
    def __init__(self, lang: str, period: str) -> None:
        self.lang = lang
        self.period = period

    def get_value(self, key: Any, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, int) or key not in kwargs:
            raise ReportError(
                "REP007",
                f"placeholder {{{key}}} has no row",
                expected="a keyword argument of fill() with that name",
                found="names " + ", ".join(kwargs) if kwargs else "no rows",
                hint=f"Pass {key}=pick(table, ...) to fill().",
            )
        return _as_row(str(key), kwargs[key])

    def get_field(self, field_name: str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        first, rest = field_name.partition(".")[0], field_name.partition(".")[2]
        obj = self.get_value(first, args, kwargs)
        if rest:
            obj = _get(obj, rest, field_name)
        return obj, first

    def format_field(self, value: Any, format_spec: str) -> str:
        field = "{" + format_spec + "}"
        if format_spec == "":
            if isinstance(value, str):
                return value
            raise ReportError(
                "REP008",
                "a placeholder without a format would print a raw value",
                expected="{name:kind}, kind one of " + ", ".join(FORMAT_KINDS),
                found=repr(value)[:60],
                hint="Add the format, e.g. {tv:pct} or {villages:count:个}.",
            )
        m = _SPEC.match(format_spec)
        if not m or m["kind"] not in FORMAT_KINDS:
            raise ReportError(
                "REP008",
                f"unknown format {format_spec!r} in a placeholder",
                expected="kind[.decimals][:unit], kind one of " + ", ".join(FORMAT_KINDS),
                found=format_spec,
                hint="For example {tv:pct}, {score:num.2:分}, {n:count:户}, {tv_change:change}.",
            )
        kind, unit = m["kind"], m["unit"] or ""
        dec = int(m["dec"]) if m["dec"] is not None else (0 if kind in ("count", "n") else 1)
        is_row = isinstance(value, pd.Series | Mapping)
        if not is_row:
            if kind not in _SCALAR_KINDS or isinstance(value, str):
                raise ReportError(
                    "REP006",
                    f"format {kind!r} needs a whole row, not one value",
                    expected="an estimate-table row",
                    found=repr(value)[:60],
                    hint="Drop the .column part of the placeholder.",
                )
            vals = {c: value for c in _ROW_COLUMNS[kind]}
        else:
            vals = {c: _get(value, c, field) for c in _ROW_COLUMNS[kind]}
        for c, v in vals.items():
            if c != "significant" and _is_missing(v):
                raise ReportError(
                    "REP009",
                    f"the row's {c} is missing, so the sentence cannot state it",
                    expected="a number",
                    found="missing (NaN)",
                    hint="Check the estimate (too few cases in the domain?) or reword the text.",
                )
        en = self.lang == "en"
        if kind in ("pct", "pct_old", "pct_new"):
            col = {"pct": "estimate", "pct_old": "estimate_old", "pct_new": "estimate_new"}[kind]
            return pct(vals[col], dec)
        if kind in ("num", "num_old", "num_new"):
            col = {"num": "estimate", "num_old": "estimate_old", "num_new": "estimate_new"}[kind]
            return number(vals[col], dec, unit)
        if kind == "count":
            return (
                count(vals["estimate"], unit) if dec == 0 else number(vals["estimate"], dec, unit)
            )
        if kind == "n":
            return count(vals["n"], unit)
        lang = "en" if en else "zh"
        if kind in ("ci", "pct_ci"):
            text = ci(vals["ci_low"], vals["ci_high"], decimals=dec, lang=lang)
            return (pct(vals["estimate"], dec) + text) if kind == "pct_ci" else text
        if kind == "num_ci":
            text = ci(vals["ci_low"], vals["ci_high"], percent=False, decimals=dec, lang=lang)
            return number(vals["estimate"], dec, unit) + text
        return change_phrase(
            vals["change"],
            vals["significant"],
            percent=kind == "change",
            decimals=dec,
            unit=unit,
            period=self.period,
            lang=lang,
        )


def fill(template: str, /, *, lang: str = "zh", period: str = "上年", **rows: Any) -> str:
    """Write a sentence whose every number comes from an estimate-table row.

    Parameters
    ----------
    template : str
        Text with placeholders ``{name:kind[.decimals][:unit]}`` (kinds in
        :data:`FORMAT_KINDS`) or ``{name.column:kind}``; ``{name}`` inserts a text
        label. Digits typed into the template are refused (``REP001``).
    lang : {"zh", "en"}
        Language of intervals and change phrases.
    period : str
        What changes are compared with (``'上年'``).
    **rows
        Rows (``pick(table, ...)``, a one-row DataFrame or a mapping) or text labels.
        Bare numbers are refused (``REP002``).

    Examples
    --------
    >>> cmp = pd.DataFrame({"county": ["甲县"], "estimate_old": [0.50], "estimate_new": [0.532],
    ...                     "change": [0.032], "p_value": [0.01], "significant": [True]})
    >>> fill("{c.county}有线电视入户率为{r:pct_new}，{r:change}。", c=cmp.iloc[0], r=cmp)
    '甲县有线电视入户率为53.2%，比上年提高3.2个百分点。'
    >>> fill("入户率达53.2%", r=cmp)
    Traceback (most recent call last):
    ...
    analysis.errors.ReportError: [REP001] the narrative template has a number typed in: '入户率达53.2%'
      expected: every number as a placeholder bound to a table row
      found: 53.2 in '入户率达53.2%'
      what to do: Replace the number with a placeholder such as {row:pct} and pass the row; refer to a figure or table by its name: 见{fig:name}.
    """
    formatter = _RowFormatter(lang, period)
    try:
        parsed = list(formatter.parse(template))
    except ValueError as exc:
        raise ReportError(
            "REP010",
            f"the narrative template is malformed: {exc}",
            found=template[:80],
            hint="Balance the braces; write {{ and }} for literal braces.",
        ) from None
    for literal, *_ in parsed:
        if _DIGIT.search(literal):
            numbers = re.findall(r"[0-9０-９][0-9０-９.,．]*", literal)
            raise ReportError(
                "REP001",
                f"the narrative template has a number typed in: {template[:60]!r}",
                expected="every number as a placeholder bound to a table row",
                found=f"{', '.join(numbers)} in {literal[:60]!r}",
                hint=(
                    "Replace the number with a placeholder such as {row:pct} and pass the row; "
                    "refer to a figure or table by its name: 见{fig:name}."
                ),
            )
    return formatter.vformat(template, (), rows)
