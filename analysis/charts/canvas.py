"""Figure, axes and labelling shared by the report charts (drawn in the report style).

Figures are plain :class:`matplotlib.figure.Figure` objects (not pyplot), so
drawing many charts in a notebook or a pipeline leaks nothing and needs no
display backend.

Examples
--------
>>> fig, ax = new_figure(4)
>>> round(float(fig.get_size_inches()[0]) * 2.54, 1)
15.5
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, MaxNLocator

from ..errors import ChartError
from .style import PRINT_WIDTH_CM, report_style
from .ticks import NumberTicks, PercentTicks

__all__ = [
    "TEXT",
    "bar_height",
    "category_axis",
    "new_figure",
    "percent_axis",
    "styled",
    "value_axis",
    "words",
]

_CM = 1 / 2.54
P = ParamSpec("P")
R = TypeVar("R")

#: Default words on charts, per language.
TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "share": "比例",
        "share_ci": "比例（误差线为95%置信区间）",
        "value_ci": "估计值（误差线为95%置信区间）",
        "value": "估计值",
        "count": "频数",
        "weighted": "加权频数",
        "up": "显著提高",
        "down": "显著降低",
        "flat": "无显著变化",
        "sep_open": "（",
        "sep_close": "）",
        "change_axis": "比例（括号内为与上期相比的变化，百分点）",
        "change_axis_value": "估计值（括号内为与上期相比的变化）",
        "old": "上期",
        "new": "本期",
    },
    "en": {
        "share": "Share",
        "share_ci": "Share (error bars: 95% CI)",
        "value_ci": "Estimate (error bars: 95% CI)",
        "value": "Estimate",
        "count": "Count",
        "weighted": "Weighted count",
        "up": "significant rise",
        "down": "significant fall",
        "flat": "no significant change",
        "sep_open": " (",
        "sep_close": ")",
        "change_axis": "Share (change on the previous wave in brackets, percentage points)",
        "change_axis_value": "Estimate (change on the previous wave in brackets)",
        "old": "previous",
        "new": "current",
    },
}


def words(lang: str) -> dict[str, str]:
    """Chart words for ``lang`` (``CHT007`` for an unknown language)."""
    if lang not in TEXT:
        raise ChartError(
            "CHT007",
            f"charts have no words for language {lang!r}",
            expected="one of " + ", ".join(TEXT),
            found=repr(lang),
            hint="Pass lang='zh' or lang='en'.",
        )
    return TEXT[lang]


def styled(func: Callable[P, R]) -> Callable[P, R]:
    """Run a chart function inside :func:`report_style` (font, sizes, colours)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with report_style():
            return func(*args, **kwargs)

    return wrapper


def bar_height(n_rows: int, *, row_cm: float = 0.62, extra_cm: float = 2.2) -> float:
    """Figure height in cm for ``n_rows`` horizontal bars (at least 5 cm)."""
    return max(5.0, extra_cm + row_cm * n_rows)


def new_figure(n_rows: int, *, height_cm: float | None = None, **kw: Any) -> tuple[Figure, Axes]:
    """A print-width figure with one axes, tall enough for ``n_rows`` bars."""
    h = height_cm if height_cm is not None else bar_height(n_rows, **kw)
    fig = Figure(figsize=(PRINT_WIDTH_CM * _CM, h * _CM), layout="constrained")
    ax = fig.add_subplot()
    return fig, ax


def _nice_step(span: float) -> float:
    for step in (0.05, 0.1, 0.2, 0.25, 0.5, 1.0):
        if span / step <= 6:
            return step
    return 1.0


def percent_axis(ax: Axes, top: float, *, axis: str = "x", bottom: float = 0.0) -> None:
    """Proportion axis labelled ``0% 20% ...``, room for value labels beyond ``top``.

    Ticks stay within [bottom, 100%]; the axis extends past ``top`` so that value
    labels drawn after the bars fit inside it.
    """
    hi = max(top, 1e-9)
    lim_hi = hi + 0.2 * max(hi - bottom, 0.05)
    step = _nice_step(min(hi, 1.0) - bottom)
    start = np.floor(bottom / step) * step
    ticks = np.arange(start, min(lim_hi, 1.0) + 1e-9, step)
    fmt = PercentTicks(0)
    if axis == "x":
        ax.set_xlim(min(bottom, start), lim_hi)
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(fmt)
    else:
        ax.set_ylim(min(bottom, start), lim_hi)
        ax.yaxis.set_major_locator(FixedLocator(ticks))
        ax.yaxis.set_major_formatter(fmt)


def value_axis(ax: Axes, low: float, high: float, *, axis: str = "x", decimals: int = 1) -> None:
    """Numeric axis from ``low`` to ``high`` with room for value labels (ASCII minus)."""
    span = max(high - low, 1e-9)
    fmt = NumberTicks(decimals if span < 5 else 0)
    if axis == "x":
        ax.set_xlim(low, high + 0.18 * span)
        ax.xaxis.set_major_locator(MaxNLocator(6))
        ax.xaxis.set_major_formatter(fmt)
    else:
        ax.set_ylim(low, high + 0.18 * span)
        ax.yaxis.set_major_locator(MaxNLocator(6))
        ax.yaxis.set_major_formatter(fmt)


def category_axis(ax: Axes, labels: Sequence[str]) -> np.ndarray:
    """Put ``labels`` on the y axis, first at the top; return their positions."""
    pos = np.arange(len(labels))[::-1].astype(float)
    ax.set_yticks(pos, list(labels))
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)
    return pos
