"""Coding open-ended answers against a codebook: which themes each answer mentions.

A keyword matches when it is a word of the answer (jieba segmentation, so ``远``
does not match inside ``远程教育``); a pattern matches anywhere in the text; an
``exclude`` pattern vetoes its theme. Blank answers are skipped; answers listed
as ``none_answers`` (无, 没有) count as answered but are not coded.

Examples
--------
>>> import pandas as pd
>>> from analysis.text.codebook import parse_codebook
>>> cb = parse_codebook('''
... none_answers: [无]
... themes:
...   - {code: funding, zh: 经费不足, en: Funding, keywords: [经费, 资金]}
...   - {code: far, zh: 距离远, en: Distance, keywords: [远, 太远]}
... ''')
>>> answers = pd.Series({"h1": "活动经费太少", "h2": "书屋离家太远", "h3": "远程教育没人管", "h4": "无"})
>>> code_answers(answers, cb)[["answer_id", "theme", "matched"]].values.tolist()
[['h1', 'funding', '经费'], ['h2', 'far', '太远']]
>>> uncoded(answers, cb)["answer_id"].tolist()
['h3']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import TextCodingError
from .codebook import Codebook, Theme, normalise
from .segment import segmenter

__all__ = ["code_answers", "match_themes", "theme_indicators", "uncoded"]

CODED_COLUMNS = ("answer_id", "theme", "label", "label_en", "matched", "text", "weight")


def _as_series(answers: Any) -> pd.Series:
    if isinstance(answers, pd.Series):
        s = answers
    elif isinstance(answers, Mapping):
        s = pd.Series(dict(answers), dtype=object)
    elif isinstance(answers, Sequence) and not isinstance(answers, str):
        s = pd.Series(list(answers), dtype=object)
    else:
        raise TextCodingError(
            "TXT007",
            "answers must be a Series, a mapping of id to text, or a list of texts",
            expected="pandas.Series indexed by respondent id",
            found=type(answers).__name__,
            hint="Pass data.set_index('hh_id')['problems'] or similar.",
        )
    if not s.index.is_unique:
        dup = s.index[s.index.duplicated()].unique()[:5].tolist()
        raise TextCodingError(
            "TXT007",
            "answer ids are not unique",
            expected="one answer per id",
            found="repeated ids " + ", ".join(map(str, dup)),
            hint="Index the answers by the respondent key (or split meeting notes with sentences()).",
        )
    return s


def _texts(s: pd.Series) -> pd.Series:
    """Answers as text; blank and missing answers become None."""

    def clean(v: Any) -> str | None:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return None
        t = str(v).strip()
        return t or None

    return pd.Series([clean(v) for v in s], index=s.index, dtype=object)


def _weights(weights: Any, index: pd.Index) -> pd.Series:
    if weights is None:
        return pd.Series(1.0, index=index)
    if isinstance(weights, pd.Series):
        w = weights.reindex(index)
        if w.isna().any():
            missing = index[w.isna().to_numpy()][:5].tolist()
            raise TextCodingError(
                "TXT006",
                "some answers have no weight",
                expected="a weight for every answer id",
                found="none for " + ", ".join(map(str, missing)),
                hint="Index the weights by the same ids as the answers.",
            )
    elif isinstance(weights, Mapping):
        return _weights(pd.Series(dict(weights), dtype=float), index)
    else:
        arr = np.asarray(weights, dtype=float)
        if arr.shape != (len(index),):
            raise TextCodingError(
                "TXT006",
                "weights and answers differ in length",
                expected=f"{len(index)} weights",
                found=f"{arr.size}",
                hint="Pass a Series of weights indexed like the answers.",
            )
        w = pd.Series(arr, index=index)
    w = w.astype(float)
    if (w < 0).any() or not np.isfinite(w).all():
        raise TextCodingError(
            "TXT006",
            "weights must be finite and not negative",
            expected="weights >= 0",
            found=f"min {w.min()}",
            hint="Use the survey's final weights column.",
        )
    return w


def match_themes(text: str, codebook: Codebook) -> list[tuple[Theme, str]]:
    """Themes one text mentions, with what matched (a keyword or a pattern's match).

    Examples
    --------
    >>> from analysis.text.codebook import parse_codebook
    >>> cb = parse_codebook("themes:\\n  - {code: net, zh: 网络信号差, keywords: [信号差, 没信号]}")
    >>> [(t.code, m) for t, m in match_themes("手机没信号", cb)]
    [('net', '没信号')]
    """
    norm = normalise(text)
    if not norm or norm in codebook.none_answers:
        return []
    words = segmenter(codebook.keywords).words(norm)
    out = []
    for theme in codebook.themes:
        if any(p.search(norm) for p in theme.exclude):
            continue
        hit = next((k for k in theme.keywords if k in words), None)
        if hit is None:
            for p in theme.patterns:
                m = p.search(norm)
                if m:
                    hit = m.group(0)
                    break
        if hit is not None:
            out.append((theme, hit))
    return out


def code_answers(answers: Any, codebook: Codebook, weights: Any = None) -> pd.DataFrame:
    """One row per answer and theme it mentions.

    Parameters
    ----------
    answers : Series, mapping or list
        Open-ended answers indexed by respondent id.
    codebook : Codebook
        From :func:`analysis.text.load_codebook`.
    weights : Series, mapping or array, optional
        Survey weights per answer (default 1).

    Returns
    -------
    DataFrame
        Columns ``answer_id, theme, label, label_en, matched, text, weight``, in the
        order of the answers and, within an answer, of the codebook.
    """
    s = _as_series(answers)
    texts = _texts(s)
    w = _weights(weights, s.index)
    rows = []
    for aid, text in texts.items():
        if text is None:
            continue
        for theme, hit in match_themes(text, codebook):
            rows.append((aid, theme.code, theme.zh, theme.en, hit, text, float(w[aid])))
    out = pd.DataFrame(rows, columns=list(CODED_COLUMNS))
    out["weight"] = out["weight"].astype(float)
    return out


def theme_indicators(answers: Any, codebook: Codebook) -> pd.DataFrame:
    """Whether each answer mentions each theme: one boolean column per theme code.

    Blank answers are missing (``<NA>``), so a design-based estimate of a theme's
    share (with intervals) can be made with the estimation engine on these columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.text.codebook import parse_codebook
    >>> cb = parse_codebook("themes:\\n  - {code: far, zh: 距离远, keywords: [太远]}")
    >>> theme_indicators(pd.Series({"a": "太远了", "b": "", "c": "还行"}), cb)["far"].tolist()
    [True, <NA>, False]
    """
    s = _as_series(answers)
    texts = _texts(s)
    data = {code: pd.array([pd.NA] * len(s), dtype="boolean") for code in codebook.codes}
    for i, text in enumerate(texts):
        if text is None:
            continue
        found = {t.code for t, _ in match_themes(text, codebook)}
        for code in codebook.codes:
            data[code][i] = code in found
    return pd.DataFrame(data, index=s.index)


def uncoded(answers: Any, codebook: Codebook) -> pd.DataFrame:
    """Answers no theme matched, for a person to code (blank and "nothing to say" left out).

    Returns
    -------
    DataFrame
        Columns ``answer_id, text``.
    """
    s = _as_series(answers)
    texts = _texts(s)
    rows = [
        (aid, text)
        for aid, text in texts.items()
        if text is not None
        and normalise(text) not in codebook.none_answers
        and not match_themes(text, codebook)
    ]
    return pd.DataFrame(rows, columns=["answer_id", "text"])
