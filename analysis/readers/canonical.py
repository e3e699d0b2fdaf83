"""The canonical layout of one table, given the instrument.

For each data question of the table, in form order:

=================  ==========================================================
question type      canonical column(s)
=================  ==========================================================
integer            ``Int64``
decimal, range     ``float64``
date, today        ``datetime64[us]`` at midnight
datetime, start,   ``datetime64[us]`` wall-clock (``ColumnInfo.timezone`` says
end                which UTC offset; ``UTC`` when offsets were mixed)
select_one         text: the choice code (labels mapped back to codes)
select_multiple    text: the codes separated by one space, then one ``Int64``
                   0/1 column per choice named by
                   :func:`~analysis.readers.names.choice_column` (NA when the
                   question is unanswered)
geopoint           text ``"lat lon alt acc"``, then ``float64`` columns
                   ``<name>_latitude``, ``_longitude``, ``_altitude``, ``_accuracy``
anything else      text
=================  ==========================================================

Empty cells are NA. A value that cannot be typed is NA in the typed column and
logged (RD110-RD113, RD116, RD118) with its source text in the issue's ``value``,
so nothing is lost; the validator reports it. Choice values that are not codes of
the list are kept as they stand and logged (RD120).

Then platform columns, then columns unknown to the instrument (kept as text under
their source header, logged RD101). Without an instrument every column is kept
under its header (kind ``source``): text for CSV/XLSX, the file's types for .sav/.dta.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..expressions.kinds import kind_of_type, value_kind
from ..instrument.model import Instrument, Question
from .answers import DateOrder
from .choices import ChoiceBook
from .columns import GEOPOINT_PARTS, Resolution, clean_header, question_type
from .issues import IssueLog
from .names import choice_column, derived_column, safe_name
from .rawdata import ROW, ColumnInfo
from .table import SourceTable
from .values import (
    Typed,
    map_distinct,
    split_geopoint,
    text_values,
    to_date,
    to_datetime,
    to_decimal,
    to_flag,
    to_integer,
)

__all__ = ["BuiltTable", "build_table", "native_as_text"]

_INTEGER = {"integer"}
_DECIMAL = {"decimal", "range"}
_DATE = {"date", "today"}
_DATETIME = {"datetime", "start", "end"}
_PART_LABELS = {
    "latitude": {"zh": "纬度", "en": "latitude"},
    "longitude": {"zh": "经度", "en": "longitude"},
    "altitude": {"zh": "海拔", "en": "altitude"},
    "accuracy": {"zh": "精度", "en": "accuracy"},
}
FLAG_LABELS = {
    1: {"zh": "选中", "en": "selected", "default": "selected"},
    0: {"zh": "未选中", "en": "not selected", "default": "not selected"},
}
PLATFORM_LABELS = {
    "_key": {"zh": "记录键", "en": "record key"},
    "_parent_key": {"zh": "上级记录键", "en": "parent record key"},
    "_source_row": {"zh": "原始文件行号", "en": "row in the source file"},
    "_submission_time": {"zh": "提交时间", "en": "submission time"},
    "_submitted_by": {"zh": "提交人", "en": "submitted by"},
    "_uuid": {"zh": "提交编号", "en": "submission UUID"},
}
_PLATFORM_INTEGERS = {
    "_index",
    "_parent_index",
    "_id",
    "_submitter_id",
    "_edits",
    "_attachments_present",
    "_attachments_expected",
}
_PLATFORM_DATETIMES = {"_submission_time"}
#: Platform columns holding a value that identifies the submission (main-table keys).
KEY_CANDIDATES = ("instanceID", "_uuid", "_id")


@dataclass
class BuiltTable:
    """A canonical table before keys: columns, their infos, and what keys need."""

    table: str
    columns: dict[str, pd.Series]
    infos: dict[str, ColumnInfo]
    rows: np.ndarray
    key: pd.Series | None = None  # ODK KEY
    parent_key: pd.Series | None = None  # ODK PARENT_KEY
    source: SourceTable | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)


def native_as_text(values: pd.Series) -> pd.Series:
    """Values typed by a .sav/.dta (numbers, dates) as the text an export would hold.

    Examples
    --------
    >>> native_as_text(pd.Series([1.0, 2.5, float("nan")])).tolist()
    ['1', '2.5', '']
    """
    if values.dtype == "str":
        return values.fillna("")
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%dT%H:%M:%S").fillna("")
    if pd.api.types.is_numeric_dtype(values):
        num = values.astype("float64")
        whole = num.notna() & np.isfinite(num) & (num == np.floor(num)) & (num.abs() < 2**53)
        out = num.map(lambda v: "" if pd.isna(v) else repr(float(v)))
        out[whole] = num[whole].astype("int64").astype(str)
        return out.astype("str")
    return values.map(
        lambda v: (
            ""
            if v is None or (isinstance(v, float) and np.isnan(v))
            else (v.isoformat() if hasattr(v, "isoformat") else str(v))
        )
    ).astype("str")


class _Context:
    """What the conversion of one table needs: log, table, rows, naming."""

    def __init__(
        self,
        table: str,
        rows: np.ndarray,
        log: IssueLog,
        *,
        placeholders: bool,
        date_order: DateOrder | None = None,
    ) -> None:
        self.table = table
        self.date_order = date_order
        self.rows = rows
        self.log = log
        self.placeholders = placeholders
        self.taken: set[str] = set()
        #: Question names of the table: generated names (0/1 columns, parts) avoid them.
        self.reserved: set[str] = set()

    def cells(
        self, code: str, message: str, column: str, mask: pd.Series, values: pd.Series
    ) -> None:
        mask = mask.fillna(False).to_numpy(dtype=bool)
        if mask.any():
            self.log.add_cells(
                code, message, table=self.table, column=column, rows=self.rows[mask],
                values=values.to_numpy(dtype=object)[mask],
            )  # fmt: skip

    def summary(self, code: str, message: str, column: str, mask: pd.Series) -> None:
        mask = mask.fillna(False).to_numpy(dtype=bool)
        n = int(mask.sum())
        if n:
            first = int(self.rows[mask][0])
            self.log.add(
                code,
                f"{message} ({n} cell(s); first at row {first})",
                table=self.table,
                column=column,
                row=first,
            )

    def name(self, wanted: str) -> str:
        name = (
            wanted
            if wanted.lower() not in {t.lower() for t in self.taken}
            else safe_name(wanted, self.taken)
        )
        self.taken.add(name)
        return name


def _text(ctx: _Context, values: pd.Series, column: str) -> pd.Series:
    s = text_values(values)
    if ctx.placeholders:
        na = s.str.strip().str.lower() == "n/a"
        if na.any():
            ctx.summary("RD153", "'n/a' placeholder read as empty", column, na)
            s = s.where(~na.fillna(False))
    return s


def _report_typed(ctx: _Context, typed: Typed, raw: pd.Series, column: str, qtype: str) -> None:
    code, what = {
        "integer": ("RD110", "not an integer"),
        "decimal": ("RD111", "not a number"),
        "date": ("RD112", "not a date"),
        "datetime": ("RD113", "not a date-time"),
    }[qtype]
    ctx.cells(code, f"value is {what}; the typed value is left empty", column, typed.bad, raw)
    if typed.adjusted.any():
        if qtype in ("date", "datetime"):
            ctx.summary(
                "RD114", "Excel date serial numbers converted to dates", column, typed.adjusted
            )
        else:
            ctx.summary(
                "RD119",
                "numbers with thousands separators or full-width digits read as numbers",
                column,
                typed.adjusted,
            )
    if "order" in typed.notes:
        ctx.log.add(
            "RD115", f"dates written {typed.notes['order']}", table=ctx.table, column=column
        )
    if typed.notes.get("timezone") == "UTC":
        ctx.log.add(
            "RD117", f"date-times with UTC offsets {typed.notes.get('offsets')} converted to UTC",
            table=ctx.table, column=column,
        )  # fmt: skip


def _question_labels(instrument: Instrument, q: Question) -> dict[str, str]:
    langs = instrument.languages or ("default",)
    return {lang: q.label(lang) for lang in langs if q.label(lang)}


def _choice_labels(book: ChoiceBook, instrument: Instrument) -> dict[str, dict[str, str]]:
    langs = instrument.languages or ("default",)
    out: dict[str, dict[str, str]] = {}
    for choice in book.choices or ():
        out[choice.name] = {lang: choice.label(lang) for lang in langs}
    return out


def _missing(q: Question, qtype: str) -> tuple[Any, ...]:
    codes = tuple(q.missing_codes)
    if qtype in _INTEGER:
        return tuple(int(float(c)) for c in codes if is_number(c))
    if qtype in _DECIMAL:
        return tuple(float(c) for c in codes if is_number(c))
    return codes


#: ODK's bind types (XLSForm column ``bind::type``) and how their values are read.
_BIND_TYPES = {
    "int": "integer",
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "dateTime": "datetime",
    "datetime": "datetime",
    "string": "text",
}


def calculated_type(instrument: Instrument, q: Question) -> str | None:
    """How a calculation's exported text is read: ``integer``, ``decimal``, ``date``,
    ``datetime``, or ``None`` (kept as text).

    The form's own ``bind::type`` column decides when it is filled (``decimal``, ``int``,
    ``date``, ``string`` ...); otherwise the calculation's expression does
    (:func:`analysis.expressions.kinds.value_kind`): a number-valued calculation (a weight,
    a score, a count) is read as a decimal, so that it is numeric in parquet, .sav and .dta.
    """
    bind = q.extra.get("bind") or {}
    declared = bind.get("type") if hasattr(bind, "get") else None
    if declared in _BIND_TYPES:
        found = _BIND_TYPES[declared]
        return None if found == "text" else found
    known: dict[str, str | None] = {}  # a name being worked out reads None (a cycle)

    def kind_of(name: str) -> str | None:
        if name in known or name not in instrument:
            return known.get(name)
        known[name] = None
        other = instrument.question(name)
        if question_type(other) == "calculate" and other.calculation:
            known[name] = value_kind(other.calculation, kind_of)
        else:
            known[name] = kind_of_type(question_type(other))
        return known[name]

    kind = value_kind(q.calculation or "", kind_of)
    return {"number": "decimal", "date": "date", "datetime": "datetime"}.get(kind or "")


def is_number(text: str) -> bool:
    """True when ``text`` reads as a number (``float()`` accepts it)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _question(
    ctx: _Context,
    instrument: Instrument,
    q: Question,
    main: Resolution | None,
    main_values: pd.Series | None,
    choice_cols: list[tuple[str, pd.Series, Resolution]],
    part_cols: list[tuple[str, pd.Series, Resolution]],
    n: int,
) -> list[tuple[str, pd.Series, ColumnInfo]]:
    """Canonical columns of one question."""
    qtype = question_type(q)
    declared_type = qtype
    if qtype == "calculate":
        qtype = calculated_type(instrument, q) or qtype
    name = ctx.name(q.name)
    labels = _question_labels(instrument, q)
    original = main.header if main is not None else None
    raw = (
        _text(ctx, main_values, name)
        if main_values is not None
        else pd.Series(pd.NA, index=range(n), dtype="str")
    )
    info = dict(
        name=name,
        kind="question",
        original=original,
        question=q.name,
        type=declared_type,
        labels=labels,
        user_missing=_missing(q, qtype),
    )
    out: list[tuple[str, pd.Series, ColumnInfo]] = []

    if qtype in _INTEGER | _DECIMAL | _DATE | _DATETIME:
        kind = (
            "integer"
            if qtype in _INTEGER
            else "decimal"
            if qtype in _DECIMAL
            else "date"
            if qtype in _DATE
            else "datetime"
        )
        if kind == "integer":
            typed = to_integer(raw)
        elif kind == "decimal":
            typed = to_decimal(raw)
        else:
            typed = (to_date if kind == "date" else to_datetime)(raw, order=ctx.date_order)
        _report_typed(ctx, typed, raw, name, kind)
        info["timezone"] = typed.notes.get("timezone")
        if kind in ("integer", "decimal") and q.missing_codes:
            langs = instrument.languages or ("default",)
            cast = (lambda c: int(float(c))) if kind == "integer" else float
            info["value_labels"] = {
                cast(code): {lang: meaning for lang in langs}
                for code, meaning in q.missing_codes.items()
                if is_number(code)
            }
        return [(name, typed.values, ColumnInfo(**info))]

    if q.is_select and qtype in ("select_one", "select_multiple"):
        book = ChoiceBook(instrument.choices(q), or_other=q.or_other)
        if qtype == "select_one":
            values, _ = _select_one(ctx, book, raw, name)
            info["value_labels"] = _choice_labels(book, instrument)
            return [(name, values, ColumnInfo(**info))]
        return _select_multiple(
            ctx, instrument, q, book, raw, main_values is not None, choice_cols, info, n
        )

    if qtype == "geopoint":
        return _geopoint(ctx, q, raw, main_values is not None, part_cols, info, labels, n)

    out.append((name, raw, ColumnInfo(**info)))
    return out


def _select_one(
    ctx: _Context, book: ChoiceBook, raw: pd.Series, name: str
) -> tuple[pd.Series, int]:
    s = raw.str.strip()
    if not book.known:
        return s, 0
    coded = map_distinct(s, book.one, "str")
    unknown = s.notna() & coded.isna()
    relabelled = s.notna() & coded.notna() & (coded != s)
    ctx.cells(
        "RD120", "value is not a code of the choice list; kept as it stands", name, unknown, s
    )
    ctx.summary(
        "RD121", "choice labels (or 1.0-style codes) mapped back to choice codes", name, relabelled
    )
    values = coded.where(~unknown, s).astype("str")
    return values, int(relabelled.sum())


def _select_multiple(
    ctx: _Context,
    instrument: Instrument,
    q: Question,
    book: ChoiceBook,
    raw: pd.Series,
    has_answer: bool,
    choice_cols: list[tuple[str, pd.Series, Resolution]],
    info: dict[str, Any],
    n: int,
) -> list[tuple[str, pd.Series, ColumnInfo]]:
    name = info["name"]
    columns: dict[str, str] = {}
    for position, choice in enumerate(book.choices or (), start=1):
        columns[choice.name] = choice_column(
            q.name, choice.name, position, ctx.taken | ctx.reserved
        )
        ctx.taken.add(columns[choice.name])
    given: dict[str, tuple[pd.Series, Resolution]] = {}
    for code, values, res in choice_cols:
        flags = _text(ctx, values, columns.get(code, name))
        typed = to_flag(flags)
        ctx.cells(
            "RD118",
            f"0/1 column of choice {code!r} holds something else than 0/1",
            columns.get(code, name),
            typed.bad,
            flags,
        )
        given[code] = (typed.values, res)
    if has_answer:
        s = raw.str.strip()
        s = s.where(s != "")
        if book.known:
            results: dict[str, tuple[str, list[str]]] = {}

            def code_of(v: str) -> str:
                results[v] = book.many(v)
                return results[v][0]

            coded = map_distinct(s, code_of, "str")
            bad_values = {v for v, (_, unknown) in results.items() if unknown}
            unknown_rows = s.isin(bad_values)
            relabelled = s.notna() & coded.ne(s).fillna(False) & ~unknown_rows
            ctx.summary("RD121", "choice labels mapped back to choice codes", name, relabelled)
            ctx.cells(
                "RD120",
                "answer holds values that are not codes of the choice list; kept as they stand",
                name,
                unknown_rows,
                s,
            )
            s = coded
    elif given:
        codes_in_order = [c for c in book.codes if c in given] + [
            c for c in given if c not in book.codes
        ]
        flags = pd.DataFrame({c: given[c][0] for c in codes_in_order})
        answered = flags.notna().any(axis=1).to_numpy()
        selected = flags.fillna(0).to_numpy(dtype="int64") == 1
        joined = [
            " ".join(c for c, hit in zip(codes_in_order, row, strict=True) if hit)
            for row in selected
        ]
        s = pd.Series(joined, index=range(n), dtype="str")
        s = s.where(answered & (s != "").to_numpy())
        info["original"] = None
    else:
        s = raw
    info["value_labels"] = {}
    out = [(name, s, ColumnInfo(**info))]
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    tokens = [set(str(u).split()) for u in uniques]
    picks = np.where(codes < 0, len(uniques), codes)
    labels = info["labels"]
    for choice in book.choices or ():
        col = columns[choice.name]
        table = pd.array([1 if choice.name in t else 0 for t in tokens] + [None], dtype="Int64")
        derived = pd.Series(table.take(picks), index=s.index)
        original = None
        if choice.name in given:
            flags, res = given[choice.name]
            original = res.header
            if has_answer:
                differ = flags.notna() & (derived.isna() | (flags != derived).fillna(False))
                differ &= ~(flags.eq(0).fillna(False) & derived.isna())
                ctx.cells(
                    "RD122",
                    f"0/1 column of choice {choice.name!r} disagrees with the answer; the answer is kept",
                    col,
                    differ,
                    flags.astype("str"),
                )
        choice_labels = {
            lang: f"{labels.get(lang, q.name)}: {choice.label(lang)}"
            for lang in (instrument.languages or ("default",))
        }
        out.append(
            (
                col,
                derived,
                ColumnInfo(
                    name=col,
                    kind="choice",
                    original=original,
                    question=q.name,
                    type="select_multiple",
                    choice=choice.name,
                    labels=choice_labels,
                    value_labels=FLAG_LABELS,
                ),
            )
        )
    return out


def _geopoint(
    ctx: _Context,
    q: Question,
    raw: pd.Series,
    has_answer: bool,
    part_cols: list[tuple[str, pd.Series, Resolution]],
    info: dict[str, Any],
    labels: dict[str, str],
    n: int,
) -> list[tuple[str, pd.Series, ColumnInfo]]:
    name = info["name"]
    given = {part: (_text(ctx, values, name), res) for part, values, res in part_cols}
    if not has_answer and given:
        texts = pd.DataFrame(
            {
                p: given[p][0] if p in given else pd.Series(pd.NA, index=range(n), dtype="str")
                for p in GEOPOINT_PARTS
            }
        )
        # the parts given, stripped, joined by spaces (vectorised: one pass per part)
        joined = pd.Series(pd.NA, index=texts.index, dtype="str")
        for part in GEOPOINT_PARTS:
            piece = texts[part].astype("str").str.strip()
            piece = piece.where(piece != "")
            both = joined.notna() & piece.notna()
            joined = joined.where(~both, joined + " " + piece).where(joined.notna(), piece)
        raw = joined.astype("str") if n else pd.Series(dtype="str")
    parts, bad = split_geopoint(raw)
    ctx.cells(
        "RD116",
        "geopoint is not 'latitude longitude [altitude accuracy]' with valid coordinates",
        name,
        bad,
        raw,
    )
    out = [(name, raw, ColumnInfo(**info))]
    for part in GEOPOINT_PARTS:
        col = derived_column(q.name, part, ctx.taken | ctx.reserved)
        ctx.taken.add(col)
        original = given[part][1].header if part in given else None
        part_labels = {
            lang: f"{text} ({_PART_LABELS[part].get(lang, part)})" for lang, text in labels.items()
        }
        out.append(
            (
                col,
                parts[part],
                ColumnInfo(
                    name=col,
                    kind="geopoint_part",
                    original=original,
                    question=q.name,
                    type="decimal",
                    choice=part,
                    labels=part_labels,
                ),
            )
        )
    return out


def _platform(
    ctx: _Context, name: str, values: pd.Series, header: str, native: bool
) -> tuple[pd.Series, ColumnInfo]:
    ptype = "text"
    if native and not (values.dtype == "str" or values.dtype == object):
        series = values
        ptype = "native"
    else:
        s = text_values(native_as_text(values) if native else values)
        series = s
        if name in _PLATFORM_INTEGERS:
            typed = to_integer(s)
            if not typed.bad.any():
                series, ptype = typed.values, "integer"
        elif name in _PLATFORM_DATETIMES:
            typed = to_datetime(s)
            if not typed.bad.any():
                series, ptype = typed.values, "datetime"
    col = ctx.name(name)
    return series, ColumnInfo(
        name=col, kind="platform", original=header, type=ptype, labels=PLATFORM_LABELS.get(name, {})
    )


def build_table(
    src: SourceTable,
    table: str,
    resolutions: list[Resolution],
    instrument: Instrument | None,
    log: IssueLog,
    *,
    placeholders: bool = False,
    questions: tuple[Question, ...] | None = None,
    date_order: DateOrder | None = None,
) -> BuiltTable:
    """The canonical columns of one source table (keys are added by the linking step).

    ``questions`` are the questions of ``table`` (all data questions whose nearest
    repeat is ``table``); columns resolved to other questions are treated as unknown.
    """
    n = len(src)
    frame = src.frame.reset_index(drop=True)
    ctx = _Context(table, src.rows, log, placeholders=placeholders, date_order=date_order)
    ctx.taken.update({"_key", "_parent_key", ROW})
    ctx.reserved.update(q.name for q in questions or ())
    built = BuiltTable(table=table, columns={}, infos={}, rows=src.rows, source=src)
    wanted = {id(q) for q in questions or ()}

    mains: dict[int, tuple[Resolution, pd.Series]] = {}
    choices: dict[int, list[tuple[str, pd.Series, Resolution]]] = {}
    parts: dict[int, list[tuple[str, pd.Series, Resolution]]] = {}
    leftovers: list[tuple[int, Resolution]] = []
    seen_parts: set[tuple[int, str]] = set()
    for i, res in enumerate(resolutions):
        values = frame.iloc[:, i]
        if src.native and res.kind in ("question", "choice", "geopoint_part"):
            values = native_as_text(values)
        qid = id(res.question) if res.question is not None else None
        if res.kind == "question" and qid in wanted:
            if qid in mains:
                log.add(
                    "RD104",
                    f"a second column for question {res.question.name!r} ({mains[qid][0].header!r} was used); kept under its source name",
                    table=table,
                    column=res.header,
                )  # type: ignore[union-attr]
                leftovers.append((i, Resolution("duplicate", res.header)))
            else:
                mains[qid] = (res, values)
        elif res.kind == "choice" and qid in wanted:
            taken_codes = {c for c, _, _ in choices.get(qid, [])}
            if res.choice in taken_codes:
                log.add(
                    "RD104",
                    f"a second 0/1 column for choice {res.choice!r} of {res.question.name!r}; kept under its source name",  # type: ignore[union-attr]
                    table=table,
                    column=res.header,
                )
                leftovers.append((i, Resolution("duplicate", res.header)))
            else:
                choices.setdefault(qid, []).append((res.choice, values, res))  # type: ignore[arg-type]
        elif res.kind == "geopoint_part" and qid in wanted and (qid, res.choice) not in seen_parts:
            seen_parts.add((qid, res.choice))  # type: ignore[arg-type]
            parts.setdefault(qid, []).append((res.choice, values, res))  # type: ignore[arg-type]
        elif res.kind == "key":
            built.key = text_values(native_as_text(values) if src.native else values)
        elif res.kind == "parent_key":
            built.parent_key = text_values(native_as_text(values) if src.native else values)
        else:
            leftovers.append((i, res))

    if instrument is not None:
        for q in questions or ():
            main = mains.get(id(q))
            if main is None and id(q) not in choices and id(q) not in parts:
                if src.frame.shape[1] or n:
                    log.add(
                        "RD102",
                        f"question {q.name!r} is not in the file; an empty column was added",
                        table=table,
                        column=q.name,
                    )
            for name, series, info in _question(
                ctx, instrument, q, main[0] if main else None, main[1] if main else None,
                choices.get(id(q), []), parts.get(id(q), []), n,
            ):  # fmt: skip
                built.columns[name] = series.reset_index(drop=True)
                built.infos[name] = info

    for i, res in leftovers:
        values = frame.iloc[:, i]
        meta = src.column_meta[i] if i < len(src.column_meta) else {}
        if res.kind == "platform":
            series, info = _platform(
                ctx, res.name or clean_header(res.header), values, res.header, src.native
            )
        else:
            header = clean_header(res.header)
            if not header:
                header = f"column_{i + 1}"
                log.add(
                    "RD103",
                    f"column {i + 1} has no header; named {header!r}",
                    table=table,
                    column=header,
                )
            col = header
            if col.lower() in {t.lower() for t in ctx.taken}:
                k = 2
                while f"{header}~{k}".lower() in {t.lower() for t in ctx.taken}:
                    k += 1
                col = f"{header}~{k}"
                if res.kind not in ("extra", "duplicate") and header != "_extra":
                    log.add(
                        "RD103",
                        f"header {header!r} appears more than once; this column is named {col!r}",
                        table=table,
                        column=col,
                    )
            ctx.taken.add(col)
            kind = (
                "extra"
                if header == "_extra"
                else ("unknown" if instrument is not None else "source")
            )
            if src.native and not (values.dtype == "str" or values.dtype == object):
                series = values
                stype = "native"
            elif src.native:
                series, stype = values, "native"
            else:
                series, stype = _text(ctx, values, col), "text"
            if kind == "unknown" and res.kind != "duplicate":
                where = f" (a question of table {res.table!r})" if res.question is not None else ""
                log.add(
                    "RD101",
                    f"column {res.header!r} is not a question of this table of the form{where}; kept",
                    table=table,
                    column=col,
                )
            labels = {"default": meta["label"]} if meta.get("label") else {}
            vlabels = {k: {"default": v} for k, v in (meta.get("value_labels") or {}).items()}
            info = ColumnInfo(
                name=col,
                kind=kind,
                original=res.header,
                type=stype,
                labels=labels,
                value_labels=vlabels,
                user_missing=tuple(meta.get("user_missing") or ()),
            )
        built.columns[info.name] = series.reset_index(drop=True)
        built.infos[info.name] = info
    return built
