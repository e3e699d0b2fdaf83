"""Diverging stacked bars for Likert items: disagreement left of zero, agreement right.

Examples
--------
>>> import pandas as pd
>>> levels = ["很不满意", "不满意", "一般", "满意", "很满意"]
>>> t = pd.DataFrame({"item": ["书屋"] * 5 + ["广播"] * 5, "level": levels * 2,
...                   "estimate": [0.05, 0.1, 0.2, 0.4, 0.25, 0.1, 0.2, 0.3, 0.3, 0.1]})
>>> fig = likert_bars(t, levels=levels)
>>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
['书屋', '广播']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator

from analysis.format import pct

from ..errors import ChartError
from .canvas import category_axis, new_figure, styled
from .estimates import label_columns, require_columns, wrap_label
from .ticks import PercentTicks

__all__ = ["likert_bars"]

_NEUTRAL = "#BFBFBF"


def _colors(n: int, neutral: int | None) -> list:
    import seaborn as sns  # slow to import; only needed when drawing

    n_side = (n - (1 if neutral is not None else 0)) // 2
    neg = sns.color_palette("Oranges_r", n_side + 2)[1 : n_side + 1]
    pos = sns.color_palette("Blues", n_side + 2)[1 : n_side + 1]
    return [*neg, *([_NEUTRAL] if neutral is not None else []), *pos]


@styled
def likert_bars(
    table: pd.DataFrame,
    *,
    item: str | None = None,
    level: str = "level",
    value: str = "estimate",
    levels: Sequence[str] | None = None,
    neutral: str | bool | None = None,
    order: Sequence[str] | str = "net",
    min_label: float = 0.06,
    title: str | None = None,
    wrap: int = 10,
    lang: str = "zh",
) -> Figure:
    """Diverging stacked bars of the answer shares of Likert items.

    Parameters
    ----------
    table : DataFrame
        Estimate table of proportions: one row per item and ``level``.
    item : str, optional
        Column naming the items (default: the varying column besides ``level``).
    levels : sequence of str, optional
        Answer levels from most negative to most positive (default: table order).
    neutral : str or bool, optional
        The middle level, centred on zero (default: the middle one when the number of
        levels is odd; ``False`` for none).
    order : {"net", "table"} or list
        Items from the top: by net agreement (positive minus negative share), as in
        the table, or an explicit list.
    min_label : float
        Segments smaller than this share get no value label.

    Returns
    -------
    matplotlib.figure.Figure
    """
    require_columns(table, [level, value], chart="likert_bars")
    if item is None:
        others = [c for c in label_columns(table) if c != level]
        varying = [c for c in others if table[c].nunique() > 1] or others
        if len(varying) != 1:
            raise ChartError(
                "CHT005",
                "likert_bars cannot tell which column names the items",
                expected="one column besides 'level' naming the items",
                found="columns " + ", ".join(varying) if varying else "none",
                hint="Pass item='item' (the column with the item labels).",
            )
        item = varying[0]
    require_columns(table, [item], chart="likert_bars")
    lv = [str(x) for x in (levels if levels is not None else dict.fromkeys(table[level]))]
    t = table.assign(_item=table[item].astype(str), _level=table[level].astype(str))
    unknown = sorted(set(t["_level"]) - set(lv))
    if unknown:
        raise ChartError(
            "CHT008",
            "the table has answer levels that levels= does not list",
            expected="levels " + ", ".join(lv),
            found="also " + ", ".join(unknown),
            hint="List every level, from most negative to most positive.",
        )
    wide = t.pivot_table(index="_item", columns="_level", values=value, aggfunc="sum")
    wide = wide.reindex(columns=lv).fillna(0.0)
    n = len(lv)
    if neutral is None:
        mid: int | None = n // 2 if n % 2 == 1 else None
    elif neutral is False:
        mid = None
    else:
        if str(neutral) not in lv:
            raise ChartError(
                "CHT008",
                f"neutral level {neutral!r} is not one of the levels",
                expected=", ".join(lv),
                found=str(neutral),
                hint="Name the middle level exactly as in the table, or pass neutral=False.",
            )
        mid = lv.index(str(neutral))
    n_neg = mid if mid is not None else n // 2
    neg_cols, pos_cols = lv[:n_neg], lv[n_neg + (1 if mid is not None else 0) :]
    net = wide[pos_cols].sum(axis=1) - wide[neg_cols].sum(axis=1)
    if isinstance(order, str) and order == "net":
        items = list(net.sort_values(ascending=False, kind="mergesort").index)
    elif isinstance(order, str) and order == "table":
        items = list(dict.fromkeys(t["_item"]))
    else:
        items = [str(x) for x in order] + [x for x in wide.index if x not in set(map(str, order))]
    wide = wide.loc[items]
    colors = _colors(n, mid)
    fig, ax = new_figure(len(items), row_cm=0.75, extra_cm=3.0)
    pos = category_axis(ax, [wrap_label(x, wrap) for x in items])
    half = wide[lv[mid]].to_numpy() / 2 if mid is not None else np.zeros(len(items))
    # left side: from the centre outwards, the mildest negative level first
    left = -half.copy()
    segments = []
    for j in range(n_neg - 1, -1, -1):
        width = wide[lv[j]].to_numpy()
        segments.append((j, left - width, width))
        left = left - width
    if mid is not None:
        segments.append((mid, -half, wide[lv[mid]].to_numpy()))
    right = half.copy()
    for name in pos_cols:
        j = lv.index(name)
        width = wide[name].to_numpy()
        segments.append((j, right.copy(), width))
        right = right + width
    for j, start, width in sorted(segments, key=lambda s: s[0]):
        ax.barh(
            pos,
            width,
            left=start,
            height=0.62,
            color=colors[j],
            label=lv[j],
            edgecolor="white",
            linewidth=0.4,
            zorder=2,
        )
        for (
            y,
            s,
            wv,
        ) in zip(pos, start, width):
            if wv >= min_label:
                dark = j in (0, n - 1)
                ax.text(
                    s + wv / 2,
                    y,
                    pct(wv, 0),
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="white" if dark else "#262626",
                    zorder=4,
                )
    reach = max(float(np.max(-left)), float(np.max(right)), 0.1)
    lim = min(1.0, np.ceil(reach * 10 + 0.5) / 10)
    ax.set_xlim(-lim, lim)
    half_ticks = np.arange(0, lim + 1e-9, 0.2 if lim > 0.6 else 0.1)
    ticks = np.round(np.concatenate([-half_ticks[:0:-1], half_ticks]), 6)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(PercentTicks(0, absolute=True))
    ax.axvline(0, color="#404040", linewidth=0.8, zorder=1.5)  # behind the bars
    ax.legend(
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=min(n, 5),
        frameon=False,
        handlelength=1.0,
        columnspacing=1.0,
        borderaxespad=0.3,
    )
    ax.set_xlabel("比例" if lang == "zh" else "Share")
    if title:
        ax.set_title(title, pad=18)
    return fig
