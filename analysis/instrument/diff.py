"""What changed between two versions of an instrument (e.g. the 2024 and 2025 household forms).

:func:`diff_instruments` compares two :class:`~analysis.instrument.Instrument` objects
question by question and returns one tidy row per change:

======================  ===============================================================
change                  meaning
======================  ===============================================================
``added``               a question only in the new form
``removed``             a question only in the old form
``renamed``             a removed and an added question with the same type and the same
                        label (zh, or the same label in every language), paired one-to-one
``type_changed``        same question, other type (``integer`` -> ``decimal``)
``label_changed``       same question, other label in some language
``choices_added``       a code in the new choice list that the old list lacks
``choices_removed``     a code of the old choice list that the new list lacks
``choice_label_changed``  same code, other label
``relevance_changed``   other ``relevant`` expression
``constraint_changed``  other ``constraint`` expression
======================  ===============================================================

Choice lists are compared per question, through the list each version's question
names, so a list renamed between waves is not reported as a change by itself.
Expressions are compared after the renames are applied to the old one, so
``${uses_wechat} = '1'`` -> ``${uses_wechat_group} = '1'`` is not a change.

Examples
--------
>>> from analysis.instrument.model import Choice, ChoiceList, Instrument, Question
>>> def form(*questions, lists=()):
...     return Instrument(None, "f", "f", None, None, ("zh",), tuple(questions), (),
...                       {cl.name: cl for cl in lists})
>>> yn = ChoiceList("yn", (Choice("1", {"zh": "是"}), Choice("2", {"zh": "否"})))
>>> yn3 = ChoiceList("yn", yn.choices + (Choice("8", {"zh": "不清楚"}),))
>>> old = form(Question("tv", "select_one", {"zh": "有电视吗"}, list_name="yn"),
...            Question("age", "integer", {"zh": "年龄"}), lists=[yn])
>>> new = form(Question("has_tv", "select_one", {"zh": "有电视吗"}, list_name="yn"),
...            Question("age", "decimal", {"zh": "年龄"}), lists=[yn3])
>>> diff_instruments(old, new).values.tolist()  # doctest: +NORMALIZE_WHITESPACE
[['renamed', 'tv', 'has_tv', 'select_one, label 有电视吗'],
 ['choices_added', 'tv', 'has_tv', '8: 不清楚'],
 ['type_changed', 'age', 'age', 'integer -> decimal']]
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from ..expressions import LAST_SAVED, Reference, replace_references
from .model import Instrument, Question

__all__ = ["CHANGES", "diff_instruments"]

#: The kinds of change, in the order they are reported for one question.
CHANGES = (
    "added",
    "removed",
    "renamed",
    "type_changed",
    "label_changed",
    "choices_added",
    "choices_removed",
    "choice_label_changed",
    "relevance_changed",
    "constraint_changed",
)

COLUMNS = ("change", "name_old", "name_new", "detail")


def diff_instruments(old: Instrument, new: Instrument) -> pd.DataFrame:
    """The changes from ``old`` to ``new``, one row per change.

    Parameters
    ----------
    old, new : Instrument
        Two versions of one form (e.g. the instrument of two waves).

    Returns
    -------
    DataFrame
        Columns ``change`` (one of :data:`CHANGES`), ``name_old``, ``name_new`` (NA for
        an added / removed question) and ``detail`` (what changed, in words). Rows
        follow the old form's order; added questions come last, in the new form's order.
        Empty (with these columns) when nothing changed.
    """
    removed = [q for q in old.questions if q.name not in new]
    added = [q for q in new.questions if q.name not in old]
    renames = _match_renames(removed, added)
    renamed_to = {o.name: n.name for o, n in renames}
    taken = set(renamed_to.values())

    rows: list[tuple[str, str | None, str | None, str]] = []
    for q_old in old.questions:
        if q_old.name in new:
            q_new = new.question(q_old.name)
        elif q_old.name in renamed_to:
            q_new = new.question(renamed_to[q_old.name])
            rows.append(
                ("renamed", q_old.name, q_new.name, f"{q_new.type}, label {_text(q_new.labels)}")
            )
        else:
            rows.append(("removed", q_old.name, None, f"{q_old.type}, label {_text(q_old.labels)}"))
            continue
        rows.extend(_compare(old, new, q_old, q_new, renamed_to))
    for q_new in added:
        if q_new.name not in taken:
            rows.append(("added", None, q_new.name, f"{q_new.type}, label {_text(q_new.labels)}"))
    return pd.DataFrame(rows, columns=list(COLUMNS))


# ------------------------------------------------------------------ renames
def _same_label(a: Question, b: Question) -> bool:
    if a.labels.get("zh") and b.labels.get("zh"):
        return a.labels["zh"].strip() == b.labels["zh"].strip()
    la = {k: v.strip() for k, v in a.labels.items() if v and v.strip()}
    lb = {k: v.strip() for k, v in b.labels.items() if v and v.strip()}
    return bool(la) and la == lb


def _match_renames(
    removed: list[Question], added: list[Question]
) -> list[tuple[Question, Question]]:
    """Pair removed with added questions one-to-one (same type and label), in form order."""
    pairs = []
    free = list(added)
    for q_old in removed:
        for q_new in free:
            if q_old.type == q_new.type and _same_label(q_old, q_new):
                pairs.append((q_old, q_new))
                free.remove(q_new)
                break
    return pairs


# ------------------------------------------------------------------ one question
def _compare(
    old: Instrument,
    new: Instrument,
    q_old: Question,
    q_new: Question,
    renamed_to: Mapping[str, str],
) -> list[tuple[str, str, str, str]]:
    names = (q_old.name, q_new.name)
    rows: list[tuple[str, str, str, str]] = []
    if q_old.type != q_new.type:
        rows.append(("type_changed", *names, f"{q_old.type} -> {q_new.type}"))
    for lang in _langs(q_old.labels, q_new.labels):
        a, b = q_old.labels.get(lang, ""), q_new.labels.get(lang, "")
        if a.strip() != b.strip():
            rows.append(("label_changed", *names, f"{lang}: {a!r} -> {b!r}"))
    rows.extend(_compare_choices(old, new, q_old, q_new))
    for kind, a, b in (
        ("relevance_changed", q_old.relevant, q_new.relevant),
        ("constraint_changed", q_old.constraint, q_new.constraint),
    ):
        if _expression(a, renamed_to) != _expression(b, {}):
            rows.append((kind, *names, f"{a or ''!r} -> {b or ''!r}"))
    return rows


def _compare_choices(
    old: Instrument, new: Instrument, q_old: Question, q_new: Question
) -> list[tuple[str, str, str, str]]:
    list_old, list_new = old.choices(q_old), new.choices(q_new)
    if list_old is None or list_new is None:
        return []
    names = (q_old.name, q_new.name)
    before = {c.name: c for c in list_old}
    after = {c.name: c for c in list_new}
    rows = [
        ("choices_added", *names, f"{c.name}: {_text(c.labels)}")
        for c in list_new
        if c.name not in before
    ]
    rows += [
        ("choices_removed", *names, f"{c.name}: {_text(c.labels)}")
        for c in list_old
        if c.name not in after
    ]
    for c in list_new:
        if c.name in before:
            a, b = before[c.name].labels, c.labels
            for lang in _langs(a, b):
                if a.get(lang, "").strip() != b.get(lang, "").strip():
                    detail = f"{c.name}: {lang} {a.get(lang, '')!r} -> {b.get(lang, '')!r}"
                    rows.append(("choice_label_changed", *names, detail))
    return rows


def _langs(a: Mapping[str, str], b: Mapping[str, str]) -> list[str]:
    return sorted(set(a) | set(b), key=lambda lang: (lang != "zh", lang != "en", lang))


def _text(labels: Mapping[str, str]) -> str:
    """Labels as ``zh / en`` (zh first), '' when none."""
    return " / ".join(labels[lang] for lang in _langs(labels, {}) if labels.get(lang))


#: Whitespace outside quoted strings (quoted strings are kept as they stand).
_SPACE = re.compile(r"('[^']*'|\"[^\"]*\")|\s+")


def _expression(text: str | None, renamed_to: Mapping[str, str]) -> str:
    """The expression with renames applied and spaces outside quotes removed, for comparison."""
    if not text:
        return ""
    text = replace_references(text, lambda ref: _renamed(ref, renamed_to))
    return _SPACE.sub(lambda m: m.group(1) or "", text)


def _renamed(ref: Reference, renamed_to: Mapping[str, str]) -> str:
    """A ``${name}`` reference with the question's new name."""
    prefix = LAST_SAVED if ref.last_saved else ""
    return "${" + prefix + renamed_to.get(ref.name, ref.name) + "}"
