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

from analysis.format import number, pct

from .canvas import category_axis, new_figure, percent_axis, styled, value_axis, words
from .errors import ChartError
from .estimates import label_columns, require_columns, sorted_labels, wrap_label
from .style import PALETTE

__all__ = ["domain_bars", "share_bars"]

_HIGHLIGHT = "#C55A11"


def _pick_label(table: pd.DataFrame, label: str | None, chart: str) -> str:
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


def _errors(est: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return np.vstack([np.clip(est - low, 0, None), np.clip(high - est, 0, None)])


def _fmt(value: float, percent: bool, decimals: int) -> str:
    return pct(value, decimals) if percent else number(value, decimals)


def _has_ci(table: pd.DataFrame) -> bool:
    return {"ci_low", "ci_high"} <= set(table.columns) and bool(
        table[["ci_low", "ci_high"]].notna().any().all()
    )


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
    label = _pick_label(table, label, "share_bars")
    w = words(lang)
    labels = sorted_labels(table, label, value=value, order=order)
    rows = table.assign(_label=table[label].astype(str)).set_index("_label").loc[labels]
    est = rows[value].to_numpy(float)
    fig, ax = new_figure(len(labels))
    pos = category_axis(ax, [wrap_label(x, wrap) for x in labels])
    marked = {str(h) for h in highlight}
    colors = [_HIGHLIGHT if x in marked else PALETTE[0] for x in labels]
    ax.barh(pos, est, height=0.62, color=colors, zorder=2)
    top = float(np.nanmax(est))
    ends = est
    if _has_ci(rows):
        low, high = rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float)
        ax.errorbar(
            est,
            pos,
            xerr=_errors(est, low, high),
            fmt="none",
            ecolor="#404040",
            elinewidth=0.8,
            capsize=2.5,
            capthick=0.8,
            zorder=3,
        )
        ends = np.fmax(est, high)
        top = float(np.nanmax(ends))
        default_x = w["share_ci"] if percent else w["value_ci"]
    else:
        default_x = w["share"] if percent else w["value"]
    if percent:
        percent_axis(ax, top)
    else:
        value_axis(ax, min(0.0, float(np.nanmin(est))), top, decimals=decimals)
    pad = 0.012 * (ax.get_xlim()[1] - ax.get_xlim()[0])
    for y, x, v in zip(pos, ends, est):
        ax.text(x + pad, y, _fmt(v, percent, decimals), va="center", ha="left", color="#262626")
    ax.set_xlabel(default_x if xlabel is None else xlabel)
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
    has_ci = _has_ci(table)
    show_values = value_labels if value_labels is not None else len(labels) * n_groups <= 16
    key = table.assign(_by=table[by].astype(str), _hue=table[hue].astype(str))
    top = float(np.nanmax(key[value]))
    if has_ci:
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
        if has_ci:
            low, high = sub["ci_low"].to_numpy(float), sub["ci_high"].to_numpy(float)
            ax.errorbar(
                est,
                y,
                xerr=_errors(est, low, high),
                fmt="none",
                ecolor="#404040",
                elinewidth=0.7,
                capsize=2,
                capthick=0.7,
                zorder=3,
            )
            ends = np.fmax(est, high)
        texts.extend((e, yy, v) for e, yy, v in zip(ends, y, est) if not np.isnan(v))
    if percent:
        percent_axis(ax, top)
    else:
        value_axis(ax, min(0.0, float(np.nanmin(key[value]))), top, decimals=decimals)
    if show_values:
        pad = 0.012 * (ax.get_xlim()[1] - ax.get_xlim()[0])
        size = ax.yaxis.get_ticklabels()[0].get_fontsize() - 1 if labels else 8
        for e, yy, v in texts:
            ax.text(
                e + pad,
                yy,
                _fmt(v, percent, decimals),
                va="center",
                ha="left",
                fontsize=size,
                color="#262626",
            )
    ax.legend(
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=min(n_groups, 4),
        frameon=False,
        handlelength=1.2,
        borderaxespad=0.3,
    )
    if has_ci:
        default_x = w["share_ci"] if percent else w["value_ci"]
    else:
        default_x = w["share"] if percent else w["value"]
    ax.set_xlabel(default_x if xlabel is None else xlabel)
    if title:
        ax.set_title(title, pad=18)
    return fig
