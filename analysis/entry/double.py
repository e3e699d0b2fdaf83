"""Double entry: compare two typings of one paper questionnaire, and merge a resolution.

Two clerks type the same paper questionnaire independently. :func:`compare` lists every
answer on which they differ, in form order; repeat rows are matched by position, and a
row only one clerk typed differs from "no such row" (``None``). A supervisor looks at
the paper and decides each difference; :func:`merge` builds the resolved answers.

Examples
--------
>>> from analysis.entry.answers import Answers
>>> from analysis.instrument.model import Group, Instrument, Question
>>> form = Instrument(path=None, form_id="hh", title="hh", version=None,
...     default_language=None, languages=(), choice_lists={},
...     groups=(Group("members", "repeat"),),
...     questions=(Question("hh_id", "text"), Question("hh_size", "integer"),
...                Question("m_age", "integer", group_path=("members",), repeat="members")))
>>> one = Answers({"hh_id": "H1", "hh_size": "4"}, {"members": [Answers({"m_age": "30"})]})
>>> two = Answers({"hh_id": "H1", "hh_size": "5"},
...               {"members": [Answers({"m_age": "30"}), Answers({"m_age": "8"})]})
>>> [(d.path, d.first, d.second) for d in compare(form, one, two)]
[('hh_size', '4', '5'), ('members[2]/m_age', None, '8')]
>>> merge(form, one, two, {"hh_size": "5", "members[2]/m_age": "8"}) == two
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from ..errors import EntryError
from ..instrument.model import Instrument, Question
from .answers import Answers
from .layout import RepeatBlock, Section, layout

__all__ = ["Difference", "answer_paths", "compare", "counter", "merge"]


@dataclass(frozen=True)
class Difference:
    """One answer on which two typings differ (``None``: that typing has no such row)."""

    path: str
    question: Question
    first: str | None
    second: str | None


def _pairs(
    nodes: tuple, one: Answers | None, two: Answers | None, prefix: str
) -> Iterator[tuple[str, Question, str | None, str | None]]:
    for node in nodes:
        if isinstance(node, Section):
            yield from _pairs(node.children, one, two, prefix)
        elif isinstance(node, RepeatBlock):
            rows_one = one.rows(node.name) if one is not None else ()
            rows_two = two.rows(node.name) if two is not None else ()
            for index in range(max(len(rows_one), len(rows_two))):
                yield from _pairs(
                    node.children,
                    rows_one[index] if index < len(rows_one) else None,
                    rows_two[index] if index < len(rows_two) else None,
                    f"{prefix}{node.name}[{index + 1}]/",
                )
        elif node.question.is_data:
            name = node.name
            yield (
                prefix + name,
                node.question,
                one.get(name) if one is not None else None,
                two.get(name) if two is not None else None,
            )


def compare(instrument: Instrument, first: Answers, second: Answers) -> tuple[Difference, ...]:
    """Every answer on which two typings differ, in form order.

    Answers are compared as stored (already canonical: ``05`` and ``5`` were both saved
    as ``5``). An empty answer and a missing row are the same for a row both have.
    Calculations are not compared: they follow from the other answers.
    """
    out = []
    for path, question, a, b in _pairs(layout(instrument), first, second, ""):
        if question.type == "calculate":
            continue  # derived: recomputed from the resolved answers, never decided
        if (a or "") != (b or ""):
            out.append(Difference(path, question, a, b))
    return tuple(out)


def counter(instrument: Instrument) -> Callable[[Answers, Answers], int]:
    """A function counting the differences between two typings of ``instrument``."""
    return lambda first, second: len(compare(instrument, first, second))


def merge(
    instrument: Instrument, first: Answers, second: Answers, decisions: Mapping[str, str]
) -> Answers:
    """The resolved answers: agreed answers kept, each difference as decided.

    ``decisions`` maps the path of every difference to the answer on the paper ('' for
    none). Rows left entirely empty at the end of a repeat disappear.

    Raises
    ------
    EntryError
        ``ENT019`` when a difference has no decision.
    """
    flat = first.flat()
    for diff in compare(instrument, first, second):
        if diff.path not in decisions:
            raise EntryError(
                "ENT019",
                "a difference between the two typings has not been decided",
                column=diff.path,
                hint="Choose the first typing, the second, or type what the paper says.",
            )
        value = decisions[diff.path]
        if value:
            flat[diff.path] = value
        else:
            flat.pop(diff.path, None)
    return Answers.from_flat(flat)


def answer_paths(instrument: Instrument, answers: Answers) -> tuple[tuple[str, Question, str], ...]:
    """Every non-empty answer of a questionnaire as (path, question, value), in form order."""
    return tuple(
        (path, question, value)
        for path, question, value, _ in _pairs(layout(instrument), answers, None, "")
        if value
    )
