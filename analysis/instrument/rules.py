"""The rules of a form (skip logic, constraints, calculations) as small syntax trees.

A deliberately small reader of the XLSForm expression language, enough to put simple
rules into words (:mod:`analysis.instrument.wording`), to find the question a skip
depends on, and to test a literal value (a missing code) against a constraint. It covers
comparisons, ``and``/``or``, arithmetic, ``${name}`` and ``../name`` references, ``.``
and function calls. Anything it cannot read returns ``None`` and callers fall back to the
raw expression. Evaluating rules over data is the job of the expression engine
(``analysis.expressions``), not of this module.

Evaluation here is three-valued: a reference whose value is not given is *unknown*, and
``and``/``or``/``not`` propagate unknowns (``False and unknown`` is ``False``), so a
skip can be decided from one answer alone when the rule allows it.

Examples
--------
>>> tree = parse("${has_tv} = '1' and ${age} >= 18")
>>> tree.op, [c.op for c in tree.args]
('and', ['cmp', 'cmp'])
>>> references("${a} + ${b} > ../c")
('a', 'b', 'c')
>>> evaluate(parse("${has_tv} = '1' and ${age} >= 18"), {"has_tv": "2"})
False
>>> evaluate(parse("${has_tv} = '1' and ${age} >= 18"), {"has_tv": "1"}) is UNKNOWN
True
>>> evaluate(parse(". >= 0 and . <= 120"), {".": "999"})
False
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["UNKNOWN", "Node", "evaluate", "parse", "references"]

_REF = re.compile(r"\$\{([^}\s]+)\}")
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<ref>\$\{[^}\s]+\})
  | (?P<num>\d+(?:\.\d+)?|\.\d+)
  | (?P<str>'[^']*'|"[^"]*"|‘[^’]*’|“[^”]*”)
  | (?P<path>(?:\.\./|\./)+[A-Za-z_][\w.\-]*(?:/[A-Za-z_][\w.\-]*)*
            |/[A-Za-z_][\w.\-]*(?:/[A-Za-z_][\w.\-]*)+)
  | (?P<op>!=|<=|>=|=|<|>|\+|-|\*|\||,|\(|\))
  | (?P<dot>\.(?![\w.]))
  | (?P<name>[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)
    """,
    re.VERBOSE,
)
_COMPARE = {"=", "!=", "<", "<=", ">", ">="}


class _Unknown:
    """The value of a rule that depends on answers not given."""

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("UNKNOWN has no truth value")


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True)
class Node:
    """A node of a rule's syntax tree.

    ``op`` is one of ``or``, ``and``, ``cmp``, ``arith``, ``neg``, ``num``, ``str``,
    ``self`` (``.``), ``ref`` (a question), ``call``; ``value`` holds the operator,
    literal, question name or function name; ``args`` the operands.
    """

    op: str
    value: Any = None
    args: tuple[Node, ...] = ()


def references(expression: str | None) -> tuple[str, ...]:
    """Names of the questions an expression refers to (``${name}``, ``../name``), in order.

    Examples
    --------
    >>> references("selected(${crops}, 'rice') and /data/grp/age > 3")
    ('crops', 'age')
    """
    if not expression:
        return ()
    names = []
    for match in _TOKEN.finditer(str(expression)):
        kind = match.lastgroup
        if kind == "ref":
            names.append(match.group()[2:-1])
        elif kind == "path":
            names.append(match.group().rstrip("/").split("/")[-1])
    if not names:  # the tokenizer stops at characters it does not know; scan ${} anyway
        names = _REF.findall(str(expression))
    return tuple(dict.fromkeys(names))


def _tokens(text: str) -> list[tuple[str, str]] | None:
    out, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            return None
        pos = match.end()
        kind = match.lastgroup or ""
        if kind != "ws":
            out.append((kind, match.group()))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def word(self, *words: str) -> str | None:
        token = self.peek()
        if token and token[0] == "name" and token[1] in words:
            self.pos += 1
            return token[1]
        return None

    def symbol(self, *symbols: str) -> str | None:
        token = self.peek()
        if token and token[0] == "op" and token[1] in symbols:
            self.pos += 1
            return token[1]
        return None

    def expression(self) -> Node:
        return self.or_expr()

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.word("or"):
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Node("or", None, tuple(items))

    def and_expr(self) -> Node:
        items = [self.compare()]
        while self.word("and"):
            items.append(self.compare())
        return items[0] if len(items) == 1 else Node("and", None, tuple(items))

    def compare(self) -> Node:
        left = self.additive()
        op = self.symbol(*_COMPARE)
        if op is None:
            return left
        right = self.additive()
        if self.peek() and self.peek()[0] == "op" and self.peek()[1] in _COMPARE:
            raise ValueError("chained comparison")
        return Node("cmp", op, (left, right))

    def additive(self) -> Node:
        node = self.multiplicative()
        while True:
            op = self.symbol("+", "-")
            if op is None:
                return node
            node = Node("arith", op, (node, self.multiplicative()))

    def multiplicative(self) -> Node:
        node = self.unary()
        while True:
            op = self.symbol("*") or self.word("div", "mod")
            if op is None:
                return node
            node = Node("arith", op, (node, self.unary()))

    def unary(self) -> Node:
        if self.symbol("-"):
            return Node("neg", None, (self.unary(),))
        return self.primary()

    def primary(self) -> Node:
        kind, text = self.take()
        if kind == "num":
            return Node("num", float(text))
        if kind == "str":
            return Node("str", text[1:-1])
        if kind == "ref":
            return Node("ref", text[2:-1])
        if kind == "path":
            return Node("ref", text.rstrip("/").split("/")[-1])
        if kind == "dot":
            return Node("self")
        if kind == "op" and text == "(":
            node = self.expression()
            if not self.symbol(")"):
                raise ValueError("unclosed parenthesis")
            return node
        if kind == "name" and self.symbol("("):
            args: list[Node] = []
            if not self.symbol(")"):
                args.append(self.expression())
                while self.symbol(","):
                    args.append(self.expression())
                if not self.symbol(")"):
                    raise ValueError("unclosed call")
            return Node("call", text, tuple(args))
        raise ValueError(f"unexpected {text!r}")


def parse(expression: str | None) -> Node | None:
    """The syntax tree of a simple rule, or ``None`` when it is not simple enough.

    Examples
    --------
    >>> parse("${a} > 3").value, parse("count-selected(${b}) >= 2").args[0].value
    ('>', 'count-selected')
    >>> parse("${a} > ") is None, parse("instance('x')/root/item[name=${a}]") is None
    (True, True)
    """
    if expression is None or not str(expression).strip():
        return None
    tokens = _tokens(str(expression).strip())
    if not tokens:
        return None
    parser = _Parser(tokens)
    try:
        node = parser.expression()
    except (ValueError, IndexError):
        return None
    if parser.pos != len(tokens):
        return None
    return node


# ------------------------------------------------------------------ three-valued evaluation
def _number(value: Any) -> float:
    if value is UNKNOWN:
        return math.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return math.nan


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _boolean(value: Any) -> Any:
    if value is UNKNOWN or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    return str(value) != ""


def _compare(op: str, left: Any, right: Any) -> Any:
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    numeric = isinstance(left, int | float | bool) or isinstance(right, int | float | bool)
    if op in ("=", "!=") and not numeric:
        equal = _text(left) == _text(right)
        return equal if op == "=" else not equal
    a, b = _number(left), _number(right)
    if math.isnan(a) or math.isnan(b):
        return op == "!="
    return {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def evaluate(node: Node | None, values: Mapping[str, Any]) -> Any:
    """Evaluate a rule given some answers; ``UNKNOWN`` when it depends on others.

    Parameters
    ----------
    node : Node
        A tree from :func:`parse`.
    values : mapping
        Answers by question name (strings as exported; select_multiple answers are
        space-separated codes); ``"."`` is the value of the question itself.
    """
    if node is None:
        return UNKNOWN
    op = node.op
    if op == "num":
        return node.value
    if op == "str":
        return node.value
    if op == "self":
        return values.get(".", UNKNOWN)
    if op == "ref":
        return values.get(node.value, UNKNOWN)
    if op in ("and", "or"):
        unknown = False
        for arg in node.args:
            value = _boolean(evaluate(arg, values))
            if value is UNKNOWN:
                unknown = True
            elif value is (op == "or"):
                return value
        return UNKNOWN if unknown else op == "and"
    if op == "cmp":
        return _compare(node.value, evaluate(node.args[0], values), evaluate(node.args[1], values))
    if op == "neg":
        return -_number(evaluate(node.args[0], values))
    if op == "arith":
        a, b = (_number(evaluate(arg, values)) for arg in node.args)
        if math.isnan(a) or math.isnan(b):
            return UNKNOWN
        if node.value == "+":
            return a + b
        if node.value == "-":
            return a - b
        if node.value == "*":
            return a * b
        if node.value == "div":
            return a / b if b else math.nan
        return math.fmod(a, b) if b else math.nan
    if op == "call":
        return _call(node, values)
    return UNKNOWN


def _call(node: Node, values: Mapping[str, Any]) -> Any:
    name, args = node.value, node.args
    given = [evaluate(a, values) for a in args]
    if any(v is UNKNOWN for v in given):
        return UNKNOWN
    if name == "true":
        return True
    if name == "false":
        return False
    if name == "not" and len(given) == 1:
        value = _boolean(given[0])
        return UNKNOWN if value is UNKNOWN else not value
    if name == "selected" and len(given) == 2:
        return _text(given[1]).strip() in _text(given[0]).split()
    if name == "count-selected" and len(given) == 1:
        return float(len(_text(given[0]).split()))
    if name == "string-length" and len(given) == 1:
        return float(len(_text(given[0])))
    if name == "string" and len(given) == 1:
        return _text(given[0])
    if name == "number" and len(given) == 1:
        return _number(given[0])
    if name == "int" and len(given) == 1:
        n = _number(given[0])
        return float(math.trunc(n)) if not math.isnan(n) else n
    if name == "regex" and len(given) == 2:
        try:
            return re.search(_text(given[1]), _text(given[0])) is not None
        except re.error:
            return UNKNOWN
    return UNKNOWN
