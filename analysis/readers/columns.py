"""Which question a source column holds: header spellings of ODK Central, Kobo, Ona, R, SPSS.

The same question ``channels`` in group ``info`` is written, depending on the tool and
its export options, as

* ``channels`` (Kobo/ODK without group names, SPSS),
* ``info/channels`` (Kobo, Ona), ``info-channels`` (ODK Central), ``info.channels`` (R),
* its label (``获取信息的渠道``; Kobo "labels" exports, optionally ``group label/label``),

a choice's 0/1 column as ``info/channels/tv`` (Kobo), ``info-channels/tv`` (ODK Central
split select multiples), ``channels.tv`` (R, SPSS), or with labels; a geopoint
``gps`` as ``gps-Latitude`` .. ``gps-Accuracy`` (ODK Central) or ``_gps_latitude`` ..
``_gps_precision`` (Kobo/Ona); a flattened repeat answer as ``children[2]/age``.

:class:`HeaderResolver` knows every spelling of every question of an instrument and
tells what a header is. Platform columns (ODK ``SubmissionDate``, ``KEY``, ...; Kobo
and Ona ``_uuid``, ``_index``, ...) are recognised with or without an instrument.

Examples
--------
>>> r = HeaderResolver(None)
>>> r.resolve("SubmissionDate").name, r.resolve("KEY").kind, r.resolve("X_uuid").name
('_submission_time', 'key', '_uuid')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..instrument.model import Instrument, Question
from .rawdata import MAIN

__all__ = [
    "GEOPOINT_PARTS",
    "ODK_PLATFORM",
    "HeaderResolver",
    "Resolution",
    "clean_header",
    "question_type",
    "table_of",
]

#: ODK Central's added columns -> canonical names (KEY/PARENT_KEY become _key/_parent_key).
ODK_PLATFORM = {
    "SubmissionDate": "_submission_time",
    "SubmitterID": "_submitter_id",
    "SubmitterName": "_submitted_by",
    "AttachmentsPresent": "_attachments_present",
    "AttachmentsExpected": "_attachments_expected",
    "Status": "_status",
    "ReviewState": "_review_state",
    "DeviceID": "_device_id",
    "Edits": "_edits",
    "FormVersion": "_form_version",
}
#: Geopoint parts, canonical names in order.
GEOPOINT_PARTS = ("latitude", "longitude", "altitude", "accuracy")
_ODK_PARTS = {
    "Latitude": "latitude",
    "Longitude": "longitude",
    "Altitude": "altitude",
    "Accuracy": "accuracy",
}
_KOBO_PARTS = {
    "latitude": "latitude",
    "longitude": "longitude",
    "altitude": "altitude",
    "precision": "accuracy",
}

#: Question types read under another name (old XLSForm aliases).
_TYPE_ALIASES = {
    "gps": "geopoint",
    "photo": "image",
    "int": "integer",
    "dateTime": "datetime",
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "trigger": "acknowledge",
}

_INDEX = re.compile(r"\[(\d+)\]")


def question_type(question: Question) -> str:
    """The question's base type after old aliases (``gps`` -> ``geopoint``, ...)."""
    return _TYPE_ALIASES.get(question.type, question.type)


def table_of(question: Question) -> str:
    """The table a question's answers live in: its nearest repeat, or ``main``."""
    return question.repeat or MAIN


def clean_header(header: object) -> str:
    """A header without BOM, surrounding spaces, R's ``X.U.FEFF.`` or SPSS ``@`` prefixes.

    Examples
    --------
    >>> clean_header("\\ufeffstart"), clean_header("X.U.FEFF.start"), clean_header("@_uuid")
    ('start', 'start', '_uuid')
    """
    text = "" if header is None else str(header)
    text = text.replace("\ufeff", "").strip()
    if text.startswith("X.U.FEFF."):
        text = text[len("X.U.FEFF.") :]
    if text.startswith("@_"):
        text = text[1:]
    return text


def _norm_label(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


@dataclass(frozen=True)
class Resolution:
    """What a source column holds.

    ``kind`` is ``question``, ``choice`` (0/1 column of ``choice``), ``geopoint_part``
    (``choice`` holds the part), ``platform`` (``name`` holds the canonical name),
    ``key``, ``parent_key`` or ``unknown``. ``indices`` lists the repeat instances
    of a flattened repeat header (``children[2]/age`` -> ``(("children", 2),)``).
    """

    kind: str
    header: str
    question: Question | None = None
    choice: str | None = None
    name: str | None = None
    indices: tuple[tuple[str, int], ...] = ()
    by_label: bool = False

    @property
    def table(self) -> str | None:
        """The table of the question (``None`` for platform and unknown columns)."""
        return table_of(self.question) if self.question is not None else None


class HeaderResolver:
    """Every header spelling of every question of ``instrument`` (see module doc)."""

    def __init__(self, instrument: Instrument | None) -> None:
        self.instrument = instrument
        self._names: dict[str, list[Question]] = {}
        self._labels: dict[str, list[Question]] = {}
        self._choices: dict[str, list[tuple[Question, str]]] = {}
        self._label_choices: dict[str, list[tuple[Question, str]]] = {}
        self._parts: dict[str, list[tuple[Question, str]]] = {}
        if instrument is not None:
            for question in instrument.data_questions:
                self._index(question)

    # ------------------------------------------------------------------ building
    def _group_labels(self, path: Iterable[str], lang: str) -> list[str]:
        out = []
        for name in path:
            try:
                out.append(self.instrument.group(name).label(lang))  # type: ignore[union-attr]
            except KeyError:
                out.append(name)
        return out

    def _index(self, q: Question) -> None:
        full = tuple(q.group_path)
        rel = full[full.index(q.repeat) + 1 :] if q.repeat in full else full
        names = {q.name}
        for sep in ("/", "-", "."):
            names.add(sep.join((*full, q.name)))
            names.add(sep.join((*rel, q.name)))
        for n in names:
            self._names.setdefault(n, []).append(q)
        languages = tuple(self.instrument.languages) or ("default",)  # type: ignore[union-attr]
        labels: set[str] = set()
        for lang in (*languages, None):
            label = q.label(lang)
            if label and label != q.name:
                labels.add(label)
                labels.add("/".join([*self._group_labels(full, lang or "default"), label]))
                labels.add("/".join([*self._group_labels(rel, lang or "default"), label]))
        for text in labels:
            self._labels.setdefault(_norm_label(text), []).append(q)
        qtype = question_type(q)
        if qtype in ("select_multiple",) and self.instrument is not None:
            choices = self.instrument.choices(q)
            if choices is not None:
                for n in names:
                    for choice in choices:
                        for sep in ("/", ".", "-"):
                            self._choices.setdefault(f"{n}{sep}{choice.name}", []).append(
                                (q, choice.name)
                            )
                for choice in choices:
                    texts = {choice.label(lang) for lang in (*languages, None)} | {choice.name}
                    for base in labels | names:
                        for text in texts:
                            self._label_choices.setdefault(
                                _norm_label(f"{base}/{text}"), []
                            ).append((q, choice.name))
        if qtype == "geopoint":
            for n in names:
                if "-" in n or n == q.name:
                    for suffix, part in _ODK_PARTS.items():
                        self._parts.setdefault(f"{n}-{suffix}", []).append((q, part))
            prefixes = {"", "/".join(full) + "/", "/".join(rel) + "/", ".".join(full) + "."}
            stems = {q.name} | labels
            for prefix in prefixes:
                for stem in stems:
                    for suffix, part in _KOBO_PARTS.items():
                        key = f"{prefix.lstrip('/').lstrip('.')}_{stem}_{suffix}"
                        self._parts.setdefault(key, []).append((q, part))

    # ------------------------------------------------------------------ lookup
    @staticmethod
    def _choose(candidates: list, table: str | None, get=lambda c: c):
        if len(candidates) == 1:
            return candidates[0]
        wanted = table or MAIN
        for c in candidates:
            if table_of(get(c)) == wanted:
                return c
        return candidates[0]

    def resolve(self, header: object, table: str | None = None) -> Resolution:
        """What ``header`` holds, preferring questions of ``table`` when a name is ambiguous."""
        raw = "" if header is None else str(header)
        h = clean_header(raw)
        if h == "KEY":
            return Resolution("key", raw)
        if h == "PARENT_KEY":
            return Resolution("parent_key", raw)
        if h in ODK_PLATFORM:
            return Resolution("platform", raw, name=ODK_PLATFORM[h])
        indices: tuple[tuple[str, int], ...] = ()
        stripped = h
        if "[" in h:
            found = []
            for match in _INDEX.finditer(h):
                before = h[: match.start()]
                segment = re.split(r"[/.-]", before)[-1]
                found.append((segment, int(match.group(1))))
            indices = tuple(found)
            stripped = _INDEX.sub("", h)
        if self.instrument is not None:
            hit = self._lookup(raw, stripped, table, indices)
            if hit is not None:
                return hit
        if h.startswith("_"):
            return Resolution("platform", raw, name=h)
        if h.startswith("X_") and len(h) > 2:  # R's make.names of "_uuid"
            return Resolution("platform", raw, name=h[1:])
        return Resolution("unknown", raw)

    def _lookup(
        self, raw: str, h: str, table: str | None, indices: tuple[tuple[str, int], ...]
    ) -> Resolution | None:
        if h in self._names:
            q = self._choose(self._names[h], table)
            return Resolution("question", raw, question=q, indices=indices)
        if h in self._choices:
            q, code = self._choose(self._choices[h], table, get=lambda c: c[0])
            return Resolution("choice", raw, question=q, choice=code, indices=indices)
        if h in self._parts:
            q, part = self._choose(self._parts[h], table, get=lambda c: c[0])
            return Resolution("geopoint_part", raw, question=q, choice=part, indices=indices)
        if h.startswith("_"):
            return None
        key = _norm_label(h)
        if key in self._labels:
            q = self._choose(self._labels[key], table)
            return Resolution("question", raw, question=q, indices=indices, by_label=True)
        if key in self._label_choices:
            q, code = self._choose(self._label_choices[key], table, get=lambda c: c[0])
            return Resolution(
                "choice", raw, question=q, choice=code, indices=indices, by_label=True
            )
        return None
