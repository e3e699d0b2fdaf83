"""The answers of one paper questionnaire as typed: values plus rows of each repeat.

An :class:`Answers` holds the main record's values (question name -> text, '' when
unanswered) and, per repeat, a tuple of :class:`Answers` (one per row, nested repeats
inside). It is what the browser sends, what the store keeps (as JSON) and what double
entry compares. Paths name one answer: ``hh_size`` in the main record,
``members[2]/m_age`` in the second row of the ``members`` repeat (1-based, as XPath).

Examples
--------
>>> a = Answers.from_json({"values": {"hh_id": "H1"},
...                        "repeats": {"members": [{"values": {"m_age": "30"}}]}})
>>> a.to_json()
{'values': {'hh_id': 'H1'}, 'repeats': {'members': [{'values': {'m_age': '30'}, 'repeats': {}}]}}
>>> flat = a.flat()
>>> flat
{'hh_id': 'H1', 'members[1]/m_age': '30'}
>>> Answers.from_flat(flat) == a
True
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..errors import EntryError
from ..instrument.model import Instrument
from .layout import RepeatBlock, Section, layout

__all__ = ["MAX_ROWS", "Answers", "parse_path"]

#: Most rows one repeat may hold (a guard against runaway input).
MAX_ROWS = 500

_SEGMENT = re.compile(r"([^\[\]/]+)\[(\d+)\]")


@dataclass(frozen=True)
class Answers:
    """Answers of one questionnaire (or of one repeat row)."""

    values: Mapping[str, str] = field(default_factory=dict)
    repeats: Mapping[str, tuple[Answers, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))
        object.__setattr__(
            self, "repeats", MappingProxyType({k: tuple(v) for k, v in self.repeats.items()})
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Answers):
            return NotImplemented
        return self.flat() == other.flat()

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.flat().items())))

    # ------------------------------------------------------------------ access
    def get(self, name: str) -> str:
        """The answer to ``name`` in this record ('' when unanswered)."""
        return self.values.get(name, "")

    def rows(self, repeat: str) -> tuple[Answers, ...]:
        """The rows of ``repeat`` in this record."""
        return self.repeats.get(repeat, ())

    def flat(self) -> dict[str, str]:
        """Every non-empty answer by path (``members[2]/m_age``), main record first."""
        out: dict[str, str] = {}
        for path, value in self._walk(""):
            if value != "":
                out[path] = value
        return out

    def _walk(self, prefix: str) -> Iterator[tuple[str, str]]:
        for name, value in self.values.items():
            yield prefix + name, value
        for repeat, rows in self.repeats.items():
            for index, row in enumerate(rows, start=1):
                yield from row._walk(f"{prefix}{repeat}[{index}]/")

    # ------------------------------------------------------------------ building
    def with_values(self, **values: str) -> Answers:
        """A copy with some values replaced."""
        return Answers({**self.values, **values}, self.repeats)

    @classmethod
    def from_flat(cls, flat: Mapping[str, str]) -> Answers:
        """Rebuild answers from paths (see :meth:`flat`); missing rows are empty rows."""
        values: dict[str, str] = {}
        nested: dict[str, dict[int, dict[str, str]]] = {}
        for path, value in flat.items():
            segments, name = parse_path(path)
            if not segments:
                values[name] = value
                continue
            (repeat, index), rest = (
                segments[0],
                "/".join([f"{r}[{i}]" for r, i in segments[1:]] + [name]),
            )
            nested.setdefault(repeat, {}).setdefault(index, {})[rest] = value
        repeats = {}
        for repeat, by_index in nested.items():
            count = max(by_index)
            repeats[repeat] = tuple(cls.from_flat(by_index.get(i, {})) for i in range(1, count + 1))
        return cls(values, repeats)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict ``{"values": {...}, "repeats": {name: [row, ...]}}``."""
        return {
            "values": dict(self.values),
            "repeats": {k: [row.to_json() for row in rows] for k, rows in self.repeats.items()},
        }

    def dumps(self) -> str:
        """Canonical JSON text (sorted keys, UTF-8 characters kept)."""
        return json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def loads(cls, text: str) -> Answers:
        """Answers from :meth:`dumps` text."""
        return cls.from_json(json.loads(text))

    @classmethod
    def from_json(cls, data: Any, instrument: Instrument | None = None) -> Answers:
        """Answers from their JSON form, checked against ``instrument`` when given.

        Values may be strings, numbers or null (null is ''). With an instrument, names
        must be data questions of the right record and repeats must be repeats of the
        form; anything else is refused (``ENT020``).
        """
        allowed = _shape(instrument) if instrument is not None else None
        return cls._from_json(data, allowed, None, "")

    @classmethod
    def _from_json(
        cls, data: Any, allowed: Mapping[str | None, tuple] | None, repeat: str | None, where: str
    ) -> Answers:
        if not isinstance(data, Mapping):
            raise _bad(
                where or "answers", "an object with 'values' and 'repeats'", type(data).__name__
            )
        raw_values = data.get("values") or {}
        raw_repeats = data.get("repeats") or {}
        if not isinstance(raw_values, Mapping) or not isinstance(raw_repeats, Mapping):
            raise _bad(where or "answers", "'values' and 'repeats' objects", "something else")
        names, repeats = allowed[repeat] if allowed is not None else (None, None)
        values: dict[str, str] = {}
        for name, value in raw_values.items():
            if names is not None and name not in names:
                raise _bad(where + str(name), "a question of this form", str(name))
            if value is None:
                value = ""
            elif isinstance(value, bool) or not isinstance(value, str | int | float):
                raise _bad(where + str(name), "text", type(value).__name__)
            values[str(name)] = str(value)
        rows: dict[str, tuple[Answers, ...]] = {}
        for name, items in raw_repeats.items():
            if repeats is not None and name not in repeats:
                raise _bad(where + str(name), "a repeat of this form", str(name))
            if not isinstance(items, list) or len(items) > MAX_ROWS:
                raise _bad(
                    where + str(name), f"a list of at most {MAX_ROWS} rows", type(items).__name__
                )
            rows[str(name)] = tuple(
                cls._from_json(item, allowed, name, f"{where}{name}[{i}]/")
                for i, item in enumerate(items, start=1)
            )
        return cls(values, rows)


def parse_path(path: str) -> tuple[tuple[tuple[str, int], ...], str]:
    """Split ``members[2]/m_age`` into ``((("members", 2),), "m_age")``.

    Examples
    --------
    >>> parse_path("plots[1]/crops[3]/area")
    ((('plots', 1), ('crops', 3)), 'area')
    >>> parse_path("hh_size")
    ((), 'hh_size')
    """
    *heads, name = path.split("/")
    segments = []
    for head in heads:
        match = _SEGMENT.fullmatch(head)
        if not match or int(match[2]) < 1:
            raise _bad(path, "a path like members[2]/m_age", path)
        segments.append((match[1], int(match[2])))
    return tuple(segments), name


def _bad(where: str, expected: str, found: str) -> EntryError:
    return EntryError(
        "ENT020",
        "the answers sent are not shaped like this form",
        column=where,
        expected=expected,
        found=found,
        hint="Reload the entry page: the form may have changed since it was opened.",
    )


def _shape(instrument: Instrument) -> dict[str | None, tuple[frozenset, frozenset]]:
    """Per record (None: main; else a repeat name): allowed question and repeat names."""
    shape: dict[str | None, tuple[frozenset, frozenset]] = {}

    def visit(children: tuple, record: str | None) -> None:
        names: set[str] = set()
        repeats: set[str] = set()

        def collect(nodes: tuple) -> None:
            for node in nodes:
                if isinstance(node, RepeatBlock):
                    repeats.add(node.name)
                    visit(node.children, node.name)
                elif isinstance(node, Section):
                    collect(node.children)
                elif node.question.is_data:
                    names.add(node.name)

        collect(children)
        shape[record] = (frozenset(names), frozenset(repeats))

    visit(layout(instrument), None)
    return shape
