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
    "ColumnInfo": "analysis.readers",
    "CorrectionError": "analysis.errors",
    "design_weights": "analysis.sampling",
    "DesignError": "analysis.errors",
    "domain_bars": "analysis.charts",
    "EntryError": "analysis.errors",
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
    "pii_columns": "analysis.writers",
    "pps_inclusion": "analysis.sampling",
    "proportion": "analysis.estimate",
    "protect_pii": "analysis.writers",
    "quantile": "analysis.estimate",
    "Question": "analysis.instrument",
    "ranking_dots": "analysis.charts",
    "ratio": "analysis.estimate",
    "RawData": "analysis.readers",
    "RawMetadata": "analysis.readers",
    "read_raw": "analysis.readers",
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
    "write_dta": "analysis.writers",
    "write_paper": "analysis.instrument.paper",
    "write_parquet": "analysis.writers",
    "write_report": "analysis.report",
    "write_sav": "analysis.writers",
    "write_tables": "analysis.writers",
    "write_xform": "analysis.instrument.xform",
    "WriteError": "analysis.errors",
    "WriteReceipt": "analysis.writers",
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
    "__version__",
    "adjust_for_nonresponse",
    "BaicunError",
    "change_arrows",
    "change_phrase",
    "ChartError",
    "check_instrument",
    "Choice",
    "ChoiceList",
    "code_answers",
    "codebook",
    "ColumnInfo",
    "CorrectionError",
    "design_weights",
    "DesignError",
    "domain_bars",
    "EntryError",
    "EstimationError",
    "ExpressionError",
    "fill",
    "find_cjk_font",
    "Group",
    "Instrument",
    "InstrumentError",
    "likert_bars",
    "load_codebook",
    "load_instrument",
    "mean",
    "pick",
    "pii_columns",
    "pps_inclusion",
    "proportion",
    "protect_pii",
    "quantile",
    "Question",
    "ranking_dots",
    "ratio",
    "RawData",
    "RawMetadata",
    "read_raw",
    "ReadError",
    "report_style",
    "report_table",
    "ReportError",
    "save_figure",
    "score_distribution",
    "Section",
    "select_pps",
    "select_systematic",
    "share_bars",
    "Study",
    "StudyError",
    "SurveyDesign",
    "TextCodingError",
    "theme_frequencies",
    "to_xform",
    "total",
    "uncoded",
    "ValidationError",
    "WeightingError",
    "write_codebook",
    "write_dta",
    "write_paper",
    "write_parquet",
    "write_report",
    "write_sav",
    "write_tables",
    "write_xform",
    "WriteError",
    "WriteReceipt",
]
