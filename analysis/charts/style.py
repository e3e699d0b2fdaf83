"""One report style for every chart: CJK font, sizes at print width, colours.

Chinese labels must render on a fresh machine, so the style looks for an
installed CJK font (Noto Sans CJK, Source Han Sans, WenQuanYi, Microsoft YaHei,
PingFang, SimHei, ...) and names it explicitly in ``font.family``. An explicit
name, unlike the generic ``sans-serif``, survives seaborn's ``set_theme`` (which
rewrites ``font.sans-serif``), and chart functions draw inside
:func:`report_style` anyway. ``axes.unicode_minus`` is off so that negative
numbers use the ASCII hyphen-minus, which every font has.

Examples
--------
>>> font = find_cjk_font()
>>> rc = report_rc()
>>> rc["font.family"][0] == font and rc["axes.unicode_minus"] is False
True
>>> rc["savefig.dpi"]
300
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import matplotlib as mpl
from matplotlib import font_manager

from ..errors import ChartError

__all__ = [
    "CJK_FONT_PREFERENCE",
    "PALETTE",
    "PRINT_WIDTH_CM",
    "apply_style",
    "find_cjk_font",
    "report_rc",
    "report_style",
]

#: Families tried in order; the first one installed wins. Simplified-Chinese
#: variants come before other regional variants of the same design.
CJK_FONT_PREFERENCE: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Heiti SC",
    "Hiragino Sans GB",
    "Sarasa Gothic SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Source Han Sans",
    "Droid Sans Fallback",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "SimSun",
)

# File names of CJK fonts, used when matplotlib's font cache predates the font's
# installation (install-system-deps.sh run after matplotlib was first imported).
_CJK_FILE_PATTERN = re.compile(
    r"(NotoSansCJK|NotoSerifCJK|SourceHanSans|SourceHanSerif|NotoSansSC|wqy|msyh|simhei|"
    r"simsun|PingFang|DroidSansFallback|Sarasa)",
    re.IGNORECASE,
)

#: Width of the text block of an A4 page with 2.75 cm margins: figures are drawn
#: at this width so that font sizes in points are true sizes when printed.
PRINT_WIDTH_CM = 15.5
_CM = 1 / 2.54

#: Report colours: the first is the main bar colour; the others for groups.
PALETTE: tuple[str, ...] = (
    "#2F5597",
    "#C55A11",
    "#548235",
    "#BF9000",
    "#7030A0",
    "#2E75B6",
    "#7F7F7F",
)

_INSTALL_HINT = (
    "Run scripts/install-system-deps.sh (it installs Debian's fonts-noto-cjk, an openly "
    "licensed CJK font), or install any CJK font (Noto Sans CJK, Source Han Sans, "
    "WenQuanYi, Microsoft YaHei, PingFang, SimHei) and run again."
)


def _installed_families() -> set[str]:
    return {f.name for f in font_manager.fontManager.ttflist}


def _register_system_cjk_files() -> None:
    """Add CJK font files matplotlib's cache does not know about yet."""
    known = {f.fname for f in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts(fontext="ttf") + font_manager.findSystemFonts(
        fontext="otf"
    ):
        if path not in known and _CJK_FILE_PATTERN.search(path):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # unreadable font file: skip it
                continue


@lru_cache(maxsize=8)
def _find(preferred: tuple[str, ...]) -> str:
    for attempt in range(2):
        installed = _installed_families()
        for name in preferred:
            if name in installed:
                return name
        if attempt == 0:
            _register_system_cjk_files()
    raise ChartError(
        "CHT001",
        "no CJK font is installed, so Chinese labels in charts would render as empty boxes",
        expected="one of: " + ", ".join(preferred[:8]) + ", ...",
        found="none among the fonts matplotlib can see",
        hint=_INSTALL_HINT,
    )


def find_cjk_font(preferred: Sequence[str] | None = None) -> str:
    """Name of the first installed CJK font family.

    Parameters
    ----------
    preferred : sequence of str, optional
        Families to try, in order (default :data:`CJK_FONT_PREFERENCE`).

    Returns
    -------
    str
        A family name matplotlib can render.

    Raises
    ------
    ChartError
        ``CHT001`` when none is installed; the hint says to run
        ``scripts/install-system-deps.sh``.

    Examples
    --------
    >>> find_cjk_font() in CJK_FONT_PREFERENCE
    True
    """
    return _find(tuple(preferred) if preferred else CJK_FONT_PREFERENCE)


def report_rc(font: str | None = None, *, font_size: float = 9.0) -> dict[str, Any]:
    """rcParams of the report style: seaborn's whitegrid theme, then the CJK font on top.

    Parameters
    ----------
    font : str, optional
        CJK family to use (default: :func:`find_cjk_font`).
    font_size : float
        Base size in points at print width (default 9, a little under the body text).

    Returns
    -------
    dict
        rcParams, for :func:`matplotlib.rc_context` or ``rcParams.update``.

    Examples
    --------
    >>> report_rc(font_size=10)["font.size"]
    10.0
    """
    rc = _report_rc(font or find_cjk_font(), float(font_size))
    return {k: list(v) if isinstance(v, list) else v for k, v in rc.items()}


@lru_cache(maxsize=8)
def _report_rc(family: str, size: float) -> dict[str, Any]:
    """The rcParams, made once per font and size (seaborn's styles take a tenth of a second)."""
    import seaborn as sns  # seaborn is slow to import; only needed here

    rc: dict[str, Any] = {}
    rc.update(sns.axes_style("whitegrid"))
    rc.update(sns.plotting_context("paper"))
    rc.update(
        {
            # explicit family names (not "sans-serif") survive seaborn's set_theme
            "font.family": [family, "DejaVu Sans"],
            "font.sans-serif": [family, "DejaVu Sans"],
            "font.size": size,
            "axes.titlesize": size + 1,
            "axes.labelsize": size,
            "xtick.labelsize": size - 0.5,
            "ytick.labelsize": size,
            "legend.fontsize": size - 0.5,
            "legend.title_fontsize": size - 0.5,
            "axes.unicode_minus": False,
            "axes.edgecolor": "#595959",
            "axes.linewidth": 0.6,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titleweight": "normal",
            "axes.titlelocation": "left",
            "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
            "grid.color": "#D9D9D9",
            "grid.linewidth": 0.5,
            "xtick.major.size": 0,
            "ytick.major.size": 0,
            "figure.figsize": (PRINT_WIDTH_CM * _CM, 8.5 * _CM),
            "figure.dpi": 100,
            "figure.facecolor": "white",
            "savefig.dpi": 300,
            "savefig.facecolor": "white",
            "svg.fonttype": "path",
            "svg.hashsalt": "baicun",
            "pdf.fonttype": 42,
            "legend.frameon": False,
        }
    )
    return rc


@contextmanager
def report_style(font: str | None = None, *, font_size: float = 9.0) -> Iterator[dict[str, Any]]:
    """Context in which figures are drawn (and saved) in the report style.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> with report_style():
    ...     mpl.rcParams["axes.unicode_minus"]
    False
    """
    rc = report_rc(font, font_size=font_size)
    with mpl.rc_context(rc):
        yield rc


def apply_style(font: str | None = None, *, font_size: float = 9.0) -> str:
    """Set the report style globally (for ad-hoc plots in notebooks); return the font used.

    Applies seaborn's theme first and the report rcParams after it, so the CJK
    font is the one in force.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> with mpl.rc_context():
    ...     used = apply_style()
    ...     mpl.rcParams["font.family"][0] == used
    True
    """
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="paper")
    rc = report_rc(font, font_size=font_size)
    mpl.rcParams.update(rc)
    return rc["font.family"][0]
