"""Parse an expression into a syntax tree (XPath 1.0 §3 grammar, XLSForm subset).

Precedence, lowest first (XPath 1.0 §3.4-§3.5): ``or``, ``and``, ``= !=``,
``< <= > >=``, ``+ -``, ``* div mod``, unary ``-``. All binary operators are
left-associative; a run of three or more operands of one level is one flat
:class:`~analysis.expressions.tree.Chain` (read in a loop, so its length is not limited).
Nesting (parentheses, function calls, unary minus) is read recursively: an expression
nested too deeply for that is refused with ``EXP004``, never a bare RecursionError. Function names and arities are checked here, so a form's typos
surface before any data is read.

Examples
--------
>>> parse_tree("1 + 2 * 3")
Binary(pos=3, op='+', left=Number(pos=1, value=1.0), right=Binary(pos=7, op='*', left=Number(pos=5, value=2.0), right=Number(pos=9, value=3.0)))
>>> parse_tree("/data/hh/age").name
'age'
>>> parse_tree("cont(${a})")
Traceback (most recent call last):
...
analysis.expressions.errors.BadExpression: [EXP007] unknown function 'cont' (position 1)
  expression: cont(${a})
              ^
  what to do: Did you mean count()?
"""

from __future__ import annotations

import difflib
import re

from .errors import BadExpression
from .lexer import Token, tokenize
from .signatures import SIGNATURES, UNSUPPORTED
from .tree import Binary, Call, Chain, Current, Field, Negate, Node, Number, Parent, Relative, Text

__all__ = ["parse_tree"]

_LEVELS: tuple[tuple[str, ...], ...] = (
    ("or",),
    ("and",),
    ("=", "!="),
    ("<", "<=", ">", ">="),
    ("+", "-"),
    ("*", "div", "mod"),
)

_FORMAT_SPECIFIERS = set("%YymnbdeHhMS3aW")
_NODE_TYPES = frozenset({"text", "node", "comment", "processing-instruction"})


def parse_tree(expression: str) -> Node:
    """Parse ``expression`` into a tree; raise :class:`BadExpression` when it is malformed."""
    if not isinstance(expression, str):
        raise BadExpression(
            "EXP005",
            "an expression must be text",
            found=repr(expression),
            hint="Pass the expression as a string.",
        )
    if not expression.strip():
        raise BadExpression(
            "EXP005",
            "empty expression",
            expression=expression,
            hint="Write an expression or leave the cell empty.",
        )
    try:
        return _Parser(expression).parse()
    except RecursionError:
        raise BadExpression(
            "EXP004",
            "the expression is nested too deeply to evaluate",
            expression=expression[:200],
            hint="Split it into calculate questions.",
        ) from None


class _Parser:
    def __init__(self, expression: str) -> None:
        self.text = expression
        self.tokens = tokenize(expression)
        self.i = 0
        self.open: list[Token] = []

    # ------------------------------------------------------------------ helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(self, code: str, message: str, pos: int, hint: str | None = None) -> BadExpression:
        return BadExpression(code, message, expression=self.text, position=pos, hint=hint)

    def unexpected(self, tok: Token, wanted: str) -> BadExpression:
        if tok.kind == "end":
            if self.open:
                opener = self.open[-1]
                return self.error(
                    "EXP003",
                    f"'{opener.text}' is never closed",
                    opener.pos,
                    "Add the missing closing bracket.",
                )
            return self.error(
                "EXP004", f"the expression ends where {wanted} was expected", tok.pos, _END_HINT
            )
        if tok.kind == ")" and not self.open:
            return self.error("EXP003", "')' without a matching '('", tok.pos, "Remove it.")
        shown = tok.text if tok.kind != "string" else repr(tok.text)
        hint = None
        if (
            tok.kind in ("number", "string", "field", "name", "function")
            and wanted == "an operator"
        ):
            hint = "Two operands follow each other: an operator (and, or, =, +, ...) or a comma is missing."
        return self.error(
            "EXP004", f"unexpected {shown!s} where {wanted} was expected", tok.pos, hint
        )

    # ------------------------------------------------------------------ grammar
    def parse(self) -> Node:
        node = self.binary(0)
        if self.tok.kind != "end":
            tok = self.tok
            if tok.kind == ")":
                raise self.error("EXP003", "')' without a matching '('", tok.pos, "Remove it.")
            raise self.unexpected(tok, "an operator")
        return node

    def binary(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self.unary()
        operands = [self.binary(level + 1)]
        ops: list[Token] = []
        while self.tok.kind == "op" and self.tok.text in _LEVELS[level]:
            ops.append(self.advance())
            operands.append(self.binary(level + 1))
        if not ops:
            return operands[0]
        if len(ops) == 1:
            return Binary(ops[0].pos, ops[0].text, operands[0], operands[1])
        return Chain(
            ops[0].pos,
            tuple(op.text for op in ops),
            tuple(operands),
            tuple(op.pos for op in ops),
        )

    def unary(self) -> Node:
        if self.tok.kind == "op" and self.tok.text == "-":
            op = self.advance()
            return Negate(op.pos, self.unary())
        node = self.path()
        if self.tok.kind == "op" and self.tok.text == "|":
            raise self.error("EXP011", "unions ('|') are not supported", self.tok.pos)
        return node

    def path(self) -> Node:
        tok = self.tok
        if tok.kind == "op" and tok.text in ("/", "//"):
            return self.location_path()
        if tok.kind in (".", "..", "name", "@", "axis", "*"):
            return self.location_path()
        node = self.primary()
        if self.tok.kind == "[":
            raise self.error("EXP011", "predicates ([...]) are not supported", self.tok.pos)
        if self.tok.kind == "op" and self.tok.text in ("/", "//"):
            if isinstance(node, Call) and node.name == "current":
                return self.relative_steps(node.pos, start_current=True)
            if isinstance(node, Call) and node.name == "instance":
                raise self.error(
                    "EXP024",
                    "instance() lookups are not supported",
                    node.pos,
                    "Validate choice lists with the instrument, not with instance() paths.",
                )
            raise self.error("EXP011", "a path after an expression is not supported", self.tok.pos)
        return node

    def location_path(self) -> Node:
        start = self.tok.pos
        absolute = False
        if self.tok.kind == "op" and self.tok.text == "//":
            raise self.error("EXP011", "'//' (descendant paths) is not supported", start)
        if self.tok.kind == "op" and self.tok.text == "/":
            self.advance()
            absolute = True
            if self.tok.kind not in ("name", ".", ".."):
                raise self.error(
                    "EXP011", "the root path '/' alone is not supported", start, "Use ${name}."
                )
        return self.relative_steps(start, absolute=absolute)

    def relative_steps(
        self, start: int, absolute: bool = False, start_current: bool = False
    ) -> Node:
        steps: list[Token] = []
        if start_current:
            self.advance()  # the '/' after current()
        while True:
            tok = self.tok
            if tok.kind in ("name", ".", ".."):
                steps.append(self.advance())
            elif tok.kind == "@":
                raise self.error("EXP011", "attributes (@name) are not supported", tok.pos)
            elif tok.kind == "axis":
                raise self.error("EXP011", f"the axis '{tok.text}::' is not supported", tok.pos)
            elif tok.kind == "*":
                raise self.error("EXP011", "wildcard steps (*) are not supported", tok.pos)
            elif tok.kind == "function" and tok.text in _NODE_TYPES:
                raise self.error("EXP011", f"node tests ({tok.text}()) are not supported", tok.pos)
            else:
                raise self.unexpected(tok, "a name after '/'")
            if self.tok.kind == "[":
                raise self.error("EXP011", "predicates ([...]) are not supported", self.tok.pos)
            if self.tok.kind == "op" and self.tok.text == "//":
                raise self.error("EXP011", "'//' (descendant paths) is not supported", self.tok.pos)
            if self.tok.kind == "op" and self.tok.text == "/":
                self.advance()
                continue
            break
        return self.reduce_path(start, steps, absolute, start_current)

    def reduce_path(self, start: int, steps: list[Token], absolute: bool, current: bool) -> Node:
        kinds = [s.kind for s in steps]
        last = steps[-1]
        if last.kind == "name":
            if len(steps) == 1 and not absolute and not current:
                return Relative(last.pos, last.text)
            if kinds[0] == "." and len(steps) == 2 and not current:
                return Relative(last.pos, last.text)
            return Field(start, last.text)
        # only '.' and '..' steps
        levels = kinds.count("..")
        if "name" in kinds:
            raise self.error("EXP011", "this path form is not supported", start, "Use ${name}.")
        if absolute:
            raise self.error("EXP011", "this path form is not supported", start, "Use ${name}.")
        if levels == 0:
            return Current(start)
        return Parent(start, levels)

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.advance()
            return Number(tok.pos, float(tok.text))
        if tok.kind == "string":
            self.advance()
            return Text(tok.pos, tok.text)
        if tok.kind == "field":
            self.advance()
            return Field(tok.pos, tok.text)
        if tok.kind == "(":
            self.open.append(self.advance())
            if self.tok.kind == ")":
                raise self.error("EXP004", "empty parentheses", self.tok.pos)
            node = self.binary(0)
            if self.tok.kind != ")":
                raise self.unexpected(self.tok, "')'")
            self.advance()
            self.open.pop()
            return node
        if tok.kind == "function":
            return self.call()
        if tok.kind == "$":
            raise self.error(
                "EXP011", "XPath variables ($name) are not supported", tok.pos, "Use ${name}."
            )
        if (
            tok.kind == "op"
            and tok.text == "="
            and self.i > 0
            and self.tokens[self.i - 1].text == "="
        ):
            raise self.error("EXP004", "'==' is not an operator", tok.pos, "Use '='.")
        raise self.unexpected(tok, "a value, a ${field} or a function")

    def call(self) -> Node:
        name_tok = self.advance()
        name = name_tok.text
        self.open.append(self.advance())  # '('
        args: list[Node] = []
        if self.tok.kind != ")":
            while True:
                if self.tok.kind in (",", ")"):
                    raise self.error(
                        "EXP004",
                        f"missing argument in {name}()",
                        self.tok.pos,
                        "Remove the extra comma.",
                    )
                args.append(self.binary(0))
                if self.tok.kind == ",":
                    self.advance()
                    continue
                if self.tok.kind == ")":
                    break
                raise self.unexpected(self.tok, f"',' or ')' in {name}()")
        self.advance()
        self.open.pop()
        return self.check_call(name_tok, tuple(args))

    def check_call(self, name_tok: Token, args: tuple[Node, ...]) -> Node:
        name, pos = name_tok.text, name_tok.pos
        if name == "current" and not args:
            return Call(pos, name, args)
        if name in _NODE_TYPES:
            raise self.error("EXP011", f"node tests ({name}()) are not supported", pos)
        if name in ("instance", "pulldata"):
            raise self.error(
                "EXP024",
                f"{name}() reads a secondary instance, which is not available",
                pos,
                "Validate choice lists with the instrument; export pulled values as columns.",
            )
        if name in UNSUPPORTED or name not in SIGNATURES:
            if name in UNSUPPORTED:
                raise self.error(
                    "EXP007",
                    f"function '{name}' is not supported by the engine: {UNSUPPORTED[name]}",
                    pos,
                    "Compute this value in the field and export it, or remove the function.",
                )
            close = difflib.get_close_matches(name, list(SIGNATURES), n=1)
            if not close and name.lower() in SIGNATURES:
                close = [name.lower()]
            hint = (
                f"Did you mean {close[0]}()?"
                if close
                else "Check the spelling against the ODK function list (see docs/errors/expressions.md)."
            )
            raise self.error("EXP007", f"unknown function '{name}'", pos, hint)
        low, high = SIGNATURES[name]
        if len(args) < low or (high is not None and len(args) > high):
            want = (
                str(low)
                if low == high
                else (f"{low} or more" if high is None else f"{low} to {high}")
            )
            plural = "" if want == "1" else "s"
            raise BadExpression(
                "EXP008",
                f"{name}() takes {want} argument{plural}, got {len(args)}",
                expression=self.text,
                position=pos,
                expected=f"{want} argument{plural}",
                found=str(len(args)),
            )
        if name == "weighted-checklist" and len(args) % 2:
            raise BadExpression(
                "EXP008",
                "weighted-checklist() takes an even number of arguments",
                expression=self.text,
                position=pos,
            )
        if name in ("selected", "is-selected") and isinstance(args[1], Number):
            raise self.error(
                "EXP018",
                f"the value in {name}() must be in quotes",
                args[1].pos,
                f"Write {name}(..., '{_num_text(args[1].value)}').",
            )
        if name in ("format-date", "format-date-time") and isinstance(args[1], Text):
            bad = _bad_format(args[1].value)
            if bad is not None:
                raise self.error(
                    "EXP015",
                    f"unknown format-date() specifier '%{bad}'",
                    args[1].pos,
                    "Use %Y %y %m %n %b %d %e %a %H %h %M %S %3.",
                )
        if name == "regex" and isinstance(args[1], Text):
            try:
                re.compile(args[1].value)
            except re.error as exc:
                raise self.error(
                    "EXP016", f"invalid regular expression: {exc}", args[1].pos
                ) from None
        return Call(pos, name, args)


_END_HINT = "Something is missing at the end (an operand after an operator, or a closing quote)."


def _num_text(v: float) -> str:
    return str(int(v)) if v == int(v) else repr(v)


def _bad_format(fmt: str) -> str | None:
    i = 0
    while i < len(fmt):
        if fmt[i] == "%":
            if i + 1 >= len(fmt):
                return ""
            if fmt[i + 1] not in _FORMAT_SPECIFIERS:
                return fmt[i + 1]
            i += 2
        else:
            i += 1
    return None
