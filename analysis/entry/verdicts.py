"""The form applied to one questionnaire while it is typed: what the entry screen shows.

:func:`check` takes the answers on the entry screen and returns what the screen must
show: which questions are skipped (not relevant: hidden, and their answers cleared),
which answers break a constraint, a type or a choice list, which required questions are
empty, the values of calculations, the choices a ``choice_filter`` leaves, and the row
count of repeats with a ``repeat_count``. It also returns the cleaned answers: canonical
values, skipped answers cleared, calculations filled in. This is what is saved.

The form is applied by :func:`analysis.expressions.check_form`, the function validation
applies to a whole wave, on the questionnaire as one record (a one-row main frame plus
its repeat rows, :class:`~analysis.entry.record.Record`): calculations and relevance in
dependency order (a cycle is an ``EXP010`` error), a skipped answer read as '' by every
other rule, constraints on relevant answered questions, ``required`` on relevant ones.
This module only turns its verdicts into the screen's per-answer states and messages.
The browser evaluates nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import BaicunError, EntryError
from ..expressions import Env, FormCheck, FormData, Session, check_form, evaluate, parse
from ..expressions.references import Reference, find_references, replace_references
from ..expressions.values import constant, to_boolean
from ..instrument.model import Group, Instrument, Question
from .answers import MAX_ROWS, Answers
from .layout import RepeatBlock, Section, layout
from .record import Record, drop_empty_rows
from .values import Message, message

__all__ = ["Check", "FieldState", "check", "check_many", "probe_form"]


@dataclass(frozen=True)
class FieldState:
    """What the screen shows for one answer (by path)."""

    relevant: bool = True
    required: bool = False
    #: The message to show, and which kind of problem it is.
    error: Message | None = None
    problem: str | None = None  # "type", "choice", "constraint", "required"
    #: The value of a calculation.
    value: str | None = None
    #: Codes a choice_filter leaves (None: every code of the list).
    choices: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"relevant": self.relevant, "required": self.required}
        if self.error is not None:
            out["error"] = self.error
            out["problem"] = self.problem
        if self.value is not None:
            out["value"] = self.value
        if self.choices is not None:
            out["choices"] = list(self.choices)
        return out


@dataclass(frozen=True)
class Check:
    """The rules applied to one questionnaire."""

    answers: Answers
    fields: Mapping[str, FieldState] = field(default_factory=dict)
    groups: Mapping[str, bool] = field(default_factory=dict)
    counts: Mapping[str, int | None] = field(default_factory=dict)
    #: Labels with ``${name}`` references, by path, with the current answers put in.
    labels: Mapping[str, Message] = field(default_factory=dict)
    #: Hints with ``${name}`` references, by path, likewise.
    hints: Mapping[str, Message] = field(default_factory=dict)
    #: Column heads of repeat tables whose label or hint has references, by the path of the
    #: repeat block and the question (``members/m_age``): {"label": ..., "hint": ...}, the
    #: references seen from the row enclosing the block (a name of the row itself is '').
    heads: Mapping[str, Mapping[str, Message]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing blocks saving."""
        return all(state.error is None for state in self.fields.values())

    def surplus(self) -> dict[str, int]:
        """Repeats with a ``repeat_count`` holding more rows than it says, by path: how
        many rows too many (the screen keeps such rows until the clerk removes them)."""
        out: dict[str, int] = {}
        for path, count in self.counts.items():
            if count is None:
                continue
            rows = _rows_at(self.answers, path)
            if len(rows) > count:
                out[path] = len(rows) - count
        return out

    def problems(self) -> dict[str, Message]:
        """The message of every answer that blocks saving, by path."""
        return {path: s.error for path, s in self.fields.items() if s.error is not None}

    def to_json(self) -> dict[str, Any]:
        """The reply the entry screen reads."""
        return {
            "ok": self.ok,
            "fields": {path: state.to_json() for path, state in self.fields.items()},
            "groups": dict(self.groups),
            "counts": dict(self.counts),
            "labels": dict(self.labels),
            "hints": dict(self.hints),
            "heads": {path: dict(texts) for path, texts in self.heads.items()},
        }


def _rows_at(answers: Answers, path: str) -> tuple[Answers, ...]:
    """The rows of the repeat at ``path`` (``members`` or ``visits[2]/items``).

    Examples
    --------
    >>> typed = Answers({}, {"v": [Answers({}, {"i": [Answers({"a": "1"})]})]})
    >>> len(_rows_at(typed, "v[1]/i")), len(_rows_at(typed, "v[2]/i"))
    (1, 0)
    """
    *steps, name = path.split("/")
    here: Answers | None = answers
    for step in steps:
        repeat, _, number = step.partition("[")
        rows = here.rows(repeat) if here is not None else ()
        index = int(number.rstrip("]") or 0) - 1
        here = rows[index] if 0 <= index < len(rows) else None
    return here.rows(name) if here is not None else ()


# --------------------------------------------------------------------------- the form's view
class _Shown(Session):
    """A session reading every answer as ``check_form`` left it: skipped answers '',
    calculations recomputed. Rules the screen needs beyond check_form's verdicts (group
    relevance, required conditions, choice filters) are evaluated on it."""

    def __init__(self, applied: FormCheck, data: FormData, instrument: Instrument) -> None:
        super().__init__(data, instrument, applied.clock, applied.language)
        self.applied = applied

    def column(self, name: str, scope: str | None) -> Any:
        if name not in self.overrides:
            vector = self.applied.vectors.get(scope, {}).get(name)
            if vector is not None:
                self.overrides[name] = vector() if callable(vector) else vector
        return super().column(name, scope)

    def truths(self, expression: str, scope: str | None, current: str | None = None) -> list[bool]:
        """XPath boolean() of ``expression`` per row of ``scope``."""
        values = evaluate(
            expression,
            self.data,
            instrument=self.instrument,
            current=current,
            repeat=scope,
            session=self,
        )
        return [_truth(v) for v in values]

    def allowed(self, q: Question) -> list[tuple[str, ...]]:
        """Codes ``q``'s choice_filter leaves, per row of its scope.

        Each choice is tried in turn, its columns of the choices sheet (``name`` and the
        filter columns) being the bare names of the filter, as ODK does.
        """
        expression = parse(q.choice_filter or "")
        size = self.data.size(q.repeat)
        allowed: list[list[str]] = [[] for _ in range(size)]
        for choice in self.instrument.choices(q) or ():
            item = {"name": constant(choice.name)}
            item.update(
                {str(k): constant(str(v)) for k, v in choice.extra.items() if v is not None}
            )
            env = Env(self, q.repeat, expression.text, current=q.name, item=item)
            verdict = to_boolean(env.value(expression.tree), size)
            flags = np.broadcast_to(np.asarray(verdict.data, dtype=bool), (size,))
            for index in np.flatnonzero(flags):
                allowed[index].append(choice.name)
        return [tuple(codes) for codes in allowed]


#: The state of an answer without a message, value or choice list (shared: it is frozen).
_PLAIN = {
    (relevant, required): FieldState(relevant=relevant, required=required)
    for relevant in (True, False)
    for required in (True, False)
}


def _truth(value: Any) -> bool:
    """XPath boolean() of an evaluated value (NA, NaN, 0 and '' are false)."""
    if value is None or value is pd.NA:
        return False
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.number):
        number = float(value)
        return not math.isnan(number) and number != 0
    return str(value) != ""


def _text(value: Any) -> str:
    """The answer text of a calculated value, as ODK stores it.

    Examples
    --------
    >>> _text(3.0), _text(0.25), _text(True), _text(float("nan")), _text(pd.Timestamp("2024-03-05"))
    ('3', '0.25', 'true', '', '2024-03-05')
    """
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | float | np.number):
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            return ""
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return repr(number)
    if hasattr(value, "isoformat") or isinstance(value, np.datetime64):  # dates from the engine
        stamp = pd.Timestamp(value)
        if pd.isna(stamp):
            return ""
        if stamp == stamp.normalize():
            return stamp.date().isoformat()
        return stamp.isoformat()
    return str(value)


def _static_required(question: Question) -> bool | None:
    text = (question.required or "").strip().lower()
    if text in ("", "no", "false", "false()", "0"):
        return False
    if text in ("yes", "true", "true()", "1"):
        return True
    return None  # an expression


# --------------------------------------------------------------------------- messages
def _constraint_message(q: Question) -> Message:
    zh = q.constraint_message.get("zh") or q.constraint_message.get("default")
    en = q.constraint_message.get("en") or q.constraint_message.get("default")
    return message(
        zh or en or "答案不符合本题要求。",
        en or zh or "The answer breaks this question's rule.",
    )


def _key_message(q: Question) -> Message:
    if q.calculation:
        return message(
            f"问卷编号 {q.name} 为空：先填写用来算出它的题目。",
            f"The questionnaire key {q.name} is empty: answer the questions it is calculated from.",
        )
    return message(f"问卷编号 {q.name} 必填。", f"The questionnaire key {q.name} needs an answer.")


def _required_message(q: Question) -> Message:
    zh = q.required_message.get("zh") or q.required_message.get("default")
    en = q.required_message.get("en") or q.required_message.get("default")
    return message(zh or en or "此题必答。", en or zh or "This question needs an answer.")


def _filtered_message(bad: list[str]) -> Message:
    codes = " ".join(bad)
    return message(f"此处不能选：{codes}。", f"Not a choice here: {codes}.")


# --------------------------------------------------------------------------- verdicts
class _Verdicts:
    """check_form's verdicts on one record, read per row and question."""

    def __init__(self, instrument: Instrument, record: Record) -> None:
        self.instrument = instrument
        self.record = record
        data = record.data()
        self.applied = check_form(instrument, data)
        self.shown = _Shown(self.applied, data, instrument)
        self._calculated: dict[tuple[str | None, str], list[str]] = {}

    def mask(self, rule: str, scope: str | None, name: str) -> np.ndarray | None:
        """One rule's mask of a question (None: the rule does not apply to it)."""
        return self.applied.masks[rule].get(scope, {}).get(name)

    def calculated(self, scope: str | None, name: str) -> list[str]:
        """A calculation's values per row, as answer text ('' where skipped)."""
        if (scope, name) not in self._calculated:
            series = self.applied.value(scope, name)
            self._calculated[(scope, name)] = [_text(v) for v in series]
        return self._calculated[(scope, name)]

    def groups(self) -> list[dict[str, bool]]:
        """Per questionnaire: own relevance of each group with a ``relevant``, by path,
        judged per row of the scope enclosing it (a repeat of the main form once, on the
        main record)."""
        out: list[dict[str, bool]] = [{} for _ in range(len(self.record))]
        for group in self.instrument.groups:
            rows = self.record.rows.get(group.repeat)
            if not group.relevant or not rows:
                continue
            for row, truth in zip(rows, self.shown.truths(group.relevant, group.repeat)):
                out[row.owner][row.prefix + group.name] = truth
        return out

    def counts(self) -> list[dict[str, int | None]]:
        """Per questionnaire: the row count of each repeat with a ``repeat_count``, by path."""
        out: list[dict[str, int | None]] = [{} for _ in range(len(self.record))]
        for name, frame in (self.applied.repeat_count_ok or {}).items():
            rows = self.record.rows[self.record.parents[name]]
            for row, expected in zip(rows, frame["expected"].tolist()):
                number = None if expected is None or math.isnan(expected) else int(expected)
                out[row.owner][row.prefix + name] = (
                    None if number is None else max(0, min(number, MAX_ROWS))
                )
        return out


#: Per questionnaire: {"labels": {path: Message}, "hints": {...}, "heads": {...}}.
Piped = dict[str, dict[str, Any]]


def _states(
    verdicts: _Verdicts, key: str | None
) -> tuple[list[dict[str, FieldState]], list[Answers], list[Piped]]:
    """Per questionnaire: every answer's state by path, the cleaned answers and the
    labels and hints piping answers."""
    record = verdicts.record
    fields: list[dict[str, FieldState]] = [{} for _ in range(len(record))]
    kept: dict[tuple[str | None, str], list[str]] = {}
    for scope, rows in record.rows.items():
        if not rows:
            continue
        for q in record.questions[scope]:
            is_key = key is not None and q.name == key and scope is None
            states, kept[(scope, q.name)] = _question(verdicts, scope, q, is_key)
            for row, state in zip(rows, states):
                fields[row.owner][row.prefix + q.name] = state
    cleaned = record.answers(lambda scope, index, q: kept[(scope, q.name)][index])
    return fields, cleaned, _piped(record, kept)


def _piped(record: Record, kept: Mapping[tuple[str | None, str], list[str]]) -> list[Piped]:
    """Per questionnaire: the labels and hints of questions and groups that pipe
    ``${name}``, by path, each reference replaced by the answer it names (seen from the
    label's row: its own repeat row, else the enclosing rows; '' when skipped or
    unanswered); and the column heads of repeat tables, seen from the row enclosing each
    table."""
    instrument = record.instrument
    out: list[Piped] = [{"labels": {}, "hints": {}, "heads": {}} for _ in range(len(record))]

    def value(scope: str | None, index: int, name: str) -> str:
        while True:
            values = kept.get((scope, name))
            if values is not None:
                return values[index]
            if scope is None:
                return ""
            index, scope = record.rows[scope][index].parent, record.parents.get(scope)

    def piping(texts: dict[str, str]) -> bool:
        return any(find_references(text) for text in texts.values())

    def put(texts: dict[str, str], scope: str | None, index: int) -> Message:
        def replace(ref: Reference) -> str:
            return value(scope, index, ref.name)

        return message(*(replace_references(texts[lang], replace) for lang in ("zh", "en")))

    def pipe(item: Question | Group, scope: str | None) -> None:
        texts = {lang: item.label(lang) for lang in ("zh", "en")}
        hints = (
            {lang: item.hint(lang) for lang in ("zh", "en")} if isinstance(item, Question) else {}
        )
        for kind, source in (("labels", texts), ("hints", hints)):
            if not source or not piping(source):
                continue
            for index, row in enumerate(record.rows.get(scope) or ()):
                out[row.owner][kind][row.prefix + item.name] = put(source, scope, index)
        if scope is None or not hints or not (piping(texts) or piping(hints)):
            return
        # The column head of the question in each table of its repeat.
        parent = record.parents.get(scope)
        for index, row in enumerate(record.rows.get(parent) or ()):
            head = {"label": put(texts, parent, index)}
            if hints and any(hints.values()):
                head["hint"] = put(hints, parent, index)
            out[row.owner]["heads"][f"{row.prefix}{scope}/{item.name}"] = head

    for question in instrument.questions:
        pipe(question, question.repeat)
    for group in instrument.groups:
        pipe(group, group.repeat)
    return out


def _flags(verdicts: _Verdicts, rule: str, scope: str | None, name: str, n: int) -> list[bool]:
    """One rule's mask of a question as a list (all True where the rule does not apply)."""
    mask = verdicts.mask(rule, scope, name)
    return [True] * n if mask is None else mask.tolist()


def _question(
    verdicts: _Verdicts, scope: str | None, q: Question, is_key: bool
) -> tuple[list[FieldState], list[str]]:
    """The state and the cleaned answer of question ``q`` in every row of ``scope``."""
    rows = verdicts.record.rows[scope]
    n = len(rows)
    relevant = _flags(verdicts, "relevant", scope, q.name, n)
    constraint_ok = _flags(verdicts, "constraint_ok", scope, q.name, n)
    required_ok = _flags(verdicts, "required_ok", scope, q.name, n)
    choice_ok = _flags(verdicts, "choice_ok", scope, q.name, n)
    static = _static_required(q)
    need = [static] * n if static is not None else None
    if need is None:
        need = verdicts.shown.truths(q.required or "", scope, current=q.name)
    allowed = verdicts.shown.allowed(q) if q.choice_filter else None
    listed = verdicts.instrument.choices(q) if q.is_select else None
    values = verdicts.calculated(scope, q.name) if q.calculation else None
    states: list[FieldState] = []
    cleaned: list[str] = []
    for index, row in enumerate(rows):
        shown = relevant[index]
        value = values[index] if values is not None else row.values[q.name]
        value = value if shown else ""
        cleaned.append(value)
        error = problem = None
        if shown and q.name in row.invalid:
            problem, error = row.invalid[q.name]
        elif not constraint_ok[index]:
            problem, error = "constraint", _constraint_message(q)
        elif not choice_ok[index]:
            codes = allowed[index] if allowed is not None else listed.codes if listed else ()
            problem, error = (
                "choice",
                _filtered_message([c for c in value.split() if c not in codes]),
            )
        elif is_key and value == "":
            problem, error = "required", _key_message(q)
        elif not required_ok[index] and q.type != "calculate":
            problem, error = "required", _required_message(q)
        required = shown and (bool(need[index]) or is_key)
        if error is None and values is None and allowed is None:
            states.append(_PLAIN[(shown, required)])  # most answers: shared, immutable
            continue
        states.append(
            FieldState(
                relevant=shown,
                required=required,
                error=error,
                problem=problem,
                value=value if q.calculation else None,
                choices=allowed[index] if allowed is not None else None,
            )
        )
    return states, cleaned


def check(
    instrument: Instrument, answers: Answers, *, key: str | None = None, final: bool = False
) -> Check:
    """Apply the instrument's rules to one questionnaire's answers.

    Parameters
    ----------
    instrument : Instrument
    answers : Answers
        The answers as typed.
    key : str, optional
        The question identifying the paper questionnaire: it must be answered.
    final : bool
        True for a save: repeat rows left entirely empty are dropped from the answers.

    Raises
    ------
    BadExpression
        ``EXP...`` when an expression of the form cannot be evaluated (``EXP010``: a
        cycle among calculations and relevance conditions).
    EntryError
        ``ENT022`` when the engine fails on the form in any other way.

    Examples
    --------
    >>> from analysis.instrument.model import Instrument, Question
    >>> form = Instrument(path=None, form_id="hh", title="hh", version=None,
    ...     default_language=None, languages=(), groups=(), choice_lists={},
    ...     questions=(Question("hh_id", "text"), Question("hh_size", "integer")))
    >>> result = check(form, Answers({"hh_id": " H1 ", "hh_size": "０4"}), key="hh_id")
    >>> result.ok, result.answers.values["hh_size"], result.answers.values["hh_id"]
    (True, '4', 'H1')
    >>> check(form, Answers({"hh_size": "four"}), key="hh_id").problems()["hh_size"]["en"]
    'Enter a whole number.'
    """
    return check_many(instrument, [answers], key=key, final=final)[0]


def check_many(
    instrument: Instrument,
    questionnaires: Sequence[Answers],
    *,
    key: str | None = None,
    final: bool = False,
) -> list[Check]:
    """:func:`check` on many questionnaires at once (one engine pass over all of them).

    Each questionnaire is judged on its own answers only: the result is the same as
    :func:`check` on each (what re-checking every saved entry needs).

    Examples
    --------
    >>> from analysis.instrument.model import Instrument, Question
    >>> form = Instrument(path=None, form_id="hh", title="hh", version=None,
    ...     default_language=None, languages=(), groups=(), choice_lists={},
    ...     questions=(Question("hh_size", "integer", constraint=". > 0"),))
    >>> [c.ok for c in check_many(form, [Answers({"hh_size": "3"}), Answers({"hh_size": "0"})])]
    [True, False]
    """
    record = Record(instrument, questionnaires)
    try:
        verdicts = _Verdicts(instrument, record)
        fields, cleaned, piped = _states(verdicts, key)
        groups, counts = verdicts.groups(), verdicts.counts()
    except BaicunError:
        raise
    except Exception as exc:  # the engine failing on a form must not look like a crash
        raise EntryError(
            "ENT022",
            f"the form's logic could not be evaluated ({type(exc).__name__}: {exc})",
            file=instrument.path,
            hint="Run 'baicun instrument check' on the form and fix the expression it names.",
        ) from None
    counted = record.counted()
    return [
        Check(
            drop_empty_rows(answers, counted) if final else answers,
            MappingProxyType(states),
            MappingProxyType(shown),
            MappingProxyType(rows),
            MappingProxyType(texts["labels"]),
            MappingProxyType(texts["hints"]),
            MappingProxyType(texts["heads"]),
        )
        for answers, states, shown, rows, texts in zip(
            cleaned, fields, groups, counts, piped, strict=True
        )
    ]


def probe_form(instrument: Instrument, key: str) -> None:
    """Apply every rule of the form once (one row in every repeat): fail fast on a bad
    expression or a cycle, before a clerk types.

    Raises
    ------
    BaicunError
        The engine's coded error (``EXP...``) for the first expression it cannot evaluate.
    """

    def probe(nodes: tuple) -> dict[str, tuple[Answers, ...]]:
        repeats: dict[str, tuple[Answers, ...]] = {}
        for node in nodes:
            if isinstance(node, RepeatBlock):
                repeats[node.name] = (Answers({}, probe(node.children)),)
            elif isinstance(node, Section):
                repeats.update(probe(node.children))
        return repeats

    check(instrument, Answers({key: "x"}, probe(layout(instrument))), key=key)
