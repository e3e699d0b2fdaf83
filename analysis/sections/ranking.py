"""Rankings of composite scores: the units ranked highest, as a report table.

The composite itself is :func:`analysis.estimate.scales.composite_score` (standardised,
weighted items); :func:`top_ranked` ranks units on it (ties share a rank,
:func:`analysis.estimate.scales.rank_scores`) and :func:`ranking_table` formats the
first rows with the columns the notebook names.

Examples
--------
>>> import pandas as pd
>>> f = pd.DataFrame({"id": ["a", "b", "c"], "score": [1.5, 2.25, 1.5]})
>>> top = top_ranked(f, "score", top=2)
>>> top[["id", "rank"]].values.tolist()
[['b', 1], ['a', 2], ['c', 2]]
>>> ranking_table(top, {"id": ("编号", None), "score": ("得分", 2)}).frame.values.tolist()
[['1', 'b', '2.25'], ['2', 'a', '1.50'], ['2', 'c', '1.50']]
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..estimate.scales import rank_scores
from ..format import count, number
from ..report import ReportTable

__all__ = ["ranking_table", "top_ranked"]


def top_ranked(
    frame: pd.DataFrame, score: str, *, top: int = 10, method: str = "min"
) -> pd.DataFrame:
    """The rows ranked ``top`` or better on ``score`` (highest first), with ``rank``."""
    ranked = rank_scores(frame, score, method=method)
    return ranked[ranked["rank"] <= top]


def ranking_table(
    rows: pd.DataFrame,
    columns: Mapping[str, tuple[str, int | None]],
    *,
    rank: str = "名次",
) -> ReportTable:
    """Ranked rows as a report table: the rank, then ``columns`` (column -> (header,
    decimals), ``None`` for text), the text columns before the numbers as labels."""
    out = {rank: [count(v) for v in rows["rank"]]}
    labels = 1
    for col, (header, decimals) in columns.items():
        if decimals is None:
            out[header] = rows[col].astype(str).tolist()
            labels += 1
        else:
            out[header] = [number(v, decimals) for v in rows[col]]
    return ReportTable(pd.DataFrame(out), label_columns=labels, source=rows)
