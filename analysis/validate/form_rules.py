"""The form's own logic on the data: constraints, required, relevance both ways,
calculations recomputed, repeat counts, and repeat rows without their parent.

All of it comes from :func:`analysis.expressions.forms.check_form`, the same engine the
data-entry app uses, so a rule means the same thing everywhere; this module only feeds
it the data and turns its masks into issues. The records are fed in blocks of
``chunk_size`` main records (each with its repeat rows), which bounds the memory the
engine needs and lets ``jobs`` threads share the work.

Examples
--------
>>> from analysis.readers import RawData, RawMetadata
>>> from analysis.instrument.model import Instrument, Question
>>> form = Instrument(None, "f", "F", None, None, ("default",), (
...     Question("age", "integer", constraint=". < 130", required="yes"),
...     Question("job", "text", relevant="${age} >= 16"),
... ), (), {})
>>> frame = pd.DataFrame({"_key": ["a", "b", "c"], "age": [30, 200, 10],
...                       "job": ["farmer", "", "student"]})
>>> recs = Records(RawData(frame, {}, RawMetadata(format="csv")), form, "f")
>>> found, choice_cells = check_rules(recs, lang="en")
>>> found.frame[["position", "variable", "code", "value"]].values.tolist()
[[1, 'age', 'VAL120', '200'], [2, 'job', 'VAL122', 'student']]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..expressions import EvaluationContext, FormData, Repeat
from ..expressions.errors import BadExpression
from ..expressions.forms import FormCheck, SkippedRule, check_form
from ..instrument.model import Question
from ..readers.rawdata import MAIN
from ..readers.records import Records, as_text
from .issues import Found, join_text, say
from .wording import same_wording, wording_texts
from .workers import run_tasks

__all__ = [
    "Hits",
    "RuleTotals",
    "block_tasks",
    "check_rules",
    "engine_data",
    "relevance_text",
    "rule_failure",
    "rules_from_hits",
]

_POS = "__pos"
_META_NAMES = frozenset({"instanceID", "instanceName"})
_PARENT = "__parent"


@dataclass(frozen=True)
class EngineData:
    """The data as the expression engine reads it, a block of records at a time.

    Nothing is copied up front: each block's frames are taken from the records' own
    tables when the block is evaluated (in the worker that evaluates it), under the
    question names, with the row positions as keys.
    """

    #: table -> (its frame, question name -> column of the frame)
    sources: dict[str, tuple[pd.DataFrame, dict[str, str]]]
    parents: dict[str, str | None]
    #: repeat -> position of each row's parent row in the parent table (-1: orphan)
    parent_position: dict[str, np.ndarray]
    #: repeat -> row positions sorted by main record (orphans left out)
    order: dict[str, np.ndarray]
    #: repeat -> main record of each row in ``order``
    owner: dict[str, np.ndarray]

    def frame(self, name: str, rows: slice | np.ndarray | None = None) -> pd.DataFrame:
        """Rows of a table (all by default) under question names, keyed by position."""
        source, columns = self.sources[name]
        at = source.columns.get_indexer(list(columns.values()))
        if rows is None:
            rows = slice(0, len(source))
        if isinstance(rows, slice):  # a view, with a range index
            start, stop, _ = rows.indices(len(source))
            index: pd.Index = pd.RangeIndex(start, stop)
            positions = np.arange(start, stop, dtype=np.int64)
        else:
            positions = np.asarray(rows, dtype=np.int64)
            index = pd.Index(positions)
        part = source.iloc[rows, at].set_axis(list(columns), axis=1).set_axis(index, axis=0)
        extra = {_POS: positions}
        if name in self.parent_position:
            extra[_PARENT] = self.parent_position[name][positions]
        return part.assign(**extra)

    def form_data(
        self, main: pd.DataFrame | None = None, repeats: dict[str, pd.DataFrame] | None = None
    ) -> FormData:
        main = self.frame(MAIN) if main is None else main
        repeats = repeats if repeats is not None else {r: self.frame(r) for r in self.parents}
        return FormData(
            main,
            {
                name: Repeat(frame, parent_key=_PARENT, parent=self.parents[name], key=_POS)
                for name, frame in repeats.items()
            },
            key=_POS,
        )

    def ranges(self, size: int) -> list[tuple[int, int]]:
        """``(start, stop)`` of the blocks of main records."""
        n = len(self.sources[MAIN][0])
        return [(start, min(start + size, n)) for start in range(0, max(n, 1), size)]

    def block(self, start: int, stop: int) -> FormData:
        """Main records ``start:stop`` with their repeat rows."""
        repeats = {}
        for name in self.parents:
            lo, hi = np.searchsorted(self.owner[name], [start, stop])
            repeats[name] = self.frame(name, self.order[name][lo:hi])
        return self.form_data(self.frame(MAIN, slice(start, stop)), repeats)


def engine_data(records: Records) -> EngineData:
    """The records as the engine reads them (see :class:`EngineData`)."""
    sources: dict[str, tuple[pd.DataFrame, dict[str, str]]] = {}
    parents: dict[str, str | None] = {}
    parent_position: dict[str, np.ndarray] = {}
    order: dict[str, np.ndarray] = {}
    owner: dict[str, np.ndarray] = {}
    for name, table in records.tables.items():
        cols = {q.name: table.columns[q.name] for q in table.questions if q.name in table.columns}
        sources[name] = (table.frame, cols)
        if name != MAIN:
            parent_position[name] = table.parent_position
            parent = records.parent_table(name)
            parents[name] = None if parent == MAIN else parent
            main_pos = table.main_position
            sort = np.argsort(main_pos, kind="stable")
            sort = sort[main_pos[sort] >= 0]
            order[name] = sort
            owner[name] = main_pos[sort]
    return EngineData(sources, parents, parent_position, order, owner)


def relevance_text(records: Records, q: Question) -> str:
    """The question's effective relevance: its own and its enclosing groups', joined."""
    parts = []
    for g in q.group_path:
        try:
            group = records.instrument.group(g)
        except KeyError:
            continue
        if group.relevant:
            parts.append(
                f"({group.relevant})" if len(q.group_path) > 1 or q.relevant else group.relevant
            )
    if q.relevant:
        parts.append(f"({q.relevant})" if parts else q.relevant)
    return " and ".join(parts)


def _form_message(texts, lang: str) -> str | None:
    if not texts:
        return None
    if texts.get(lang):
        return texts[lang]
    for value in texts.values():
        if value:
            return value
    return None


def _cells(check: FormCheck, rule: str, bad_when: bool) -> list[tuple[str, np.ndarray, str]]:
    """(table, positions, variable) of the cells where a FormCheck mask is ``bad_when``."""
    return [
        (MAIN if scope is None else scope, positions, name)
        for scope, positions, name in check.flagged(rule, bad_when)
    ]


@dataclass
class Hits:
    """The cells a FormCheck flags, kept as positions (small) between blocks."""

    constraint: list[tuple[str, np.ndarray, str]]
    required: list[tuple[str, np.ndarray, str]]
    not_relevant: list[tuple[str, np.ndarray, str]]
    calculation: list[tuple[str, np.ndarray, str, pd.Series]]
    repeat_count: list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray]]
    choice: list[tuple[str, np.ndarray, str]]
    #: the rules the engine could not evaluate (the same in every block, as a rule)
    skipped: tuple[SkippedRule, ...] = ()


def _hits(check: FormCheck) -> Hits:
    calc = []
    for table, pos, var in _cells(check, "calculation_differs", True):
        scope = None if table == MAIN else table
        recomputed = check.value(scope, var).loc[pos]
        calc.append((table, pos, var, recomputed.reset_index(drop=True)))
    counts = []
    for name, frame in (check.repeat_count_ok or {}).items():
        bad = ~frame["ok"].to_numpy(dtype=bool)
        if bad.any():
            parent = frame.attrs.get("scope")
            counts.append(
                (
                    MAIN if parent is None else parent,
                    name,
                    frame.index.to_numpy()[bad],
                    frame["expected"].to_numpy(dtype=float)[bad],
                    frame["found"].to_numpy(dtype=float)[bad],
                )
            )
    return Hits(
        _cells(check, "constraint_ok", False),
        _cells(check, "required_ok", False),
        _cells(check, "answered_not_relevant", True),
        calc,
        counts,
        _cells(check, "choice_ok", False),
        check.skipped,
    )


def block_tasks(
    records: Records, engine: EngineData, context: EvaluationContext, chunk_size: int
) -> list[Callable[[], Hits]]:
    """One task per block of ``chunk_size`` main records: the engine's flagged cells."""
    instrument = records.instrument

    def task(bounds: tuple[int, int]) -> Callable[[], Hits]:
        return lambda: _hits(check_form(instrument, engine.block(*bounds), context=context))

    return [task(r) for r in engine.ranges(chunk_size)]


def _merge(parts: list[list[tuple]]) -> dict[tuple[str, str], np.ndarray]:
    out: dict[tuple[str, str], list[np.ndarray]] = {}
    for part in parts:
        for table, pos, var, *_ in part:
            out.setdefault((table, var), []).append(pos)
    return {k: np.concatenate(v) for k, v in out.items()}


def _issues(
    records: Records,
    hits: dict[tuple[str, str], np.ndarray],
    code: str,
    lang: str,
    message_of: Callable[[Question], tuple[str, str]],
    rule_of: Callable[[Question], str],
    with_value: bool,
) -> list[Found]:
    out = []
    for (table_name, var), pos in hits.items():
        table = records.table(table_name)
        q = records.instrument[var]
        before, after = message_of(q)
        if with_value:
            values = table.texts_at(var, pos)
            message = join_text(before, values, after)
        else:
            values = pd.Series([""] * len(pos), dtype="str")
            message = before + after
        out.append(Found.of(table_name, pos, var, code, values, message, rule_of(q)))
    return out


def _orphans(records: Records, lang: str) -> Found:
    parts = []
    for name, table in records.tables.items():
        if name == MAIN or not len(table):
            continue
        pos = np.flatnonzero(table.main_position < 0)
        if not len(pos):
            continue
        parent = records.parent_table(name)
        values = pd.Series(
            table.frame.iloc[pos]
            .get("_parent_key", pd.Series([""] * len(pos)))
            .astype("str")
            .fillna("")
            .to_numpy(),
            dtype="str",
        )
        message = join_text(
            say(
                lang,
                f"{name} 的这条记录找不到所属的 {parent} 记录（上级键 “",
                f"this {name} row has no {parent} record (parent key '",
            ),
            values,
            say(lang, "”），未参与问卷逻辑检查", "'); the form's rules were not applied to it"),
        )
        parts.append(Found.of(name, pos, "_parent_key", "VAL126", values, message, "_parent_key"))
    return Found.concat(parts)


def rule_failure(err: BadExpression, lang: str) -> Found:
    """The issue saying the form's rules could not be evaluated (``VAL190``)."""
    where = f" ({err.where})" if err.where else ""
    return Found.table_level(
        MAIN,
        getattr(err, "question", None) or "",
        "VAL190",
        "",
        say(
            lang,
            f"问卷逻辑无法计算{where}：{err.message}",
            f"the form's rules cannot be evaluated{where}: {err.message}",
        ),
        getattr(err, "expression", None) or err.code,
    )


def _skipped_issues(blocks: list[Hits], lang: str) -> Found:
    """One issue per cause of the rules left out: ``VAL191`` (warning) per function the
    engine does not evaluate, ``VAL190`` (error) per expression error, each naming the
    rules not checked."""
    by_cause: dict[str, dict[tuple[str, str, str | None], SkippedRule]] = {}
    for block in blocks:
        for rule in block.skipped:
            by_cause.setdefault(rule.cause, {}).setdefault(
                (rule.owner, rule.column, rule.via), rule
            )
    parts = []
    for cause, rules in by_cause.items():
        listed = _rule_list(list(rules.values()), lang)
        error = next((r.error for r in rules.values() if r.error is not None), None)
        if cause.endswith("()"):
            message = say(
                lang,
                f"分析引擎不支持 {cause}，以下规则未检查：{listed}",
                f"the engine does not evaluate {cause}; these rules were not checked: {listed}",
            )
            code, rule_text = "VAL191", cause
        else:
            where = f" ({error.where})" if error is not None and error.where else ""
            message = say(
                lang,
                f"问卷逻辑无法计算{where}：{cause}；以下规则未检查：{listed}",
                f"the form's rules cannot be evaluated{where}: {cause}; "
                f"these rules were not checked: {listed}",
            )
            code = "VAL190"
            rule_text = (getattr(error, "expression", None) or cause) if error else cause
        first = next(iter(rules.values()))
        parts.append(Found.table_level(MAIN, first.owner, code, cause, message, rule_text))
    return Found.concat(parts)


def _rule_list(rules: list[SkippedRule], lang: str, most: int = 30) -> str:
    """``q1 (relevant), q2 (required, through c1)``: the rules, at most ``most`` named."""
    items = []
    for r in rules[:most]:
        through = say(lang, f"，经由 {r.via}", f", through {r.via}") if r.via is not None else ""
        items.append(
            say(lang, f"{r.owner}（{r.column}{through}）", f"{r.owner} ({r.column}{through})")
        )
    more = len(rules) - most
    if more > 0:
        items.append(say(lang, f"另有 {more} 条", f"and {more} more"))
    return say(lang, "、", ", ").join(items)


@dataclass
class RuleTotals:
    """What the issues of the form rules need of the whole data when it comes in blocks.

    :func:`rules_from_hits` then runs once per block of records; the issues about the
    whole data are kept here and given once by :meth:`issues`: the rules the engine
    left out (``VAL190``/``VAL191``), calculations not exported (``VAL125``, decided
    over every record: ``unexported``) and calculations worded differently (``VAL320``,
    counted over every record).
    """

    #: (table, calculation) whose column is empty in every record of the data
    unexported: frozenset[tuple[str, str]] = frozenset()
    skipped: list[Hits] = field(default_factory=list)
    hit: dict[tuple[str, str], None] = field(default_factory=dict)
    worded: dict[tuple[str, str], list] = field(default_factory=dict)

    def issues(self, instrument, lang: str) -> Found:
        """The issues about the whole data, in the order the one-block run gives them."""
        parts = [_skipped_issues(self.skipped, lang)]
        for table_name, var in self.hit:
            if (table_name, var) in self.unexported:
                parts.append(_not_exported(table_name, var, lang))
            elif (table_name, var) in self.worded:
                n, stored, gives = self.worded[(table_name, var)]
                q = instrument[var]
                parts.append(_wording_issue(table_name, q, n, stored, gives, lang))
        return Found.concat(parts)


def rules_from_hits(
    records: Records, blocks: list[Hits], lang: str, *, totals: RuleTotals | None = None
) -> tuple[Found, dict[tuple[str, str], np.ndarray]]:
    """The issues of the engine's flagged cells (all blocks), and the rejected choices.

    ``totals``: the data comes in blocks of records and this is one of them (see
    :class:`RuleTotals`).
    """

    def constraint_message(q: Question) -> tuple[str, str]:
        own = _form_message(q.constraint_message, lang)
        head = own or say(lang, f"{q.name} 不符合约束条件", f"{q.name} breaks its constraint")
        return head + say(lang, "（当前值：", " (value: "), say(lang, "）", ")")

    def required_message(q: Question) -> tuple[str, str]:
        own = _form_message(q.required_message, lang)
        return own or say(
            lang, f"{q.name} 是必答题，但没有回答", f"{q.name} is required but empty"
        ), ""

    def relevance_message(q: Question) -> tuple[str, str]:
        return (
            say(lang, f"{q.name} 按跳答条件不应回答，却有答案 “", f"{q.name} is answered ('"),
            say(lang, "”", "') although the form skips it here"),
        )

    parts = [_orphans(records, lang)]
    if totals is None:
        parts.append(_skipped_issues(blocks, lang))
    else:
        totals.skipped.extend(blocks)
    parts += _issues(
        records,
        _merge([b.constraint for b in blocks]),
        "VAL120",
        lang,
        constraint_message,
        lambda q: q.constraint or "",
        True,
    )
    parts += _issues(
        records,
        _merge([b.required for b in blocks]),
        "VAL121",
        lang,
        required_message,
        lambda q: f"required: {q.required}",
        False,
    )
    parts += _issues(
        records,
        _merge([b.not_relevant for b in blocks]),
        "VAL122",
        lang,
        relevance_message,
        lambda q: relevance_text(records, q),
        True,
    )
    parts.append(_calculations(records, [c for b in blocks for c in b.calculation], lang, totals))
    parts.append(_repeat_counts(records, [c for b in blocks for c in b.repeat_count], lang))
    return Found.concat(parts), _merge([b.choice for b in blocks])


def check_rules(
    records: Records,
    *,
    lang: str = "zh",
    context: EvaluationContext | None = None,
    chunk_size: int = 50_000,
    jobs: int = 1,
    engine: EngineData | None = None,
) -> tuple[Found, dict[tuple[str, str], np.ndarray] | None]:
    """Constraint, required, relevance, calculation and repeat-count issues (module doc).

    Also returns the cells whose choice the engine rejects (``{(table, question):
    positions}``: a code not in the list, or one its choice_filter excludes), for
    :func:`analysis.validate.choices.check_choices`; ``None`` when the form's rules
    could not be evaluated.
    """
    context = context or EvaluationContext(language=lang)
    engine = engine or engine_data(records)
    try:
        blocks = [
            hits for hits, _ in run_tasks(block_tasks(records, engine, context, chunk_size), jobs)
        ]
    except BadExpression as err:
        return Found.concat([_orphans(records, lang), rule_failure(err, lang)]), None
    return rules_from_hits(records, blocks, lang)


def _not_exported(table_name: str, var: str, lang: str) -> Found:
    message = say(
        lang,
        f"计算题 {var} 没有导出（整列为空），未核对",
        f"calculation {var} was not exported (empty column); not checked",
    )
    return Found.table_level(table_name, var, "VAL125", "", message, "calculate", severity="info")


def _calculations(
    records: Records,
    hits: list[tuple[str, np.ndarray, str, pd.Series]],
    lang: str,
    totals: RuleTotals | None = None,
) -> Found:
    grouped: dict[tuple[str, str], list[tuple[np.ndarray, pd.Series]]] = {}
    for table, pos, var, recomputed in hits:
        grouped.setdefault((table, var), []).append((pos, recomputed))
    parts = []
    for (table_name, var), items in grouped.items():
        table = records.table(table_name)
        if var in _META_NAMES:
            continue  # instanceID, instanceName: made by the server, not by the form
        if totals is not None:
            totals.hit.setdefault((table_name, var), None)
            if (table_name, var) in totals.unexported:
                continue
        elif table.empty(var).all():
            parts.append(_not_exported(table_name, var, lang))
            continue
        pos = np.concatenate([p for p, _ in items])
        recomputed = pd.concat([r for _, r in items], ignore_index=True)
        redone = as_text(recomputed if recomputed.dtype != object else recomputed.astype("str"))
        values = table.texts_at(var, pos)
        # the same number written differently (0.0005 and 5.0E-4) is the same value
        a = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        b = pd.to_numeric(redone, errors="coerce").to_numpy(dtype=float)
        same = np.isfinite(a) & np.isfinite(b) & np.isclose(a, b, rtol=1e-9, atol=1e-12)
        if same.all():
            continue
        q = records.instrument[var]
        texts = wording_texts(q.calculation)
        if texts is not None:
            worded = _worded(values, redone, texts) & ~same
            if worded.any():
                stored, gives = values[worded], redone[worded]
                if totals is None:
                    parts.append(
                        _wording_issue(
                            table_name, q, len(stored), stored.iloc[0], gives.iloc[0], lang
                        )
                    )
                else:
                    seen = totals.worded.setdefault(
                        (table_name, var), [0, stored.iloc[0], gives.iloc[0]]
                    )
                    seen[0] += len(stored)
            same = same | worded
            if same.all():
                continue
        pos, values, redone = (
            pos[~same],
            values[~same].reset_index(drop=True),
            redone[~same].reset_index(drop=True),
        )
        message = join_text(
            say(lang, f"{var} 存的值 “", f"{var} holds '"),
            values,
            say(lang, "”，按公式重新计算应为 “", "' but its calculation gives '"),
            redone,
            say(lang, "”", "'"),
        )
        parts.append(Found.of(table_name, pos, var, "VAL123", values, message, q.calculation or ""))
    return Found.concat(parts)


def _worded(values: pd.Series, redone: pd.Series, texts: tuple[str, ...]) -> np.ndarray:
    """Cells whose stored sentence is the recomputed one written differently."""
    pairs = pd.MultiIndex.from_arrays([values.astype(str), redone.astype(str)])
    verdict = {pair: same_wording(pair[0], pair[1], texts) for pair in pairs.unique()}
    return np.fromiter((verdict[pair] for pair in pairs), dtype=bool, count=len(pairs))


def _wording_issue(table: str, q: Question, n: int, stored: str, gives: str, lang: str) -> Found:
    """One ``VAL320`` (info) for the ``n`` cells of a wording calculation written
    differently (``stored`` the first, whose calculation ``gives`` another text)."""
    message = say(
        lang,
        f"计算题 {q.name} 给出的是文字（题目措辞），{n} 条记录存的写法不同，"
        f"视为同一句话（如存 “{stored}”，公式为 “{gives}”）",
        f"calculation {q.name} gives wording; {n} record(s) hold it written differently, "
        f"taken as the same sentence (e.g. '{stored}' for '{gives}')",
    )
    return Found.table_level(
        table, q.name, "VAL320", str(n), message, q.calculation or "", severity="info"
    )


def _repeat_counts(records: Records, hits: list, lang: str) -> Found:
    parts = []
    for parent, name, pos, expected, found in hits:
        exp = pd.Series(expected).map(lambda v: "" if np.isnan(v) else f"{v:g}").astype("str")
        got = pd.Series(found).map(lambda v: f"{v:g}").astype("str")
        values = join_text(got, " / ", exp)
        message = join_text(
            say(lang, f"重复组 {name} 应有 ", f"repeat {name} should have "),
            exp,
            say(lang, " 条，实际 ", " instances, found "),
            got,
        )
        group = records.instrument.group(name)
        parts.append(
            Found.of(parent, pos, name, "VAL124", values, message, group.repeat_count or "")
        )
    return Found.concat(parts)
