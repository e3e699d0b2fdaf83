"""How often each theme is mentioned: weighted shares and example quotes.

Examples
--------
>>> import pandas as pd
>>> from analysis.text.codebook import parse_codebook
>>> cb = parse_codebook('''
... themes:
...   - {code: funding, zh: 经费不足, en: Funding, keywords: [经费]}
...   - {code: far, zh: 距离远, en: Distance, keywords: [太远]}
... ''')
>>> a = pd.Series({"h1": "经费不够", "h2": "太远了", "h3": "经费少，离得太远", "h4": "还好"})
>>> w = pd.Series({"h1": 1.0, "h2": 3.0, "h3": 1.0, "h4": 1.0})
>>> f = theme_frequencies(a, cb, weights=w)
>>> f[["theme", "answers", "share"]].values.tolist()
[['far', 2, 0.6666666666666666], ['funding', 2, 0.3333333333333333]]
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .codebook import Codebook
from .coding import _as_series, _texts, _weights, code_answers

__all__ = ["theme_frequencies"]


def _quote(text: str, limit: int) -> str:
    t = " ".join(text.split())
    return t if len(t) <= limit else t[: limit - 1] + "…"


def theme_frequencies(
    answers: Any,
    codebook: Codebook,
    weights: Any = None,
    *,
    examples: int = 3,
    quote_length: int = 40,
) -> pd.DataFrame:
    """Themes by weighted share of the answers that mention them, with example quotes.

    The base is every non-blank answer (including "nothing to say" answers), so a
    share reads "x% of those who answered mentioned ...". An answer may mention
    several themes, so shares need not add up to 100%. These are weighted shares
    without intervals; for design-based intervals estimate a proportion on
    :func:`theme_indicators`.

    Parameters
    ----------
    weights : Series, mapping or array, optional
        Survey weights per answer (default 1).
    examples : int
        Number of quotes per theme (distinct answers, in answer order).
    quote_length : int
        Quotes longer than this are cut with "…".

    Returns
    -------
    DataFrame
        ``theme, label, label_en, answers`` (unweighted count), ``weighted`` (sum of
        weights), ``share`` (weighted share of the base), ``base_n``, ``base_weighted``
        and ``examples`` (quotes joined by "；"); every theme, largest share first.
    """
    s = _as_series(answers)
    texts = _texts(s)
    w = _weights(weights, s.index)
    answered = texts.notna()
    base_w = float(w[answered].sum())
    base_n = int(answered.sum())
    coded = code_answers(s, codebook, w)
    rows = []
    for order, theme in enumerate(codebook.themes):
        hits = coded[coded["theme"] == theme.code]
        weighted = float(hits["weight"].sum())
        quotes = list(dict.fromkeys(hits["text"]))[:examples]
        rows.append(
            {
                "theme": theme.code,
                "label": theme.zh,
                "label_en": theme.en,
                "answers": len(hits),
                "weighted": weighted,
                "share": weighted / base_w if base_w > 0 else float("nan"),
                "base_n": base_n,
                "base_weighted": base_w,
                "examples": "；".join(f"“{_quote(q, quote_length)}”" for q in quotes),
                "_order": order,
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out = out.sort_values(["share", "_order"], ascending=[False, True], kind="mergesort")
    return out.drop(columns="_order").reset_index(drop=True)
