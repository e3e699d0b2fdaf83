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

from .canvas import category_axis, new_figure, percent_axis, styled, value_axis, words
from .estimates import require_columns, sorted_labels, wrap_label
from .marks import (
    HIGHLIGHT,
    axis_name,
    fmt_value,
    has_ci,
    interval_whiskers,
    label_values,
    pick_label,
    rows_by_label,
)
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
    label = pick_label(table, label, "ranking_dots")
    w = words(lang)
    labels = sorted_labels(
        table, label, value=value, order="ascending" if ascending else "descending"
    )
    if top is not None:
        labels = labels[:top]
    rows = rows_by_label(table, label, labels)
    est = rows[value].to_numpy(float)
    shown = [f"{i}. {x}" if numbered else x for i, x in enumerate(labels, start=1)]
    fig, ax = new_figure(len(labels), row_cm=0.55)
    pos = category_axis(ax, [wrap_label(x, wrap) for x in shown])
    ax.grid(axis="y", visible=True, color="#EDEDED", linewidth=0.5)
    marked = {str(h) for h in highlight}
    colors = [HIGHLIGHT if x in marked else PALETTE[0] for x in labels]
    lo, hi = float(np.nanmin(est)), float(np.nanmax(est))
    ends = est
    with_ci = has_ci(rows)
    if with_ci:
        low, high = interval_whiskers(
            ax, est, pos, rows, color="#7F7F7F", width=0.9, capsize=0, zorder=2
        )
        lo, hi = float(np.nanmin(low)), float(np.nanmax(high))
        ends = np.fmax(est, high)
    ax.scatter(est, pos, s=28, color=colors, zorder=3)
    span = max(hi - lo, 1e-9)
    if percent:
        percent_axis(ax, hi, bottom=max(0.0, np.floor((lo - 0.1 * span) * 10) / 10))
    else:
        value_axis(ax, lo - 0.1 * span, hi, decimals=decimals)
    label_values(ax, ends, pos, [fmt_value(v, percent, decimals) for v in est], fontsize=8)
    ax.set_xlabel(axis_name(w, percent=percent, with_ci=with_ci) if xlabel is None else xlabel)
    if title:
        ax.set_title(title)
    return fig
