"""Languages of a form: the names written in column headers, as short codes.

XLSForm writes a language after ``::`` in a header: ``label::中文 (zh)``, ``label::Chinese``,
``label::English (en)``, ``label::Français``. The toolkit speaks of ``zh`` and ``en``. A
code in parentheses wins; otherwise a known language name is mapped; anything else is
kept as written. A form without language columns has the single language ``default``.

Examples
--------
>>> normalise_language("中文 (zh)"), normalise_language("Chinese"), normalise_language("English (en)")
('zh', 'zh', 'en')
>>> normalise_language("العربية"), normalise_language("Kiswahili"), normalise_language("Tetun")
('ar', 'sw', 'Tetun')
>>> language_codes([("English", "English (EN)"), ("English", "Arabic")])
{'English': 'en', 'English (EN)': 'English (EN)', 'Arabic': 'ar'}
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["LANGUAGE_NAMES", "language_codes", "normalise_language"]

#: Language names written in forms -> short codes (lower-cased keys).
LANGUAGE_NAMES = {
    "chinese": "zh",
    "中文": "zh",
    "汉语": "zh",
    "汉文": "zh",
    "简体中文": "zh",
    "普通话": "zh",
    "chinese (simplified)": "zh",
    "mandarin": "zh",
    "zh-cn": "zh",
    "zh_cn": "zh",
    "zh-hans": "zh",
    "english": "en",
    "英文": "en",
    "英语": "en",
    "tibetan": "bo",
    "藏文": "bo",
    "藏语": "bo",
    "uyghur": "ug",
    "维吾尔文": "ug",
    "维吾尔语": "ug",
    "mongolian": "mn",
    "蒙古文": "mn",
    "蒙古语": "mn",
    "蒙文": "mn",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "portuguese": "pt",
    "português": "pt",
    "arabic": "ar",
    "العربية": "ar",
    "عربي": "ar",
    "swahili": "sw",
    "kiswahili": "sw",
    "russian": "ru",
    "русский": "ru",
    "nepali": "ne",
    "नेपाली": "ne",
    "hindi": "hi",
    "हिन्दी": "hi",
    "bengali": "bn",
    "bangla": "bn",
    "urdu": "ur",
    "pashto": "ps",
    "dari": "prs",
    "farsi": "fa",
    "persian": "fa",
    "amharic": "am",
    "somali": "so",
    "hausa": "ha",
    "burmese": "my",
    "vietnamese": "vi",
    "thai": "th",
    "khmer": "km",
    "indonesian": "id",
    "german": "de",
    "deutsch": "de",
    "italian": "it",
    "japanese": "ja",
    "日本語": "ja",
    "korean": "ko",
    "한국어": "ko",
    "kurdish": "ku",
    "turkish": "tr",
    "ukrainian": "uk",
    "українська": "uk",
    "default": "default",
}
_CODE_IN_PARENS = re.compile(r"\(\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)\s*\)\s*$")
_BARE_CODE = re.compile(r"[A-Za-z]{2}(?:[-_][A-Za-z0-9]{2,4})?")


def normalise_language(name: str) -> str:
    """The short code of a language as written in a column header.

    Examples
    --------
    >>> normalise_language("Nepali (ne)"), normalise_language("EN"), normalise_language("Tetun")
    ('ne', 'en', 'Tetun')
    """
    text = str(name).strip()
    match = _CODE_IN_PARENS.search(text)
    if match:
        code = match.group(1).lower().replace("_", "-")
        return "zh" if code.startswith("zh") else code
    known = LANGUAGE_NAMES.get(text.lower())
    if known:
        return known
    if _BARE_CODE.fullmatch(text):
        code = text.lower().replace("_", "-")
        return "zh" if code.startswith("zh") else code
    return text


def language_codes(groups: Iterable[Iterable[str]]) -> dict[str, str]:
    """Codes for the language names of a form, never merging two names used side by side.

    Parameters
    ----------
    groups : iterable of iterables of str
        The language names found together in one cell group (one label, one hint, one
        choice label, ...). Two names that appear together and would get the same code
        (``label::English`` and ``label::English (en)`` on the same sheet) keep the first
        name's code; the later one keeps its name as written, so no text is lost.
    """
    names: dict[str, str] = {}
    clashes: set[str] = set()
    group_list = [list(dict.fromkeys(str(n) for n in g)) for g in groups]
    for group in group_list:
        seen: dict[str, str] = {}
        for name in group:
            code = normalise_language(name)
            if code in seen and seen[code] != name:
                clashes.add(name)
            else:
                seen[code] = name
    for group in group_list:
        for name in group:
            names.setdefault(name, name if name in clashes else normalise_language(name))
    return names
