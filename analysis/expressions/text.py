"""String and select functions (XPath 1.0 §4.2; ODK XForms spec String and Select Functions).

Pattern arguments that are literals run as pyarrow kernels (on the distinct values when
they are few); per-row patterns and ``translate()`` run once per distinct combination.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .evaluate import Env
from .library import (
    _all_scalar,
    _boolean,
    _group_join,
    _has_astral,
    _is_many,
    _java_int,
    _java_trim,
    _num,
    _number,
    _re2_escape,
    _spread_distinct,
    _str,
    _utf16_len,
    _utf16_slice,
    _via_dictionary,
    function,
)
from .references import find_references
from .tree import Call, Field, Text
from .values import (
    STRING,
    Values,
    Vec,
    is_scalar,
    np_bool,
    pa_mask,
    to_string,
)

# ---------------------------------------------------------------------------- strings


@function("string")
def _string(env: Env, node: Call) -> Vec:
    return to_string(env.value(node.args[0]), env.n)


def _join_strings(parts: list[Any], sep: Any, n: int) -> Any:
    if not parts:
        return ""
    if _all_scalar(*parts, sep):
        return sep.join(parts)
    arrays = [p for p in parts]
    if len(arrays) == 1:
        return arrays[0]
    return pc.binary_join_element_wise(*arrays, sep)


@function("concat")
def _concat(env: Env, node: Call) -> Vec:
    if len(node.args) == 1 and _is_many(env, node.args[0]):
        return Values(STRING, _group_join(env.nodes(node.args[0]), "", env))
    parts = [_str(env, a) for a in node.args]
    return Values(STRING, _join_strings(parts, "", env.n))


@function("join")
def _join(env: Env, node: Call) -> Vec:
    sep = _str(env, node.args[0])
    if len(node.args) == 2 and _is_many(env, node.args[1]):
        if not is_scalar(sep):
            raise env.error("EXP014", "join() over a repeat needs a fixed separator", node.args[0])
        return Values(STRING, _group_join(env.nodes(node.args[1]), sep, env))
    parts = [_str(env, a) for a in node.args[1:]]
    return Values(STRING, _join_strings(parts, sep, env.n))


@function("string-length")
def _string_length(env: Env, node: Call) -> Vec:
    s = _str(env, node.args[0]) if node.args else to_string(env.current_value(node), env.n).data
    if isinstance(s, str):
        return _number(float(_utf16_len(s)))
    lengths = np.asarray(pc.utf8_length(s).to_numpy(zero_copy_only=False), dtype=float)
    if _has_astral(s):
        astral = np.asarray(
            pc.count_substring_regex(s, "[\\x{10000}-\\x{10FFFF}]").to_numpy(zero_copy_only=False)
        )
        lengths = lengths + astral
    return _number(lengths)


_JAVA_SPACE = "[ \\t\\n\\x0B\\f\\r]+"
_JAVA_TRIM_CHARS = "".join(chr(i) for i in range(33))


@function("normalize-space")
def _normalize_space(env: Env, node: Call) -> Vec:
    s = _str(env, node.args[0]) if node.args else to_string(env.current_value(node), env.n).data
    if isinstance(s, str):
        return Values(STRING, re.sub(_JAVA_SPACE, " ", _java_trim(s)))
    trimmed = pc.utf8_trim(s, characters=_JAVA_TRIM_CHARS)
    return Values(STRING, pc.replace_substring_regex(trimmed, _JAVA_SPACE, " "))


def _string_test(env: Env, node: Call, kernel: str, py: Callable[[str, str], bool]) -> Vec:
    s, t = _str(env, node.args[0]), _str(env, node.args[1])
    if _all_scalar(s, t):
        return _boolean(py(s, t))
    if isinstance(t, str):
        if isinstance(s, str):
            return _boolean(py(s, t))
        if t == "":
            return _boolean(np.ones(env.n, dtype=bool))
        fn = getattr(pc, kernel)
        return _boolean(np_bool(fn(s, t)))
    return _boolean(_spread_distinct(py, env.n, [s, t], "boolean"))


@function("contains")
def _contains(env: Env, node: Call) -> Vec:
    return _string_test(env, node, "match_substring", lambda s, t: t in s)


@function("starts-with")
def _starts_with(env: Env, node: Call) -> Vec:
    return _string_test(env, node, "starts_with", lambda s, t: s.startswith(t))


@function("ends-with")
def _ends_with(env: Env, node: Call) -> Vec:
    return _string_test(env, node, "ends_with", lambda s, t: s.endswith(t))


def _before(s: str, t: str) -> str:
    i = s.find(t)
    return s[:i] if i >= 0 else ""


def _after(s: str, t: str) -> str:
    i = s.find(t)
    return s[i + len(t) :] if i >= 0 else ""


def _split_part(env: Env, node: Call, which: int) -> Vec:
    s, t = _str(env, node.args[0]), _str(env, node.args[1])
    py = _before if which == 0 else _after
    if _all_scalar(s, t):
        return Values(STRING, py(s, t))
    if isinstance(t, str) and not isinstance(s, str):
        if t == "":
            return Values(STRING, "" if which == 0 else s)
        parts = pc.split_pattern(s, t, max_splits=1)
        found = np.asarray(pc.list_value_length(parts).to_numpy(zero_copy_only=False)) == 2
        flat = pc.list_flatten(parts)
        offsets = np.asarray(parts.offsets.to_numpy(zero_copy_only=False))[:-1]
        picked = flat.take(pa.array(offsets + (which if which == 0 else np.where(found, 1, 0))))
        return Values(STRING, pc.if_else(pa_mask(found), picked, ""))
    return Values(STRING, _spread_distinct(py, env.n, [s, t], "string"))


@function("substring-before")
def _substring_before(env: Env, node: Call) -> Vec:
    return _split_part(env, node, 0)


@function("substring-after")
def _substring_after(env: Env, node: Call) -> Vec:
    return _split_part(env, node, 1)


@function("substr")
def _substr(env: Env, node: Call) -> Vec:
    s = _str(env, node.args[0])
    start = _java_int(_num(env, node.args[1]))
    end = _java_int(_num(env, node.args[2])) if len(node.args) == 3 else None
    if isinstance(s, str) and np.ndim(start) == 0 and (end is None or np.ndim(end) == 0):
        return Values(STRING, _utf16_slice(s, start, end))
    s_arr = s if not isinstance(s, str) else pa.array([s] * env.n, pa.string())
    if np.ndim(start) == 0 and (end is None or np.ndim(end) == 0) and not _has_astral(s_arr):
        return Values(
            STRING,
            pc.utf8_slice_codeunits(
                s_arr, start=int(start), stop=None if end is None else int(end)
            ),
        )
    ends = (
        np.full(env.n, -(2**62), dtype=np.int64) if end is None else np.broadcast_to(end, (env.n,))
    )

    def one(x: str, a: int, b: int) -> str:
        return _utf16_slice(x, int(a), None if b == -(2**62) else int(b))

    return Values(
        STRING,
        _spread_distinct(one, env.n, [s_arr, np.broadcast_to(start, (env.n,)), ends], "string"),
    )


@function("substring")
def _substring_xpath(env: Env, node: Call) -> Vec:
    """XPath 1.0 §4.2 substring(): 1-based, positions rounded (not in ODK Collect)."""
    s = _str(env, node.args[0])
    start = _num(env, node.args[1])
    length = _num(env, node.args[2]) if len(node.args) == 3 else math.inf

    def one(x: str, a: float, b: float) -> str:
        first = math.floor(a + 0.5) if math.isfinite(a) else a
        last = first + (math.floor(b + 0.5) if math.isfinite(b) else b)
        if math.isnan(first) or math.isnan(last):
            return ""
        return "".join(c for i, c in enumerate(x, start=1) if first <= i < last)

    if _all_scalar(s, start, length):
        return Values(STRING, one(s, float(start), float(length)))
    s_arr = s if not isinstance(s, str) else pa.array([s] * env.n, pa.string())
    return Values(
        STRING,
        _spread_distinct(
            one,
            env.n,
            [
                s_arr,
                np.broadcast_to(np.asarray(start, float), (env.n,)),
                np.broadcast_to(np.asarray(length, float), (env.n,)),
            ],
            "string",
        ),
    )


@function("translate")
def _translate(env: Env, node: Call) -> Vec:
    s, a, b = (_str(env, x) for x in node.args)

    def one(x: str, frm: str, to: str) -> str:
        table: dict[int, Any] = {}
        for i, c in enumerate(frm):
            if ord(c) not in table:
                table[ord(c)] = to[i] if i < len(to) else None
        return x.translate(table)

    if _all_scalar(s, a, b):
        return Values(STRING, one(s, a, b))
    return Values(STRING, _spread_distinct(one, env.n, [s, a, b], "string"))


# ---------------------------------------------------------------------------- selects


@function("selected", "is-selected")
def _selected(env: Env, node: Call) -> Vec:
    s = _str(env, node.args[0])
    v = _str(env, node.args[1])
    if _all_scalar(s, v):
        return _boolean(f" {_java_trim(v)} " in f" {s} ")
    if isinstance(v, str) and not isinstance(s, str):
        pattern = "(?:^| )" + _re2_escape(_java_trim(v)) + "(?: |$)"
        res = _via_dictionary(s, lambda d: pc.match_substring_regex(d, pattern))
        return _boolean(np_bool(res) if isinstance(res, pa.Array) else np.asarray(res, dtype=bool))
    return _boolean(
        _spread_distinct(lambda a, b: f" {_java_trim(b)} " in f" {a} ", env.n, [s, v], "boolean")
    )


@function("count-selected")
def _count_selected(env: Env, node: Call) -> Vec:
    s = _str(env, node.args[0])
    if isinstance(s, str):
        return _number(float(len([p for p in s.split(" ") if p])))
    res = _via_dictionary(s, lambda d: pc.count_substring_regex(d, "[^ ]+"))
    arr = res.to_numpy(zero_copy_only=False) if isinstance(res, pa.Array) else res
    return _number(np.asarray(arr, dtype=float))


@function("selected-at")
def _selected_at(env: Env, node: Call) -> Vec:
    s = _str(env, node.args[0])
    i = _java_int(_num(env, node.args[1]))

    def one(x: str, k: int) -> str:
        tokens = [p for p in x.split(" ") if p]
        return tokens[k] if 0 <= k < len(tokens) else ""

    if isinstance(s, str) and np.ndim(i) == 0:
        return Values(STRING, one(s, int(i)))
    if np.ndim(i) == 0 and not isinstance(s, str):
        if i < 0:
            return Values(STRING, "")
        pattern = "^ *(?:[^ ]+ +){" + str(int(i)) + "}(?P<t>[^ ]+)"
        if i > 1000:
            return Values(STRING, _spread_distinct(lambda x: one(x, int(i)), env.n, [s], "string"))
        res = _via_dictionary(
            s, lambda d: pc.fill_null(pc.extract_regex(d, pattern).field("t"), "")
        )
        extracted = pc.extract_regex(s, pattern)
        valid = pc.is_valid(extracted)
        del res
        return Values(STRING, pc.if_else(valid, pc.fill_null(extracted.field("t"), ""), ""))
    s_arr = s if not isinstance(s, str) else pa.array([s] * env.n, pa.string())
    return Values(
        STRING, _spread_distinct(one, env.n, [s_arr, np.broadcast_to(i, (env.n,))], "string")
    )


@function("jr:choice-name", "choice-name")
def _choice_name(env: Env, node: Call) -> Vec:
    inst = env.session.instrument
    target = node.args[1]
    if inst is None:
        raise env.error(
            "EXP021",
            "jr:choice-name() needs the instrument",
            node,
            "Pass instrument=... so the choice labels are known.",
        )
    if not isinstance(target, Text | Field):
        raise env.error(
            "EXP021",
            "the second argument of jr:choice-name() must name a question",
            target,
            "Write jr:choice-name(${q}, '${q}').",
        )
    name = target.name if isinstance(target, Field) else target.value.strip()
    refs = find_references(name)
    if len(refs) == 1 and (refs[0].start, refs[0].end) == (0, len(name)):
        name = refs[0].name
    elif "/" in name:
        name = name.rstrip("/").rsplit("/", 1)[-1]
    if name not in inst:
        raise env.error("EXP021", f"jr:choice-name(): no question named {name!r}", target)
    choices = inst.choices(name)
    if choices is None:
        raise env.error(
            "EXP021",
            f"jr:choice-name(): {name!r} is not a select question with a choice list",
            target,
        )
    lang = env.session.language or inst.default_language
    codes = pa.array([c.name for c in choices], pa.string())
    labels = pa.array([c.label(lang) for c in choices], pa.string())
    v = _str(env, node.args[0])
    if isinstance(v, str):
        found = choices.label_of(v, lang)
        return Values(STRING, found if found is not None else "")
    idx = pc.index_in(v, value_set=codes)
    return Values(STRING, pc.fill_null(labels.take(idx), ""))
