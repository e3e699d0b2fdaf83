"""Tick labels of the report charts, as formatters that pickle.

A built section (its figures included) is saved with the standard :mod:`pickle`
(:mod:`analysis.sections.files`), so a figure's formatters must be module-level
classes: a ``FuncFormatter`` of a local function or lambda cannot be pickled.

Examples
--------
>>> import pickle
>>> fmt = pickle.loads(pickle.dumps(PercentTicks(absolute=True)))
>>> fmt(-0.25), NumberTicks(1)(1234.56), NumberTicks(0)(-0.4)
('25%', '1,234.6', '0')
"""

from __future__ import annotations

from matplotlib.ticker import Formatter

from analysis.format import number, pct

__all__ = ["NumberTicks", "PercentTicks"]


class PercentTicks(Formatter):
    """Proportions as percentages (0.25 -> 25%); with ``absolute``, sizes of both signs
    (a diverging bar chart's left half)."""

    def __init__(self, decimals: int = 0, *, absolute: bool = False) -> None:
        self.decimals = decimals
        self.absolute = absolute

    def __call__(self, x: float, pos: int | None = None) -> str:
        return pct(abs(x) if self.absolute else x, self.decimals)


class NumberTicks(Formatter):
    """Numbers with thousands separators and ``decimals`` decimals (ASCII minus)."""

    def __init__(self, decimals: int = 1) -> None:
        self.decimals = decimals

    def __call__(self, x: float, pos: int | None = None) -> str:
        return number(x, self.decimals)
