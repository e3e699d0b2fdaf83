"""Coding Chinese open-ended answers and meeting notes against a codebook of themes.

The codebook lives in the study as YAML (``surveys/themes.yaml``); answers are
segmented with jieba so keywords match whole words; themes get weighted shares
with example quotes, and the answers no theme matched are listed for a person.
"""

from ..errors import TextCodingError
from .codebook import Codebook, Theme, load_codebook, parse_codebook
from .coding import code_answers, match_themes, theme_indicators, uncoded
from .frequencies import theme_frequencies
from .notes import sentences

__all__ = [
    "Codebook",
    "TextCodingError",
    "Theme",
    "code_answers",
    "load_codebook",
    "match_themes",
    "parse_codebook",
    "sentences",
    "theme_frequencies",
    "theme_indicators",
    "uncoded",
]
