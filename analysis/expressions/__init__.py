"""The XLSForm/ODK expression language: parse once, evaluate on whole columns.

``evaluate("${age} >= 18", frame)`` gives one result per row, computed with numpy and
pyarrow kernels (no Python loop over rows), with ODK Collect's (JavaRosa's) semantics:
an unanswered question is the empty string, comparisons follow XPath 1.0 §3.4, dates
count days since 1970-01-01. Forms with repeats are evaluated on a :class:`FormData`
(main frame plus one frame per repeat). The instrument-level helpers apply a whole form:
relevance inherited from groups, constraints with ``.``, calculations in dependency order.
Semantics, error codes and API: ``docs/errors/expressions.md``.

Examples
--------
>>> import pandas as pd
>>> evaluate("count-selected(${crops}) > 1", pd.DataFrame({"crops": ["rice maize", "tea", None]})).tolist()
[True, False, False]
"""

from .data import FormData, Repeat
from .dates import Clock
from .engine import EvaluationContext, Expression, evaluate, parse, session_for, to_series
from .errors import CODES, BadExpression
from .evaluate import Env, Session
from .forms import (
    FormCheck,
    calculate,
    calculation_order,
    check_constraints,
    check_form,
    dependencies,
    evaluation_order,
    form_expressions,
    relevance,
)
from .references import LAST_SAVED, Reference, field_references, find_references, replace_references

__all__ = [
    "CODES",
    "LAST_SAVED",
    "BadExpression",
    "Clock",
    "Env",
    "EvaluationContext",
    "Expression",
    "FormCheck",
    "FormData",
    "Reference",
    "Repeat",
    "Session",
    "calculate",
    "calculation_order",
    "check_constraints",
    "check_form",
    "dependencies",
    "evaluate",
    "evaluation_order",
    "field_references",
    "find_references",
    "form_expressions",
    "parse",
    "relevance",
    "replace_references",
    "session_for",
    "to_series",
]
