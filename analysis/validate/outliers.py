"""Outliers of numeric answers: the IQR rule, the SD rule, soft ranges, per variable.

Declared missing codes (``missing_codes`` of the question, e.g. 98/99) are left out of
the statistics and never flagged here. For each integer and decimal question:

* ``iqr`` (default): below ``Q1 - k*IQR`` or above ``Q3 + k*IQR`` (k = 3, Tukey's "far
  out"); when the IQR is 0 (most answers equal) the SD rule is used instead;
* answers that are never negative and skewed to the right (incomes, herd sizes,
  distances: skewness above 1) are judged on a log scale, ``log(1 + x)``, so a herder's
  500 sheep are not an outlier among farmers' 0 but a typo of 41000 (yuan for 万元)
  is (``scale = "auto"``; ``"linear"`` or ``"log"`` to force one). On the log scale
  only large values are flagged: a small count (1 hamlet) is no typo;
* ``sd``: more than ``k`` standard deviations from the mean;
* soft range (``soft_min``/``soft_max``): outside it, whatever the distribution.

Limits can be computed within groups (``by = "county"``). Fewer than ``min_n`` answers
(in a group): no distribution check. Settings come from ``[validate.outliers]`` and
``[validate.variables.<name>]``.

Examples
--------
>>> from analysis.instrument.model import Question
>>> from analysis.validate.settings import ValidateSettings
>>> form = [Question("income", "decimal", missing_codes={"98": "不知道"})]
>>> values = [3.0 + i % 5 for i in range(30)] + [98.0, 500.0]
>>> frame = pd.DataFrame({"_key": [str(i) for i in range(32)], "income": values})
>>> recs = Records.of_frame(frame, form)
>>> found = check_outliers(recs, ValidateSettings(), "en")
>>> found.frame[["position", "value", "code"]].values.tolist()
[[31, '500', 'VAL140']]
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd

from ..readers.records import Records, RecordTable, question_type
from .issues import Found, join_text, say
from .settings import OutlierRule, ValidateSettings

__all__ = ["check_outliers", "declared_codes", "looks_like_missing_code", "numeric_questions"]

_NUMERIC = ("integer", "decimal")


def declared_codes(q) -> np.ndarray:
    """The question's declared missing codes as numbers."""
    out = []
    for code in q.missing_codes:
        try:
            out.append(float(code))
        except (TypeError, ValueError):
            continue
    return np.asarray(out, dtype=float)


def looks_like_missing_code(values: np.ndarray) -> np.ndarray:
    """True for 98, 99, 998, 999, 9998, ... (two or more nines, or nines ending in 8).

    >>> looks_like_missing_code(np.array([99.0, 998.0, 97.0, 9.0, 88.0])).tolist()
    [True, True, False, False, False]
    """
    ok = np.isfinite(values) & (values >= 98) & (values == np.round(values))
    digits = np.where(ok, np.floor(np.log10(np.where(ok, values, 1))) + 1, 0)
    nines = 10**digits - 1
    return ok & ((values == nines) | (values == nines - 1))


def numeric_questions(table: RecordTable):
    """Integer and decimal questions of a table that hold measurements (not ids or codes)."""
    for q in table.questions:
        if (
            question_type(q) in _NUMERIC
            and q.name in table.columns
            and q.role not in ("id", "enumerator")
        ):
            yield q


def _skewed(finite: np.ndarray) -> bool:
    """True for answers >= 0 whose distribution has a long right tail (skewness > 1)."""
    if len(finite) < 3 or finite.min() < 0:
        return False
    x = finite - finite.mean()
    power = x * x
    sd = float(np.sqrt(np.mean(power)))
    if sd == 0:
        return False
    power *= x  # x * x * x, without a third array of the answers' length
    return float(np.mean(power)) / sd**3 > 1


def _limits(values: np.ndarray, rule: OutlierRule) -> tuple[float, float, str, bool] | None:
    """(low, high, method, log scale) of the usual range, or None when not judged."""
    finite = values[np.isfinite(values)]
    if len(finite) < rule.min_n:
        return None
    log = rule.scale == "log" or (rule.scale == "auto" and _skewed(finite))
    if log:
        if finite.min() < 0:
            return None
        finite = np.log1p(finite)
    method = rule.method
    if method == "iqr":
        q1, q3 = np.percentile(finite, [25, 75])
        iqr = q3 - q1
        if iqr > 0:
            return q1 - rule.k * iqr, q3 + rule.k * iqr, "iqr", log
        method = "sd"
    sd = float(np.std(finite, ddof=1))
    if sd <= 0:
        return None
    mean = float(np.mean(finite))
    return mean - rule.k * sd, mean + rule.k * sd, "sd", log


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _soft(
    table: RecordTable, q, values: np.ndarray, rule: OutlierRule, lang: str
) -> tuple[np.ndarray, Found]:
    if rule.soft_min is None and rule.soft_max is None:
        return np.zeros(len(values), dtype=bool), Found.none()
    lo = -np.inf if rule.soft_min is None else rule.soft_min
    hi = np.inf if rule.soft_max is None else rule.soft_max
    soft = np.isfinite(values) & ((values < lo) | (values > hi))
    if not soft.any():
        return soft, Found.none()
    pos = np.flatnonzero(soft)
    shown = table.texts_at(q.name, pos)
    span = f"{_fmt(lo)} ~ {_fmt(hi)}"
    message = join_text(
        f"{q.name} = ",
        shown,
        say(lang, f"，超出合理范围 {span}", f" is outside the soft range {span}"),
    )
    return soft, Found.of(table.name, pos, q.name, "VAL142", shown, message, f"soft range {span}")


def _groups(table: RecordTable, rule: OutlierRule) -> list[tuple[np.ndarray | None, str]]:
    """The rows of each group of the rule's ``by`` (``None``: one group of every row)."""
    if not (rule.by and rule.by in table.columns):
        return [(None, "")]
    key = table.texts(rule.by).to_numpy(dtype=object)
    codes, uniques = pd.factorize(key)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.r_[True, codes[order][1:] != codes[order][:-1], True])
    return [(order[a:b], f"{rule.by} = {uniques[codes[order[a]]]}") for a, b in pairwise(bounds)]


def _one(table: RecordTable, q, rule: OutlierRule, lang: str) -> Found:
    values = table.numbers(q.name)
    codes = declared_codes(q)
    if len(codes):  # a copy only where codes are blanked
        values = values.copy()
        values[np.isin(values, codes)] = np.nan
    soft, soft_found = _soft(table, q, values, rule, lang)
    parts = [soft_found]
    if rule.method == "none":
        return soft_found
    for rows, group in _groups(table, rule):
        sub = values if rows is None else values[rows]
        limits = _limits(sub, rule)
        if limits is None:
            continue
        lo, hi, method, log = limits
        judged = np.log1p(np.where(np.isfinite(sub) & (sub >= 0), sub, np.nan)) if log else sub
        low = (
            judged < lo if not log else np.zeros(len(judged), dtype=bool)
        )  # small counts are no typo
        bad = np.isfinite(judged) & (low | (judged > hi)) & ~(soft if rows is None else soft[rows])
        if not bad.any():
            continue
        pos = np.flatnonzero(bad) if rows is None else rows[bad]
        shown = table.texts_at(q.name, pos)
        code_like = pd.Series(
            np.where(
                looks_like_missing_code(values[pos]),
                say(lang, "（像是未声明的缺失码）", " (looks like an undeclared missing code)"),
                "",
            ),
            dtype="str",
        )
        if log:
            lo_v, hi_v = max(float(np.expm1(lo)), 0.0), float(np.expm1(hi))
        else:
            lo_v, hi_v = lo, hi
        span = f"{_fmt(lo_v)} ~ {_fmt(hi_v)}"
        zh_rule = ("四分位距规则" if method == "iqr" else "标准差规则") + (
            "，对数尺度" if log else ""
        )
        en_rule = ("IQR rule" if method == "iqr" else "SD rule") + (", log scale" if log else "")
        zh_group = f"，{group}" if group else ""
        en_group = f", {group}" if group else ""
        message = join_text(
            f"{q.name} = ",
            shown,
            say(
                lang,
                f" 是异常值（{zh_rule}{zh_group}，通常范围 {span}）",
                f" is an outlier ({en_rule}{en_group}, usual range {span})",
            ),
            code_like,
        )
        rule_text = f"{method} k={rule.k:g}{' log(1+x)' if log else ''}{' ' + group if group else ''}: {span}"
        parts.append(
            Found.of(
                table.name,
                pos,
                q.name,
                "VAL140" if method == "iqr" else "VAL141",
                shown,
                message,
                rule_text,
            )
        )
    return Found.concat(parts)


def check_outliers(
    records: Records, settings: ValidateSettings, lang: str, *, forget: bool = False
) -> Found:
    """Outliers and soft-range breaches of every numeric question (module doc).

    ``forget``: drop the answers converted for each question (numbers, group texts)
    once it is judged, so that only one question's are held at a time (for data
    with millions of rows; other checks then convert them again).
    """
    parts = []
    for table in records.tables.values():
        if not len(table):
            continue
        for q in numeric_questions(table):
            parts.append(_one(table, q, settings.outlier_rule(records.name, q.name), lang))
            if forget:
                table.forget_answers()
    return Found.concat(parts)
