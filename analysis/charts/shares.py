"""Shares with design-based confidence intervals: one bar per category or domain.

The intervals are the table's ``ci_low`` and ``ci_high``; nothing here computes
one.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"level": ["电视", "手机", "广播"], "estimate": [0.62, 0.71, 0.18],
...                   "ci_low": [0.55, 0.65, 0.12], "ci_high": [0.69, 0.77, 0.25]})
>>> fig = share_bars(t)
>>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
['手机', '电视', '广播']
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

__all__ = ["domain_bars", "share_bars"]


@styled
def share_bars(
    table: pd.DataFrame,
    *,
    label: str | None = None,
    value: str = "estimate",
    percent: bool = True,
    decimals: int = 1,
    order: Sequence[str] | str = "descending",
    highlight: Sequence[str] = (),
    xlabel: str | None = None,
    title: str | None = None,
    wrap: int = 10,
    lang: str = "zh",
) -> Figure:
    """Horizontal bars of estimates with their confidence intervals as error bars.

    Parameters
    ----------
    table : DataFrame
        Estimate table (``estimate``; ``ci_low``/``ci_high`` drawn when present).
    label : str, optional
        Column naming the bars (default: the one varying ``by``/``level`` column).
    percent : bool
        Estimates are proportions: axis and value labels in percent (``53.2%``).
    order : {"descending", "ascending", "table"} or list
        Bar order from the top; by value by default.
    highlight : sequence of str
        Labels drawn in the accent colour (e.g. the province total).
    xlabel, title : str, optional
        Axis label (a default names the interval) and an in-chart title (usually
        left out: the report caption names the figure).
    wrap : int
        Break labels longer than this many characters.
    lang : {"zh", "en"}

    Returns
    -------
    matplotlib.figure.Figure
    """
    require_columns(table, [value], chart="share_bars")
    label = pick_label(table, label, "share_bars")
    w = words(lang)
    labels = sorted_labels(table, label, value=value, order=order)
    rows = rows_by_label(table, label, labels)
    est = rows[value].to_numpy(float)
    fig, ax = new_figure(len(labels))
    pos = category_axis(ax, [wrap_label(x, wrap) for x in labels])
    marked = {str(h) for h in highlight}
    colors = [HIGHLIGHT if x in marked else PALETTE[0] for x in labels]
    ax.barh(pos, est, height=0.62, color=colors, zorder=2)
    top = float(np.nanmax(est))
    ends = est
    with_ci = has_ci(rows)
    if with_ci:
        _, high = interval_whiskers(ax, est, pos, rows, color="#404040", width=0.8, capsize=2.5)
        ends = np.fmax(est, high)
        top = float(np.nanmax(ends))
    if percent:
        percent_axis(ax, top)
    else:
        value_axis(ax, min(0.0, float(np.nanmin(est))), top, decimals=decimals)
    label_values(ax, ends, pos, [fmt_value(v, percent, decimals) for v in est])
    ax.set_xlabel(axis_name(w, percent=percent, with_ci=with_ci) if xlabel is None else xlabel)
    ax.set_ylabel("")
    if title:
        ax.set_title(title)
    return fig


@styled
def domain_bars(
    table: pd.DataFrame,
    *,
    by: str,
    hue: str | None = None,
    value: str = "estimate",
    percent: bool = True,
    decimals: int = 1,
    order: Sequence[str] | str = "descending",
    hue_order: Sequence[str] | None = None,
    value_labels: bool | None = None,
    xlabel: str | None = None,
    title: str | None = None,
    wrap: int = 10,
    lang: str = "zh",
) -> Figure:
    """Estimates by domain (county, village type), optionally split by a second column.

    Parameters
    ----------
    by : str
        Domain column on the axis (sorted by the mean of its estimates).
    hue : str, optional
        Second column drawn as side-by-side bars with a legend (village type,
        ``level``, wave). Without it the chart is :func:`share_bars` on ``by``.
    hue_order : sequence of str, optional
        Order of the hue groups (default: as in the table).
    value_labels : bool, optional
        Print values at the bar ends (default: when there are at most 16 bars).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"county": ["甲县", "甲县", "乙县", "乙县"],
    ...                   "village_type": ["农业村", "牧业村"] * 2,
    ...                   "estimate": [0.5, 0.3, 0.6, 0.4],
    ...                   "ci_low": [0.4, 0.2, 0.5, 0.3], "ci_high": [0.6, 0.4, 0.7, 0.5]})
    >>> fig = domain_bars(t, by="county", hue="village_type")
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['农业村', '牧业村']
    """
    if hue is None:
        return share_bars(
            table,
            label=by,
            value=value,
            percent=percent,
            decimals=decimals,
            order=order,
            xlabel=xlabel,
            title=title,
            wrap=wrap,
            lang=lang,
        )
    require_columns(table, [by, hue, value], chart="domain_bars")
    w = words(lang)
    labels = sorted_labels(table, by, value=value, order=order)
    groups = (
        [str(h) for h in hue_order]
        if hue_order is not None
        else list(dict.fromkeys(table[hue].astype(str)))
    )
    n_groups = len(groups)
    fig, ax = new_figure(len(labels) * max(1, n_groups * 0.55), extra_cm=2.8)
    pos = category_axis(ax, [wrap_label(x, wrap) for x in labels])
    band = 0.8
    height = band / n_groups
    with_ci = has_ci(table)
    show_values = value_labels if value_labels is not None else len(labels) * n_groups <= 16
    key = table.assign(_by=table[by].astype(str), _hue=table[hue].astype(str))
    top = float(np.nanmax(key[value]))
    if with_ci:
        top = max(top, float(np.nanmax(key["ci_high"])))
    texts = []
    for gi, group in enumerate(groups):
        sub = key[key["_hue"] == group].set_index("_by").reindex(labels)
        est = sub[value].to_numpy(float)
        # first group at the top of each band
        y = pos + band / 2 - height * (gi + 0.5)
        ax.barh(
            y, est, height=height * 0.92, color=PALETTE[gi % len(PALETTE)], label=group, zorder=2
        )
        ends = est
        if with_ci:
            _, high = interval_whiskers(ax, est, y, sub, color="#404040", width=0.7, capsize=2)
            ends = np.fmax(est, high)
        texts.extend((e, yy, v) for e, yy, v in zip(ends, y, est) if not np.isnan(v))
    if percent:
        percent_axis(ax, top)
    else:
        value_axis(ax, min(0.0, float(np.nanmin(key[value]))), top, decimals=decimals)
    if show_values:
        size = ax.yaxis.get_ticklabels()[0].get_fontsize() - 1 if labels else 8
        ends, ys, values = zip(*texts) if texts else ((), (), ())
        label_values(ax, ends, ys, [fmt_value(v, percent, decimals) for v in values], fontsize=size)
    ax.legend(
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=min(n_groups, 4),
        frameon=False,
        handlelength=1.2,
        borderaxespad=0.3,
    )
    ax.set_xlabel(axis_name(w, percent=percent, with_ci=with_ci) if xlabel is None else xlabel)
    if title:
        ax.set_title(title, pad=18)
    return fig
