"""XLSForm instruments: loading (on pyxform), checks, codebook, XForm and paper questionnaire."""

from .load import load_instrument
from .model import Choice, ChoiceList, Group, Instrument, Question

__all__ = ["Choice", "ChoiceList", "Group", "Instrument", "Question", "load_instrument"]
