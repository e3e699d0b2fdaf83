"""Rankings: units ordered by an estimate (a composite score, a rate), dot and interval.

A dot plot rather than bars: rankings compare scores whose axis need not start at
zero.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"unit": ["县委办", "组织部", "宣传部"], "estimate": [86.5, 91.2, 88.0],
...                   "ci_low": [84.0, 89.5, 85.1], "ci_high": [89.0, 92.9, 90.9]})
>>> fig = ranking_dots(t, percent=False)
>>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
['1. 组织部', '2. 宣传部', '3. 县委办']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.format import number, pct

from .canvas import category_axis, new_figure, percent_axis, styled, value_axis, words
from .estimates import require_columns, sorted_labels, wrap_label
from .shares import _HIGHLIGHT, _errors, _has_ci, _pick_label
from .style import PALETTE

__all__ = ["ranking_dots"]


@styled
def ranking_dots(
    table: pd.DataFrame,
    *,
    label: str | None = None,
    value: str = "estimate",
    percent: bool = False,
    decimals: int = 1,
    top: int | None = None,
    ascending: bool = False,
    highlight: Sequence[str] = (),
    numbered: bool = True,
    xlabel: str | None = None,
    title: str | None = None,
    wrap: int = 10,
    lang: str = "zh",
) -> Figure:
    """Units ranked by their estimate, best first, with intervals when the table has them.

    Parameters
    ----------
    top : int, optional
        Show only the first ``top`` units.
    ascending : bool
        Rank smallest first (e.g. a problem rate).
    highlight : sequence of str
        Labels drawn in the accent colour (e.g. the average).
    numbered : bool
        Prefix labels with their rank (``1. 组织部``).
    """
    require_columns(table, [value], chart="ranking_dots")
    label = _pick_label(table, label, "ranking_dots")
    w = words(lang)
    labels = sorted_labels(
        table, label, value=value, order="ascending" if ascending else "descending"
    )
    if top is not None:
        labels = labels[:top]
    rows = table.assign(_label=table[label].astype(str)).set_index("_label").loc[labels]
    est = rows[value].to_numpy(float)
    shown = [f"{i}. {x}" if numbered else x for i, x in enumerate(labels, start=1)]
    fig, ax = new_figure(len(labels), row_cm=0.55)
    pos = category_axis(ax, [wrap_label(x, wrap) for x in shown])
    ax.grid(axis="y", visible=True, color="#EDEDED", linewidth=0.5)
    marked = {str(h) for h in highlight}
    colors = [_HIGHLIGHT if x in marked else PALETTE[0] for x in labels]
    lo, hi = float(np.nanmin(est)), float(np.nanmax(est))
    ends = est
    if _has_ci(rows):
        low, high = rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float)
        ax.errorbar(
            est,
            pos,
            xerr=_errors(est, low, high),
            fmt="none",
            ecolor="#7F7F7F",
            elinewidth=0.9,
            capsize=0,
            zorder=2,
        )
        lo, hi = float(np.nanmin(low)), float(np.nanmax(high))
        ends = np.fmax(est, high)
        default_x = w["share_ci"] if percent else w["value_ci"]
    else:
        default_x = w["share"] if percent else w["value"]
    ax.scatter(est, pos, s=28, color=colors, zorder=3)
    span = max(hi - lo, 1e-9)
    if percent:
        percent_axis(ax, hi, bottom=max(0.0, np.floor((lo - 0.1 * span) * 10) / 10))
    else:
        value_axis(ax, lo - 0.1 * span, hi, decimals=decimals)
    pad = 0.012 * (ax.get_xlim()[1] - ax.get_xlim()[0])
    for y, e, v in zip(pos, ends, est):
        text = pct(v, decimals) if percent else number(v, decimals)
        ax.text(e + pad, y, text, va="center", ha="left", fontsize=8, color="#262626")
    ax.set_xlabel(default_x if xlabel is None else xlabel)
    if title:
        ax.set_title(title)
    return fig
