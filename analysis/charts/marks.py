"""Marks the estimate charts share: the label column, interval whiskers, value labels.

:func:`~analysis.charts.shares.share_bars`, :func:`~analysis.charts.shares.domain_bars`,
:func:`~analysis.charts.ranking.ranking_dots` and
:func:`~analysis.charts.change.change_arrows` draw the same pieces; they are
written once here.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"county": ["甲县", "乙县"], "level": ["是", "是"], "estimate": [0.5, 0.6],
...                   "ci_low": [0.4, 0.5], "ci_high": [0.6, 0.7]})
>>> pick_label(t, None, "share_bars"), has_ci(t)
('county', True)
>>> axis_name({"share": "S", "share_ci": "S, CI", "value": "V", "value_ci": "V, CI"},
...           percent=True, with_ci=True)
'S, CI'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from analysis.format import number, pct

from ..errors import ChartError
from .estimates import label_columns, require_columns

__all__ = [
    "HIGHLIGHT",
    "axis_name",
    "fmt_value",
    "has_ci",
    "interval_whiskers",
    "label_values",
    "pick_label",
    "rows_by_label",
]

HIGHLIGHT = "#C55A11"
"""Accent colour of highlighted bars and dots (e.g. the province total)."""

_TEXT = "#262626"


def pick_label(table: pd.DataFrame, label: str | None, chart: str) -> str:
    """The column naming the bars: ``label`` if given, else the one varying label column.

    Raises
    ------
    ChartError
        ``CHT005`` when no single column varies.
    """
    if label is not None:
        require_columns(table, [label], chart=chart)
        return label
    cols = label_columns(table)
    varying = [c for c in cols if table[c].nunique(dropna=False) > 1]
    if len(varying) == 1:
        return varying[0]
    if not varying and cols:
        return cols[0]
    raise ChartError(
        "CHT005",
        f"{chart} cannot tell which column names the bars",
        expected="one column besides the estimate columns that varies",
        found="columns " + ", ".join(varying or cols) if (varying or cols) else "none",
        hint="Pass label='county' (the column to put on the axis), or use domain_bars(by=, hue=).",
    )


def rows_by_label(table: pd.DataFrame, label: str, labels: Sequence[str]) -> pd.DataFrame:
    """The rows of ``table`` in the order of ``labels``, indexed by the label as text.

    >>> t = pd.DataFrame({"county": ["甲县", "乙县"], "estimate": [0.5, 0.6]})
    >>> rows_by_label(t, "county", ["乙县", "甲县"])["estimate"].tolist()
    [0.6, 0.5]
    """
    return table.assign(_label=table[label].astype(str)).set_index("_label").loc[list(labels)]


def has_ci(table: pd.DataFrame) -> bool:
    """Whether the table has interval columns with at least one value in each."""
    return {"ci_low", "ci_high"} <= set(table.columns) and bool(
        table[["ci_low", "ci_high"]].notna().any().all()
    )


def axis_name(words: dict[str, str], *, percent: bool, with_ci: bool) -> str:
    """Default value-axis label: share or estimate, naming the error bars when drawn."""
    key = "share" if percent else "value"
    return words[f"{key}_ci" if with_ci else key]


def fmt_value(value: float, percent: bool, decimals: int) -> str:
    """A value label: ``53.2%`` for proportions, else the number.

    >>> fmt_value(0.532, True, 1), fmt_value(86.54, False, 1)
    ('53.2%', '86.5')
    """
    return pct(value, decimals) if percent else number(value, decimals)


def interval_whiskers(
    ax: Axes,
    est: np.ndarray,
    pos: np.ndarray,
    rows: pd.DataFrame,
    *,
    color: str,
    width: float,
    capsize: float,
    zorder: int = 3,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw horizontal error bars from ``rows``' ``ci_low``/``ci_high``; return both bounds."""
    low, high = rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float)
    ax.errorbar(
        est,
        pos,
        xerr=np.vstack([np.clip(est - low, 0, None), np.clip(high - est, 0, None)]),
        fmt="none",
        ecolor=color,
        elinewidth=width,
        capsize=capsize,
        capthick=width,
        zorder=zorder,
    )
    return low, high


def label_values(
    ax: Axes,
    xs: Sequence[float],
    ys: Sequence[float],
    texts: Sequence[str],
    *,
    fontsize: float | None = None,
    pad: float = 0.012,
) -> None:
    """Write ``texts`` just right of ``xs``; ``pad`` is a share of the axis width.

    Call it after the value axis is set: the gap is measured on its limits.
    """
    step = pad * (ax.get_xlim()[1] - ax.get_xlim()[0])
    for x, y, text in zip(xs, ys, texts):
        ax.text(x + step, y, text, va="center", ha="left", fontsize=fontsize, color=_TEXT)
