"""Conformance suite: the engine (and the scalar reference) against values taken from the
XPath 1.0 and ODK XForms specifications and ODK Collect's behaviour.

The cases live in ``tests/expressions/conformance.py``, grouped by the specification
section they come from.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "expressions"))

from conformance import NOW, D, cases, instrument, row
from scalar_reference import RDate, Reference

from analysis.expressions import EvaluationContext, parse, session_for
from analysis.expressions.evaluate import Env
from analysis.expressions.values import LocalDays, as_list

CASES = cases()
CONTEXT = EvaluationContext(timezone="UTC", now=NOW)


def engine_value(expr: str, options: dict) -> object:
    inst = instrument() if options.get("typed") else None
    session = session_for(row(), inst, CONTEXT)
    current = options.get("current")
    scope = None
    env = Env(session, scope, expr, current=current)
    return as_list(env.value(parse(expr).tree), 1)[0]


def reference_value(expr: str, options: dict) -> object:
    inst = instrument() if options.get("typed") else None
    ref = Reference(row(), inst, timezone="UTC", now=NOW)
    return ref.evaluate(expr, current=options.get("current"))[0]


def matches(got: object, expected: object) -> bool:
    if isinstance(expected, D):
        days = (
            float(got.days)
            if isinstance(got, RDate)
            else float(got)
            if isinstance(got, LocalDays)
            else None
        )
        return days is not None and abs(days - expected.days) < 1e-9
    if isinstance(got, LocalDays | RDate):
        return False
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(got) is type(expected) and got == expected
    if isinstance(expected, float):
        if not isinstance(got, float):
            return False
        if math.isnan(expected):
            return math.isnan(got)
        return got == expected or abs(got - expected) <= 1e-9 * max(1.0, abs(expected))
    return type(got) is type(expected) and got == expected


def test_suite_is_large_and_cited():
    assert len(CASES) >= 150
    groups = {(g, citation) for g, citation, *_ in CASES}
    assert all(citation for _, citation in groups)
    assert len(groups) >= 10


@pytest.mark.parametrize(
    ("group", "citation", "expr", "expected", "options"),
    CASES,
    ids=[
        f"{g}: {e}{' [typed]' if o.get('typed') else ''}{' .=' + o['current'] if o.get('current') else ''}"
        for g, _, e, _, o in CASES
    ],
)
def test_engine_conforms(group, citation, expr, expected, options):
    got = engine_value(expr, options)
    assert matches(got, expected), f"{expr!r} ({citation}): expected {expected!r}, got {got!r}"


@pytest.mark.parametrize(
    ("group", "citation", "expr", "expected", "options"),
    CASES,
    ids=[f"ref {g}: {e}{' [typed]' if o.get('typed') else ''}" for g, _, e, _, o in CASES],
)
def test_reference_conforms(group, citation, expr, expected, options):
    """The oracle itself must pass the suite, or agreement with it proves nothing."""
    got = reference_value(expr, options)
    assert matches(got, expected), f"{expr!r} ({citation}): expected {expected!r}, got {got!r}"
