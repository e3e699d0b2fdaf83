"""Suggestions (对策建议): coded answers to suggestions questions, themes ranked, with quotes.

Each group of respondents (households, village officials, cadres ...) answers its own
suggestions question; :func:`suggestion_themes` codes every group's answers against a
codebook of suggestion themes (:func:`analysis.sections.themes.coded_answers`, sentence
by sentence, design-weighted), ranks the themes of each group by the weighted share of
those who answered that mention them, and keeps the quotes given most often for each
theme. The notebook states the ranking and quotes in its text and places the table.

Examples
--------
>>> ranked = pd.DataFrame({"key": ["hh", "hh"], "item": ["增加经费", "双语宣讲"],
...                        "estimate": [0.31, 0.22], "rank": [1, 2]})
>>> listing(ranked, "hh", lang="zh")
'增加经费（31.0%）、双语宣讲（22.0%）'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from ..errors import SectionError
from ..format import ci_range, pct
from ..report import ReportTable
from .context import SectionContext
from .themes import CodedAnswers, OpenQuestions, clip_quote, coded_answers

__all__ = ["Suggestions", "join_quotes", "listing", "suggestion_themes"]


def listing(ranked: pd.DataFrame, key: str, *, top: int = 3, lang: str = "zh") -> str:
    """The ``top`` themes of group ``key`` with their shares, as a list in the text."""
    rows = ranked[ranked["key"] == key].sort_values("rank", kind="mergesort").head(top)
    parts = [
        f"{item}（{pct(v)}）" if lang != "en" else f"{item} ({pct(v)})"
        for item, v in zip(rows["item"], rows["estimate"])
    ]
    if lang == "en":
        return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)
    return "、".join(parts)


def join_quotes(quotes: list[str], *, lang: str = "zh") -> str:
    """Quotes for a sentence: each in “”, without its own closing full stop, so that the
    sentence's punctuation follows (“……”；“……”。 not “……。”；“……。”。).

    Examples
    --------
    >>> join_quotes(["“希望多给点经费。”", "“建议设立专项经费！”"])
    '“希望多给点经费”；“建议设立专项经费！”'
    """
    out = []
    for q in quotes:
        inner = q.strip().strip('“”"')
        inner = inner[:-1] if inner.endswith(("。", ".")) else inner
        out.append(f"“{inner}”")
    return ("; " if lang == "en" else "；").join(out)


@dataclass(frozen=True, eq=False)
class Suggestions:
    """The coded suggestions of each group and the themes ranked.

    Attributes
    ----------
    coded : dict
        Group key to its :class:`analysis.sections.themes.CodedAnswers`.
    ranked : DataFrame
        One row per group and theme mentioned: ``key``, ``who``, ``theme``, ``item``
        (the theme's label), ``estimate``, ``ci_low``, ``ci_high``, ``n`` (those who
        answered), ``rank`` (1 = most mentioned in the group), ``quote``.
    table : ReportTable
        The ranking as a report table (group, theme, a quote, share, interval).
    lang : str
    """

    coded: dict[str, CodedAnswers]
    ranked: pd.DataFrame
    table: ReportTable
    lang: str = "zh"

    def first(self, key: str) -> pd.Series:
        """The most mentioned theme of group ``key`` (a row for the text)."""
        rows = self._rows(key)
        return rows.iloc[0]

    def theme(self, key: str, rank: int) -> pd.Series:
        """The theme ranked ``rank`` (1, 2 ...) in group ``key``."""
        rows = self._rows(key)
        if not 1 <= rank <= len(rows):
            raise SectionError(
                "SEC046",
                f"group {key!r} has no theme ranked {rank}",
                expected=f"a rank from 1 to {len(rows)}",
                found=str(rank),
                hint="Check how many themes the group mentions (len(s.top(key))).",
            )
        return rows.iloc[rank - 1]

    def top(self, key: str, k: int = 3) -> pd.DataFrame:
        """The ``k`` most mentioned themes of group ``key``."""
        return self._rows(key).head(k)

    def listing(self, key: str, k: int = 3) -> str:
        """The ``k`` most mentioned themes of group ``key`` with their shares, for the text."""
        return listing(self.ranked, key, top=k, lang=self.lang)

    def quotes(self, key: str, rank: int = 1, k: int = 2) -> str:
        """Up to ``k`` quotes of the theme ranked ``rank`` in group ``key``, for the text."""
        theme = self.theme(key, rank)["theme"]
        found = self.coded[key].quotes.get(theme) or []
        return join_quotes(found[:k], lang=self.lang)

    def answered(self, key: str) -> pd.Series:
        """How many of group ``key`` answered (``n``), as a row for ``{row:n}``."""
        return pd.Series({"n": self.coded[self._key(key)].answered})

    def _key(self, key: str) -> str:
        if key not in self.coded:
            raise SectionError(
                "SEC045",
                f"no suggestions were coded for group {key!r}",
                expected=", ".join(self.coded) or "(no group had answers and a codebook)",
                found=repr(key),
                hint="Name a group given to suggestion_themes whose answers could be coded.",
            )
        return key

    def _rows(self, key: str) -> pd.DataFrame:
        self._key(key)
        rows = self.ranked[self.ranked["key"] == key]
        return rows.sort_values("rank", kind="mergesort").reset_index(drop=True)


def suggestion_themes(
    ctx: SectionContext,
    questions: Mapping[str, OpenQuestions],
    *,
    quote_length: int = 24,
) -> Suggestions:
    """Code each group's suggestions and rank its themes by their weighted shares.

    Parameters
    ----------
    ctx : SectionContext
    questions : mapping
        Group key (used in the text's row names) to the group's
        :class:`analysis.sections.themes.OpenQuestions` (instrument, suggestions
        question(s), who answered, codebook).
    quote_length : int
        Longest quote in the table (characters); longer ones are cut with an ellipsis.

    Returns
    -------
    Suggestions
        Groups without data, answers or codebook are left out.

    Raises
    ------
    SectionError
        ``SEC045`` when no group could be coded.
    """
    coded: dict[str, CodedAnswers] = {}
    rows = []
    for key, q in questions.items():
        c = coded_answers(ctx, q)
        if c is None:
            continue
        coded[key] = c
        shares = c.shares[c.shares["estimate"] > 0]
        shares = shares.sort_values("estimate", ascending=False, kind="mergesort")
        for rank, (_, r) in enumerate(shares.iterrows(), start=1):
            quotes = c.quotes.get(r["theme"]) or []
            rows.append(
                {
                    "key": key,
                    "who": q.who,
                    "theme": r["theme"],
                    "item": r["item"],
                    "estimate": r["estimate"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "n": r["n"],
                    "rank": rank,
                    "quote": quotes[0] if quotes else "",
                }
            )
    if not coded:
        raise SectionError(
            "SEC045",
            "no group's suggestions could be coded",
            expected="answers to the suggestions questions and a codebook for each group",
            found="none",
            hint="Check the instruments, question names and codebook files given.",
        )
    ranked = pd.DataFrame(rows)
    t = ctx.t
    table = ReportTable(
        pd.DataFrame(
            {
                t("提出者", "From"): [
                    w if r == 1 else "" for w, r in zip(ranked["who"], ranked["rank"])
                ],
                t("建议", "Suggestion"): ranked["item"].tolist(),
                t("代表性原话", "In their words"): [
                    clip_quote(q, quote_length) if q else "—" for q in ranked["quote"]
                ],
                t("提及比例", "Share"): [pct(v) for v in ranked["estimate"]],
                t("95%置信区间", "95% CI"): [
                    ci_range(a, b) for a, b in zip(ranked["ci_low"], ranked["ci_high"])
                ],
            }
        ),
        label_columns=3,
        source=ranked,
    )
    return Suggestions(coded, ranked, table, ctx.lang)
