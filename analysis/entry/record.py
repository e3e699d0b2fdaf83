"""Questionnaires as the expression engine reads them: one main row each, plus repeat rows.

:class:`Record` takes the answers on the entry screen (of one questionnaire, or of many
at once), puts every answer in its canonical
form (:func:`~analysis.entry.values.canonical`, which also reports answers of the wrong
type or with an unknown choice code) and lays them out as one
:class:`~analysis.expressions.data.FormData`: each questionnaire is one row of the main
frame, each repeat a frame whose rows point at their parent row. :func:`~analysis.expressions.forms.check_form`
applies the form to it exactly as validation applies it to a whole wave.

Examples
--------
>>> from analysis.instrument.model import Group, Instrument, Question
>>> form = Instrument(
...     path=None, form_id="hh", title="hh", version=None, default_language=None,
...     languages=("default",), choice_lists={},
...     groups=(Group("members", "repeat"),),
...     questions=(Question("hh_size", "integer"),
...                Question("m_age", "integer", group_path=("members",), repeat="members")),
... )
>>> typed = Answers({"hh_size": "０2"}, {"members": [Answers({"m_age": "40"}), Answers({})]})
>>> record = Record(form, typed)
>>> record.data().frame("members")["m_age"].tolist()
['40', '']
>>> [row.path("m_age") for row in record.rows["members"]]
['members[1]/m_age', 'members[2]/m_age']
>>> record.answers()[0].get("hh_size")
'2'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from ..expressions import FormData, Repeat
from ..instrument.model import Instrument, Question
from .answers import Answers
from .layout import RepeatBlock, Section, layout
from .values import Message, canonical

__all__ = ["Record", "Row", "drop_empty_rows"]

#: Columns linking the rows of the record's frames (not question names: they start with '__').
KEY = "__entry_key"
PARENT = "__entry_parent"


@dataclass
class Row:
    """One row of a scope: the main record, or one row of a repeat."""

    #: Path prefix of its answers: "" or "members[2]/".
    prefix: str
    #: Position of the parent row in the parent scope (-1 for the main record).
    parent: int
    key: str
    #: Position of the questionnaire the row belongs to (its row in the main record).
    owner: int
    #: Canonical answers by question name ('' when unanswered).
    values: dict[str, str]
    #: Answers that are not valid for their type or list: name -> (problem, message).
    invalid: dict[str, tuple[str, Message]] = field(default_factory=dict)

    def path(self, name: str) -> str:
        """The path of question ``name`` in this row (``members[2]/m_age``)."""
        return self.prefix + name


class Record:
    """The rows of every scope (None: the main record; else a repeat) of one questionnaire."""

    def __init__(self, instrument: Instrument, answers: Answers | Sequence[Answers]) -> None:
        self.instrument = instrument
        self.rows: dict[str | None, list[Row]] = {None: []}
        #: Repeat name -> the scope enclosing it.
        self.parents: dict[str, str | None] = {}
        #: Scope -> its data questions, in form order.
        self.questions: dict[str | None, tuple[Question, ...]] = {}
        self.repeat_blocks: dict[str, RepeatBlock] = {}
        self._by_parent: dict[str, dict[int, list[int]]] = {}
        #: Scope -> (question, codes of its choice list or None), in form order.
        self._codes: dict[str | None, tuple[tuple[Question, tuple[str, ...] | None], ...]] = {}
        self._declare(layout(instrument), None)
        many = answers if not isinstance(answers, Answers) else (answers,)
        for owner, one in enumerate(many):
            self._add(one, None, "", -1, f"r{owner}", owner)

    def __len__(self) -> int:
        """The number of questionnaires (rows of the main record)."""
        return len(self.rows[None])

    def _declare(self, nodes: tuple, scope: str | None) -> None:
        self.questions[scope] = tuple(q for q in self.instrument.questions_in(scope) if q.is_data)
        self._codes[scope] = tuple((q, _codes(self.instrument, q)) for q in self.questions[scope])

        def visit(children: tuple) -> None:
            for node in children:
                if isinstance(node, RepeatBlock):
                    self.parents[node.name] = scope
                    self.repeat_blocks[node.name] = node
                    self.rows[node.name] = []
                    self._declare(node.children, node.name)
                elif isinstance(node, Section):
                    visit(node.children)

        visit(nodes)

    def _add(
        self, answers: Answers, scope: str | None, prefix: str, parent: int, key: str, owner: int
    ) -> None:
        row = Row(prefix, parent, key, owner, {})
        index = len(self.rows[scope])
        self.rows[scope].append(row)
        for question, codes in self._codes[scope]:
            value, problem = canonical(question, answers.get(question.name), codes)
            row.values[question.name] = value
            if problem is not None:
                kind = "choice" if question.is_select and codes is not None else "type"
                row.invalid[question.name] = (kind, problem)
        for repeat, block in self.repeat_blocks.items():
            if self.parents[repeat] != scope:
                continue
            for number, child in enumerate(answers.rows(block.name), start=1):
                path = f"{prefix}{repeat}[{number}]/"
                self._add(child, repeat, path, index, f"{key}/{repeat}[{number}]", owner)

    # ------------------------------------------------------------------ for the engine
    def data(self) -> FormData:
        """The record as the engine reads it: every answer as text, '' when unanswered."""
        repeats = {
            name: Repeat(self._frame(name), parent_key=PARENT, parent=parent, key=KEY)
            for name, parent in self.parents.items()
        }
        return FormData(self._frame(None), repeats, key=KEY)

    def _frame(self, scope: str | None) -> pd.DataFrame:
        rows = self.rows[scope]
        columns: dict[str, list[str]] = {
            q.name: [r.values[q.name] for r in rows] for q in self.questions[scope]
        }
        columns[KEY] = [r.key for r in rows]
        if scope is not None:
            parent_rows = self.rows[self.parents[scope]]
            columns[PARENT] = [parent_rows[r.parent].key for r in rows]
        return pd.DataFrame(columns, index=pd.RangeIndex(len(rows)), dtype=object)

    # ------------------------------------------------------------------ back to answers
    def answers(
        self, value: Callable[[str | None, int, Question], str] | None = None
    ) -> list[Answers]:
        """The answers of each questionnaire, each answer given by ``value(scope, row,
        question)`` (default: the canonical answer)."""

        def pick(scope: str | None, index: int, q: Question) -> str:
            return self.rows[scope][index].values[q.name]

        return [self._answers(None, owner, value or pick) for owner in range(len(self))]

    def _answers(self, scope: str | None, index: int, value: Callable) -> Answers:
        values = {q.name: value(scope, index, q) for q in self.questions[scope]}
        repeats = {
            repeat: tuple(
                self._answers(repeat, i, value) for i in self._children(repeat).get(index, ())
            )
            for repeat, parent in self.parents.items()
            if parent == scope
        }
        return Answers(values, repeats)

    def _children(self, repeat: str) -> dict[int, list[int]]:
        """Rows of ``repeat`` by the position of their parent row."""
        if repeat not in self._by_parent:
            by_parent: dict[int, list[int]] = {}
            for i, row in enumerate(self.rows[repeat]):
                by_parent.setdefault(row.parent, []).append(i)
            self._by_parent[repeat] = by_parent
        return self._by_parent[repeat]

    def counted(self) -> frozenset[str]:
        """Repeats whose row count a ``repeat_count`` sets."""
        return frozenset(
            name for name, block in self.repeat_blocks.items() if block.group.repeat_count
        )


def _codes(instrument: Instrument, question: Question) -> tuple[str, ...] | None:
    choices = instrument.choices(question)
    return tuple(choices.codes) if choices is not None else None


def drop_empty_rows(answers: Answers, keep: frozenset[str] = frozenset()) -> Answers:
    """``answers`` without the repeat rows that hold no answer (except in repeats ``keep``).

    Examples
    --------
    >>> typed = Answers({"a": "1"}, {"kids": [Answers({"k": "x"}), Answers({"k": ""})]})
    >>> len(drop_empty_rows(typed).rows("kids")), len(drop_empty_rows(typed, {"kids"}).rows("kids"))
    (1, 2)
    """
    repeats = {}
    for name, rows in answers.repeats.items():
        kept = tuple(drop_empty_rows(r, keep) for r in rows)
        if name not in keep:
            kept = tuple(r for r in kept if r.flat())
        repeats[name] = kept
    return Answers(answers.values, repeats)
