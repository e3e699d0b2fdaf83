"""baicun: survey collection and analysis for hundred-villages (百村) field research.

The public API is what ``__all__`` lists; everything else is internal.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (
    BaicunError,
    CorrectionError,
    DesignError,
    EstimationError,
    ExpressionError,
    InstrumentError,
    ReadError,
    StudyError,
    ValidationError,
    WeightingError,
    WriteError,
)
from .instrument import Choice, ChoiceList, Group, Instrument, Question, load_instrument
from .study import Study

__all__ = [
    "BaicunError",
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
    "Study",
    "StudyError",
    "ValidationError",
    "WeightingError",
    "WriteError",
    "__version__",
    "load_instrument",
]
