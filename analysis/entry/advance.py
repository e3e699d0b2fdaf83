"""Auto-advance: the width of an answer after which the cursor moves on by itself.

EpiData and CSPro clerks type a code and go on without Enter once the code's width is
filled. The entry screen does the same (when auto-advance is on) for answers whose width
is known from the form:

- a ``select_one`` whose choice codes all have the same width ``w`` (``1``-``9``: 1;
  ``01``-``12``: 2);
- an ``integer`` whose constraint bounds it to ``0 <= . <= N`` (a conjunction of
  comparisons of ``.`` with numbers, no ``or``): the width of ``N``.

Everything else (text, dates, multiple choices, codes of mixed widths) waits for Enter.

Examples
--------
>>> from analysis.instrument.model import Question
>>> integer_width(Question("age", "integer", constraint=". >= 0 and . <= 120"))
3
>>> integer_width(Question("age", "integer", constraint=". <= 120"))  # "-5" possible
>>> integer_width(Question("n", "integer", constraint="${n} > 0 and ${n} < 10"))
1
"""

from __future__ import annotations

import re

from ..instrument.model import Instrument, Question

__all__ = ["code_width", "integer_width"]

_NUMBER = r"(-?\d+(?:\.\d+)?)"
_COMPARISON = re.compile(
    rf"^\s*(?:\.|\$\{{(?P<name>\w+)\}})\s*(?P<op><=|>=|<|>|=)\s*{_NUMBER}\s*$"
    rf"|^\s*{_NUMBER}\s*(?P<rop><=|>=|<|>|=)\s*(?:\.|\$\{{(?P<rname>\w+)\}})\s*$"
)
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "="}


def integer_width(question: Question) -> int | None:
    """The width of the largest answer an integer question's constraint allows, when the
    constraint also rules out negative answers (else None)."""
    if question.type != "integer" or not question.constraint:
        return None
    text = question.constraint.strip()
    if re.search(r"\bor\b|\bnot\b|\(", text):
        return None
    low: float | None = None
    high: float | None = None
    for part in re.split(r"\band\b", text):
        match = _COMPARISON.match(part)
        if not match:
            return None
        name = match["name"] or match["rname"]
        if name is not None and name != question.name:
            return None
        if match["op"]:
            op, number = match["op"], float(match[3])
        else:
            op, number = _FLIP[match["rop"]], float(match[4])
        if op in ("<", "<=", "="):
            bound = number - 1 if op == "<" else number
            high = bound if high is None else min(high, bound)
        if op in (">", ">=", "="):
            bound = number + 1 if op == ">" else number
            low = bound if low is None else max(low, bound)
    if high is None or low is None or low < 0 or high < low:
        return None
    return len(str(int(high)))


def code_width(instrument: Instrument, question: Question) -> int | None:
    """How many characters complete an answer to ``question`` (None: wait for Enter).

    Examples
    --------
    >>> from analysis.instrument.model import Choice, ChoiceList
    >>> yn = ChoiceList("yn", (Choice("1"), Choice("2")))
    >>> form = Instrument(path=None, form_id="f", title="f", version=None,
    ...     default_language=None, languages=(), groups=(), choice_lists={"yn": yn},
    ...     questions=(Question("q", "select_one", list_name="yn"),))
    >>> code_width(form, form["q"])
    1
    """
    if question.type == "integer":
        return integer_width(question)
    if question.type != "select_one":
        return None
    listed = instrument.choices(question)
    if listed is None or not listed.codes:
        return None
    widths = {len(code) for code in listed.codes}
    return widths.pop() if len(widths) == 1 else None
