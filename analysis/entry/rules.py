"""The instrument's rules applied to one questionnaire while it is typed.

:func:`check` takes the answers on the entry screen and returns what the screen must
show: which questions are skipped (not relevant: hidden, and their answers cleared),
which answers break a constraint, a type or a choice list, which required questions are
empty, the values of calculations, the choices a ``choice_filter`` leaves, and the row
count of repeats with a ``repeat_count``. It also returns the cleaned answers: canonical
values, skipped answers cleared, calculations filled in. This is what is saved.

Every expression is evaluated by :mod:`analysis.expressions`, the toolkit's one engine,
on a one-record :class:`~analysis.expressions.data.FormData` (the main record plus one
frame per repeat): the entry screen applies exactly the rules validation applies to an
exported wave. The browser evaluates nothing.

Semantics (ODK's): an unanswered question is ''; a question is relevant when its own
``relevant`` and that of every enclosing group and repeat hold; a skipped answer is
cleared before anything else reads it; a constraint is checked only on a relevant,
answered question; ``required`` on a relevant question only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import BaicunError
from ..instrument.model import Group, Instrument, Question
from .answers import MAX_ROWS, Answers
from .errors import EntryError
from .layout import RepeatBlock, Section, layout
from .values import Message, canonical, message

__all__ = ["Check", "FieldState", "check", "check_form"]

#: Passes of (calculate, relevance) before giving up on a fixpoint.
_MAX_PASSES = 6


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

    @property
    def ok(self) -> bool:
        """True when nothing blocks saving."""
        return all(state.error is None for state in self.fields.values())

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
        }


# --------------------------------------------------------------------------- rows
@dataclass
class _Row:
    """One record of a scope (the main record, or one repeat row), mutable while checking."""

    scope: str | None
    prefix: str  # path prefix of its answers: "" or "members[2]/"
    parent: int  # index of the parent row in the parent scope (-1 for the main record)
    key: str
    values: dict[str, str]
    errors: dict[str, tuple[str, Message]] = field(default_factory=dict)
    relevant: dict[str, bool] = field(default_factory=dict)
    #: Results of ``required`` expressions.
    required: dict[str, bool] = field(default_factory=dict)


class _Record:
    """The rows of every scope of one questionnaire."""

    def __init__(self, instrument: Instrument, answers: Answers) -> None:
        self.instrument = instrument
        self.scopes: dict[str | None, list[_Row]] = {None: []}
        self.parents: dict[str, str | None] = {}
        self.questions: dict[str | None, tuple[Question, ...]] = {}
        self.repeat_blocks: dict[str, RepeatBlock] = {}
        self._declare(layout(instrument), None)
        self._add(answers, None, "", -1, "r")

    def _declare(self, nodes: tuple, scope: str | None) -> None:
        names = [q for q in self.instrument.questions_in(scope) if q.is_data]
        self.questions[scope] = tuple(names)

        def visit(children: tuple) -> None:
            for node in children:
                if isinstance(node, RepeatBlock):
                    self.parents[node.name] = scope
                    self.repeat_blocks[node.name] = node
                    self.scopes[node.name] = []
                    self._declare(node.children, node.name)
                elif isinstance(node, Section):
                    visit(node.children)

        visit(nodes)

    def _add(self, answers: Answers, scope: str | None, prefix: str, parent: int, key: str) -> None:
        row = _Row(scope, prefix, parent, key, {})
        index = len(self.scopes[scope])
        self.scopes[scope].append(row)
        for question in self.questions[scope]:
            codes = None
            choices = self.instrument.choices(question)
            if choices is not None:
                codes = choices.codes
            value, problem = canonical(question, answers.get(question.name), codes)
            row.values[question.name] = value
            if problem is not None:
                kind = "choice" if question.is_select and codes is not None else "type"
                row.errors[question.name] = (kind, problem)
        for repeat, block in self.repeat_blocks.items():
            if self.parents[repeat] != scope:
                continue
            for number, child in enumerate(answers.rows(block.name), start=1):
                self._add(
                    child,
                    repeat,
                    f"{prefix}{repeat}[{number}]/",
                    index,
                    f"{key}/{repeat}[{number}]",
                )

    def answers(self, scope: str | None = None, index: int = 0) -> Answers:
        row = self.scopes[scope][index]
        repeats = {}
        for repeat, parent in self.parents.items():
            if parent != scope:
                continue
            repeats[repeat] = tuple(
                self.answers(repeat, i)
                for i, child in enumerate(self.scopes[repeat])
                if child.parent == index
            )
        return Answers(dict(row.values), repeats)

    def drop_empty_rows(self, counted: set[str]) -> Answers:
        """The answers with repeat rows that hold no answer removed (not for counted repeats)."""

        def prune(answers: Answers) -> Answers:
            repeats = {}
            for name, rows in answers.repeats.items():
                kept = tuple(prune(r) for r in rows)
                if name not in counted:
                    kept = tuple(r for r in kept if r.flat())
                repeats[name] = kept
            return Answers(answers.values, repeats)

        return prune(self.answers())


# --------------------------------------------------------------------------- engine
def _has_logic(instrument: Instrument) -> bool:
    for q in instrument.questions:
        if q.relevant or q.constraint or q.calculation or q.choice_filter:
            return True
        if q.required and q.required.strip().lower() not in (
            "yes",
            "no",
            "true",
            "false",
            "true()",
            "false()",
            "1",
            "0",
        ):
            return True
    return any(g.relevant or g.repeat_count for g in instrument.groups)


class _Engine:
    """Evaluates the form's expressions on one record with :mod:`analysis.expressions`."""

    KEY = "__entry_key"
    PARENT = "__entry_parent"

    def __init__(self, record: _Record) -> None:
        self.record = record
        self.instrument = record.instrument
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the data from the record's current values (after clearing or calculating)."""
        from ..expressions import FormData, Repeat, session_for

        def frame(scope: str | None) -> pd.DataFrame:
            rows = self.record.scopes[scope]
            columns: dict[str, list] = {
                q.name: [r.values.get(q.name, "") for r in rows]
                for q in self.record.questions[scope]
            }
            columns[self.KEY] = [r.key for r in rows]
            if scope is not None:
                parent_rows = self.record.scopes[self.record.parents[scope]]
                columns[self.PARENT] = [parent_rows[r.parent].key for r in rows]
            return pd.DataFrame(columns, dtype=object)

        repeats = {
            name: Repeat(frame(name), parent_key=self.PARENT, parent=parent, key=self.KEY)
            for name, parent in self.record.parents.items()
        }
        self.data = FormData(frame(None), repeats, key=self.KEY)
        self.session = session_for(self.data, self.instrument)

    def on_question(self, expression: str, question: Question) -> list[Any]:
        """Values of ``expression`` per row of ``question``'s scope, ``.`` being the question."""
        from ..expressions import evaluate

        result = evaluate(
            expression,
            self.data,
            instrument=self.instrument,
            current=question.name,
            session=self.session,
        )
        return list(result)

    def in_scope(self, expression: str, scope: str | None) -> list[Any]:
        """Values of ``expression`` per row of ``scope`` (None: the main record)."""
        from ..expressions import evaluate

        result = evaluate(
            expression, self.data, instrument=self.instrument, repeat=scope, session=self.session
        )
        return list(result)


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
    """The answer text of a calculated value, as ODK stores it."""
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


def _group_chain(instrument: Instrument, question: Question) -> list[Group]:
    """Groups and repeats enclosing ``question`` that have a relevant, outermost first."""
    chain = []
    for name in question.group_path:
        group = instrument.group(name)
        if group.relevant:
            chain.append(group)
    return chain


#: Names read by some expression of a form, by instrument object id (with the instrument).
_READERS: dict[int, tuple[Instrument, frozenset[str]]] = {}


def _read_names(instrument: Instrument) -> frozenset[str]:
    """Every name an expression of the form reads: ``${name}`` references, plus each question
    whose own constraint or required expression reads it as ``.``."""
    hit = _READERS.get(id(instrument))
    if hit is not None and hit[0] is instrument:
        return hit[1]
    from ..expressions import parse

    names: set[str] = set()
    for q in instrument.questions:
        expressions = [q.relevant, q.calculation, q.constraint, q.choice_filter]
        if _static_required(q) is None:
            expressions.append(q.required)
        for text in expressions:
            if text:
                names |= parse(text).fields
        if q.constraint or _static_required(q) is None:
            names.add(q.name)
    for group in instrument.groups:
        for text in (group.relevant, group.repeat_count):
            if text:
                names |= parse(text).fields
    if len(_READERS) > 64:
        _READERS.clear()
    _READERS[id(instrument)] = (instrument, frozenset(names))
    return frozenset(names)


def _group_relevance(record: _Record, engine: _Engine) -> dict[tuple[str, int], bool]:
    """Own relevance of each group with a ``relevant``, per row of the scope enclosing it.

    A group (or repeat) is judged in the scope that contains it: a group inside a repeat
    per row of that repeat; a repeat of the main form once, on the main record.
    """
    out: dict[tuple[str, int], bool] = {}
    for group in record.instrument.groups:
        if (
            not group.relevant
            or group.repeat not in record.scopes
            or not record.scopes[group.repeat]
        ):
            continue
        for index, value in enumerate(engine.in_scope(group.relevant, group.repeat)):
            out[(group.name, index)] = _truth(value)
    return out


def _apply_logic(
    record: _Record,
) -> tuple[dict[str, bool], dict[str, int | None], dict[str, tuple[str, ...]]]:
    """Run calculations, relevance, constraints, required and choice filters in place.

    Returns the relevance of groups by path, repeat counts by path, and choice filters by path.
    """
    instrument = record.instrument
    engine = _Engine(record)
    questions = [q for q in instrument.questions if q.is_data]
    # Calculate and clear until nothing changes (a skipped answer may feed another rule).
    for _ in range(_MAX_PASSES):
        changed = False
        changed_names: set[str] = set()
        group_relevant = _group_relevance(record, engine)
        for q in questions:
            rows = record.scopes[q.repeat]
            if not rows:
                continue
            own = engine.on_question(q.relevant, q) if q.relevant else None
            calc = engine.on_question(q.calculation, q) if q.calculation else None
            chain = _group_chain(instrument, q)
            for index, row in enumerate(rows):
                relevant = own is None or _truth(own[index])
                for group in chain:
                    at = _ancestor_index(record, q.repeat, index, group.repeat)
                    relevant = relevant and group_relevant.get((group.name, at), True)
                row.relevant[q.name] = relevant
                new = row.values.get(q.name, "")
                if not relevant:
                    new = ""
                elif calc is not None:
                    new = _text(calc[index])
                if new != row.values.get(q.name, ""):
                    row.values[q.name] = new
                    if not relevant:
                        row.errors.pop(q.name, None)
                    changed = True
                    changed_names.add(q.name)
        if not changed:
            break
        engine.refresh()
        if not (changed_names & _read_names(instrument)):
            break  # nothing reads what changed (e.g. a calculation only exported)
    groups: dict[str, bool] = {}
    for (name, index), relevant in _group_relevance(record, engine).items():
        scope = instrument.group(name).repeat
        groups[record.scopes[scope][index].prefix + name] = relevant
    counts: dict[str, int | None] = {}
    for name, block in record.repeat_blocks.items():
        expression = block.group.repeat_count
        parent = record.parents[name]
        if not expression or not record.scopes[parent]:
            continue
        for index, value in enumerate(engine.in_scope(expression, parent)):
            number = _number(value)
            counts[record.scopes[parent][index].prefix + name] = (
                None if number is None else max(0, min(number, MAX_ROWS))
            )
    filters: dict[str, tuple[str, ...]] = {}
    for q in questions:
        rows = record.scopes[q.repeat]
        if not rows:
            continue
        if q.constraint:
            verdict = engine.on_question(q.constraint, q)
            for index, row in enumerate(rows):
                answered = row.values.get(q.name, "") != ""
                if row.relevant.get(q.name, True) and answered and q.name not in row.errors:
                    if not _truth(verdict[index]):
                        row.errors[q.name] = ("constraint", _constraint_message(q))
        if _static_required(q) is None:
            verdict = engine.on_question(q.required, q)  # type: ignore[arg-type]
            for index, row in enumerate(rows):
                row.required[q.name] = _truth(verdict[index])
        if q.choice_filter:
            allowed = _choice_filter(engine, q)
            if allowed is None:
                continue
            for index, row in enumerate(rows):
                codes = allowed[index]
                filters[row.prefix + q.name] = codes
                chosen = row.values.get(q.name, "")
                if chosen and row.relevant.get(q.name, True) and q.name not in row.errors:
                    bad = [c for c in chosen.split() if c not in codes]
                    if bad:
                        row.errors[q.name] = (
                            "choice",
                            message(
                                f"此处不能选：{' '.join(bad)}。",
                                f"Not a choice here: {' '.join(bad)}.",
                            ),
                        )
    return groups, counts, filters


def _choice_filter(engine: _Engine, q: Question) -> list[tuple[str, ...]] | None:
    """Codes left by ``q``'s choice_filter, per row of its scope (None: no choice list).

    Each choice is tried in turn, its columns of the choices sheet (``name`` and the
    filter columns) being the bare names of the filter, as ODK does.
    """
    from ..expressions import parse
    from ..expressions.evaluate import Env
    from ..expressions.values import constant, to_boolean

    choices = engine.instrument.choices(q)
    if choices is None or not q.choice_filter:
        return None
    expression = parse(q.choice_filter)
    size = len(engine.record.scopes[q.repeat])
    allowed: list[list[str]] = [[] for _ in range(size)]
    for choice in choices:
        item = {"name": constant(choice.name)}
        item.update({str(k): constant(str(v)) for k, v in choice.extra.items() if v is not None})
        env = Env(engine.session, q.repeat, expression.text, current=q.name, item=item)
        verdict = to_boolean(env.value(expression.tree), size)
        flags = np.broadcast_to(np.asarray(verdict.data, dtype=bool), (size,))
        for index in range(size):
            if flags[index]:
                allowed[index].append(choice.name)
    return [tuple(codes) for codes in allowed]


def _number(value: Any) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number):
        return None
    return int(number)


def _ancestor_index(record: _Record, scope: str | None, index: int, ancestor: str | None) -> int:
    """Index in ``ancestor``'s rows of the row enclosing row ``index`` of ``scope``."""
    while scope != ancestor:
        if scope is None:
            return 0
        index = record.scopes[scope][index].parent
        scope = record.parents[scope]
    return index


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


# --------------------------------------------------------------------------- check
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
    record = _Record(instrument, answers)
    groups: dict[str, bool] = {}
    counts: dict[str, int | None] = {}
    filters: dict[str, tuple[str, ...]] = {}
    if _has_logic(instrument):
        try:
            groups, counts, filters = _apply_logic(record)
        except BaicunError:
            raise
        except Exception as exc:  # the engine failing on a form must not look like a crash
            raise EntryError(
                "ENT022",
                f"the form's logic could not be evaluated ({type(exc).__name__}: {exc})",
                file=instrument.path,
                hint="Run 'baicun instrument check' on the form and fix the expression it names.",
            ) from None
    fields: dict[str, FieldState] = {}
    for scope, rows in record.scopes.items():
        for row in rows:
            for q in record.questions[scope]:
                relevant = row.relevant.get(q.name, True)
                required = relevant and (
                    bool(_static_required(q))
                    or row.required.get(q.name, False)
                    or (key is not None and q.name == key and scope is None)
                )
                error = problem = None
                empty = row.values.get(q.name, "") == ""
                is_key = key is not None and q.name == key and scope is None
                if relevant and q.name in row.errors:
                    problem, error = row.errors[q.name]
                elif is_key and empty:
                    problem, error = "required", _key_message(q)
                elif required and empty and q.type != "calculate":
                    problem, error = "required", _required_message(q)
                fields[row.prefix + q.name] = FieldState(
                    relevant=relevant,
                    required=required,
                    error=error,
                    problem=problem,
                    value=row.values.get(q.name, "") if q.calculation else None,
                    choices=filters.get(row.prefix + q.name),
                )
    counted = {name for name, block in record.repeat_blocks.items() if block.group.repeat_count}
    cleaned = record.drop_empty_rows(counted) if final else record.answers()
    return Check(
        cleaned,
        MappingProxyType(fields),
        MappingProxyType(groups),
        MappingProxyType(counts),
    )


def check_form(instrument: Instrument, key: str) -> None:
    """Evaluate every rule of the form once (one row in every repeat): fail fast on a bad expression.

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
