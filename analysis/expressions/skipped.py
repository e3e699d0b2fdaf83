"""Rules of a form the engine cannot evaluate: each costs only itself and what depends on it.

A form with one ``pulldata()`` relevance or one calculation the engine cannot evaluate
still has every other rule checked. :class:`RuleGuard` evaluates one rule at a time for
:func:`analysis.expressions.forms.check_form`; a rule that fails (an unsupported
function, an expression error) is recorded as a :class:`SkippedRule` and left out, and
so is every rule reading a calculation whose value is therefore unknown. A calculation
with ``uuid()`` or ``random()`` is not recomputed: its value is the exported one.

Examples
--------
>>> unsupported_functions("concat(pulldata('f', 'a', 'b', ${x}), uuid())")
('pulldata', 'uuid')
>>> sorted(fields_in_text("${a} + ${b} > instance('x')"))
['a', 'b']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .engine import Expression, parse
from .errors import BadExpression
from .lexer import tokenize
from .signatures import UNSUPPORTED

__all__ = [
    "FROM_EXPORT",
    "SKIP",
    "RuleGuard",
    "SkippedRule",
    "fields_in_text",
    "unsupported_functions",
]

#: Functions whose calculations take the exported value (a new value on every evaluation).
FROM_EXPORT = frozenset({"uuid", "random"})
_NOT_AVAILABLE = frozenset(UNSUPPORTED) | {"instance", "pulldata"}


class _Skip:
    def __repr__(self) -> str:
        return "SKIP"


#: What :meth:`RuleGuard.attempt` returns for a rule it left out.
SKIP: Any = _Skip()


@dataclass(frozen=True)
class SkippedRule:
    """A rule of the form that was not checked.

    ``owner`` is the question or group, ``column`` the sheet column (relevant,
    constraint, calculation, required, choice_filter, repeat_count). ``cause`` groups
    the rules for reporting: ``"pulldata()"`` for an unsupported function, else the
    error (``"[EXP009] unknown field ${x}"``). ``via`` is the calculation or group whose
    unknown value or relevance the rule depends on (None: the rule itself failed).
    """

    owner: str
    column: str
    cause: str
    via: str | None = None
    error: BadExpression | None = None


def unsupported_functions(text: str) -> tuple[str, ...]:
    """Functions in ``text`` the engine does not evaluate, in order of appearance."""
    try:
        tokens = tokenize(text)
    except BadExpression:
        return ()
    names = [t.text for t in tokens if t.kind == "function" and t.text in _NOT_AVAILABLE]
    return tuple(dict.fromkeys(names))


def fields_in_text(text: str) -> frozenset[str]:
    """The ``${name}`` references of an expression, also when it does not parse."""
    try:
        return frozenset(t.text for t in tokenize(text) if t.kind == "field")
    except BadExpression:
        return frozenset()


@dataclass
class RuleGuard:
    """Evaluates the rules of one form, leaving out those that cannot be evaluated.

    ``unknown`` maps a calculation whose value is not known (not evaluated and not
    exported) to the cause; ``relevance_unknown`` maps a question or group whose
    relevance is not known to the cause.
    """

    locate: Callable[[BadExpression, Any, str, str], BadExpression]
    skipped: list[SkippedRule] = field(default_factory=list)
    unknown: dict[str, str] = field(default_factory=dict)
    relevance_unknown: dict[str, str] = field(default_factory=dict)

    def skip(
        self,
        owner: str,
        column: str,
        cause: str,
        via: str | None = None,
        error: BadExpression | None = None,
    ) -> Any:
        """Record a rule as not checked; returns :data:`SKIP`."""
        self.skipped.append(SkippedRule(owner, column, cause, via, error))
        return SKIP

    def parse(self, owner: Any, column: str, text: str) -> Expression | Any:
        """The rule's expression, or :data:`SKIP` (recorded) when it cannot be evaluated;
        a calculation with uuid()/random() gives ``"export"``."""
        try:
            expr = parse(text)
        except BadExpression as err:
            located = self.locate(err, owner, column, text)
            functions = unsupported_functions(text)
            if column == "calculation" and functions and set(functions) <= FROM_EXPORT:
                return "export"
            if functions:
                for name in functions:
                    self.skip(owner.name, column, f"{name}()", None, located)
                return SKIP
            return self.skip(owner.name, column, _cause(located), None, located)
        if column == "calculation" and expr.functions & FROM_EXPORT:
            return "export"
        blocked = sorted(expr.fields & self.unknown.keys())
        if blocked:
            return self.skip(owner.name, column, self.unknown[blocked[0]], blocked[0])
        return expr

    def attempt(
        self, owner: Any, column: str, text: str | None, evaluate: Callable[[Expression], Any]
    ) -> Any:
        """``evaluate(expression)`` of one rule; None without a rule; :data:`SKIP` (and
        the rule recorded) when it cannot be evaluated; ``"export"`` for a calculation
        whose value is the exported one."""
        if text is None or not str(text).strip():
            return None
        expr = self.parse(owner, column, str(text))
        if not isinstance(expr, Expression):
            return expr
        try:
            return evaluate(expr)
        except BadExpression as err:
            located = self.locate(err, owner, column, expr.text)
            return self.skip(owner.name, column, _cause(located), None, located)


def _cause(err: BadExpression) -> str:
    return f"[{err.code}] {err.message}"
