"""Missing codes (98 = don't know, 99 = refused, ...): rates per variable and per
enumerator, and codes typed with the wrong number of digits.

A question declares its codes in the toolkit column ``missing_codes``
(``998=不知道;999=拒答``). For each such question:

* ``VAL150``: the share of its answers that are missing codes is above ``max_share``;
* ``VAL151``: an answer made of nines (or nines ending in 8) that is not one of its
  codes, e.g. 9999 where the codes are 99998/99999: probably a code mistyped;
* ``VAL152``: an enumerator whose share of missing codes, over every such question, is
  above ``enumerator_factor`` times the overall share and at least
  ``enumerator_min_gap`` above it.

Examples
--------
>>> from analysis.instrument.model import Question
>>> from analysis.validate.settings import ValidateSettings
>>> form = [Question("n", "integer", missing_codes={"98": "不知道", "99": "拒答"})]
>>> frame = pd.DataFrame({"_key": list("abcd"), "n": [1, 98, 999, 2]})
>>> s = ValidateSettings.from_mapping({"missing_codes": {"min_answers": 2}})
>>> found, rates = check_missing_codes(Records.of_frame(frame, form), s, "en")
>>> found.frame[["position", "variable", "code", "value"]].values.tolist()
[[2, 'n', 'VAL151', '999'], [-1, 'n', 'VAL150', '25%']]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..readers.rawdata import MAIN
from ..readers.records import Records, RecordTable, as_text, question_type
from .issues import Found, join_text, say
from .outliers import declared_codes, looks_like_missing_code
from .settings import ValidateSettings

__all__ = ["check_missing_codes", "missing_code_cells"]


def _code_mask(table: RecordTable, q) -> tuple[np.ndarray, np.ndarray]:
    """(answered, is a missing code) per row of the table."""
    answered = ~table.empty(q.name)
    if question_type(q) in ("integer", "decimal", "range"):
        codes = declared_codes(q)
        return answered, answered & np.isin(table.numbers(q.name), codes)
    col = table.column(q.name)
    codes = list(q.missing_codes)
    if isinstance(col.dtype, pd.CategoricalDtype):  # decided per category, looked up by code
        texts = as_text(pd.Series(col.cat.categories))
        hit = np.r_[texts.isin(codes).to_numpy(dtype=bool), "" in codes]
        return answered, answered & hit[col.cat.codes.to_numpy()]
    text = col if col.dtype == "str" else table.texts(q.name)
    return answered, answered & text.isin(codes).to_numpy(dtype=bool)


def missing_code_cells(records: Records) -> tuple[np.ndarray, np.ndarray, list[tuple]]:
    """Per main record: answered cells and missing-code cells over questions with codes.

    Also returns ``(table, question, answered, is_code)`` per question.
    """
    main = records.main
    answered_total = np.zeros(len(main), dtype=np.int64)
    code_total = np.zeros(len(main), dtype=np.int64)
    per_question = []
    for table in records.tables.values():
        if not len(table):
            continue
        owner = table.main_position
        linked = owner >= 0
        for q in table.questions:
            if not q.missing_codes or q.name not in table.columns:
                continue
            answered, is_code = _code_mask(table, q)
            per_question.append((table, q, answered, is_code))
            if table.name == MAIN:
                answered_total += answered
                code_total += is_code
            else:
                answered_total += np.bincount(
                    owner[linked], weights=answered[linked], minlength=len(main)
                ).astype(np.int64)
                code_total += np.bincount(
                    owner[linked], weights=is_code[linked], minlength=len(main)
                ).astype(np.int64)
    return answered_total, code_total, per_question


def _wrong_digits(table: RecordTable, q, answered: np.ndarray, lang: str) -> Found:
    if question_type(q) not in ("integer", "decimal"):
        return Found.none()
    codes = declared_codes(q)
    values = table.numbers(q.name)
    suspect = answered & looks_like_missing_code(values) & ~np.isin(values, codes)
    if not suspect.any():
        return Found.none()
    # a value of the same size as a valid answer is not suspect: only longer or shorter
    # than the declared codes, and not within the answers' usual range
    typical = values[answered & ~np.isin(values, codes) & ~suspect]
    if len(typical):
        suspect &= values > np.nanmax(typical)
    if not suspect.any():
        return Found.none()
    pos = np.flatnonzero(suspect)
    shown = table.texts_at(q.name, pos)
    declared = "/".join(q.missing_codes)
    message = join_text(
        f"{q.name} = ",
        shown,
        say(
            lang,
            f"：像是缺失码，但本题的缺失码是 {declared}（位数不对？）",
            f": looks like a missing code, but this question's codes are {declared} (wrong number of digits?)",
        ),
    )
    return Found.of(table.name, pos, q.name, "VAL151", shown, message, f"missing codes {declared}")


def check_missing_codes(
    records: Records, settings: ValidateSettings, lang: str
) -> tuple[Found, pd.DataFrame]:
    """Missing-code issues, and per-enumerator answered/missing-code cell counts."""
    cfg = settings.missing_codes
    answered_total, code_total, per_question = missing_code_cells(records)
    parts = []
    for table, q, answered, is_code in per_question:
        parts.append(_wrong_digits(table, q, answered, lang))
        n = int(answered.sum())
        k = int(is_code.sum())
        if n >= cfg.min_answers and k / n > cfg.max_share:
            share = f"{k / n:.0%}"
            message = say(
                lang,
                f"{q.name} 的答案中 {share}（{k}/{n}）是缺失码（不知道/拒答），超过 {cfg.max_share:.0%}",
                f"{share} ({k}/{n}) of the answers to {q.name} are missing codes (don't know/refused), above {cfg.max_share:.0%}",
            )
            parts.append(
                Found.table_level(
                    table.name, q.name, "VAL150", share, message, f"share > {cfg.max_share:g}"
                )
            )
    main = records.main
    rates = pd.DataFrame(
        {
            "enumerator": main.enumerator.reset_index(drop=True),  # categories in text order
            "answered": answered_total,
            "missing_codes": code_total,
        }
    )
    grouped = rates.groupby("enumerator", sort=True, observed=True)
    by = grouped[["answered", "missing_codes"]].sum()
    by["interviews"] = grouped.size()
    by.index = pd.Index(by.index.astype("str"), name="enumerator")
    overall = by["missing_codes"].sum() / max(by["answered"].sum(), 1)
    limit = max(cfg.enumerator_factor * overall, overall + cfg.enumerator_min_gap)
    rate = by["missing_codes"] / by["answered"].where(by["answered"] > 0)
    flagged = by[
        (rate > limit)
        & (by["interviews"] >= settings.enumerators.min_interviews)
        & (by.index != "")
    ]
    for enumerator, row in flagged.iterrows():
        r = row["missing_codes"] / row["answered"]
        message = say(
            lang,
            f"调查员 {enumerator} 的“不知道/拒答”比例为 {r:.0%}，全体为 {overall:.0%}",
            f"enumerator {enumerator} records don't know/refused in {r:.0%} of answers, against {overall:.0%} overall",
        )
        parts.append(
            Found.table_level(
                MAIN,
                "",
                "VAL152",
                f"{r:.0%}",
                message,
                f"> {limit:.0%}",
                enumerator=str(enumerator),
            )
        )
    by = by.reset_index()
    by["missing_code_rate"] = by["missing_codes"] / by["answered"].where(by["answered"] > 0)
    return Found.concat(parts), by[["enumerator", "answered", "missing_codes", "missing_code_rate"]]
