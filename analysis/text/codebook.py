"""A codebook of themes for open-ended answers, kept in the study as YAML.

Each theme has a code, zh and en labels, keywords (matched as words of the
answer) and regular-expression patterns (matched on the text), and optionally
``exclude`` patterns that veto the theme (``经费充足`` is not a funding problem).
``none_answers`` lists answers that mean "nothing to say" (无, 没有): they count
as answered but are neither coded nor left for a person to code.

Examples
--------
>>> cb = parse_codebook('''
... none_answers: [无]
... themes:
...   - code: funding
...     zh: 经费不足
...     en: Insufficient funding
...     keywords: [经费, 资金]
...     patterns: ['缺.{0,2}钱']
... ''')
>>> cb.codes, cb.theme("funding").label("en")
(('funding',), 'Insufficient funding')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import TextCodingError

__all__ = ["Codebook", "Theme", "load_codebook", "normalise", "parse_codebook"]

_THEME_KEYS = {"code", "zh", "en", "keywords", "patterns", "exclude", "description"}
_TOP_KEYS = {"version", "themes", "none_answers", "description"}


def normalise(text: str) -> str:
    """Text as matched: NFKC (full-width letters and digits to ASCII), trimmed, lower case.

    Examples
    --------
    >>> normalise("  ＷＩＦＩ信号差！ ")
    'wifi信号差!'
    """
    return unicodedata.normalize("NFKC", text).strip().lower()


@dataclass(frozen=True)
class Theme:
    """One theme of a codebook."""

    code: str
    zh: str
    en: str
    keywords: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()

    def label(self, lang: str = "zh") -> str:
        """The theme's label in ``lang`` (zh or en)."""
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Codebook:
    """Themes in order, and the answers that mean "nothing to say"."""

    themes: tuple[Theme, ...]
    none_answers: frozenset[str] = frozenset()
    source: str | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.themes)

    @property
    def keywords(self) -> tuple[str, ...]:
        """Every keyword of every theme (for the segmenter's dictionary)."""
        return tuple(dict.fromkeys(k for t in self.themes for k in t.keywords))

    def theme(self, code: str) -> Theme:
        """The theme with ``code`` (``TXT008`` when there is none)."""
        for t in self.themes:
            if t.code == code:
                return t
        raise TextCodingError(
            "TXT008",
            f"the codebook has no theme {code!r}",
            expected="one of " + ", ".join(self.codes),
            found=code,
            file=self.source,
            hint="Use a theme code from the codebook.",
        )


def _line_numbers(text: str) -> list[int]:
    """1-based line of each item of the ``themes`` list (for error locations)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == "themes" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _strings(
    value: Any, what: str, code: str, source: str | None, row: int | None
) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise TextCodingError(
            "TXT002",
            f"{what} of theme {code!r} must be a list of text",
            expected="a YAML list, e.g. [经费, 资金]",
            found=repr(value)[:60],
            file=source,
            row=row,
            hint=f"Write {what} as a list of strings.",
        )
    return tuple(str(v).strip() for v in value if str(v).strip())


def _compile(patterns: Iterable[str], code: str, source: str | None, row: int | None):
    out = []
    for p in patterns:
        try:
            out.append(re.compile(normalise(p)))
        except re.error as exc:
            raise TextCodingError(
                "TXT004",
                f"pattern {p!r} of theme {code!r} is not a valid regular expression",
                expected="a Python regular expression",
                found=f"{exc.msg} at position {exc.pos}",
                file=source,
                row=row,
                hint="Fix the pattern (escape ( ) [ ] . * + ? with a backslash to match them literally).",
            ) from None
    return tuple(out)


def parse_codebook(text: str, *, source: str | None = None) -> Codebook:
    """Build a :class:`Codebook` from YAML text (see :func:`load_codebook` for the format)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise TextCodingError(
            "TXT001",
            "the codebook is not valid YAML",
            found=str(getattr(exc, "problem", exc)),
            file=source,
            row=None if mark is None else mark.line + 1,
            hint="Check indentation and quote patterns that contain ':' or '#'.",
        ) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("themes"), list):
        raise TextCodingError(
            "TXT002",
            "the codebook has no list of themes",
            expected="a mapping with 'themes:' followed by a list",
            found=type(data).__name__,
            file=source,
            hint="Start the file with 'themes:' and list one theme per '- code: ...'.",
        )
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise TextCodingError(
            "TXT002",
            "the codebook has unknown top-level keys: " + ", ".join(sorted(map(str, unknown))),
            expected=", ".join(sorted(_TOP_KEYS)),
            found=", ".join(sorted(map(str, unknown))),
            file=source,
            hint="Remove or rename them (a typo?).",
        )
    lines = _line_numbers(text)
    themes: list[Theme] = []
    seen: dict[str, int | None] = {}
    for i, raw in enumerate(data["themes"]):
        row = lines[i] if i < len(lines) else None
        if not isinstance(raw, Mapping):
            raise TextCodingError(
                "TXT002",
                f"theme number {i + 1} is not a mapping",
                expected="code:, zh:, en:, keywords:, patterns:",
                found=repr(raw)[:60],
                file=source,
                row=row,
                hint="Write each theme as '- code: ...' with its keys indented.",
            )
        bad = set(raw) - _THEME_KEYS
        code = str(raw.get("code", "")).strip()
        if bad:
            raise TextCodingError(
                "TXT002",
                f"theme {code or i + 1!r} has unknown keys: " + ", ".join(sorted(map(str, bad))),
                expected=", ".join(sorted(_THEME_KEYS)),
                found=", ".join(sorted(map(str, bad))),
                file=source,
                row=row,
                hint="Remove or rename them (a typo?).",
            )
        if not code or not str(raw.get("zh", "")).strip():
            raise TextCodingError(
                "TXT002",
                f"theme number {i + 1} needs a code and a zh label",
                expected="code: and zh:",
                found=", ".join(map(str, raw)),
                file=source,
                row=row,
                hint="Add 'code: short_name' and 'zh: 中文标签' (and 'en:').",
            )
        if code in seen:
            raise TextCodingError(
                "TXT003",
                f"theme code {code!r} appears twice",
                expected="unique codes",
                found=f"also at line {seen[code]}",
                file=source,
                row=row,
                hint="Rename one of the themes or merge their keywords.",
            )
        seen[code] = row
        keywords = tuple(
            normalise(k) for k in _strings(raw.get("keywords"), "keywords", code, source, row)
        )
        patterns = _compile(
            _strings(raw.get("patterns"), "patterns", code, source, row), code, source, row
        )
        exclude = _compile(
            _strings(raw.get("exclude"), "exclude", code, source, row), code, source, row
        )
        if not keywords and not patterns:
            raise TextCodingError(
                "TXT005",
                f"theme {code!r} has neither keywords nor patterns, so it can match nothing",
                expected="keywords: [...] or patterns: [...]",
                found="none",
                file=source,
                row=row,
                hint="Add keywords (words the answers use) or patterns.",
            )
        zh = str(raw["zh"]).strip()
        themes.append(
            Theme(code, zh, str(raw.get("en") or zh).strip(), keywords, patterns, exclude)
        )
    none = frozenset(
        normalise(x) for x in _strings(data.get("none_answers"), "none_answers", "-", source, None)
    )
    return Codebook(tuple(themes), none, source)


def load_codebook(path: str | Path) -> Codebook:
    """Read a codebook of themes from a YAML file.

    The file lists ``themes``, each with ``code``, ``zh``, ``en``, ``keywords``
    (words, matched as whole words of the answer after jieba segmentation),
    ``patterns`` (regular expressions on the text) and optional ``exclude``
    patterns; ``none_answers`` lists answers meaning "nothing to say".

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "themes.yaml"
    >>> _ = p.write_text("themes:\\n  - code: far\\n    zh: 距离远\\n    keywords: [太远]\\n",
    ...                  encoding="utf-8")
    >>> load_codebook(p).theme("far").zh
    '距离远'
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TextCodingError(
            "TXT001",
            "the codebook file does not exist",
            file=p,
            hint="Create it (see surveys/themes.yaml of the demo study) or fix the path.",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TextCodingError(
            "TXT001",
            f"cannot read the codebook: {exc}",
            file=p,
            hint="Save the file as UTF-8 text.",
        ) from None
    return parse_codebook(text, source=str(p))
