"""Validation: every check of a wave's data against its instrument, in one tidy table.

``validate(data, instrument, *, study=None, others=None, previous=None, settings=None)``
runs, on a :class:`~analysis.readers.RawData`:

==============  ==============================================================  ========
family          what                                                            codes
==============  ==============================================================  ========
read, type      the reader's logged problems; text in number fields, bad dates,  RD1xx,
                Excel date serials, GPS out of range                            VAL101-6
choice          codes not in the list (select_one, each select_multiple code,   VAL110-3
                or_other), choices a choice_filter excludes
constraint,     the form's constraints, required answers, answers where the     VAL120-6
required,       form skips the question, calculations recomputed, repeat
relevance, ...  counts, repeat rows without parent (expression engine)
duplicate       duplicate ``_key``, duplicate study key, identical submissions  VAL130-3
near_duplicate  same answer on >= 95 % of the answered questions
outlier         IQR or SD rule, soft ranges, per variable                       VAL140-2
missing_code    rates of 98/99 per variable and enumerator, mistyped codes      VAL150-2
duration        interview length from start/end                                 VAL160-3
enumerator      interviews per day, short interviews (plus a summary table)     VAL170-1
consistency     child records against their parent instrument                   VAL180-3
panel           units and stable attributes against the previous wave           VAL184-6
pii             phone and ID numbers (GB 11643 check digit) in free text        VAL195-6
==============  ==============================================================  ========

Thresholds come from ``[validate]`` in study.toml (see :mod:`analysis.validate.settings`);
every code is listed in ``docs/errors/validate.md``. :mod:`analysis.validate.report`
writes the XLSX (a sheet per check, and the enumerator summary) and HTML reports.
"""

from .blocks import validate_blocks
from .enumerators import ENUMERATOR_COLUMNS, enumerator_summary
from .issues import ISSUE_CODES, ISSUE_COLUMNS
from .report import combine_compact, write_html_report, write_report, write_xlsx_report
from .settings import CHECKS, ValidateSettings
from .validation import CONFIRMED_COLUMNS, ValidationResult, validate

__all__ = [
    "CHECKS",
    "CONFIRMED_COLUMNS",
    "ENUMERATOR_COLUMNS",
    "ISSUE_CODES",
    "ISSUE_COLUMNS",
    "ValidateSettings",
    "ValidationResult",
    "combine_compact",
    "enumerator_summary",
    "validate",
    "validate_blocks",
    "write_html_report",
    "write_report",
    "write_xlsx_report",
]
