"""The typed Instrument: questions, groups, repeats and choice lists of one XLSForm.

Objects here are immutable. They are built by :func:`analysis.instrument.load_instrument`
from pyxform's parse of the form; nothing here reads a spreadsheet.

Languages are normalised to short codes where the header says which language it is:
``label::中文 (zh)`` -> ``zh``, ``label::Chinese`` -> ``zh``, ``label::English (en)``
-> ``en``; a form without language columns has the single language ``default``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "DATA_TYPES",
    "METADATA_TYPES",
    "Choice",
    "ChoiceList",
    "Group",
    "Instrument",
    "Question",
]

#: Question types that never hold an answer (they are not data columns).
NON_DATA_TYPES = frozenset({"note"})

#: Metadata question types that ODK fills in itself.
METADATA_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "start-geopoint",
        "background-audio",
        "instanceID",
    }
)

#: Every question type the toolkit knows (the base type, after pyxform's aliases).
DATA_TYPES = frozenset(
    {
        "integer",
        "decimal",
        "text",
        "select_one",
        "select_multiple",
        "select_one_from_file",
        "select_multiple_from_file",
        "rank",
        "date",
        "datetime",
        "time",
        "geopoint",
        "geotrace",
        "geoshape",
        "calculate",
        "acknowledge",
        "range",
        "barcode",
        "image",
        "audio",
        "video",
        "file",
        "hidden",
        "xml-external",
        "csv-external",
        "trigger",
        "note",
    }
    | METADATA_TYPES
)


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Choice:
    """One choice of a choice list: its code (``name``) and its label per language."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    #: Other columns of the choices sheet (e.g. filter columns used by choice_filter).
    extra: Mapping[str, str] = field(default_factory=dict)
    row: int | None = None

    def label(self, lang: str | None = None) -> str:
        """The label in ``lang`` (falling back to any language, then to the code)."""
        return pick_text(self.labels, lang) or self.name


@dataclass(frozen=True)
class ChoiceList:
    """A named choice list of the choices sheet."""

    name: str
    choices: tuple[Choice, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        """The choice codes in sheet order."""
        return tuple(c.name for c in self.choices)

    def label_of(self, code: str, lang: str | None = None) -> str | None:
        """The label of ``code`` in ``lang``, or ``None`` when the code is not in the list."""
        for c in self.choices:
            if c.name == code:
                return c.label(lang)
        return None

    def __iter__(self) -> Iterator[Choice]:
        return iter(self.choices)

    def __len__(self) -> int:
        return len(self.choices)


@dataclass(frozen=True)
class Group:
    """A group or a repeat."""

    name: str
    kind: str  # "group" or "repeat"
    labels: Mapping[str, str] = field(default_factory=dict)
    relevant: str | None = None
    repeat_count: str | None = None
    appearance: str | None = None
    #: Names of the enclosing groups/repeats, outermost first (not including this one).
    path: tuple[str, ...] = ()
    #: Name of the nearest enclosing repeat (not this one), if any.
    repeat: str | None = None
    row: int | None = None

    def label(self, lang: str | None = None) -> str:
        """The label in ``lang`` (falling back to any language, then to the name)."""
        return pick_text(self.labels, lang) or self.name


@dataclass(frozen=True)
class Question:
    """One row of the survey sheet that is not a group or repeat."""

    name: str
    type: str
    labels: Mapping[str, str] = field(default_factory=dict)
    hints: Mapping[str, str] = field(default_factory=dict)
    #: Choice list of a select question.
    list_name: str | None = None
    #: select_one/select_multiple ``or_other``.
    or_other: bool = False
    #: File of select_one_from_file / select_multiple_from_file.
    itemset_file: str | None = None
    required: str | None = None
    required_message: Mapping[str, str] = field(default_factory=dict)
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: Mapping[str, str] = field(default_factory=dict)
    calculation: str | None = None
    choice_filter: str | None = None
    appearance: str | None = None
    default: str | None = None
    read_only: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    #: Names of the enclosing groups/repeats, outermost first.
    group_path: tuple[str, ...] = ()
    #: Name of the nearest enclosing repeat, if any.
    repeat: str | None = None
    #: Row of the survey sheet (1-based, header = row 1), when known.
    row: int | None = None
    #: Toolkit column ``pii``: the answer identifies a person.
    pii: bool = False
    #: Toolkit column ``missing_codes``: code -> meaning, e.g. {"98": "不知道", "99": "拒答"}.
    missing_codes: Mapping[str, str] = field(default_factory=dict)
    #: Toolkit column ``role``: id, weight, strata, psu, fpc, enumerator, ...
    role: str | None = None
    #: Every other column of the row (bind::, instance::, body::, media, ...).
    extra: Mapping[str, Any] = field(default_factory=dict)

    def label(self, lang: str | None = None) -> str:
        """The label in ``lang`` (falling back to any language, then to the name)."""
        return pick_text(self.labels, lang) or self.name

    def hint(self, lang: str | None = None) -> str:
        """The hint in ``lang`` (falling back to any language; '' when none)."""
        return pick_text(self.hints, lang) or ""

    @property
    def is_select(self) -> bool:
        """True for select_one, select_multiple, rank and their from_file variants."""
        return self.type.startswith("select_") or self.type == "rank"

    @property
    def is_multiple(self) -> bool:
        """True for answers holding several space-separated codes."""
        return self.type in ("select_multiple", "select_multiple_from_file", "rank")

    @property
    def is_data(self) -> bool:
        """True when the question holds an answer (a data column)."""
        return self.type not in NON_DATA_TYPES

    @property
    def is_required(self) -> bool:
        """True when ``required`` is set to yes/true (an expression counts as required)."""
        r = (self.required or "").strip().lower()
        return bool(r) and r not in ("no", "false", "false()", "0")


@dataclass(frozen=True)
class Instrument:
    """A parsed XLSForm: settings, languages, questions (in form order), groups, choice lists."""

    path: Path | None
    form_id: str
    title: str
    version: str | None
    default_language: str | None
    languages: tuple[str, ...]
    questions: tuple[Question, ...]
    groups: tuple[Group, ...]
    choice_lists: Mapping[str, ChoiceList]
    settings: Mapping[str, Any] = field(default_factory=dict)
    #: Original language names as written in the form -> normalised code.
    language_names: Mapping[str, str] = field(default_factory=dict)
    #: pyxform's JSON of the form, kept for audit and round-trip tests.
    pyxform_json: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: pyxform warnings raised while parsing.
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {q.name: q for q in self.questions})
        object.__setattr__(self, "_groups_by_name", {g.name: g for g in self.groups})

    # -------------------------------------------------------------- lookup
    def __contains__(self, name: object) -> bool:
        return name in self._by_name  # type: ignore[attr-defined]

    def __getitem__(self, name: str) -> Question:
        return self.question(name)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    def __len__(self) -> int:
        return len(self.questions)

    def question(self, name: str) -> Question:
        """The question ``name`` (``KeyError`` naming the form when absent)."""
        try:
            return self._by_name[name]  # type: ignore[attr-defined]
        except KeyError:
            raise KeyError(f"{self.form_id}: no question named {name!r}") from None

    def group(self, name: str) -> Group:
        """The group or repeat ``name``."""
        try:
            return self._groups_by_name[name]  # type: ignore[attr-defined]
        except KeyError:
            raise KeyError(f"{self.form_id}: no group or repeat named {name!r}") from None

    @property
    def names(self) -> tuple[str, ...]:
        """Names of all questions in form order."""
        return tuple(q.name for q in self.questions)

    @property
    def data_questions(self) -> tuple[Question, ...]:
        """Questions that hold answers (no notes), in form order."""
        return tuple(q for q in self.questions if q.is_data)

    @property
    def repeats(self) -> tuple[Group, ...]:
        """The repeats of the form, outermost first."""
        return tuple(g for g in self.groups if g.kind == "repeat")

    def questions_in(self, repeat: str | None) -> tuple[Question, ...]:
        """Questions whose nearest enclosing repeat is ``repeat`` (``None``: the main record)."""
        return tuple(q for q in self.questions if q.repeat == repeat)

    def choices(self, question: str | Question) -> ChoiceList | None:
        """The choice list of a select question (``None`` for other types or external lists)."""
        q = question if isinstance(question, Question) else self.question(question)
        if not q.list_name:
            return None
        return self.choice_lists.get(q.list_name)

    def with_role(self, role: str) -> tuple[Question, ...]:
        """Questions whose toolkit ``role`` column is ``role`` (e.g. ``"id"``, ``"weight"``)."""
        return tuple(q for q in self.questions if q.role == role)

    @property
    def pii_questions(self) -> tuple[Question, ...]:
        """Questions marked ``pii = yes``."""
        return tuple(q for q in self.questions if q.pii)


def pick_text(texts: Mapping[str, str], lang: str | None) -> str | None:
    """The text in ``lang``, else in the first language that has one (labels, hints)."""
    if not texts:
        return None
    if lang is not None and texts.get(lang):
        return texts[lang]
    if texts.get("default"):
        return texts["default"]
    for value in texts.values():
        if value:
            return value
    return None
