"""Wave-over-wave change: a dot for the previous wave, an arrow to the current one.

Arrows are coloured only where the comparison flags the change significant;
the flag comes from the comparison table (``significant``), never from here.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"county": ["甲县", "乙县"], "estimate_old": [0.50, 0.42],
...                   "estimate_new": [0.532, 0.40], "change": [0.032, -0.02],
...                   "significant": [True, False]})
>>> fig = change_arrows(t)
>>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
['甲县', '乙县']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from analysis.format import signed

from .canvas import category_axis, new_figure, percent_axis, styled, value_axis, words
from .estimates import require_columns, sorted_labels, wrap_label
from .marks import fmt_value, label_values, pick_label, rows_by_label

__all__ = ["change_arrows"]

_UP, _DOWN, _FLAT = "#2F5597", "#C55A11", "#A6A6A6"


def _change_text(value: float, change: float, percent: bool, decimals: int, lang: str) -> str:
    """The current value with its signed change: ``53.2%（+3.2）``."""
    ch = signed(change, percent=percent, decimals=decimals)
    if lang == "en":
        return f"{fmt_value(value, percent, decimals)} ({ch})"
    return f"{fmt_value(value, percent, decimals)}（{ch}）"


@styled
def change_arrows(
    table: pd.DataFrame,
    *,
    label: str | None = None,
    old: str = "estimate_old",
    new: str = "estimate_new",
    significant: str = "significant",
    percent: bool = True,
    decimals: int = 1,
    waves: tuple[str, str] | None = None,
    order: Sequence[str] | str = "descending",
    xlabel: str | None = None,
    title: str | None = None,
    wrap: int = 10,
    lang: str = "zh",
) -> Figure:
    """Dot-and-arrow chart of a wave comparison table.

    Parameters
    ----------
    table : DataFrame
        Comparison table (``estimate_old``, ``estimate_new``, ``significant``; ``change``
        is printed when present).
    label : str, optional
        Column naming the rows (default: the one varying ``by`` column).
    waves : (str, str), optional
        Legend names of the previous and current wave (default 上期 / 本期).
    order : {"descending", "ascending", "table"} or list
        Rows from the top, by the current value by default.

    Returns
    -------
    matplotlib.figure.Figure
    """
    require_columns(table, [old, new, significant], chart="change_arrows")
    label = pick_label(table, label, "change_arrows")
    w = words(lang)
    labels = sorted_labels(table, label, value=new, order=order)
    rows = rows_by_label(table, label, labels)
    a, b = rows[old].to_numpy(float), rows[new].to_numpy(float)
    sig = rows[significant].fillna(False).astype(bool).to_numpy()
    fig, ax = new_figure(len(labels), extra_cm=2.8)
    pos = category_axis(ax, [wrap_label(x, wrap) for x in labels])
    ax.grid(axis="y", visible=True, color="#EDEDED", linewidth=0.5)
    colors = [(_UP if bb > aa else _DOWN) if s else _FLAT for aa, bb, s in zip(a, b, sig)]
    ax.scatter(a, pos, s=22, facecolor="white", edgecolor="#7F7F7F", linewidth=0.9, zorder=3)
    for y, aa, bb, c in zip(pos, a, b, colors):
        if np.isnan(aa) or np.isnan(bb):
            continue
        ax.annotate(
            "",
            xy=(bb, y),
            xytext=(aa, y),
            arrowprops={
                "arrowstyle": "-|>",
                "color": c,
                "lw": 1.3,
                "shrinkA": 3,
                "shrinkB": 2.5,
                "mutation_scale": 8,
            },
            zorder=4,
        )
    ax.scatter(b, pos, s=22, color=colors, zorder=5)
    hi = float(np.nanmax(np.fmax(a, b)))
    lo = float(np.nanmin(np.fmin(a, b)))
    if percent:
        percent_axis(ax, hi, bottom=max(0.0, np.floor((lo - 0.02) * 10) / 10))
    else:
        span = hi - lo
        value_axis(ax, lo - 0.1 * span, hi, decimals=decimals)
    change = rows["change"].to_numpy(float) if "change" in rows.columns else b - a
    shown = [i for i, bb in enumerate(b) if not np.isnan(bb)]
    label_values(
        ax,
        [max(a[i], b[i]) for i in shown],
        [pos[i] for i in shown],
        [_change_text(b[i], change[i], percent, decimals, lang) for i in shown],
        fontsize=8,
        pad=0.015,
    )
    old_name, new_name = waves if waves is not None else (w["old"], w["new"])
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markerfacecolor="white",
            markeredgecolor="#7F7F7F",
            label=old_name,
        ),
    ]
    for color, key in ((_UP, "up"), (_DOWN, "down"), (_FLAT, "flat")):
        if color in colors:
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    color=color,
                    label=f"{new_name}{w['sep_open']}{w[key]}{w['sep_close']}",
                )
            )
    ax.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=len(handles),
        frameon=False,
        handletextpad=0.3,
        borderaxespad=0.3,
    )
    if xlabel is None:
        xlabel = w["change_axis"] if percent else w["change_axis_value"]
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title, pad=18)
    return fig
