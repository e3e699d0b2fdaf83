"""Choice answers: codes, labels mapped back to codes, select_multiple 0/1 columns.

Exports may hold choice *codes* (XML values) or choice *labels* (Kobo "labels"
exports, Ona labels-only CSV) in any language of the form. A value is kept when it
is a code; else it is mapped to the code whose label it is (in any language,
ignoring case and repeated spaces); else it is kept as it stands and reported.
A select_multiple answer made of labels that themselves contain spaces
(``avec vente à emporter traditionnel``) is split by matching whole labels; labels (or
codes) joined with ``|`` (``Radio set|TV``) are read one by one.

Examples
--------
>>> from analysis.instrument.model import Choice, ChoiceList
>>> tv = ChoiceList("ch", (Choice("1", {"zh": "电视", "en": "TV"}), Choice("2", {"zh": "广播", "en": "Radio set"})))
>>> book = ChoiceBook(tv)
>>> book.one("电视"), book.one("2"), book.one("手机")
('1', '2', None)
>>> book.many("Radio set TV"), book.many("1 9"), book.many("Radio set|电视")
(('2 1', []), ('1 9', ['9']), ('2 1', []))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..instrument.model import ChoiceList

__all__ = ["ChoiceBook"]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


@dataclass
class ChoiceBook:
    """Codes and labels of one choice list, for mapping answers back to codes."""

    choices: ChoiceList | None
    or_other: bool = False
    codes: tuple[str, ...] = field(init=False)
    _by_label: dict[str, str] = field(init=False, repr=False)
    _phrases: dict[tuple[str, ...], str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        codes = list(self.choices.codes) if self.choices is not None else []
        if self.or_other and "other" not in codes:
            codes.append("other")
        self.codes = tuple(codes)
        by_label: dict[str, set[str]] = {}
        for choice in self.choices or ():
            for text in {*choice.labels.values()}:
                if text:
                    by_label.setdefault(_norm(text), set()).add(choice.name)
        # a label naming two different codes is ambiguous: not used
        self._by_label = {k: next(iter(v)) for k, v in by_label.items() if len(v) == 1}
        phrases: dict[tuple[str, ...], str] = {}
        for text, code in self._by_label.items():
            phrases.setdefault(tuple(text.split(" ")), code)
        for code in self.codes:
            phrases[(code.casefold(),)] = code
        self._phrases = phrases

    @property
    def known(self) -> bool:
        """True when the list is known (not an external or missing list)."""
        return self.choices is not None

    def is_code(self, value: str) -> bool:
        """True when ``value`` is a code of the list."""
        return value in self.codes

    def one(self, value: str) -> str | None:
        """The code for a select_one answer (a code, ``1.0`` for ``1``, or a label); ``None`` if unknown."""
        if value in self.codes:
            return value
        if re.fullmatch(r"-?\d+\.0+", value) and value.split(".")[0] in self.codes:
            return value.split(".")[0]
        return self._by_label.get(_norm(value))

    def many(self, value: str) -> tuple[str, list[str]]:
        """A select_multiple answer as space-separated codes, and the unknown parts kept."""
        tokens = value.split()
        if all(t in self.codes for t in tokens):
            return " ".join(tokens), []
        whole = self.one(value)
        if whole is not None:
            return whole, []
        if "|" in value:  # labels (or codes) joined with | (R / Excel exports)
            parts = [p.strip() for p in value.split("|") if p.strip()]
            mapped = [self.one(p) for p in parts]
            if parts and all(m is not None for m in mapped):
                return " ".join(mapped), []  # type: ignore[arg-type]
        split = self._segment([t.casefold() for t in tokens])
        if split is not None:
            return " ".join(split), []
        out, unknown = [], []
        for t in tokens:
            code = self.one(t)
            if code is None:
                unknown.append(t)
                out.append(t)
            else:
                out.append(code)
        return " ".join(out), unknown

    def _segment(self, words: list[str]) -> list[str] | None:
        if not self._phrases:
            return None
        longest = max(len(p) for p in self._phrases)
        best: list[list[str] | None] = [None] * (len(words) + 1)
        best[0] = []
        for i in range(len(words)):
            if best[i] is None:
                continue
            for k in range(1, min(longest, len(words) - i) + 1):
                code = self._phrases.get(tuple(words[i : i + k]))
                if code is not None and best[i + k] is None:
                    best[i + k] = [*best[i], code]  # type: ignore[misc]
        return best[len(words)]
