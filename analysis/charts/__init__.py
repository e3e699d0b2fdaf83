"""Report charts on seaborn/matplotlib, drawn from estimate tables, with Chinese labels.

Every chart function takes an estimate table (or, for distributions, unit-level
data), draws in the one report style at print width, and returns a
:class:`matplotlib.figure.Figure`; :func:`save_figure` writes it as PNG (300 dpi)
and SVG with deterministic bytes. Intervals are read from the table
(``ci_low``/``ci_high``), never computed here.
"""

from ..errors import ChartError
from .change import change_arrows
from .distribution import score_distribution
from .estimates import CHANGE_COLUMNS, ESTIMATE_COLUMNS
from .likert import likert_bars
from .ranking import ranking_dots
from .save import figure_bytes, save_figure
from .shares import domain_bars, share_bars
from .style import apply_style, find_cjk_font, report_rc, report_style

__all__ = [
    "CHANGE_COLUMNS",
    "ESTIMATE_COLUMNS",
    "ChartError",
    "apply_style",
    "change_arrows",
    "domain_bars",
    "figure_bytes",
    "find_cjk_font",
    "likert_bars",
    "ranking_dots",
    "report_rc",
    "report_style",
    "save_figure",
    "score_distribution",
    "share_bars",
]
