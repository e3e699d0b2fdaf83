"""Choice membership: codes not in the question's list, select_multiple codes one by one,
``or_other``, and choices a ``choice_filter`` would not have offered.

Which answers are wrong is the expression engine's verdict
(:func:`analysis.expressions.forms.check_form`, ``choice_ok``: the same rule the
data-entry app applies, choice_filter included); this module says *why* for each of
those cells: ``VAL110`` a select_one code not in the list, ``VAL111`` select_multiple
codes not in the list (named), ``VAL112`` a code of the list that the choice_filter
excludes for that record. ``VAL113`` flags a select_multiple answer repeating a code.

When the engine could not run (a broken expression in the form), membership is
checked here directly, without the choice_filter. Distinct answers are checked once
and the verdict spread back to the rows.

Examples
--------
>>> from analysis.instrument.model import Choice, ChoiceList, Question
>>> form = [Question("tv", "select_one", list_name="yn"),
...         Question("crops", "select_multiple", list_name="yn")]
>>> lists = {"yn": ChoiceList("yn", (Choice("1"), Choice("2")))}
>>> frame = pd.DataFrame({"_key": ["a", "b"], "tv": ["1", "3"], "crops": ["1 2", "2 5 5"]})
>>> found = check_choices(Records.of_frame(frame, form, lists), "en")
>>> found.frame[["position", "variable", "code", "value"]].values.tolist()
[[1, 'tv', 'VAL110', '3'], [1, 'crops', 'VAL111', '5'], [1, 'crops', 'VAL113', '2 5 5']]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..readers.records import Records, RecordTable
from .issues import Found, join_text, say

__all__ = ["check_choices", "choice_codes", "repeated_codes"]


def choice_codes(records: Records, q) -> tuple[str, ...] | None:
    """The codes a select question accepts (``other`` too with or_other); None: no list."""
    choices = records.instrument.choices(q)
    if choices is None:
        return None
    codes = tuple(choices.codes)
    if q.or_other and "other" not in codes:
        codes = (*codes, "other")
    return codes


def _distinct(
    table: RecordTable, q: str, rows: np.ndarray | None = None
) -> tuple[np.ndarray, pd.Index]:
    text = table.texts(q)
    if rows is not None:
        text = text.iloc[rows]
    text = text.str.strip()
    codes, uniques = pd.factorize(text.where(text != ""), use_na_sentinel=True)
    return codes, pd.Index(uniques)


def _classify(table: RecordTable, q, codes: tuple[str, ...], rows: np.ndarray, lang: str) -> Found:
    """Why the answers at ``rows`` are not accepted: unknown codes, or the filter."""
    which, uniques = _distinct(table, q.name, rows)
    known = set(codes)
    unknown_of = {}
    for i, answer in enumerate(uniques):
        tokens = str(answer).split() if q.is_multiple else [str(answer)]
        unknown = [t for t in tokens if t not in known]
        unknown_of[i] = " ".join(dict.fromkeys(unknown))
    verdict = pd.Series(unknown_of, dtype="str").reindex(range(len(uniques))).fillna("")
    per_row = (
        verdict.to_numpy(dtype=object)[np.maximum(which, 0)]
        if len(uniques)
        else np.array([], object)
    )
    per_row = np.where(which >= 0, per_row, "")
    parts = []
    bad_code = per_row != ""
    if bad_code.any():
        pos = rows[bad_code]
        values = pd.Series(per_row[bad_code], dtype="str")
        if q.is_multiple:
            message = join_text(
                say(
                    lang,
                    f"{q.name} 含有不在选项表 {q.list_name} 中的代码 “",
                    f"{q.name} holds codes not in choice list {q.list_name}: '",
                ),
                values,
                say(lang, "”", "'"),
            )
            code = "VAL111"
        else:
            message = join_text(
                say(lang, f"{q.name} 的代码 “", f"{q.name}: code '"),
                values,
                say(
                    lang, f"” 不在选项表 {q.list_name} 中", f"' is not in choice list {q.list_name}"
                ),
            )
            code = "VAL110"
        shown = ", ".join(codes[:12]) + (" ..." if len(codes) > 12 else "")
        parts.append(
            Found.of(table.name, pos, q.name, code, values, message, f"{q.list_name}: {shown}")
        )
    filtered = ~bad_code & (which >= 0)
    if filtered.any() and q.choice_filter:
        pos = rows[filtered]
        values = table.texts_at(q.name, pos)
        message = join_text(
            say(lang, f"{q.name} 选了 “", f"{q.name}: choice '"),
            values,
            say(
                lang,
                "”，但按筛选条件本不应出现这个选项",
                "' is one the choice_filter does not offer here",
            ),
        )
        parts.append(Found.of(table.name, pos, q.name, "VAL112", values, message, q.choice_filter))
    return Found.concat(parts)


def _repeated(table: RecordTable, q, lang: str) -> Found:
    which, uniques = _distinct(table, q.name)
    repeated = np.fromiter(
        (len(set(str(u).split())) < len(str(u).split()) for u in uniques),
        dtype=bool,
        count=len(uniques),
    )
    if not repeated.any():
        return Found.none()
    pos = np.flatnonzero((which >= 0) & repeated[np.maximum(which, 0)])
    values = table.texts_at(q.name, pos)
    message = join_text(
        say(lang, f"{q.name} 同一代码选了两次：“", f"{q.name} repeats a code: '"),
        values,
        say(lang, "”", "'"),
    )
    return Found.of(table.name, pos, q.name, "VAL113", values, message, q.list_name or "")


def check_choices(
    records: Records,
    lang: str,
    engine_cells: dict[tuple[str, str], np.ndarray] | None = None,
    *,
    repeated: bool = True,
) -> Found:
    """Choice issues (module doc). ``engine_cells``: the cells the engine rejects
    (:func:`analysis.validate.form_rules.check_rules`); ``None``: check membership here.
    ``repeated=False`` leaves out VAL113 (see :func:`repeated_codes`)."""
    parts = []
    for table in records.tables.values():
        if not len(table):
            continue
        for q in table.questions:
            if not q.is_select or q.name not in table.columns:
                continue
            codes = choice_codes(records, q)
            if codes is None:
                continue  # select_one_from_file: the list is not in the form
            if engine_cells is not None:
                rows = engine_cells.get((table.name, q.name))
            else:
                which, uniques = _distinct(table, q.name)
                ok = np.fromiter(
                    (
                        all(t in codes for t in (str(u).split() if q.is_multiple else [str(u)]))
                        for u in uniques
                    ),
                    dtype=bool,
                    count=len(uniques),
                )
                rows = (
                    np.flatnonzero((which >= 0) & ~ok[np.maximum(which, 0)])
                    if len(uniques)
                    else None
                )
            if rows is not None and len(rows):
                parts.append(_classify(table, q, codes, np.sort(rows), lang))
            if q.is_multiple and repeated:
                parts.append(_repeated(table, q, lang))
    return Found.concat(parts)


def repeated_codes(records: Records, lang: str) -> Found:
    """``VAL113``: select_multiple answers that repeat a code (every table)."""
    parts = []
    for table in records.tables.values():
        if len(table):
            for q in table.questions:
                if (
                    q.is_multiple
                    and q.name in table.columns
                    and choice_codes(records, q) is not None
                ):
                    parts.append(_repeated(table, q, lang))
    return Found.concat(parts)
