"""``validate``: every check on one instrument's data, into one tidy issues table.

Examples
--------
>>> from analysis.readers import RawData, RawMetadata
>>> from analysis.instrument.model import Instrument, Question
>>> form = Instrument(None, "hh", "HH", None, None, ("default",), (
...     Question("hh_id", "text", role="id"),
...     Question("age", "integer", constraint=". >= 16 and . <= 110"),
... ), (), {})
>>> frame = pd.DataFrame({"_key": ["u1", "u2", "u3"], "_source_row": [2, 3, 4],
...                       "hh_id": ["A", "B", "B"], "age": [45, 160, 38]})
>>> result = validate(RawData(frame, {}, RawMetadata(format="csv")), form, name="household", lang="en")
>>> result.issues[["key", "source_row", "variable", "check", "severity", "value"]].values.tolist()
[['B', 3, 'age', 'constraint', 'error', '160'], ['B', 3, 'hh_id', 'duplicate', 'error', 'B'], ['B', 4, 'hh_id', 'duplicate', 'error', 'B']]
>>> result.ok
False
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ValidationError
from ..expressions import EvaluationContext
from ..expressions.errors import BadExpression
from ..instrument.model import METADATA_TYPES, Instrument
from ..readers.issues import ISSUE_CODES as READER_CODES
from ..readers.rawdata import KEY, MAIN, RawData
from ..readers.records import Records
from ..study import instrument_name
from .choices import check_choices, repeated_codes
from .consistency import check_links, check_panel
from .duplicates import DUPLICATE_CODES, check_duplicates, compared_questions, text_hashes
from .duration import check_duration, interview_minutes
from .enumerators import ENUMERATOR_COLUMNS, check_enumerators, enumerator_summary
from .form_rules import block_tasks, engine_data, rule_failure, rules_from_hits
from .issues import (
    CATEGORY_COLUMNS,
    ISSUE_CODES,
    ISSUE_COLUMNS,
    Found,
    distinct_category,
    empty_issues,
    filled_text,
    say,
    text_of,
)
from .missing_codes import check_missing_codes
from .outliers import check_outliers
from .pii import check_pii
from .settings import CHECKS, ValidateSettings
from .tasks import Checked, CheckTask, compact, guarded, in_worker
from .value_types import READER_CHECKS, check_types, reader_issues
from .workers import run_tasks

__all__ = ["CONFIRMED_COLUMNS", "Setup", "ValidationResult", "finish", "prepare", "validate"]

#: Columns of a confirmations table (``CorrectionResult.confirmed``).
CONFIRMED_COLUMNS = ("instrument", "table", "key", "record", "variable", "value")

_TYPE_CODES = frozenset(
    {"VAL101", "VAL102", "VAL103", "VAL104", "RD110", "RD111", "RD112", "RD113"}
)
_RULE_CHECKS = ("constraint", "required", "relevance", "calculation", "structure")
_NOT_ANSWERS = METADATA_TYPES | {"calculate", "note", "acknowledge"}
#: Check family of every issue code (reader codes not listed belong to "read").
_FAMILY = {**{c.code: c.check for c in ISSUE_CODES.values()}, **READER_CHECKS}


@dataclass(frozen=True)
class ValidationResult:
    """What :func:`validate` found.

    Attributes
    ----------
    instrument : str
        The study's name of the instrument (``"*"`` for a combined result).
    issues : DataFrame
        One row per issue, columns :data:`~analysis.validate.issues.ISSUE_COLUMNS`.
    enumerators : DataFrame
        One row per enumerator, columns :data:`~analysis.validate.enumerators.ENUMERATOR_COLUMNS`.
    counts : Mapping[str, int]
        Records per table.
    timings : DataFrame
        Seconds and issues per check (``check, seconds, issues``); not written to reports.
    language : str
        Language of the messages.
    """

    instrument: str
    issues: pd.DataFrame
    enumerators: pd.DataFrame
    counts: Mapping[str, int] = field(default_factory=dict)
    timings: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["check", "seconds", "issues"])
    )
    language: str = "zh"

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", MappingProxyType(dict(self.counts)))

    @property
    def errors(self) -> pd.DataFrame:
        """Issues of severity error that no confirmation vouches for."""
        return self.issues[(self.issues["severity"] == "error") & ~self.issues["confirmed"]]

    @property
    def ok(self) -> bool:
        """True when there is no unconfirmed error."""
        return self.errors.empty

    def summary(self) -> pd.DataFrame:
        """Issues and records concerned per instrument, check, code and severity."""
        cols = ["instrument", "check", "code", "severity", "title", "issues", "records"]
        if self.issues.empty:
            return pd.DataFrame({c: [] for c in cols})
        grouped = self.issues.groupby(["instrument", "check", "code", "severity"], sort=False)
        out = grouped.agg(
            issues=("code", "size"), records=("record", lambda s: s[s != ""].nunique())
        ).reset_index()
        titles = {code: title for code, (_, title) in READER_CODES.items()}
        titles.update(
            {c.code: (c.en if self.language == "en" else c.zh) for c in ISSUE_CODES.values()}
        )
        out["title"] = out["code"].map(titles).fillna("")
        order = {c: i for i, c in enumerate(CHECKS)}
        out["_o"] = out["check"].map(order).fillna(len(order))
        out["_c"] = out["code"].astype("str")  # codes in text order, as in the issues table
        out = out.sort_values(["instrument", "_o", "_c"], kind="stable")
        out = out.drop(columns=["_o", "_c"])
        return out[cols].reset_index(drop=True)

    def by_check(self) -> dict[str, pd.DataFrame]:
        """``{check: its issues}`` in report order (checks without issues left out)."""
        out = {}
        for check in CHECKS:
            part = self.issues[self.issues["check"] == check]
            if len(part):
                out[check] = part.reset_index(drop=True)
        return out

    def confirm(self, confirmations: pd.DataFrame | None) -> ValidationResult:
        """Issues vouched for by ``confirm`` corrections downgraded to info (``confirmed``)."""
        return replace(self, issues=apply_confirmations(self.issues, confirmations, self.language))

    @staticmethod
    def combine(results: Iterable[ValidationResult]) -> ValidationResult:
        """Several instruments' results as one (issues and enumerators stacked)."""
        results = list(results)
        if not results:
            return ValidationResult(
                "*", empty_issues(), pd.DataFrame({c: [] for c in ENUMERATOR_COLUMNS})
            )
        counts = {f"{r.instrument}.{t}": n for r in results for t, n in r.counts.items()}
        return ValidationResult(
            "*" if len(results) > 1 else results[0].instrument,
            pd.concat([r.issues for r in results], ignore_index=True),
            pd.concat([r.enumerators for r in results], ignore_index=True),
            counts,
            pd.concat(
                [r.timings.assign(instrument=r.instrument) for r in results], ignore_index=True
            ),
            results[0].language,
        )


def _settings(settings: Any, study: Any) -> ValidateSettings:
    if settings is None:
        return ValidateSettings.from_study(study)
    if isinstance(settings, ValidateSettings):
        return settings
    if isinstance(settings, Mapping):
        return ValidateSettings.from_mapping(settings)
    raise ValidationError(
        "VAL004",
        "settings must be a ValidateSettings, a dict like study.toml's [validate], or None",
        found=type(settings).__name__,
        hint="Pass ValidateSettings.from_mapping({...}) or leave settings out to use study.toml.",
    )


def _check_arguments(data: Any, instrument: Any, others: Any, previous: Any) -> None:
    if not isinstance(data, RawData):
        raise ValidationError(
            "VAL001",
            "validate() needs the RawData a reader returns",
            expected="analysis.readers.RawData",
            found=type(data).__name__,
            hint="Read the export with analysis.read_raw(path, instrument) and pass what it returns.",
        )
    if not isinstance(instrument, Instrument):
        raise ValidationError(
            "VAL002",
            "validate() needs the instrument the data was collected with",
            expected="analysis.Instrument (from load_instrument)",
            found=type(instrument).__name__,
            hint="Load the XLSForm with analysis.load_instrument(path).",
        )
    if others is not None:
        if not isinstance(others, Mapping) or not all(
            isinstance(v, RawData) for v in others.values()
        ):
            raise ValidationError(
                "VAL006",
                "others must map instrument names to RawData",
                expected="{'village': RawData, ...}",
                found=type(others).__name__,
                hint="Pass the other instruments of the wave as read by read_raw, keyed by their study names.",
            )
    if previous is not None and not isinstance(previous, RawData):
        raise ValidationError(
            "VAL006",
            "previous must be the RawData of the same instrument in the previous wave",
            expected="analysis.readers.RawData",
            found=type(previous).__name__,
            hint="Read the previous wave's export with read_raw and pass it as previous=.",
        )


def _absent(records: Records, lang: str) -> tuple[Found, set[tuple[str, str]]]:
    """Questions of the form without a column (or only the reader's empty stand-in)."""
    logged: set[tuple[str, str]] = set()
    issues = records.data.issues
    if issues is not None and len(issues):
        rd102 = issues[issues["code"] == "RD102"]
        logged = {
            (str(t or MAIN), str(c)) for t, c in zip(rd102["table"], rd102["column"], strict=True)
        }
    parts = []
    absent: set[tuple[str, str]] = set()
    for table in records.tables.values():
        for q in table.questions:
            column = table.columns.get(q.name)
            if (table.name, column or q.name) in logged:
                absent.add((table.name, q.name))
                continue
            if (
                column is not None
                or q.type in METADATA_TYPES
                or q.name in ("instanceID", "instanceName")
            ):
                continue
            absent.add((table.name, q.name))
            severity = "info" if q.type == "calculate" else None
            message = say(
                lang,
                f"问卷中的 {q.name} 在数据中没有对应的列",
                f"question {q.name} of the form has no column in the data",
            )
            parts.append(
                Found.table_level(
                    table.name, q.name, "VAL125", "", message, q.type, severity=severity
                )
            )
    return Found.concat(parts), absent


def _empty_records(
    records: Records, cfg: ValidateSettings, lang: str
) -> tuple[Found, set[tuple[str, int]]]:
    """Rows without a single answer (e.g. the blank last row of an Excel-saved CSV)."""
    parts = []
    empty: set[tuple[str, int]] = set()
    for table in records.tables.values():
        if not len(table):
            continue
        if table.name == MAIN:
            names = compared_questions(records, cfg.near_duplicates)
        else:
            names = [
                q.name
                for q in table.questions
                if q.type not in _NOT_ANSWERS and q.name in table.columns
            ]
        if not names:
            continue
        pos = np.flatnonzero(table.answered(names) == 0)
        if not len(pos):
            continue
        empty.update((table.name, int(p)) for p in pos)
        message = say(
            lang,
            "这条记录没有任何答案（空行？），其他检查不再列出它",
            "this record has no answers at all (a blank row?); other checks do not list it",
        )
        parts.append(
            Found.of(table.name, pos, "", "VAL128", [""] * len(pos), message, "at least one answer")
        )
    return Found.concat(parts), empty


def _settings_variables(records: Records, settings: ValidateSettings, lang: str) -> Found:
    parts = []
    for key in settings.variables:
        if "." in key:
            inst, var = key.split(".", 1)
            if inst == records.name and var not in records.instrument:
                message = say(
                    lang,
                    f'设置 [validate.variables."{key}"] 中的变量 {var} 不在问卷 {inst} 中',
                    f'setting [validate.variables."{key}"]: {inst} has no question {var}',
                )
                parts.append(
                    Found.table_level(MAIN, var, "VAL199", key, message, "validate.variables")
                )
    return Found.concat(parts)


def _ranks(values: pd.Series, order: Mapping[str, int]) -> np.ndarray:
    """The rank of each value in ``order`` (values not in it last), via its distinct values."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values)
    # the smallest integers that hold the ranks: millions of findings, a few bytes each
    dtype = np.min_scalar_type(len(order))
    ranks = np.array([order.get(u, len(order)) for u in uniques], dtype=dtype)
    return ranks[codes] if len(uniques) else np.zeros(len(values), dtype=dtype)


def _families(codes: pd.Series) -> pd.Series:
    """The check family of each issue code (a category column in, a category column out)."""
    families = [_FAMILY.get(str(c), "read") for c in codes.cat.categories]
    distinct = sorted(set(families))
    index = np.array([distinct.index(f) for f in families], dtype=np.int32)
    at = codes.cat.codes.to_numpy()
    out = np.where(at >= 0, index[np.maximum(at, 0)] if len(index) else -1, -1)
    return pd.Series(
        pd.Categorical.from_codes(out.astype(np.int32), categories=pd.Index(distinct, dtype="str"))
    )


def _coded(series: pd.Series) -> tuple[np.ndarray, Any]:
    """``(codes, distinct values)`` of a text column as :func:`_text` would give it.

    A category column keeps its categories (the dtype is returned in place of the
    distinct values); any other column is coded via its distinct values as text.
    """
    series = filled_text(series)
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(), series.dtype
    codes, uniques = pd.factorize(series)
    return codes, pd.Index(uniques, dtype="str")


def _override(
    frame: pd.DataFrame, name: str, order: np.ndarray, where: np.ndarray | None = None
) -> pd.Categorical | None:
    """Column ``name`` of the findings in sorted order, as a category (None: absent)."""
    if name not in frame.columns:
        return None
    column = frame[name]
    if not isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype("str").astype("category")
    out = column.array.take(order)
    if where is not None:
        out = pd.Categorical.from_codes(np.where(where, out.codes, -1), dtype=out.dtype)
    return out


def _distinct_rows(positions: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(positions, return_inverse=True)`` for positions in ``range(size)``,
    without sorting (a mark per row of the table)."""
    marked = np.zeros(size, dtype=bool)
    marked[positions] = True
    rank = np.cumsum(marked) - 1
    return np.flatnonzero(marked), rank[positions]


def _record_texts(
    segments: Sequence[tuple[int, int, Any]],
    positions: np.ndarray,
    texts_of: Callable[[Any, np.ndarray | None], pa.Array],
    override: pd.Categorical | None,
) -> pd.Categorical:
    """A text of each finding's record (``''`` for none), as a category.

    ``segments``: ``(start, stop, table)`` of the sorted findings of each table;
    ``texts_of(table, rows)`` gives the texts of some rows of a table (``rows`` None:
    of every row, in order, so the texts are not copied). Only the
    distinct rows concerned are taken, and made distinct in pyarrow, so millions of findings about
    fewer records make neither a text each nor a Python object each. ``override`` (a
    category, missing where not given) wins.
    """
    n = len(positions)
    # codes up to 1 + findings + override texts
    codes = np.full(n, -1, dtype=np.int32 if 2 * n + 1 < 2**31 else np.int64)
    sources: list[pa.Array] = [pa.array([""], pa.large_string())]
    offset = 1  # code 0: no record
    # the findings of each table (a table has a segment per check family), so that
    # each row's text is taken once
    of_table: dict[int, tuple[Any, list[np.ndarray]]] = {}
    for a, b, table in segments:
        if table is not None and len(table):
            at = a + np.flatnonzero(positions[a:b] >= 0)
            if len(at):
                of_table.setdefault(id(table), (table, []))[1].append(at)
    for table, parts in of_table.values():
        at = np.concatenate(parts) if len(parts) > 1 else parts[0]
        rows, inverse = _distinct_rows(positions[at], len(table))
        sources.append(texts_of(table, None if len(rows) == len(table) else rows))
        codes[at] = offset + inverse
        offset += len(rows)
    del of_table
    if override is not None:
        has = np.flatnonzero(override.codes >= 0)
        if len(has):
            sources.append(text_of(override.categories))
            codes[has] = offset + override.codes[has].astype(codes.dtype)
    blank = codes < 0
    if _all_distinct(sources):
        # one text per record concerned (the usual case): the texts are the categories as
        # they are, in order, without the hash table of a dictionary encoding
        if blank.any():
            codes[blank] = 0
        else:  # no finding without a record: no "" category
            codes -= 1
            sources = sources[1:]
        categories = pd.Index(pa.chunked_array(sources, pa.large_string()).to_pandas(), dtype="str")
        del sources
        return distinct_category(codes, categories)
    codes[blank] = 0
    del blank
    # one dictionary over all pieces (pyarrow's hash kernels share it across chunks)
    encoded = pc.dictionary_encode(pa.chunked_array(sources))
    del sources
    distinct = np.concatenate(
        [c.indices.to_numpy(zero_copy_only=False) for c in encoded.chunks]
    ).astype(np.int32)
    categories = pd.Index(encoded.chunk(0).dictionary.to_pandas(), dtype="str")
    del encoded
    final = distinct[codes]
    blank = int(distinct[0])
    if not (final == blank).any():  # "" only where a finding has no record
        categories = categories.delete(blank)
        final[final > blank] -= 1
    return distinct_category(final, categories)  # distinct: a dictionary encoding's


def _reader_keys(table: Any, rows: np.ndarray | None) -> pa.Array:
    """The reader keys of some rows of a table (``None``: every row)."""
    texts = text_of(table.record)
    return texts if rows is None else texts.take(pa.array(rows))


def _study_keys(table: Any, rows: np.ndarray | None) -> pa.Array:
    """The study keys of some rows of a table (``None``: every row)."""
    return text_of(table.key if rows is None else table.key_at(rows))


def _all_distinct(pieces: Sequence[pa.Array]) -> bool:
    """Whether the texts of ``pieces`` all differ: by their 64-bit hashes, so a hash
    shared (by equal texts or, very rarely, different ones) says no.

    >>> _all_distinct([pa.array(["", "a"], pa.large_string()), pa.array(["b"], pa.large_string())])
    True
    >>> _all_distinct([pa.array(["a"], pa.large_string()), pa.array(["a"], pa.large_string())])
    False
    """
    hashes = np.concatenate([text_hashes(p) for p in pieces])
    hashes.sort()
    return not bool((hashes[1:] == hashes[:-1]).any())


def _sort_order(*keys: np.ndarray) -> np.ndarray:
    """The stable order of rows by ``keys`` (most significant first, each >= 0).

    One sort of the keys combined into one integer where they fit in 62 bits (one
    sort, not one per key as ``np.lexsort``).

    >>> _sort_order(np.array([1, 0, 1, 0]), np.array([0, 5, 0, 2])).tolist()
    [3, 1, 0, 2]
    """
    sizes = [int(k.max(initial=0)) + 1 for k in keys]
    if math.prod(sizes) >= 2**62:
        return np.lexsort(keys[::-1])
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    for key, size in zip(keys, sizes, strict=True):
        combined *= size
        combined += key
    return np.argsort(combined, kind="stable")


def assemble(
    found: Found,
    records: Records,
    record_of: Callable[[Any, np.ndarray | None], pa.Array] | None = None,
) -> pd.DataFrame:
    """Findings with their records filled in, sorted, in the columns of ISSUE_COLUMNS.

    Order: check family, table (main first), question in form order, code, source row
    (issues of a whole table or variable last). Each text column is reordered once.
    ``record_of(table, rows)``: the reader keys of some rows of a table (default: the
    table's own).
    """
    frame = found.frame
    if frame.empty:
        return empty_issues()
    n = len(frame)
    # the long text columns as codes into their distinct values until the end (a text
    # column of millions of rows is not held twice while the others are built)
    coded = {name: _coded(frame.pop(name)) for name in ("value", "message")}
    pa.default_memory_pool().release_unused()
    tables = filled_text(frame["table"])
    # popped: the frame does not hold it once the findings are in order
    positions = frame.pop("position").to_numpy(dtype=np.int64)
    table_order = {t: i for i, t in enumerate(records.tables)}
    table_rank = _ranks(tables, table_order)
    rows = np.full(n, -1, dtype=np.int64)
    for name, rank in table_order.items():
        table = records.tables[name]
        sel = np.flatnonzero((table_rank == rank) & (positions >= 0))
        if len(sel) and len(table):
            rows[sel] = table.source_row[positions[sel]]
    if "reader_row" in frame.columns:
        given = frame["reader_row"].notna().to_numpy() & (positions < 0)
        if given.any():
            reader_rows = (
                pd.to_numeric(frame["reader_row"][given].astype(object), errors="coerce")
                .fillna(-1)
                .to_numpy(dtype=np.int64)
            )
            rows[np.flatnonzero(given)] = reader_rows
    codes = filled_text(frame["code"])
    if not isinstance(codes.dtype, pd.CategoricalDtype):
        codes = codes.astype("category")
    check = _families(codes)
    variable = filled_text(frame["variable"])
    var_rank = {q.name: i for i, q in enumerate(records.instrument.questions)}
    order = _sort_order(
        _ranks(check, {c: i for i, c in enumerate(CHECKS)}),
        table_rank,
        _ranks(variable, var_rank),
        _ranks(codes, {c: i for i, c in enumerate(sorted(set(map(str, codes.unique()))))}),
        np.where(rows >= 0, rows, rows.max(initial=0) + 1),
    )
    sorted_ranks = table_rank[order]
    names = list(table_order)
    sorted_pos = positions[order]
    sorted_rows = rows[order]
    del positions, rows, table_rank
    main_enumerators = records.main.enumerator
    categories = [*map(str, main_enumerators.cat.categories)]
    if "" not in categories:
        categories.append("")
    blank = categories.index("")
    enumerator_codes = np.full(n, blank, dtype=np.int32)
    bounds = np.flatnonzero(np.r_[True, sorted_ranks[1:] != sorted_ranks[:-1], True])
    for a, b in pairwise(bounds):
        rank = sorted_ranks[a]
        table = records.tables[names[rank]] if rank < len(names) else None
        if table is not None and len(table):
            pos = sorted_pos[a:b]
            codes_here = table.enumerator.cat.codes.to_numpy()[np.maximum(pos, 0)]
            enumerator_codes[a:b] = np.where((pos >= 0) & (codes_here >= 0), codes_here, blank)
    segments = [
        (a, b, records.tables[names[sorted_ranks[a]]] if sorted_ranks[a] < len(names) else None)
        for a, b in pairwise(bounds)
    ]
    record = _record_texts(
        segments,
        sorted_pos,
        record_of or _reader_keys,
        _override(frame, "reader_record", order, sorted_pos < 0),
    )
    key = _record_texts(
        segments,
        sorted_pos,
        _study_keys,
        _override(frame, "key", order),
    )
    del sorted_pos
    override = frame["enumerator"].take(order).reset_index(drop=True)
    has = np.flatnonzero(override.notna().to_numpy())
    for i, value in zip(has, override.iloc[has].astype("str"), strict=True):
        if value not in categories:
            categories.append(value)
        enumerator_codes[i] = categories.index(value)
    enumerator = pd.Series(
        pd.Categorical.from_codes(enumerator_codes, categories=pd.Index(categories, dtype="str"))
    )
    source_row = pd.array(np.where(sorted_rows >= 0, sorted_rows, 0), dtype="Int64")
    source_row[sorted_rows < 0] = pd.NA
    columns = {
        "instrument": pd.Series(
            pd.Categorical.from_codes(
                np.zeros(n, dtype=np.int8), categories=pd.Index([records.name], dtype="str")
            )
        ),
        "table": tables.take(order).reset_index(drop=True),
        "key": pd.Series(key),
        "record": pd.Series(record),
        "source_row": source_row,
        "enumerator": enumerator,
        "variable": variable.take(order).reset_index(drop=True),
        "check": check.take(order).reset_index(drop=True),
        "code": codes.take(order).reset_index(drop=True),
        "severity": filled_text(frame["severity"]).take(order).reset_index(drop=True),
        "rule": filled_text(frame.pop("rule")).take(order).reset_index(drop=True),
        "confirmed": np.zeros(n, dtype=bool),
    }
    for name in CATEGORY_COLUMNS:
        columns[name] = columns[name].astype("category")
    # the long text columns last, each source column freed as soon as it is reordered
    for name in ("value", "message"):
        codes_of, uniques = coded.pop(name)
        # few distinct texts: a category, not millions of texts
        dtype = uniques if isinstance(uniques, pd.CategoricalDtype) else None
        categories = None if dtype is not None else uniques
        columns[name] = pd.Series(
            pd.Categorical.from_codes(codes_of[order], categories=categories, dtype=dtype)
        )
        del codes_of, uniques
        pa.default_memory_pool().release_unused()
    return pd.DataFrame({c: columns[c] for c in ISSUE_COLUMNS}, copy=False)


def apply_confirmations(
    issues: pd.DataFrame, confirmations: pd.DataFrame | None, lang: str
) -> pd.DataFrame:
    """Mark issues vouched for by ``confirm`` corrections (severity info, ``confirmed``).

    A confirmation names an instrument, a record (``record`` or ``key``) and a variable;
    variable ``_record`` vouches for every issue of the record.
    """
    if confirmations is None or confirmations.empty or issues.empty:
        return issues
    conf = confirmations.copy()
    for col in CONFIRMED_COLUMNS:
        if col not in conf.columns:
            conf[col] = ""
    conf = conf.fillna("").astype(str)
    hit = np.zeros(len(issues), dtype=bool)
    for (inst, var), group in conf.groupby(["instrument", "variable"], sort=False):
        mask = (issues["instrument"].astype("str") == inst).to_numpy().copy()
        if var != "_record":
            mask &= (issues["variable"].astype("str") == var).to_numpy()
        records = set(group["record"]) - {""}
        keys = set(group["key"]) - {""}
        mask &= (issues["record"].isin(records) | issues["key"].isin(keys)).to_numpy()
        hit |= mask
    if not hit.any():
        return issues
    out = issues.copy()
    out["confirmed"] = out["confirmed"].to_numpy() | hit
    severity = out["severity"].astype("str").where(~hit, "info")
    out["severity"] = (
        severity.astype("category")
        if isinstance(issues["severity"].dtype, pd.CategoricalDtype)
        else severity
    )
    message = out["message"].astype("str")
    out["message"] = message.where(~hit, message + say(lang, "（已核实）", " (confirmed)"))
    return out


@dataclass
class _Results:
    """What the independent checks returned, joined (see :func:`_run_checks`)."""

    found: list[tuple[str, Found, float]] = field(default_factory=list)
    blocks: list[Any] | None = None  # the blocks' hits when the form rules ran
    hits: list[Any] = field(default_factory=list)
    block_seconds: float = 0.0
    failure: BadExpression | None = None
    empty: set[tuple[str, int]] = field(default_factory=set)
    minutes: pd.Series | None = None
    missing: pd.DataFrame | None = None

    def add(self, task: CheckTask, checked: Checked, seconds: float, lang: str) -> None:
        """Join what one task returned."""
        if task.alike:  # a block of the form rules: its hits are joined after all blocks
            if checked.failure is not None:
                self.failure = self.failure or checked.failure
            else:
                self.hits.append(checked.hits)
            self.block_seconds += seconds
            return
        if checked.failure is not None:  # duration.when is checked inside; other rules too
            self.found.append((task.check, rule_failure(checked.failure, lang), seconds))
            return
        found = checked.found if checked.found is not None else Found.none()
        if checked.empty_found is not None:
            found = Found.concat([found, checked.empty_found])
        self.found.append((task.check, found, seconds))
        if checked.enumerators is not None:
            self.found.append(("enumerator", checked.enumerators, 0.0))
        if checked.empty_rows is not None:
            self.empty = checked.empty_rows
        if checked.minutes is not None:
            self.minutes = checked.minutes
        if checked.missing is not None:
            self.missing = checked.missing


def _check_tasks(
    records: Records,
    engine: Any,
    cfg: ValidateSettings,
    context: EvaluationContext,
    lang: str,
    study: Any,
    others: Any,
    previous: Any,
) -> list[CheckTask]:
    """The checks that only read the data, as tasks for the workers."""

    def empty_records(check: str, found: Callable[[], Found]) -> CheckTask:
        def run() -> Checked:
            first = found()
            empty_found, empty_rows = _empty_records(records, cfg, lang)
            return Checked(first, empty_found=empty_found, empty_rows=empty_rows)

        return CheckTask(check, run)

    def of(check: str, run: Callable[[], Found]) -> CheckTask:
        return CheckTask(check, lambda: Checked(run()))

    def missing_codes() -> Checked:
        found, missing = check_missing_codes(records, cfg, lang)
        return Checked(found, missing=missing)

    def timing() -> Checked:
        if cfg.runs("duration"):
            found, minutes = check_duration(records, cfg, lang, form_data=engine, context=context)
        else:
            found, minutes = Found.none(), interview_minutes(records)
        flags = (
            check_enumerators(records, minutes, cfg, lang)
            if cfg.runs("enumerator")
            else Found.none()
        )
        return Checked(found, minutes=minutes, enumerators=flags)

    def block(run: Callable[[], Any]) -> CheckTask:
        return CheckTask("form_rules", guarded(lambda: Checked(hits=run())), alike=True)

    tasks: list[CheckTask] = []
    if cfg.runs("duplicate") or cfg.runs("near_duplicate"):
        near = cfg.runs("near_duplicate")
        tasks.append(
            empty_records(
                "duplicate",
                lambda: check_duplicates(records, lang, cfg.near_duplicates, near=near),
            )
        )
    else:
        tasks.append(empty_records("empty", Found.none))
    if any(cfg.runs(c) for c in (*_RULE_CHECKS, "choice")):
        tasks += [block(t) for t in block_tasks(records, engine, context, cfg.chunk_size)]
    if cfg.runs("choice"):
        tasks.append(of("choice", lambda: repeated_codes(records, lang)))
    if cfg.runs("read"):
        tasks.append(of("read", lambda: reader_issues(records)))
    if cfg.runs("type"):
        tasks.append(of("type", lambda: check_types(records, lang)))
    if cfg.runs("outlier"):
        tasks.append(of("outlier", lambda: check_outliers(records, cfg, lang)))
    if cfg.runs("missing_code"):
        tasks.append(CheckTask("missing_code", missing_codes))
    tasks.append(CheckTask("duration", guarded(timing)))
    if cfg.runs("consistency"):
        tasks.append(of("consistency", lambda: check_links(records, study, others, cfg, lang)))
    if cfg.runs("panel"):
        tasks.append(of("panel", lambda: check_panel(records, previous, cfg, lang)))
    if cfg.runs("pii"):
        tasks.append(of("pii", lambda: check_pii(records, cfg.pii, lang)))
    if cfg.runs("settings"):
        tasks.append(of("settings", lambda: _settings_variables(records, cfg, lang)))
    return tasks


def _run_checks(
    records: Records,
    engine: Any,
    cfg: ValidateSettings,
    context: EvaluationContext,
    lang: str,
    study: Any,
    others: Any,
    previous: Any,
) -> _Results:
    """Run every check that only reads the data, side by side in worker processes."""
    tasks = _check_tasks(records, engine, cfg, context, lang, study, others, previous)
    done = run_tasks(
        [in_worker(t, records) for t in tasks],
        cfg.workers(len(records.main)),
        # the whole-table checks first, the many short blocks last: the workers then
        # finish together instead of one waiting while the other ends a long check
        order=sorted(range(len(tasks)), key=lambda i: tasks[i].alike),
    )
    out = _Results()
    for task, (checked, seconds) in zip(tasks, done, strict=True):
        out.add(task, checked, seconds, lang)
    rules = any(cfg.runs(c) for c in (*_RULE_CHECKS, "choice"))
    if out.failure is None and rules:
        out.blocks = out.hits
    if out.minutes is None:
        out.minutes = interview_minutes(records)
    return out


def validate(
    data: RawData,
    instrument: Instrument,
    *,
    study: Any = None,
    others: dict[str, RawData] | None = None,
    previous: RawData | None = None,
    settings: ValidateSettings | Mapping[str, Any] | None = None,
    name: str | None = None,
    confirmed: pd.DataFrame | None = None,
    lang: str | None = None,
) -> ValidationResult:
    """Run every check on one instrument's data; see the package docstring for the list.

    Parameters
    ----------
    data : RawData
        What :func:`analysis.read_raw` returned (possibly corrected).
    instrument : Instrument
        The form the data was collected with.
    study : Study, optional
        Gives the instrument's study name, its key, its parent (for consistency checks)
        and the ``[validate]`` settings.
    others : dict of str to RawData, optional
        The other instruments of the wave, by study name (a household's village data).
    previous : RawData, optional
        The same instrument in the previous wave (panel checks).
    settings : ValidateSettings or dict, optional
        Overrides study.toml's ``[validate]``.
    name : str, optional
        The instrument's study name (default: found from the study, else the form file).
    confirmed : DataFrame, optional
        Confirmations from :func:`analysis.corrections.apply_corrections`.
    lang : str, optional
        ``zh`` or ``en`` messages (default: the settings' language).

    Raises
    ------
    ValidationError
        ``VAL001``/``VAL002``/``VAL006`` for arguments of the wrong kind, ``VAL003``-``VAL005``
        for bad settings. Everything found in the data is an issue, never an exception.
    """
    _check_arguments(data, instrument, others, previous)
    setup = prepare(instrument, study, settings, name, lang)
    cfg, lang, name = setup.settings, setup.lang, setup.name
    records = setup.records(data)
    context = EvaluationContext(timezone=cfg.timezone, language=lang)
    timings: list[tuple[str, float, int]] = []
    parts: list[Found] = []
    if KEY not in data.data.columns:
        parts.append(
            Found.table_level(
                MAIN, "_key", "VAL127", "", "no _key column: records are keyed by their row number"
            )
        )
    if not len(records.main):
        parts.append(
            Found.table_level(
                MAIN, "", "VAL100", "0", say(lang, "数据没有任何记录", "the data has no records")
            )
        )
    absent, absent_set = _absent(records, lang)
    parts.append(absent)
    engine = engine_data(records)
    _identify(records)
    results = _run_checks(records, engine, cfg, context, lang, study, others, previous)
    parts.extend(f for name, f, _ in results.found)
    timings.extend((name, seconds, len(f)) for name, f, seconds in results.found)
    if results.blocks is not None:
        start = time.perf_counter()
        found, engine_cells = rules_from_hits(records, results.blocks, lang)
        parts.append(found)
        timings.append(
            ("form_rules", results.block_seconds + time.perf_counter() - start, len(found))
        )
    else:
        engine_cells = None
        if results.failure is not None:  # repeat rows without parent are still reported
            parts.append(rules_from_hits(records, [], lang)[0])
            parts.append(rule_failure(results.failure, lang))
    if cfg.runs("choice"):
        start = time.perf_counter()
        found = check_choices(records, lang, engine_cells, repeated=False)
        parts.append(found)
        timings.append(("choice", time.perf_counter() - start, len(found)))
    empty_set, minutes, missing = results.empty, results.minutes, results.missing
    del results, engine  # the engine's columns are not needed any more
    return finish(
        parts,
        records,
        cfg,
        lang,
        absent=absent_set,
        empty=empty_set,
        minutes=minutes,
        missing=missing,
        confirmed=confirmed,
        timings=timings,
        counts=data.counts(),
    )


@dataclass(frozen=True)
class Setup:
    """The settings, language and name of one validation, checked (:func:`prepare`)."""

    instrument: Instrument
    settings: ValidateSettings
    lang: str
    name: str
    key: str | None

    def records(self, data: RawData) -> Records:
        """``data`` seen through the instrument with these settings."""
        cfg = self.settings
        return Records(
            data,
            self.instrument,
            self.name,
            key=self.key,
            enumerator=cfg.enumerator or None,
            day=cfg.day or None,
        )


def prepare(
    instrument: Instrument, study: Any, settings: Any, name: str | None, lang: str | None
) -> Setup:
    """The settings (``VAL004``/``VAL005`` when wrong), language and name of a validation."""
    cfg = _settings(settings, study)
    lang = lang or cfg.language
    if lang not in ("zh", "en"):
        raise ValidationError(
            "VAL004",
            f"unknown message language {lang!r}",
            expected="zh or en",
            found=lang,
            hint="Pass lang='zh' or lang='en'.",
        )
    name = instrument_name(instrument, study, name)
    key = None
    if study is not None and name in study.instrument_names:
        key = study.instrument(name).key
    return Setup(instrument, cfg, lang, name, key)


def finish(
    parts: list[Found],
    records: Records,
    cfg: ValidateSettings,
    lang: str,
    *,
    absent: set[tuple[str, str]],
    empty: set[tuple[str, int]],
    minutes: pd.Series | None,
    missing: pd.DataFrame | None,
    confirmed: pd.DataFrame | None,
    timings: list[tuple[str, float, int]],
    counts: Mapping[str, int],
    record_of: Callable[[Any, np.ndarray | None], pa.Array] | None = None,
) -> ValidationResult:
    """Every check's findings as the result: overlaps dropped, records filled in, sorted.

    ``records`` tells who each position is (it may hold only the keys and the columns
    the enumerator summary reads; ``record_of`` then gives the reader keys, see
    :func:`assemble`).
    """
    start = time.perf_counter()
    # Overlaps are dropped from each part before they are joined (the same rows as
    # dropping them from the joined frame, without holding the joined frame twice).
    typed = _typed_cells(parts)
    skipped = {c for c in CHECKS if not cfg.runs(c)}
    for i, part in enumerate(parts):
        kept = part.frame
        if len(kept):
            kept = _drop_overlaps(kept, absent, empty, typed=typed)
        if skipped and len(kept):
            fam = kept["code"].astype("str").map(_FAMILY).fillna("read")
            kept = kept[~fam.isin(skipped).to_numpy()]
        parts[i] = compact(Found(kept))  # category texts: joined without a copy as text
    frame = Found.concat(parts).frame
    parts.clear()  # the findings now live in one frame only
    pa.default_memory_pool().release_unused()  # what the parts held goes back
    duplicated = _duplicated_records(frame, records)
    found = Found(frame.reset_index(drop=True))
    del frame
    issues = assemble(found, records, record_of)
    del found
    pa.default_memory_pool().release_unused()
    issues = apply_confirmations(issues, confirmed, lang)
    enumerators = enumerator_summary(records, minutes, missing, issues, cfg, duplicated=duplicated)
    timings.append(("assemble", time.perf_counter() - start, len(issues)))
    return ValidationResult(
        records.name,
        issues,
        enumerators,
        counts,
        pd.DataFrame(timings, columns=["check", "seconds", "issues"]),
        lang,
    )


def _identify(records: Records) -> None:
    """Work out who every row is before the checks start in worker processes, so the
    workers share it with this process instead of each working it out again."""
    _ = records.main.key  # a repeat's keys are its main records' (looked up when needed)
    for table in records.tables.values():
        if len(table):
            _ = table.record, table.enumerator, table.source_row


def _in_categories(column: pd.Series, values: list[str]) -> np.ndarray:
    """``column.isin(values)`` as a bool array, through the categories of a category."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return column.isin(values).to_numpy(dtype=bool)
    wanted = np.r_[column.cat.categories.isin(values), False]  # code -1: missing
    return wanted[column.cat.codes.to_numpy()]


def _duplicated_records(frame: pd.DataFrame, records: Records) -> pd.Series:
    """Main records in a duplicate group, counted per enumerator."""
    if frame.empty:
        return pd.Series(dtype="int64")
    # decided per category, then looked up by code: no text per finding is made
    mask = _in_categories(frame["table"], [MAIN]) & _in_categories(
        frame["code"], list(DUPLICATE_CODES)
    )
    pos = frame["position"].to_numpy(dtype=np.int64)[mask]
    pos = _distinct_rows(pos[pos >= 0], len(records.main))[0]
    if not len(pos):
        return pd.Series(dtype="int64")
    counts = records.main.enumerator.take(pos).value_counts()
    counts.index = counts.index.astype("str")
    return counts


def _typed_cells(parts: Iterable[Found]) -> pd.DataFrame:
    """(table, position, variable) of every type issue of the findings, as text."""
    cells = []
    for part in parts:
        f = part.frame
        if len(f):
            typed = f.loc[f["code"].isin(_TYPE_CODES).to_numpy(), ["table", "position", "variable"]]
            if len(typed):
                cells.append(
                    pd.DataFrame(
                        {
                            "table": typed["table"].astype("str").to_numpy(dtype=object),
                            "position": typed["position"].to_numpy(dtype=np.int64),
                            "variable": typed["variable"].astype("str").to_numpy(dtype=object),
                        }
                    )
                )
    if not cells:
        return pd.DataFrame({"table": [], "position": [], "variable": []})
    return pd.concat(cells, ignore_index=True)


def _pairs_in(
    left: Mapping[str, Any], right: Mapping[str, np.ndarray], names: Sequence[str]
) -> np.ndarray:
    """For each row of ``left``, whether its values of ``names`` are a row of ``right``.

    ``left`` holds integer arrays or text Series (coded via their distinct values, so no
    Python object per row is made); ``right`` is small. The codes of a row are combined
    into one integer.
    """
    n = len(left[names[0]])
    if not n or not len(right[names[0]]):
        return np.zeros(n, dtype=bool)
    lkey = np.zeros(n, dtype=np.int64)
    rkey = np.zeros(len(right[names[0]]), dtype=np.int64)
    for name in names:
        lv, rv = left[name], right[name]
        if isinstance(lv, np.ndarray):
            lo = min(int(lv.min()), int(rv.min()))
            lc, rc = lv.astype(np.int64) - lo, rv.astype(np.int64) - lo
            size = max(int(lc.max()), int(rc.max())) + 1
        else:
            codes, uniques = pd.factorize(lv)
            found = pd.Index(uniques).get_indexer(pd.Index(rv, dtype=object))
            # codes: -1 missing, else index; unmatched right values get -2 (no match)
            lc = codes.astype(np.int64) + 2
            rc = np.where(found >= 0, found + 2, 0).astype(np.int64)
            size = len(uniques) + 2
        lkey, rkey = lkey * size + lc, rkey * size + rc
    return np.isin(lkey, rkey)


def _drop_overlaps(
    frame: pd.DataFrame,
    absent: set[tuple[str, str]],
    empty: set[tuple[str, int]] | None = None,
    *,
    typed: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Drop 'required but empty' where the cell's problem is its type, or the column is
    absent; drop every other issue of an empty record.

    ``typed``: the (table, position, variable) cells with a type issue (default: those
    of ``frame``).
    """
    keep = np.ones(len(frame), dtype=bool)
    code = frame["code"]
    if empty:
        pos = frame["position"].to_numpy(dtype=np.int64)
        tables = frame["table"]
        of_empty = np.zeros(len(frame), dtype=bool)
        by_table: dict[str, list[int]] = {}
        for t, p in empty:
            by_table.setdefault(t, []).append(p)
        for t, ps in by_table.items():
            at = (tables == t).to_numpy(dtype=bool, na_value=False)
            of_empty[at] = np.isin(pos[at], np.asarray(ps, dtype=np.int64))
        keep &= ~(of_empty & (code != "VAL128").to_numpy())
    required = np.flatnonzero((code == "VAL121").to_numpy() & keep)
    if len(required):
        if typed is None:
            typed = _typed_cells([Found(frame)])
        req = {
            "table": frame["table"].take(required).reset_index(drop=True),
            "position": frame["position"].to_numpy(dtype=np.int64)[required],
            "variable": frame["variable"].take(required).reset_index(drop=True),
        }
        typ = {c: typed[c].to_numpy() for c in ("table", "position", "variable")}
        if len(typed):
            typ["position"] = typ["position"].astype(np.int64)
            typ["table"] = typ["table"].astype(object)
            typ["variable"] = typ["variable"].astype(object)
        drop = _pairs_in(req, typ, ("table", "position", "variable"))
        if absent:
            pairs = sorted(absent)
            gone = {
                "table": np.array([t for t, _ in pairs], dtype=object),
                "variable": np.array([v for _, v in pairs], dtype=object),
            }
            drop |= _pairs_in(req, gone, ("table", "variable"))
        keep[required[drop]] = False
    if keep.all():
        return frame
    return frame[keep].reset_index(drop=True)
