"""Distributions of scores from a data column: histogram (weighted) or box plots by group.

Examples
--------
>>> import pandas as pd
>>> d = pd.DataFrame({"score": [72, 85, 90, 66, 78, 88], "mode": ["外派", "下派"] * 3})
>>> fig = score_distribution(d, "score", by="mode", kind="box")
>>> sorted(t.get_text() for t in fig.axes[0].get_yticklabels())
['下派', '外派']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..errors import ChartError
from .canvas import category_axis, new_figure, styled, words
from .estimates import wrap_label
from .style import PALETTE
from .ticks import NumberTicks

__all__ = ["score_distribution"]


def _check(data: pd.DataFrame, column: str, by: str | None, weights: str | None) -> None:
    if not isinstance(data, pd.DataFrame):
        raise ChartError(
            "CHT002",
            "score_distribution needs a data frame",
            expected="pandas.DataFrame",
            found=type(data).__name__,
            hint="Pass the cleaned data and the score column name.",
        )
    for col in [c for c in (column, by, weights) if c is not None]:
        if col not in data.columns:
            raise ChartError(
                "CHT002",
                f"score_distribution needs column {col!r}, which the data does not have",
                expected=col,
                found="columns " + ", ".join(map(str, data.columns[:20])),
                hint="Name a column of the cleaned data.",
            )
    if not pd.api.types.is_numeric_dtype(data[column]):
        raise ChartError(
            "CHT009",
            f"column {column!r} is not numeric, so it has no distribution to draw",
            expected="numbers (scores)",
            found=str(data[column].dtype),
            column=column,
            hint="Compute the score first (analysis.estimate.scales) or convert the column to numbers.",
        )


@styled
def score_distribution(
    data: pd.DataFrame,
    column: str,
    *,
    by: str | None = None,
    kind: str = "hist",
    weights: str | None = None,
    bins: int | Sequence[float] | str = "auto",
    order: Sequence[str] | str = "median",
    decimals: int = 0,
    xlabel: str | None = None,
    title: str | None = None,
    wrap: int = 10,
    lang: str = "zh",
) -> Figure:
    """Histogram or box plots of a score column.

    Parameters
    ----------
    data : DataFrame
        Unit-level data (one row per respondent), not an estimate table.
    column : str
        The score.
    by : str, optional
        Groups: stacked step histograms, or one box per group.
    kind : {"hist", "box"}
    weights : str, optional
        Weight column for the histogram (bars then show weighted counts). Box plots
        are unweighted, so ``kind="box"`` with weights is refused (``CHT006``).
    order : {"median", "table"} or list
        Box order from the top: by median (highest first), data order, or given.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check(data, column, by, weights)
    if kind not in ("hist", "box"):
        raise ChartError(
            "CHT004",
            f"unknown kind {kind!r}",
            expected="'hist' or 'box'",
            found=repr(kind),
            hint="Pass kind='hist' or kind='box'.",
        )
    if kind == "box" and weights is not None:
        raise ChartError(
            "CHT006",
            "box plots cannot show survey weights",
            expected="kind='hist' with weights, or kind='box' without",
            found="kind='box', weights=" + repr(weights),
            hint="Use kind='hist' for a weighted distribution; quantiles with intervals come "
            "from analysis.estimate.estimators.",
        )
    w = words(lang)
    d = data.dropna(subset=[column])
    if np.isfinite(d[column]).sum() == 0:
        raise ChartError(
            "CHT003",
            f"column {column!r} has no values to draw",
            expected="some numbers",
            found="only missing values",
            column=column,
            hint="Check the filter or the score.",
        )
    fmt = NumberTicks(decimals)
    if kind == "box":
        d = d.assign(_g="" if by is None else d[by].astype(str))
        by_col = "_g"
        if isinstance(order, str) and order == "median":
            groups = list(d.groupby(by_col)[column].median().sort_values(ascending=False).index)
        elif isinstance(order, str):
            groups = list(dict.fromkeys(d[by_col]))
        else:
            groups = [str(x) for x in order]
        fig, ax = new_figure(len(groups), row_cm=0.8)
        pos = category_axis(ax, [wrap_label(g, wrap) for g in groups])
        values = [d.loc[d[by_col] == g, column].to_numpy(float) for g in groups]
        ax.boxplot(
            values,
            positions=pos,
            orientation="horizontal",
            widths=0.55,
            patch_artist=True,
            boxprops={"facecolor": "#DAE3F3", "edgecolor": PALETTE[0], "linewidth": 0.8},
            medianprops={"color": PALETTE[1], "linewidth": 1.2},
            whiskerprops={"color": PALETTE[0], "linewidth": 0.8},
            capprops={"color": PALETTE[0], "linewidth": 0.8},
            flierprops={
                "marker": "o",
                "markersize": 2.5,
                "markerfacecolor": "#7F7F7F",
                "markeredgecolor": "none",
            },
        )
        ax.set_yticks(pos, [wrap_label(g, wrap) for g in groups])
        ax.xaxis.set_major_formatter(fmt)
        ax.set_xlabel(column if xlabel is None else xlabel)
    else:
        fig, ax = new_figure(0, height_cm=7.5)
        hue_order = None
        if by is not None:
            d = d.assign(**{by: d[by].astype(str)})
            hue_order = list(dict.fromkeys(d[by]))
        import seaborn as sns  # slow to import; only needed when drawing

        if isinstance(bins, str):  # seaborn's rules ignore weights; take the edges from the data
            bins = np.histogram_bin_edges(d[column].to_numpy(float), bins=bins).tolist()
        grouped = by is not None
        sns.histplot(
            data=d,
            x=column,
            hue=by,
            weights=weights,
            bins=bins,
            ax=ax,
            element="step" if grouped else "bars",
            fill=not grouped,
            **({} if grouped else {"edgecolor": "white"}),
            alpha=0.8,
            linewidth=1.4 if grouped else 0.6,
            color=PALETTE[0],
            palette=list(PALETTE[: len(hue_order)]) if hue_order else None,
            hue_order=hue_order,
        )
        ax.xaxis.set_major_formatter(fmt)
        ax.yaxis.set_major_locator(MaxNLocator(6, integer=True))
        ax.yaxis.set_major_formatter(NumberTicks(0))
        ax.set_xlabel(column if xlabel is None else xlabel)
        ax.set_ylabel(w["weighted"] if weights is not None else w["count"])
        ax.grid(axis="x", visible=False)
        legend = ax.get_legend()
        if legend is not None:
            legend.set_frame_on(False)
            legend.set_title(None)
    if title:
        ax.set_title(title)
    return fig
