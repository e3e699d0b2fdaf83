"""The entry screen's layout of an instrument: sections, repeats and fields in form order.

The Instrument lists questions in form order and says which groups enclose each one;
this module turns that into the tree an entry screen (and an export) walks: a
:class:`Section` per group, a :class:`RepeatBlock` per repeat, a :class:`Field` per
question. Groups without any question vanish.

Examples
--------
>>> from analysis.instrument.model import Group, Instrument, Question
>>> form = Instrument(
...     path=None, form_id="hh", title="hh", version=None, default_language=None,
...     languages=("default",), choice_lists={},
...     groups=(Group("members", "repeat"),),
...     questions=(Question("hh_id", "text"),
...                Question("m_age", "integer", group_path=("members",), repeat="members")),
... )
>>> [type(node).__name__ for node in layout(form)]
['Field', 'RepeatBlock']
>>> layout(form)[1].fields[0].question.name
'm_age'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..instrument.model import Group, Instrument, Question

__all__ = ["Field", "Node", "RepeatBlock", "Section", "layout", "shown", "widget"]


@dataclass(frozen=True)
class Field:
    """One question on the screen."""

    question: Question
    kind: ClassVar[str] = "field"

    @property
    def name(self) -> str:
        return self.question.name


@dataclass(frozen=True)
class Section:
    """A group: a titled section of the screen."""

    group: Group
    children: tuple[Node, ...]
    kind: ClassVar[str] = "section"

    @property
    def name(self) -> str:
        return self.group.name

    @property
    def fields(self) -> tuple[Field, ...]:
        """Fields of this section and its nested sections (not of nested repeats)."""
        return _fields(self.children)


@dataclass(frozen=True)
class RepeatBlock:
    """A repeat: rows the clerk adds and removes (or as many as ``repeat_count`` says)."""

    group: Group
    children: tuple[Node, ...]
    kind: ClassVar[str] = "repeat"

    @property
    def name(self) -> str:
        return self.group.name

    @property
    def fields(self) -> tuple[Field, ...]:
        """Fields of one row (nested sections flattened; nested repeats excluded)."""
        return _fields(self.children)

    @property
    def repeats(self) -> tuple[RepeatBlock, ...]:
        """Repeats nested directly in a row of this one."""
        return _repeats(self.children)


Node = Field | Section | RepeatBlock


def _fields(children: tuple[Node, ...]) -> tuple[Field, ...]:
    out: list[Field] = []
    for child in children:
        if isinstance(child, Field):
            out.append(child)
        elif isinstance(child, Section):
            out.extend(child.fields)
    return tuple(out)


def _repeats(children: tuple[Node, ...]) -> tuple[RepeatBlock, ...]:
    out: list[RepeatBlock] = []
    for child in children:
        if isinstance(child, RepeatBlock):
            out.append(child)
        elif isinstance(child, Section):
            out.extend(_repeats(child.children))
    return tuple(out)


#: Layouts by instrument object (Instruments hold mappings, so they are not hashable);
#: the instrument is kept alongside so its id cannot be reused while cached.
_CACHE: dict[int, tuple[Instrument, tuple]] = {}


def layout(instrument: Instrument) -> tuple[Node, ...]:
    """The screen tree of ``instrument`` (cached per instrument object)."""
    hit = _CACHE.get(id(instrument))
    if hit is not None and hit[0] is instrument:
        return hit[1]
    tree = _layout(instrument)
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[id(instrument)] = (instrument, tree)
    return tree


def _layout(instrument: Instrument) -> tuple[Node, ...]:
    # Mutable skeleton first: name -> (group, children list); then freeze bottom-up.
    root: list = []
    children_of: dict[str, list] = {}
    groups = {g.name: g for g in instrument.groups}
    for question in instrument.questions:
        parent = root
        for name in question.group_path:
            if name not in children_of:
                children_of[name] = []
                parent.append(("group", name))
            parent = children_of[name]
        parent.append(Field(question))

    def freeze(items: list) -> tuple[Node, ...]:
        out: list[Node] = []
        for item in items:
            if isinstance(item, Field):
                out.append(item)
                continue
            group = groups.get(item[1]) or Group(item[1], "group")
            kids = freeze(children_of[item[1]])
            out.append(RepeatBlock(group, kids) if group.kind == "repeat" else Section(group, kids))
        return tuple(out)

    return freeze(root)


#: Widget of each question type on the entry screen.
_WIDGETS = {
    "integer": "number",
    "decimal": "number",
    "range": "number",
    "text": "text",
    "barcode": "text",
    "select_one": "select",
    "select_one_from_file": "select",
    "select_one_external": "select",
    "select_multiple": "multi",
    "select_multiple_from_file": "multi",
    "rank": "multi",
    "date": "date",
    "datetime": "datetime",
    "time": "time",
    "geopoint": "text",
    "geotrace": "text",
    "geoshape": "text",
    "acknowledge": "ack",
    "trigger": "ack",
    "note": "note",
    "calculate": "calc",
}


def widget(question: Question) -> str | None:
    """The widget typing ``question`` on paper entry, or None when it is not shown.

    Metadata (start, end, deviceid, ...), media and hidden questions are not typed from
    paper; calculations are shown (read-only) only when they have a label.

    Examples
    --------
    >>> widget(Question("a", "select_one")), widget(Question("t", "text", appearance="multiline"))
    ('select', 'textarea')
    >>> widget(Question("s", "start")), widget(Question("c", "calculate"))
    (None, None)
    """
    kind = _WIDGETS.get(question.type)
    if kind == "calc" and not question.labels:
        return None
    if kind == "text" and question.type == "text" and "multiline" in (question.appearance or ""):
        return "textarea"
    return kind


def shown(node: Node) -> bool:
    """True when ``node`` puts anything on the screen (a section of metadata does not)."""
    if isinstance(node, Field):
        return widget(node.question) is not None
    return any(shown(child) for child in node.children)
