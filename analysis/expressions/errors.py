"""Coded, located errors of the expression language (codes ``EXP...``).

Every problem a form author or analyst can cause (a typo in a ``relevant``, an unknown
function, a field that is not in the data, a calculation cycle) is raised as a
:class:`BadExpression`: an :class:`analysis.errors.ExpressionError` that also carries the
expression text, the 1-based character ``position`` in it and, when the expression came
from an instrument, the question name and sheet row.

Examples
--------
>>> err = BadExpression("EXP007", "unknown function 'foo'", expression="foo(${a})",
...                     position=1, hint="Check the spelling.")
>>> print(err)
[EXP007] unknown function 'foo' (position 1)
  expression: foo(${a})
              ^
  what to do: Check the spelling.
>>> err.code, err.position
('EXP007', 1)
"""

from __future__ import annotations

from typing import Any

from ..errors import ExpressionError

__all__ = ["CODES", "BadExpression"]

#: Every code of this area with a one-line description (docs/errors/expressions.md lists them).
CODES: dict[str, str] = {
    "EXP001": "unexpected character in an expression (e.g. a full-width bracket or comma)",
    "EXP002": "string literal without its closing quote",
    "EXP003": "unbalanced parentheses or brackets",
    "EXP004": "unexpected token: an operator or operand is missing or misplaced",
    "EXP005": "empty expression",
    "EXP006": "malformed field reference: empty ${}, missing } or an invalid name",
    "EXP007": "unknown or unsupported function",
    "EXP008": "wrong number of arguments for a function",
    "EXP009": "unknown field: the name is neither in the data nor in the instrument",
    "EXP010": "cycle between calculations or relevance conditions",
    "EXP011": "XPath construct the engine does not evaluate (predicates, axes, unions, //, @)",
    "EXP012": "bare name outside a choice_filter (a relative path instead of ${name})",
    "EXP013": "a field inside a repeat used from outside it without count()/sum()/...",
    "EXP014": "argument must be a field or repeat (a node-set)",
    "EXP015": "invalid format-date() pattern",
    "EXP016": "invalid regular expression in regex()",
    "EXP017": "'.' or '..' used where there is no current question",
    "EXP018": "selected() value not in quotes (a number literal)",
    "EXP019": "repeat data cannot be linked to its parent (missing key columns)",
    "EXP020": "data argument is not a DataFrame or FormData",
    "EXP021": "jr:choice-name() needs an instrument and a select question",
    "EXP022": "invalid number literal",
    "EXP023": "unknown repeat or scope name",
    "EXP024": "secondary instances (instance(), pulldata()) are not available",
    "EXP025": "current question not found in the data or instrument",
}


class BadExpression(ExpressionError):
    """An expression problem with the expression text and the position in it.

    Parameters
    ----------
    code, message :
        As for :class:`analysis.errors.BaicunError`.
    expression : str, optional
        The expression as written.
    position : int, optional
        1-based character position of the problem in ``expression``.
    question : str, optional
        Name of the question the expression belongs to.
    **location :
        ``file``, ``sheet``, ``row``, ``column``, ``record``, ``expected``, ``found``,
        ``hint`` as for :class:`analysis.errors.BaicunError`.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        expression: str | None = None,
        position: int | None = None,
        question: str | None = None,
        **location: Any,
    ) -> None:
        self.expression = expression
        self.position = position
        self.question = question
        super().__init__(code, message, **location)

    def __str__(self) -> str:
        head = f"[{self.code}] {self.message}"
        if self.position is not None:
            head += f" (position {self.position})"
        lines = [head]
        where = self.where
        if self.question:
            where = f"question {self.question}" + (f", {where}" if where else "")
        if where:
            lines.append(f"  where: {where}")
        if self.expression is not None:
            lines.append(f"  expression: {self.expression}")
            if self.position is not None:
                lines.append(" " * (14 + self.position - 1) + "^")
        if self.expected is not None:
            lines.append(f"  expected: {self.expected}")
        if self.found is not None:
            lines.append(f"  found: {self.found}")
        if self.hint:
            lines.append(f"  what to do: {self.hint}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The error as a flat dict, with ``expression``, ``position`` and ``question``."""
        out = super().to_dict()
        out.update(expression=self.expression, position=self.position, question=self.question)
        return out

    def located(self, **where: Any) -> BadExpression:
        """A copy with more location (``question``, ``file``, ``sheet``, ``row``, ``column``).

        Values already set on this error are kept; ``expression`` is filled when missing.
        """
        d = self.to_dict()
        for key, value in where.items():
            if d.get(key) is None:
                d[key] = value
        code, message = d.pop("code"), d.pop("message")
        err = BadExpression(code, message, **d)
        err.__cause__ = self.__cause__
        return err

    def __reduce__(self):  # keep errors picklable with their extra fields
        d = self.to_dict()
        code, message = d.pop("code"), d.pop("message")
        return (_rebuild, (code, message, d))


def _rebuild(code: str, message: str, d: dict[str, Any]) -> BadExpression:
    return BadExpression(code, message, **d)
