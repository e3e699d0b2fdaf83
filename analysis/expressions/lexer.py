"""Tokens of the XLSForm/ODK expression language (XPath 1.0 §3.7 plus ``${name}``).

The lexer follows XPath 1.0's disambiguation rules: ``and``, ``or``, ``div``, ``mod``
and ``*`` are operators only after an operand; a name followed by ``(`` is a function
name. XLSForm's ``${name}`` is one token. Positions are 1-based character offsets.

Examples
--------
>>> [(t.kind, t.text) for t in tokenize("${age} >= 18 and selected(${crops}, 'rice')")][:4]
[('field', 'age'), ('op', '>='), ('number', '18'), ('op', 'and')]
>>> [t.kind for t in tokenize("count-selected(.)")]
['function', '(', '.', ')', 'end']
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import BadExpression

__all__ = ["Token", "is_name", "tokenize"]

#: Full-width and typographic characters that Chinese keyboards produce, with the ASCII meant.
FULL_WIDTH = {
    "（": "(",
    "）": ")",
    "，": ",",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "＝": "=",
    "＜": "<",
    "＞": ">",
    "＋": "+",
    "－": "-",
    "＊": "*",
    "　": "a space",
    "｛": "{",
    "｝": "}",
    "＄": "$",
    "。": ".",
    "！": "!",
}

_OPERATOR_NAMES = frozenset({"and", "or", "div", "mod"})
_WHITESPACE = " \t\r\n"


@dataclass(frozen=True, slots=True)
class Token:
    """One token: ``kind`` (number, string, field, name, function, op, punctuation, end)."""

    kind: str
    text: str
    pos: int


def is_name(text: str) -> bool:
    """True when ``text`` is an XML NCName (a valid XLSForm question name).

    >>> is_name("hh_size"), is_name("户主"), is_name("2x"), is_name("a b")
    (True, True, False, False)
    """
    if not text or not _name_start(text[0]):
        return False
    return all(_name_char(c) for c in text[1:])


def _name_start(c: str) -> bool:
    return c == "_" or c.isalpha()


def _name_char(c: str) -> bool:
    return c in "_-." or c.isalnum() or (not c.isascii() and c.isidentifier())


def tokenize(expression: str) -> list[Token]:
    """Split ``expression`` into tokens; raise :class:`BadExpression` on a lexical error."""
    tokens: list[Token] = []
    i, n = 0, len(expression)

    def fail(code: str, message: str, at: int, hint: str | None = None) -> BadExpression:
        return BadExpression(code, message, expression=expression, position=at + 1, hint=hint)

    def after_operand() -> bool:
        # XPath 1.0 §3.7: a preceding token that is not @, ::, (, [, , or an operator.
        if not tokens:
            return False
        prev = tokens[-1]
        return prev.kind not in ("op", "(", "[", ",", "@", "::")

    while i < n:
        c = expression[i]
        if c in _WHITESPACE:
            i += 1
            continue
        start = i
        if c == "$" and i + 1 < n and expression[i + 1] == "{":
            close = expression.find("}", i + 2)
            if close < 0:
                raise fail("EXP006", "'${' without its closing '}'", start, "Write ${name}.")
            name = expression[i + 2 : close]
            if not name.strip():
                raise fail(
                    "EXP006", "empty field reference ${}", start, "Put a question name inside ${}."
                )
            if not is_name(name):
                raise fail(
                    "EXP006",
                    f"invalid name inside ${{{name}}}",
                    start,
                    "A question name starts with a letter or _ and has no spaces.",
                )
            tokens.append(Token("field", name, start + 1))
            i = close + 1
            continue
        if c.isdigit() or (c == "." and i + 1 < n and expression[i + 1].isdigit()):
            j = i
            while j < n and expression[j].isdigit():
                j += 1
            if j < n and expression[j] == ".":
                j += 1
                while j < n and expression[j].isdigit():
                    j += 1
            if j < n and (expression[j] == "." and j + 1 < n and expression[j + 1].isdigit()):
                raise fail("EXP022", f"invalid number {expression[i : j + 2]!r}", start)
            tokens.append(Token("number", expression[i:j], start + 1))
            i = j
            continue
        if c in "'\"":
            close = expression.find(c, i + 1)
            if close < 0:
                raise fail(
                    "EXP002",
                    f"string starting with {c} is not closed",
                    start,
                    f"Add the closing {c}.",
                )
            tokens.append(Token("string", expression[i + 1 : close], start + 1))
            i = close + 1
            continue
        if _name_start(c):
            j = i + 1
            while j < n and _name_char(expression[j]):
                j += 1
            # QName prefix:local (but not the axis separator '::')
            if (
                j + 1 < n
                and expression[j] == ":"
                and expression[j + 1] != ":"
                and _name_start(expression[j + 1])
            ):
                k = j + 2
                while k < n and _name_char(expression[k]):
                    k += 1
                j = k
            word = expression[i:j]
            k = j
            while k < n and expression[k] in _WHITESPACE:
                k += 1
            if after_operand() and word in _OPERATOR_NAMES:
                tokens.append(Token("op", word, start + 1))
            elif k < n and expression[k] == "(":
                tokens.append(Token("function", word, start + 1))
            elif k + 1 < n and expression[k : k + 2] == "::":
                tokens.append(Token("axis", word, start + 1))
            else:
                tokens.append(Token("name", word, start + 1))
            i = j
            continue
        two = expression[i : i + 2]
        if two in ("!=", "<=", ">=", "//", "::", ".."):
            kind = "op" if two in ("!=", "<=", ">=", "//") else two
            tokens.append(Token(kind, two, start + 1))
            i += 2
            continue
        if two == "==":
            raise fail("EXP004", "'==' is not an operator", start, "Use a single '=' to compare.")
        if two in ("&&", "||"):
            word = "and" if two == "&&" else "or"
            raise fail("EXP004", f"'{two}' is not an operator", start, f"Use '{word}'.")
        if two == "<>":
            raise fail("EXP004", "'<>' is not an operator", start, "Use '!=' for 'not equal'.")
        if c == "*":
            tokens.append(Token("op" if after_operand() else "*", c, start + 1))
            i += 1
            continue
        if c in "=<>+-|/":
            tokens.append(Token("op", c, start + 1))
            i += 1
            continue
        if c in "()[],.@$":
            tokens.append(Token(c, c, start + 1))
            i += 1
            continue
        if c in FULL_WIDTH:
            raise fail(
                "EXP001",
                f"full-width character {c!r} in an expression",
                start,
                f"Replace it with {FULL_WIDTH[c]!r} typed with the keyboard in English mode.",
            )
        if c == "&":
            raise fail("EXP001", "unexpected '&'", start, "Write < > directly, and 'and' for &&.")
        raise fail("EXP001", f"unexpected character {c!r}", start)
    tokens.append(Token("end", "", n + 1))
    return tokens
