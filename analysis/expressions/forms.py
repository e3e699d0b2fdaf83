"""Apply a whole Instrument to its data, as ODK Collect does while a form is filled.

* **Relevance** is inherited: a question is relevant when its own ``relevant`` holds and
  every enclosing group and repeat is relevant.
* **Values** of non-relevant questions read as ``''`` in every other expression (JavaRosa
  ``getRefValue``); calculations are recomputed in dependency order, keeping their type
  (a number stays a number, as JavaRosa's ``Recalculate.wrapData`` keeps it).
* **Constraints** are checked with ``.`` as the question's value, only where the question
  is relevant and answered (ODK XForms spec, Bindings: "only evaluated when the node is
  non-empty"). **Required** is violated where a relevant question is empty.
* A cycle among calculations and relevance conditions is an error naming the cycle.

Examples
--------
>>> from analysis.instrument.model import Instrument, Question
>>> form = Instrument(None, "demo", "Demo", None, None, ("default",), (
...     Question("age", "integer", constraint=". >= 0 and . < 130", row=2),
...     Question("adult", "calculate", calculation="${age} >= 18", row=3),
...     Question("job", "text", relevant="${adult}", required="yes", row=4),
... ), (), {})
>>> data = pd.DataFrame({"age": [30, 12, 200], "job": ["farmer", "", ""]})
>>> result = check_form(form, data)
>>> result.relevant["job"].tolist()
[True, False, True]
>>> result.issues()[["record", "variable", "rule"]].values.tolist()
[[2, 'age', 'constraint'], [2, 'job', 'required']]
>>> calculation_order(form)
('adult',)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .data import MAIN, FormData, column_values
from .engine import EvaluationContext, Expression, parse, session_for, to_series
from .errors import BadExpression
from .evaluate import Env, Session
from .skipped import (
    FROM_EXPORT,
    SKIP,
    RuleGuard,
    SkippedRule,
    fields_in_text,
    unsupported_functions,
)
from .values import (
    BOOLEAN,
    NUMBER,
    STRING,
    Mixed,
    Values,
    Vec,
    constant,
    equal,
    gather,
    pieces,
    select,
    to_boolean,
    to_number,
    to_string,
)

__all__ = [
    "FormCheck",
    "SkippedRule",
    "calculate",
    "calculation_order",
    "check_constraints",
    "check_form",
    "dependencies",
    "evaluation_order",
    "form_expressions",
    "relevance",
]

_TRUE = frozenset({"yes", "true", "true()", "1"})
_FALSE = frozenset({"", "no", "false", "false()", "0"})
_VOLATILE = frozenset({"now", "today", "random", "uuid", "once"})


# ---------------------------------------------------------------------------- expressions


def _located(
    err: BadExpression, instrument: Any, owner: Any, column: str, text: str
) -> BadExpression:
    return err.located(
        expression=text,
        question=owner.name,
        file=getattr(instrument, "path", None),
        sheet="survey",
        row=owner.row,
        column=column,
    )


def _parse(instrument: Any, owner: Any, column: str, text: str | None) -> Expression | None:
    if text is None or not str(text).strip():
        return None
    try:
        return parse(str(text))
    except BadExpression as err:
        raise _located(err, instrument, owner, column, str(text)) from None


def form_expressions(instrument: Any) -> list[tuple[str, str, str]]:
    """Every expression of the form as (owner name, sheet column, expression text).

    Owners are questions and groups; columns are relevant, constraint, calculation,
    required (when an expression), repeat_count and choice_filter.
    """
    out: list[tuple[str, str, str]] = []
    for g in instrument.groups:
        for column in ("relevant", "repeat_count"):
            text = getattr(g, column, None)
            if text and str(text).strip():
                out.append((g.name, column, str(text)))
    for q in instrument.questions:
        for column in ("relevant", "constraint", "calculation", "choice_filter"):
            text = getattr(q, column, None)
            if text and str(text).strip():
                out.append((q.name, column, str(text)))
        req = (q.required or "").strip()
        if req and req.lower() not in _TRUE | _FALSE:
            out.append((q.name, "required", req))
    return out


# ---------------------------------------------------------------------------- dependencies


def _group_parent(owner: Any) -> str | None:
    path = tuple(getattr(owner, "group_path", None) or getattr(owner, "path", ()) or ())
    return path[-1] if path else None


def dependencies(instrument: Any) -> dict[str, frozenset[str]]:
    """What each question's and group's *value or relevance* depends on.

    A question depends on the fields in its ``relevant`` and ``calculation`` and on its
    enclosing group; a group on the fields in its ``relevant`` and on its own enclosing
    group. (Constraints and required conditions feed no value, so they are not edges.)
    An expression the engine cannot parse contributes the ``${name}`` references in it.
    """
    known = {q.name for q in instrument.questions} | {g.name for g in instrument.groups}
    deps: dict[str, frozenset[str]] = {}
    owners: list[Any] = list(instrument.groups) + list(instrument.questions)
    for owner in owners:
        names: set[str] = set()
        for column in ("relevant", "calculation"):
            text = getattr(owner, column, None)
            try:
                expr = _parse(instrument, owner, column, text)
            except BadExpression:  # not evaluable: check_form leaves it out
                names |= fields_in_text(str(text))
                continue
            if expr is not None:
                names |= expr.fields
        parent = _group_parent(owner)
        if parent is not None:
            names.add(parent)
        deps[owner.name] = frozenset(n for n in names if n in known)
    return deps


def evaluation_order(instrument: Any) -> tuple[str, ...]:
    """Groups and questions ordered so each comes after what it depends on.

    Raises
    ------
    BadExpression
        ``EXP010`` naming the cycle (``a -> b -> a``) when calculations or relevance
        conditions depend on each other in a loop.
    """
    deps = dependencies(instrument)
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = on the path, 2 = done
    form_order = [g.name for g in instrument.groups] + [q.name for q in instrument.questions]
    rows = {q.name: q.row for q in instrument.questions} | {
        g.name: g.row for g in instrument.groups
    }
    for start in form_order:
        if state.get(start) == 2:
            continue
        stack: list[tuple[str, Iterable[str]]] = [(start, iter(sorted(deps.get(start, ()))))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)  # type: ignore[call-overload]
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
                order.append(node)
                continue
            if state.get(child) == 1:
                cycle = [*path[path.index(child) :], child]
                first = instrument[cycle[0]] if cycle[0] in instrument else None
                raise BadExpression(
                    "EXP010",
                    "cycle between calculations/relevance: " + " -> ".join(cycle),
                    question=cycle[0],
                    file=getattr(instrument, "path", None),
                    sheet="survey",
                    row=rows.get(cycle[0]),
                    expression=(first.calculation or first.relevant) if first is not None else None,
                    hint="Break the loop: one of these must not refer back to the others.",
                )
            if state.get(child) == 2:
                continue
            state[child] = 1
            path.append(child)
            stack.append((child, iter(sorted(deps.get(child, ())))))
    return tuple(order)


def calculation_order(instrument: Any) -> tuple[str, ...]:
    """The calculate questions in the order they must be computed."""
    calcs = {q.name for q in instrument.questions if q.calculation and str(q.calculation).strip()}
    return tuple(name for name in evaluation_order(instrument) if name in calcs)


# ---------------------------------------------------------------------------- applying


#: The rules a FormCheck holds a mask for, by attribute name.
RULES = (
    "relevant",
    "constraint_ok",
    "required_ok",
    "answered_not_relevant",
    "calculation_differs",
    "choice_ok",
)


def _rule_table(rule: str) -> cached_property:
    """A FormCheck table of one rule, built from its masks when first read."""
    table = cached_property(lambda check: check._rule(rule))
    table.__doc__ = f"The {rule} table (see the class docstring)."
    return table


@dataclass(frozen=True, eq=False)
class FormCheck:
    """The result of applying an instrument to data. Each table attribute is a DataFrame
    indexed like the data (for a FormData: a dict of scope -> DataFrame, with ``None``
    for the main form and the repeat names for the repeats).

    The tables are built when first read; :meth:`flagged` and :meth:`value` read the
    underlying masks and values without building them (what a validation of millions
    of rows needs).

    Attributes
    ----------
    relevant : bool per question (inherited relevance).
    values : every question's value as the form sees it: calculations recomputed,
        non-relevant answers emptied.
    constraint_ok : False where a relevant, answered question breaks its constraint.
    required_ok : False where a relevant required question is empty.
    answered_not_relevant : True where the data holds an answer the form would have hidden.
    calculation_differs : True where a calculated column in the data differs from the
        recomputed value (calculations using now(), today(), once(), ... are skipped).
    repeat_count_ok : per repeat with a repeat_count, on the parent rows.
    choice_ok : False where a select answer holds a code that is not in its choice list,
        or a choice its ``choice_filter`` excludes for that record.
    skipped : the rules that could not be evaluated (an unsupported function, an
        expression error) and the rules depending on them; they have no mask.
    """

    instrument: Any
    #: rule (see RULES) -> scope -> question -> one bool per row
    masks: Mapping[str, Mapping[str | None, Mapping[str, np.ndarray]]]
    #: scope -> question -> its value as the form sees it (an engine vector, or a
    #: function making it)
    vectors: Mapping[str | None, Mapping[str, Any]]
    #: scope -> the index of the scope's rows
    indexes: Mapping[str | None, pd.Index]
    repeat_count_ok: Any
    language: str | None = None
    #: the data was one DataFrame (tables are DataFrames, not dicts of them)
    single: bool = False
    clock: Any = None
    #: the rules that were not checked (see :class:`SkippedRule`)
    skipped: tuple[SkippedRule, ...] = ()

    def _tables(self, make: Any) -> Any:
        frames = {
            scope: pd.DataFrame(make(scope), index=index) for scope, index in self.indexes.items()
        }
        return frames[MAIN] if self.single else frames

    def _rule(self, rule: str) -> Any:
        masks = self.masks[rule]
        return self._tables(
            lambda scope: {
                name: pd.Series(mask, index=self.indexes[scope])
                for name, mask in masks[scope].items()
            }
        )

    relevant = _rule_table("relevant")
    constraint_ok = _rule_table("constraint_ok")
    required_ok = _rule_table("required_ok")
    answered_not_relevant = _rule_table("answered_not_relevant")
    calculation_differs = _rule_table("calculation_differs")
    choice_ok = _rule_table("choice_ok")

    @cached_property
    def values(self) -> Any:
        return self._tables(
            lambda scope: {name: self.value(scope, name) for name in self.vectors[scope]}
        )

    def value(self, scope: str | None, name: str) -> pd.Series:
        """One question's values (a column of :attr:`values`)."""
        vector = self.vectors[scope][name]
        if callable(vector):  # made when first read
            vector = vector()
        return to_series(vector, self.indexes[scope], self.clock).rename(name)

    def flagged(self, rule: str, bad_when: bool) -> Iterator[tuple[str | None, np.ndarray, str]]:
        """``(scope, index labels, question)`` of the rows where a rule's mask is
        ``bad_when``, one question at a time (questions with no such row left out)."""
        for scope, rows, name in self._flagged_rows(rule, bad_when):
            yield scope, self.indexes[scope][rows].to_numpy(), name

    def _flagged_rows(
        self, rule: str, bad_when: bool
    ) -> Iterator[tuple[str | None, np.ndarray, str]]:
        """As :meth:`flagged`, with row positions instead of index labels."""
        for scope, masks in self.masks[rule].items():
            for name, mask in masks.items():
                if mask.any() if bad_when else not mask.all():  # no copy where none is bad
                    yield scope, np.flatnonzero(mask if bad_when else ~mask), name

    def issues(self) -> pd.DataFrame:
        """One tidy row per problem: record, variable, rule, severity, value, message,
        plus scope (repeat name, '' for the main form), expression and sheet row."""
        inst = self.instrument
        lang = self.language or inst.default_language

        rules = (
            ("constraint", "constraint_ok", False, "error"),
            ("required", "required_ok", False, "error"),
            ("not_relevant", "answered_not_relevant", True, "warning"),
            ("calculation", "calculation_differs", True, "warning"),
            ("choice", "choice_ok", False, "error"),
        )
        chunks: list[pd.DataFrame] = []
        for rule, attribute, bad_when, severity in rules:
            for scope, rows, name in self._flagged_rows(attribute, bad_when):
                q = inst[name]
                expr = {
                    "constraint": q.constraint,
                    "required": q.required,
                    "not_relevant": _effective_relevant(inst, q),
                    "calculation": q.calculation,
                    "choice": q.choice_filter,
                }[rule]
                shown = self.value(scope, name).iloc[rows] if name in self.vectors[scope] else None
                chunks.append(
                    pd.DataFrame(
                        {
                            "record": self.indexes[scope][rows],
                            "variable": name,
                            "rule": rule,
                            "severity": severity,
                            "value": "" if shown is None else _texts(shown),
                            "message": _message(q, rule, lang),
                            "scope": scope or "",
                            "expression": expr,
                            "sheet_row": q.row,
                        }
                    )
                )
        for name, frame in (self.repeat_count_ok or {}).items():
            bad = ~frame["ok"].to_numpy(dtype=bool)
            if not bad.any():
                continue
            g = inst.group(name)
            expected = _texts(frame["expected"][bad])
            found = _texts(frame["found"][bad])
            chunks.append(
                pd.DataFrame(
                    {
                        "record": frame.index[bad],
                        "variable": name,
                        "rule": "repeat_count",
                        "severity": "error",
                        "value": (found + " / " + expected).to_numpy(),
                        "message": (
                            f"重复组 {name} 的条目数应为 / repeat {name} should have: " + expected
                        ).to_numpy(),
                        "scope": frame.attrs.get("scope") or "",
                        "expression": g.repeat_count,
                        "sheet_row": g.row,
                    }
                )
            )
        columns = [
            "record",
            "variable",
            "rule",
            "severity",
            "value",
            "message",
            "scope",
            "expression",
            "sheet_row",
        ]
        if not chunks:
            return pd.DataFrame(columns=columns)
        return pd.concat(chunks, ignore_index=True)[columns]


def _effective_relevant(inst: Any, q: Any) -> str | None:
    """The question's own relevant, else that of the nearest enclosing group that has one."""
    if q.relevant:
        return q.relevant
    for name in reversed(tuple(q.group_path)):
        try:
            g = inst.group(name)
        except KeyError:
            continue
        if g.relevant:
            return g.relevant
    return None


def _texts(series: pd.Series) -> pd.Series:
    """Values as the text a user reads (integers without '.0', missing as '')."""
    if pd.api.types.is_float_dtype(series.dtype):
        data = series.to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(data) & (np.mod(data, 1) == 0) & (np.abs(data) < 1e15)
        text = series.astype(str).to_numpy(dtype=object)
        text[whole] = data[whole].astype(np.int64).astype(str)
        text[np.isnan(data)] = ""
        return pd.Series(text, index=series.index)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return (
            series.dt.strftime("%Y-%m-%d %H:%M:%S")
            .fillna("")
            .str.replace(" 00:00:00", "", regex=False)
        )
    return series.astype(object).where(series.notna(), "").astype(str)


def _message(q: Any, rule: str, lang: str | None) -> str:
    texts = (
        q.constraint_message
        if rule == "constraint"
        else q.required_message
        if rule == "required"
        else {}
    )
    if texts:
        if lang and texts.get(lang):
            return texts[lang]
        for v in texts.values():
            if v:
                return v
    return {
        "constraint": f"{q.name} 不符合约束条件 / breaks its constraint: {q.constraint}",
        "required": f"{q.name} 为必答题但未回答 / is required but empty",
        "not_relevant": f"{q.name} 不应回答但有值 / answered although not relevant: {q.relevant}",
        "calculation": f"{q.name} 与重新计算的值不同 / differs from its recomputed value",
        "choice": f"{q.name} 的选项不在（筛选后的）选项列表中 / holds a code not offered here",
    }[rule]


def _blank_nan(vec: Vec) -> Vec:
    """JavaRosa stores NaN and '' as an empty answer."""
    if isinstance(vec, Values) and vec.kind == NUMBER and not np.isscalar(vec.data):
        nan = np.isnan(vec.data)
        if nan.any():
            blank = nan if vec.blank is None else (vec.blank | nan)
            return Values(NUMBER, vec.data, blank)
        return vec
    if isinstance(vec, Mixed) and NUMBER in vec.parts and not np.isscalar(vec.parts[NUMBER].data):
        nan = (vec.tags == NUMBER) & np.isnan(vec.parts[NUMBER].data)
        if nan.any():
            tags = np.where(nan, np.int8(STRING), vec.tags).astype(np.int8)
            parts = dict(vec.parts)
            parts.setdefault(STRING, Values(STRING, ""))
            if not np.isscalar(parts[STRING].data):
                return select([(nan, Values(STRING, "")), (None, vec)], len(vec.tags))
            return Mixed(tags, parts)
    if (
        isinstance(vec, Values)
        and vec.kind == NUMBER
        and np.isscalar(vec.data)
        and np.isnan(vec.data)
    ):
        return Values(STRING, "")
    return vec


def _empty_mask(vec: Vec, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    for mask, part in pieces(vec):
        if part.kind == STRING:
            text = part.data
            if isinstance(text, str):
                m = np.full(n, len(text) == 0)
            else:
                m = np.asarray(pc.binary_length(text).to_numpy(zero_copy_only=False)) == 0
        elif part.kind == NUMBER:
            m = np.broadcast_to(np.isnan(part.data), (n,))
        else:
            m = np.zeros(n, dtype=bool)
        out |= m if mask is None else (m & mask)
    return out


def _bool_of(vec: Vec, n: int) -> np.ndarray:
    data = to_boolean(vec, n).data
    return np.broadcast_to(np.asarray(data, dtype=bool), (n,)).copy()


def _scope_of_group(session: Session, g: Any) -> str | None:
    return g.name if g.kind == "repeat" else g.repeat


def check_form(
    instrument: Any,
    data: pd.DataFrame | FormData,
    *,
    context: EvaluationContext | None = None,
) -> FormCheck:
    """Apply every rule of ``instrument`` to ``data`` (see the module docstring).

    Parameters
    ----------
    instrument : Instrument
    data : DataFrame or FormData
        The exported answers; columns named as the questions.
    context : EvaluationContext, optional
        Time zone, ``now()`` and label language.
    """
    context = context or EvaluationContext()
    session = session_for(data, instrument, context)
    fd = session.data
    order = evaluation_order(instrument)
    groups = {g.name: g for g in instrument.groups}
    rel: dict[str, np.ndarray] = {}
    scope_of: dict[str, str | None] = {}
    raw: dict[str, Vec] = {}
    from_export: set[str] = set()  # calculations whose value is the exported one

    def parent_relevance(owner: Any, scope: str | None) -> np.ndarray:
        parent = _group_parent(owner)
        n = fd.size(scope)
        if parent is None or parent not in rel:
            return np.ones(n, dtype=bool)
        idx = fd.rows_in(scope, scope_of[parent])
        base = rel[parent]
        if idx is None:
            return base
        return gather(base, idx, False).astype(bool)

    guard = RuleGuard(partial(_located_for, instrument))

    def run(
        owner: Any, column: str, text: str | None, scope: str | None, current: str | None
    ) -> Any:
        """The rule's value; None without a rule; SKIP (recorded) when it cannot be
        evaluated; "export" for a calculation whose value is the exported one."""

        def value(expr: Expression) -> Vec:
            return Env(session, scope, expr.text, current=current).result(expr.tree)

        return guard.attempt(owner, column, text, value)

    def own_relevance(owner: Any, scope: str | None, current: str | None) -> Any:
        own = run(owner, "relevant", owner.relevant, scope, current)
        parent = _group_parent(owner)
        if own is SKIP:
            guard.relevance_unknown[owner.name] = guard.skipped[-1].cause
        elif parent in guard.relevance_unknown:
            guard.relevance_unknown[owner.name] = guard.relevance_unknown[parent]  # type: ignore[index]
        return None if own is SKIP else own

    for name in order:
        if name in groups:
            g = groups[name]
            scope = _scope_of_group(session, g)
            if scope is not None and scope not in fd.repeats:
                continue  # a repeat without data: nothing to evaluate
            scope_of[name] = scope
            own = own_relevance(g, scope, None)
            base = parent_relevance(g, scope)
            rel[name] = base if own is None else base & _bool_of(own, fd.size(scope))
            continue
        q = instrument[name]
        scope = q.repeat
        if scope is not None and scope not in fd.repeats:
            continue
        scope_of[name] = scope
        n = fd.size(scope)
        own = own_relevance(q, scope, name)
        base = parent_relevance(q, scope)
        relevant = base if own is None else base & _bool_of(own, n)
        rel[name] = relevant
        if q.calculation and str(q.calculation).strip():
            computed = run(q, "calculation", q.calculation, scope, name)
            exported = name in fd.frame(scope).columns
            if computed is SKIP or isinstance(computed, str) or name in guard.relevance_unknown:
                if exported:  # the value the phone computed
                    from_export.add(name)
                    computed = session.column(name, scope)
                else:
                    guard.unknown[name] = (
                        guard.relevance_unknown.get(name)
                        or (guard.skipped[-1].cause if computed is SKIP else None)
                        or _export_cause(q.calculation)
                    )
                    computed = Values(STRING, "")
            value = _blank_nan(computed)
        else:
            value = session.column(name, scope)
        raw[name] = value
        if relevant.all():
            session.overrides[name] = value
        else:
            session.hide(name, relevant, value)

    # ------------------------------------------------------------------ rules
    out_rel: dict[str | None, dict[str, Any]] = {s: {} for s in fd.scopes}
    out_val: dict[str | None, dict[str, Any]] = {s: {} for s in fd.scopes}
    out_con: dict[str | None, dict[str, Any]] = {s: {} for s in fd.scopes}
    out_req: dict[str | None, dict[str, Any]] = {s: {} for s in fd.scopes}
    out_anr: dict[str | None, dict[str, Any]] = {s: {} for s in fd.scopes}
    out_calc: dict[str | None, dict[str, Any]] = {s: {} for s in fd.scopes}
    out_choice: dict[str | None, dict[str, Any]] = {s: {} for s in fd.scopes}
    for q in instrument.questions:
        if q.name not in rel or not q.is_data:
            continue
        scope = scope_of[q.name]
        frame = fd.frame(scope)
        n = len(frame)
        relevant = rel[q.name]
        # what the form shows: the answer where relevant, '' elsewhere (made when read)
        shown = partial(session.column, q.name, scope)
        unanswered = _empty_mask(raw[q.name], n)
        empty = unanswered | ~relevant
        out_rel[scope][q.name] = relevant
        out_val[scope][q.name] = shown
        if q.constraint and str(q.constraint).strip():
            res = run(q, "constraint", q.constraint, scope, q.name)
            if res is not SKIP:
                out_con[scope][q.name] = ~(relevant & ~empty) | _bool_of(res, n)
        relevance_known = q.name not in guard.relevance_unknown
        req = _required_rule(q)
        if req is not False and not relevance_known:
            guard.skip(q.name, "required", guard.relevance_unknown[q.name], _why(q, guard))
        elif req is not False:
            need = Values(BOOLEAN, True) if req is True else run(q, "required", req, scope, q.name)
            if need is not SKIP:
                out_req[scope][q.name] = ~(relevant & _bool_of(need, n) & empty)
        if q.name in frame.columns and not q.calculation and relevance_known:
            out_anr[scope][q.name] = ~relevant & ~unanswered
        if q.calculation and q.name in frame.columns and q.name not in from_export:
            expr = parse(str(q.calculation))
            if not (expr.functions & _VOLATILE):
                stored = column_values(frame[q.name], STRING, session.clock)
                recomputed = to_string(shown(), n)
                old = to_string(stored, n)
                same = equal(Values(STRING, recomputed.data), Values(STRING, old.data), n).data
                out_calc[scope][q.name] = ~np.broadcast_to(np.asarray(same, dtype=bool), (n,))

        if q.is_select and q.list_name and instrument.choices(q) is not None:
            # the answer as given: where it is not relevant, no code counts as bad
            use_filter = bool(q.choice_filter and str(q.choice_filter).strip())
            if use_filter and guard.parse(q, "choice_filter", str(q.choice_filter)) is SKIP:
                use_filter = False  # the codes are still checked against the list
            try:
                out_choice[scope][q.name] = _choices_ok(
                    session, instrument, q, scope, raw[q.name], relevant, use_filter
                )
            except BadExpression as err:
                guard.skip(q.name, "choice_filter", f"[{err.code}] {err.message}", None, err)
                out_choice[scope][q.name] = _choices_ok(
                    session, instrument, q, scope, raw[q.name], relevant, False
                )

    counts: dict[str, pd.DataFrame] = {}
    for g in instrument.groups:
        if g.kind != "repeat" or not g.repeat_count or g.name not in fd.repeats:
            continue
        parent = fd.repeats[g.name].parent
        expected = run(g, "repeat_count", g.repeat_count, parent, None)
        if expected is SKIP:
            continue
        n_parent = fd.size(parent)
        want = np.broadcast_to(
            np.asarray(to_number(expected, n_parent).data, dtype=float), (n_parent,)
        )  # type: ignore[arg-type]
        parents = fd.parent_rows(g.name)
        found = np.bincount(parents[parents >= 0], minlength=n_parent).astype(float)
        frame = pd.DataFrame({"expected": want, "found": found}, index=fd.frame(parent).index)
        relevant = rel.get(g.name)
        frame["ok"] = np.isnan(want) | (want == found)
        if relevant is not None and len(relevant) and not relevant.all():
            frame["ok"] |= found == 0
        frame.attrs["scope"] = parent
        counts[g.name] = frame

    return FormCheck(
        instrument=instrument,
        masks={
            rule: {
                scope: {name: np.asarray(mask, dtype=bool) for name, mask in by_name.items()}
                for scope, by_name in masks.items()
            }
            for rule, masks in zip(
                RULES, (out_rel, out_con, out_req, out_anr, out_calc, out_choice), strict=True
            )
        },
        vectors=out_val,
        indexes={scope: fd.frame(scope).index for scope in fd.scopes},
        repeat_count_ok=counts,
        language=context.language,
        single=not isinstance(data, FormData),
        clock=session.clock,
        skipped=tuple(guard.skipped),
    )


def _located_for(
    instrument: Any, err: BadExpression, owner: Any, column: str, text: str
) -> BadExpression:
    return _located(err, instrument, owner, column, text)


def _export_cause(calculation: str) -> str:
    """What makes a calculation that is not exported unknown (uuid(), random())."""
    names = [f for f in unsupported_functions(str(calculation)) if f in FROM_EXPORT]
    return f"{names[0]}()" if names else "calculation"


def _why(q: Any, guard: RuleGuard) -> str:
    """The question or enclosing group whose relevance could not be evaluated."""
    for name in (*reversed(tuple(getattr(q, "group_path", ()) or ())), q.name):
        if name in guard.relevance_unknown and any(
            s.owner == name and s.column == "relevant" for s in guard.skipped
        ):
            return name
    return q.name


def _required_rule(q: Any) -> str | bool:
    """True, False, or the required condition's text."""
    text = (q.required or "").strip()
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    return text


def _choices_ok(
    session: Session,
    instrument: Any,
    q: Any,
    scope: str | None,
    value: Vec,
    relevant: np.ndarray,
    use_filter: bool = True,
) -> np.ndarray:
    """Per row: every selected code is in the list and passes the choice_filter."""
    n = session.data.size(scope)
    text = to_string(value, n).data
    if isinstance(text, str):
        text = pc.cast(pa.array([text] * n), pa.string())
    choices = instrument.choices(q)
    multiple = q.is_multiple
    if multiple:
        # empty tokens (runs of spaces, leading or trailing ones) are dropped below
        tokens = pc.split_pattern(text, " ")
        flat = pc.list_flatten(tokens)
        owner = np.asarray(pc.list_parent_indices(tokens).to_numpy(zero_copy_only=False))
        keep = np.asarray(pc.binary_length(flat).to_numpy(zero_copy_only=False)) > 0
        flat, owner = flat.filter(pa.array(keep)), owner[keep]
    elif not use_filter:
        # one answer per row, no filter: each distinct answer is looked up once
        encoded = pc.dictionary_encode(text)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        answers = encoded.dictionary
        listed = pc.is_in(answers, value_set=pa.array(list(choices.codes), answers.type))
        unknown = np.asarray(listed.to_numpy(zero_copy_only=False), dtype=bool) == False  # noqa: E712
        unknown &= np.asarray(pc.binary_length(answers).to_numpy(zero_copy_only=False)) > 0
        at = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False))
        bad = np.r_[unknown, False][at]  # -1 (no answer): not bad
        return ~(bad & relevant)
    else:
        flat, owner = text, np.arange(n)
        keep = np.asarray(pc.binary_length(text).to_numpy(zero_copy_only=False)) > 0
        flat, owner = flat.filter(pa.array(keep)), owner[keep]
    codes = pa.array(list(choices.codes), pa.string())
    known = np.asarray(pc.is_in(flat, value_set=codes).to_numpy(zero_copy_only=False), dtype=bool)
    bad = np.zeros(n, dtype=bool)
    bad[owner[~known]] = True
    if use_filter:
        expr = _parse(instrument, q, "choice_filter", q.choice_filter)

        def allowed(item: dict[str, Vec]) -> np.ndarray:
            env = Env(session, scope, expr.text, current=q.name, item=item)  # type: ignore[union-attr]
            try:
                return _bool_of(env.result(expr.tree), n)  # type: ignore[union-attr]
            except BadExpression as err:
                raise _located(err, instrument, q, "choice_filter", expr.text) from None  # type: ignore[union-attr]

        index = np.asarray(pc.index_in(flat, value_set=codes).to_numpy(zero_copy_only=False))
        items = _row_items(list(choices), index, owner, n) if not multiple else None
        if items is not None:  # each row's own choice: one evaluation for all rows
            rows = owner[known]
            bad[rows] |= ~allowed(items)[rows]
            return ~(bad & relevant)
        for i, choice in enumerate(choices):
            rows = owner[index == i]
            if not len(rows):
                continue
            item = {"name": constant(choice.name)}
            item.update(
                {str(k): constant(str(v)) for k, v in choice.extra.items() if v is not None}
            )
            bad[rows] |= ~allowed(item)[rows]
    return ~(bad & relevant)


def _row_items(
    choices: list[Any], index: np.ndarray, owner: np.ndarray, n: int
) -> dict[str, Vec] | None:
    """The choice-list columns of each row's own answer (one answer per row), for a
    choice_filter evaluated on all rows at once.

    ``index``: the position in ``choices`` of each answer (NaN: not in the list);
    ``owner``: its row. None when the answered choices do not all fill the same
    columns (then each choice is evaluated on its own, which reports a missing one).
    Rows without a listed answer get the first choice's columns; their result is not
    used.
    """
    listed = ~np.isnan(index)
    if not listed.any():
        return None
    at = index[listed].astype(np.int64)
    present = np.unique(at)
    fields = {str(k) for k, v in choices[present[0]].extra.items() if v is not None}
    for i in present[1:]:
        if {str(k) for k, v in choices[i].extra.items() if v is not None} != fields:
            return None
    rows = np.zeros(n, dtype=np.int64)
    rows[owner[listed]] = at
    take = pa.array(rows)
    columns = {"name": [c.name for c in choices]}
    for k in fields:
        columns[k] = [str(v) if (v := c.extra.get(k)) is not None else "" for c in choices]
    return {
        name: Values(STRING, pa.array(texts, pa.string()).take(take))
        for name, texts in columns.items()
    }


def relevance(
    instrument: Any, data: pd.DataFrame | FormData, *, context: EvaluationContext | None = None
) -> Any:
    """Inherited relevance of every question: bool columns shaped like ``data``."""
    return check_form(instrument, data, context=context).relevant


def calculate(
    instrument: Any, data: pd.DataFrame | FormData, *, context: EvaluationContext | None = None
) -> Any:
    """Every question's value as the form sees it: calculations recomputed in dependency
    order, non-relevant answers emptied."""
    return check_form(instrument, data, context=context).values


def check_constraints(
    instrument: Any, data: pd.DataFrame | FormData, *, context: EvaluationContext | None = None
) -> Any:
    """True where each constrained question passes (or is empty or not relevant)."""
    return check_form(instrument, data, context=context).constraint_ok
