"""baicun: survey collection and analysis for hundred-villages (百村) field research.

The public API is what ``__all__`` lists; everything else is internal.

>>> import analysis
>>> "SurveyDesign" in analysis.__all__ and "load_instrument" in analysis.__all__
True
"""

from __future__ import annotations

__version__ = "0.1.0"

from importlib import import_module
from typing import Any

# Public names -> the module defining them. Imported on first use, so that the
# command line starts fast (charts pull in matplotlib, models statsmodels).
_EXPORTS: dict[str, str] = {
    "adjust_for_nonresponse": "analysis.sampling",
    "BaicunError": "analysis.errors",
    "change_arrows": "analysis.charts",
    "change_phrase": "analysis.report",
    "ChartError": "analysis.charts",
    "check_instrument": "analysis.instrument.check",
    "Choice": "analysis.instrument",
    "ChoiceList": "analysis.instrument",
    "code_answers": "analysis.text",
    "codebook": "analysis.instrument.codebook",
    "CorrectionError": "analysis.errors",
    "design_weights": "analysis.sampling",
    "DesignError": "analysis.errors",
    "domain_bars": "analysis.charts",
    "EstimationError": "analysis.errors",
    "ExpressionError": "analysis.errors",
    "fill": "analysis.report",
    "find_cjk_font": "analysis.charts",
    "Group": "analysis.instrument",
    "Instrument": "analysis.instrument",
    "InstrumentError": "analysis.errors",
    "likert_bars": "analysis.charts",
    "load_codebook": "analysis.text",
    "load_instrument": "analysis.instrument",
    "mean": "analysis.estimate",
    "pick": "analysis.report",
    "pps_inclusion": "analysis.sampling",
    "proportion": "analysis.estimate",
    "quantile": "analysis.estimate",
    "Question": "analysis.instrument",
    "ranking_dots": "analysis.charts",
    "ratio": "analysis.estimate",
    "ReadError": "analysis.errors",
    "report_style": "analysis.charts",
    "report_table": "analysis.report",
    "ReportError": "analysis.report",
    "save_figure": "analysis.charts",
    "score_distribution": "analysis.charts",
    "Section": "analysis.report",
    "select_pps": "analysis.sampling",
    "select_systematic": "analysis.sampling",
    "share_bars": "analysis.charts",
    "Study": "analysis.study",
    "StudyError": "analysis.errors",
    "SurveyDesign": "analysis.design",
    "TextCodingError": "analysis.text",
    "theme_frequencies": "analysis.text",
    "to_xform": "analysis.instrument.xform",
    "total": "analysis.estimate",
    "uncoded": "analysis.text",
    "ValidationError": "analysis.errors",
    "WeightingError": "analysis.errors",
    "write_codebook": "analysis.instrument.codebook",
    "write_paper": "analysis.instrument.paper",
    "write_report": "analysis.report",
    "write_xform": "analysis.instrument.xform",
    "WriteError": "analysis.errors",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "BaicunError",
    "ChartError",
    "Choice",
    "ChoiceList",
    "CorrectionError",
    "DesignError",
    "EstimationError",
    "ExpressionError",
    "Group",
    "Instrument",
    "InstrumentError",
    "Question",
    "ReadError",
    "ReportError",
    "Section",
    "Study",
    "StudyError",
    "SurveyDesign",
    "TextCodingError",
    "ValidationError",
    "WeightingError",
    "WriteError",
    "__version__",
    "adjust_for_nonresponse",
    "change_arrows",
    "change_phrase",
    "check_instrument",
    "code_answers",
    "codebook",
    "design_weights",
    "domain_bars",
    "fill",
    "find_cjk_font",
    "likert_bars",
    "load_codebook",
    "load_instrument",
    "mean",
    "pick",
    "pps_inclusion",
    "proportion",
    "quantile",
    "ranking_dots",
    "ratio",
    "report_style",
    "report_table",
    "save_figure",
    "score_distribution",
    "select_pps",
    "select_systematic",
    "share_bars",
    "theme_frequencies",
    "to_xform",
    "total",
    "uncoded",
    "write_codebook",
    "write_paper",
    "write_report",
    "write_xform",
]
