"""Validation of data too large for memory, a block of complete records at a time.

:func:`validate_blocks` gives the result :func:`~analysis.validate.validate` gives on
all the blocks joined (the same issues, rows, order and messages), holding one block
and what the checks about many records need at a time:

* checks about one record at a time (the form's rules, choices, types, the reader's
  issues, PII, empty records) run on each block; their issues are moved to the
  block's place in the whole data;
* checks about many records (duplicates, outliers, missing codes, durations and
  enumerators, consistency with the parent instrument, the panel) run once, with the
  same code as :func:`validate`, on a *projection*: the keys and only the columns they
  read, joined from the blocks. Duplicate submissions are found from fingerprints of
  each record made block by block (:func:`~analysis.validate.duplicates.fingerprint_records`);
  the few records the near-duplicate search compares are read in the second pass;
* what the form's rules say about a whole column (a calculation never exported, a
  wording written differently, a rule the engine leaves out) is decided over every
  block (:class:`~analysis.validate.form_rules.RuleTotals`).

``blocks`` is called twice: the first pass collects the projection and the
fingerprints, the second runs the checks of one record.

Examples
--------
>>> from analysis.readers import RawData, RawMetadata, split_records
>>> from analysis.instrument.model import Instrument, Question
>>> form = Instrument(None, "hh", "HH", None, None, ("default",), (
...     Question("hh_id", "text", role="id"),
...     Question("age", "integer", constraint=". >= 16 and . <= 110"),
... ), (), {})
>>> frame = pd.DataFrame({"_key": ["u1", "u2", "u3"], "_source_row": [2, 3, 4],
...                       "hh_id": ["A", "B", "B"], "age": [45, 160, 38]})
>>> raw = RawData(frame, {}, RawMetadata(format="csv"))
>>> result = validate_blocks(lambda: iter(split_records(raw, 2)), form, name="household", lang="en")
>>> result.issues[["key", "source_row", "variable", "code"]].values.tolist()
[['B', 3, 'age', 'VAL120'], ['B', 3, 'hh_id', 'VAL131'], ['B', 4, 'hh_id', 'VAL131']]
"""

from __future__ import annotations

import gc
import pickle
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import ValidationError
from ..expressions import EvaluationContext
from ..expressions.errors import BadExpression
from ..instrument.model import Instrument
from ..readers.rawdata import KEY, MAIN, PARENT_KEY, ROW, RawData
from ..readers.records import Records
from .choices import check_choices, repeated_codes
from .consistency import check_links, check_panel
from .duplicates import (
    Fingerprints,
    KeyHashes,
    _column_codes_small,
    check_duplicates,
    exact_codes,
    fingerprint_records,
    near_candidates,
)
from .duration import check_duration, duration_applies, interview_minutes
from .enumerators import check_enumerators
from .form_rules import RuleTotals, block_tasks, engine_data, rule_failure, rules_from_hits
from .issues import Found, _union, say, text_of
from .missing_codes import check_missing_codes
from .outliers import check_outliers, numeric_questions
from .pii import check_pii
from .settings import ValidateSettings
from .tasks import compact
from .validation import (
    _RULE_CHECKS,
    ValidationResult,
    _absent,
    _check_arguments,
    _empty_records,
    _settings_variables,
    finish,
    prepare,
)
from .value_types import check_types, reader_issues
from .workers import release_memory

__all__ = ["validate_blocks"]

#: Checks about one record at a time, in the order :func:`validate` reports them.
_ORDER = (
    "duplicate",
    "choice",
    "read",
    "type",
    "outlier",
    "missing_code",
    "duration",
    "enumerator",
    "consistency",
    "panel",
    "pii",
    "settings",
)


def _each(blocks: Callable[[], Iterable[RawData]]) -> Iterator[RawData]:
    if not callable(blocks):
        raise ValidationError(
            "VAL331",
            "validate_blocks() needs a function that returns the blocks, not the blocks",
            expected="a function without arguments returning an iterator of RawData",
            found=type(blocks).__name__,
            hint="Pass e.g. lambda: iter(split_records(data, 50_000)); it is called twice.",
        )
    for i, block in enumerate(blocks()):
        if not isinstance(block, RawData):
            raise ValidationError(
                "VAL332",
                f"block {i} of validate_blocks() is not a RawData",
                expected="analysis.readers.RawData",
                found=type(block).__name__,
                hint="Each block holds complete records as read_raw returns them "
                "(see analysis.readers.split_records).",
            )
        yield block


def _projected(
    records: Records, cfg: ValidateSettings, study: Any, *, outliers: bool = True
) -> dict[str, list[str]]:
    """Per table, the columns the checks about many records read (with the keys);
    without ``outliers``, those the checks after the outlier check read."""
    out: dict[str, list[str]] = {}
    name = records.name
    for table_name, table in records.tables.items():
        frame = table.frame
        # a repeat's reader keys are read in the second pass, only where needed
        cols = [c for c in ((KEY, ROW) if table_name == MAIN else (ROW,)) if c in frame.columns]
        questions = []
        for q in numeric_questions(table) if outliers else ():
            questions.append(q.name)
            by = cfg.outlier_rule(name, q.name).by
            if by:
                questions.append(by)
        questions += [q.name for q in table.questions if q.missing_codes]
        if table_name == MAIN:
            main = records.instrument.questions
            questions += [q.name for q in main if q.type in ("start", "end", "today")]
            cols += [c for c in (records.key_column, records.enumerator_column) if c]
            cols += [c for c in ("_submission_time", cfg.day, cfg.enumerator) if c]
            if study is not None and name in study.instrument_names:
                spec = study.instrument(name)
                link = cfg.links.get(name)
                questions += [spec.parent_key or ""]
                if link is not None:
                    questions += [*link.same, link.count or ""]
            stable = cfg.panel.get(name)
            questions += (
                list(stable.stable)
                if stable is not None
                else [q.name for q in main if q.role in ("strata", "psu") and q.repeat is None]
            )
        cols += [table.columns[q] for q in questions if q in table.columns]
        cols += [q for q in questions if q in frame.columns]
        out[table_name] = [c for c in dict.fromkeys(cols) if c in frame.columns]
    return out


def _verbatim(records: Records, cfg: ValidateSettings) -> set[str]:
    """Projected text columns kept as text: the reader keys, and the groups of the
    outlier rules (their labels show the text as it is)."""
    out = {KEY}
    for table in records.tables.values():
        for q in numeric_questions(table):
            by = cfg.outlier_rule(records.name, q.name).by
            if by:
                out |= {by, table.columns.get(by, by)}
    return out


def _let_go() -> None:
    """Free what a block held before the next block is made: its records refer to each
    other (a table to its records), so only the cycle collector frees them."""
    gc.collect()
    release_memory()


def _shifted(found: Found, offsets: Mapping[str, int]) -> Found:
    """Findings of a block at their places in the whole data."""
    frame = found.frame
    if not len(frame) or not any(offsets.values()):
        return found
    pos = frame["position"].to_numpy(dtype=np.int64).copy()
    tables = frame["table"].astype("str").to_numpy(dtype=object)
    for name, offset in offsets.items():
        if offset:
            pos[(tables == name) & (pos >= 0)] += offset
    return Found(frame.assign(position=pos))


@dataclass
class _FirstPass:
    """What the first pass over the blocks collects.

    The projection's columns are written block by block to a temporary folder (a file
    per column, a pickled piece per block) and joined from there one column at a time,
    so that the pass holds one block and the small things it collects, not the
    projection of every block before it.
    """

    columns: dict[str, list[str]]
    folder: Path
    files: dict[tuple[str, str], Path] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)
    parents: dict[str, list[np.ndarray]] = field(default_factory=dict)
    prints: list[Fingerprints] = field(default_factory=list)
    keys: dict[str, list[KeyHashes]] = field(default_factory=dict)
    filled: dict[tuple[str, str], bool] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    #: table -> text columns held as categories (few distinct values: a code a row)
    coded: dict[str, set[str]] = field(default_factory=dict)

    def choose_coded(self, records: Records, keep: set[str]) -> None:
        """The text columns to hold as categories, judged on the first block."""
        for name, frame in records.data.tables.items():
            self.coded[name] = {
                c
                for c in self.columns.get(name, [])
                if c not in keep
                and frame[c].dtype == "str"
                and frame[c].nunique(dropna=True) * 4 <= max(len(frame), 1)
            }

    def _part(self, name: str, frame: pd.DataFrame) -> dict[str, pd.Series]:
        out = {}
        for c in self.columns.get(name, []):
            # a copy: a column of numbers may be a view of the block's 2-D array of every
            # column of its type, which would be held with it (text is not copied)
            col = frame[c].reset_index(drop=True).copy()
            if c in self.coded.get(name, ()):
                # blank text is an empty answer, as the checks read text columns
                blank = (col.str.strip() == "").to_numpy(dtype=bool, na_value=False)
                col = col.where(~blank).astype("category")
            out[c] = col
        return out

    def _keep(self, name: str, part: dict[str, pd.Series]) -> None:
        """Append a block's columns to their files."""
        if name not in self.tables:
            self.tables.append(name)
        for column, series in part.items():
            path = self.files.setdefault((name, column), self.folder / f"{len(self.files)}.pkl")
            try:
                with path.open("ab") as handle:
                    pickle.dump(series, handle, protocol=5)
            except OSError as exc:
                raise ValidationError(
                    "VAL335",
                    "validate_blocks() cannot write the checks' columns to a temporary folder",
                    file=str(self.folder),
                    found=str(exc),
                    hint="Free disk space, or point TMPDIR at a folder with room for "
                    "about the size of the data's numeric columns.",
                ) from None

    def _pieces(self, name: str, column: str) -> list[pd.Series]:
        """A column's pieces, block by block, read back (its file then goes)."""
        path = self.files.pop((name, column))
        pieces = []
        with path.open("rb") as handle:
            while True:
                try:
                    pieces.append(pickle.load(handle))
                except EOFError:
                    break
        path.unlink()
        return pieces

    def add(self, records: Records, cfg: ValidateSettings, dup: bool) -> dict[str, int]:
        """One block's part; returns the block's offsets (rows before it, per table)."""
        offsets = {}
        for name, frame in records.data.tables.items():
            offsets[name] = self.counts.get(name, 0)
            self._keep(name, self._part(name, frame))
        for name, table in records.tables.items():
            if name not in self.counts and name not in records.data.tables:
                offsets[name] = 0
            if name != MAIN and name in records.data.tables:
                if dup:
                    self.keys.setdefault(name, []).append(
                        KeyHashes.of(table.record, blank_missing=True)
                    )
            if name != MAIN:
                parent = records.parent_table(name)
                pos = table.parent_position
                shift = offsets.get(parent, 0)
                self.parents.setdefault(name, []).append(np.where(pos >= 0, pos + shift, -1))
            for q in table.questions:
                if q.calculation and q.name in table.columns:
                    key = (name, q.name)
                    self.filled[key] = self.filled.get(key, False) or not table.empty(q.name).all()
        for name, frame in records.data.tables.items():
            self.counts[name] = offsets[name] + len(frame)
        if dup:
            self.prints.append(fingerprint_records(records, cfg.near_duplicates))
        return offsets

    def projection(self, first: RawData) -> RawData:
        """The collected columns of every block, joined."""
        tables = {}
        for name in self.tables:
            columns = {}
            for c in self.columns.get(name, []):
                pieces = self._pieces(name, c)
                if c in self.coded.get(name, ()):
                    columns[c] = pd.Series(_union([p.array for p in pieces]))
                else:
                    columns[c] = pd.concat(pieces, ignore_index=True)
                del pieces
                release_memory()  # the pieces' memory back before the next column's
            tables[name] = pd.DataFrame(columns, index=pd.RangeIndex(self.counts.get(name, 0)))
        main = tables.pop(MAIN)
        return RawData(main, tables, first.metadata)


def validate_blocks(
    blocks: Callable[[], Iterable[RawData]],
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
    """:func:`~analysis.validate.validate` on data given as blocks of complete records.

    Parameters
    ----------
    blocks : callable
        Without arguments, returns a fresh iterator of :class:`~analysis.readers.RawData`
        blocks, each holding complete records (main rows with all their repeat rows) in
        record order, every block with the same columns; called twice. Each block's
        reader issues are those about its rows; issues about no row are read from the
        first block (:func:`~analysis.readers.split_records` cuts data so).
    instrument, study, others, previous, settings, name, confirmed, lang
        As :func:`~analysis.validate.validate`.

    Returns
    -------
    ValidationResult
        Equal to ``validate`` on the blocks joined.

    Raises
    ------
    ValidationError
        ``VAL331`` when ``blocks`` is not a function, ``VAL332`` when a block is not a
        RawData, ``VAL333`` when there is no block, ``VAL334`` when a block's tables
        differ from the first block's; as ``validate`` otherwise.
    """
    setup = prepare(instrument, study, settings, name, lang)
    cfg, lang = setup.settings, setup.lang
    context = EvaluationContext(timezone=cfg.timezone, language=lang)
    dup = cfg.runs("duplicate") or cfg.runs("near_duplicate")
    rules = any(cfg.runs(c) for c in (*_RULE_CHECKS, "choice"))
    timings: dict[str, float] = {}

    def timed(check: str, start: float) -> None:
        timings[check] = timings.get(check, 0.0) + time.perf_counter() - start

    # ---------------------------------------------------------------- first pass
    start = time.perf_counter()
    first_pass: _FirstPass | None = None
    # the projection's columns wait on disk until every block is read (see _FirstPass)
    spill = tempfile.TemporaryDirectory(prefix="baicun-validate-")
    head: list[Found] = []
    absent_set: set[tuple[str, str]] = set()
    first: RawData | None = None
    for i, raw in enumerate(_each(blocks)):
        if i == 0:
            _check_arguments(raw, instrument, others, previous)
            # the first block's layout (its tables without rows) and metadata, not its rows
            first = RawData(
                raw.data.iloc[:0], {k: v.iloc[:0] for k, v in raw.repeats.items()}, raw.metadata
            )
            records = setup.records(raw)
            first_pass = _FirstPass(_projected(records, cfg, study), Path(spill.name))
            first_pass.choose_coded(records, _verbatim(records, cfg))
            if KEY not in raw.data.columns:
                head.append(
                    Found.table_level(
                        MAIN,
                        "_key",
                        "VAL127",
                        "",
                        "no _key column: records are keyed by their row number",
                    )
                )
            absent, absent_set = _absent(records, lang)
        else:
            _same_tables(first, raw, i)
            records = setup.records(raw)
        first_pass.add(records, cfg, dup)
        del records, raw
        _let_go()
    if first_pass is None or first is None:
        raise ValidationError(
            "VAL333",
            "validate_blocks() got no block of records",
            expected="at least one RawData block (it may hold no records)",
            found="no block",
            hint="Give the blocks of the data, or the one empty RawData read_raw returns.",
        )
    if not first_pass.counts.get(MAIN, 0):
        head.append(
            Found.table_level(
                MAIN, "", "VAL100", "0", say(lang, "数据没有任何记录", "the data has no records")
            )
        )
    head.append(absent)
    # the repeats' rows whose key may be repeated, before the projection is held
    maybe = {name: KeyHashes.concat(parts).maybe() for name, parts in first_pass.keys.items()}
    first_pass.keys.clear()
    _let_go()
    try:
        projection = setup.records(first_pass.projection(first))
    finally:
        spill.cleanup()
    for name_, parts in first_pass.parents.items():
        if name_ in first.repeats:
            projection.table(name_).__dict__["parent_position"] = np.concatenate(parts)
    prints = Fingerprints.concat(first_pass.prints) if first_pass.prints else None
    unexported = frozenset(k for k, filled in first_pass.filled.items() if not filled)
    counts = dict(first_pass.counts)
    del first_pass
    _let_go()
    timed("projection", start)

    # ---------------------------------------------------------------- many records (1)
    found: dict[str, list[Found]] = {}
    extra: dict[str, Any] = {"minutes": None, "missing": None}

    def once(check: str, run: Callable[[], Found]) -> None:
        at = time.perf_counter()
        found.setdefault(check, []).append(compact(run()))
        # the answers the check converted (numbers, texts) are not kept for the next
        for table in projection.tables.values():
            table.forget_answers()
        _let_go()
        timed(check, at)

    if cfg.runs("outlier"):
        once("outlier", lambda: check_outliers(projection, cfg, lang, forget=True))
        # the answers only the outlier check reads go before the next checks run
        later = _projected(projection, cfg, study, outliers=False)
        _keep_columns(
            projection, {n: [KEY, ROW, PARENT_KEY, *later.get(n, ())] for n in projection.tables}
        )
        _let_go()
    if cfg.runs("missing_code"):

        def missing_codes() -> Found:
            out, extra["missing"] = check_missing_codes(projection, cfg, lang)
            return out

        once("missing_code", missing_codes)
    if cfg.runs("consistency"):
        once("consistency", lambda: check_links(projection, study, others, cfg, lang))
    if cfg.runs("panel"):
        once("panel", lambda: check_panel(projection, previous, cfg, lang))
    if cfg.runs("settings"):
        once("settings", lambda: _settings_variables(projection, cfg, lang))
    # the repeat rows whose reader key the issues or the duplicate search need
    wanted_keys = {name: [rows] for name, rows in maybe.items()}
    for parts in found.values():
        for part in parts:
            frame = part.frame
            if len(frame):
                tables = frame["table"].astype("str").to_numpy(dtype=object)
                pos = frame["position"].to_numpy(dtype=np.int64)
                for name in first.repeats:
                    wanted_keys.setdefault(name, []).append(pos[(tables == name) & (pos >= 0)])
    wanted_rows = {name: np.unique(np.concatenate(rows)) for name, rows in wanted_keys.items()}

    _slim(projection, moments=True)  # the answers the checks above read are not needed
    _let_go()

    # ---------------------------------------------------------------- second pass
    wanted = (
        near_candidates(prints, cfg.near_duplicates)
        if prints and cfg.runs("near_duplicate")
        else np.zeros(0, dtype=np.int64)
    )
    state = _SecondPass(setup, cfg, lang, context, rules, wanted, prints, unexported)
    state.wanted_rows = wanted_rows
    try:
        state.run(blocks, timed)
    except BadExpression as err:  # a broken rule: the rules do not run, as in validate
        state = _SecondPass(
            setup, cfg, lang, context, False, wanted, prints, unexported, failure=err
        )
        state.wanted_rows = wanted_rows
        state.run(blocks, timed)
    for check, parts in state.found.items():
        found.setdefault(check, []).extend(parts)

    # ---------------------------------------------------------------- many records (2)
    if dup:
        start = time.perf_counter()
        near = cfg.runs("near_duplicate")
        record_keys = {
            name: (
                exact_codes(len(projection.table(name)), rows, state.keys_at(name, rows)),
                lambda at, name=name: pd.Series(pd.array(state.keys_at(name, at), dtype="str")),
            )
            for name, rows in maybe.items()
        }
        found.setdefault("duplicate", []).insert(
            0,
            compact(
                check_duplicates(
                    projection,
                    lang,
                    cfg.near_duplicates,
                    near=near,
                    prints=prints,
                    values_at=state.values_at,
                    record_keys=record_keys,
                )
            ),
        )
        del record_keys, prints, maybe  # the fingerprints and key codes are not needed now
        _let_go()
        timed("duplicate", start)

    def duration() -> Found:
        if cfg.runs("duration"):
            out, extra["minutes"] = check_duration(
                projection, cfg, lang, context=context, applies=state.applies()
            )
            return out
        extra["minutes"] = interview_minutes(projection)
        return Found.none()

    try:
        once("duration", duration)
    except BadExpression as err:
        found["duration"] = [rule_failure(err, lang)]
    if cfg.runs("enumerator"):
        once(
            "enumerator",
            lambda: check_enumerators(projection, extra["minutes"], cfg, lang),
        )

    _slim(projection)
    _let_go()
    parts = list(head)
    for check in _ORDER:
        parts.extend(found.pop(check, []))
    parts.extend(found.pop("form_rules", []))
    if state.totals is not None:
        parts.append(state.totals.issues(instrument, lang))
    if state.failure is not None:
        parts.append(rule_failure(state.failure, lang))
    parts.extend(found.pop("choice_after", []))
    records_timings = [(c, s, 0) for c, s in timings.items()]
    return finish(
        parts,
        projection,
        cfg,
        lang,
        absent=absent_set,
        empty=state.empty,
        minutes=extra["minutes"],
        missing=extra["missing"],
        confirmed=confirmed,
        timings=records_timings,
        counts=counts,
        record_of=state.record_of,
    )


def _slim(projection: Records, *, moments: bool = False) -> None:
    """Drop the answers the checks have read from the projection.

    What the checks about many records run after the second pass (duplicates,
    durations, enumerators) and :func:`finish` still read is who each row is (the
    reader key, source row, study key and enumerator), the day of each interview
    (made here before its column goes) and, with ``moments``, the start and end of
    each interview; without ``moments`` (before :func:`finish`), no column: who each
    row is is made from them first.
    """
    _ = projection.day, projection.main.enumerator
    keep = {KEY, ROW, PARENT_KEY, projection.key_column, projection.enumerator_column}
    if moments:
        main = projection.main
        questions = projection.instrument.questions
        keep |= {
            main.columns[q.name]
            for q in questions
            if q.type in ("start", "end") and q.repeat is None and q.name in main.columns
        }
    if not moments:  # who each row is, made before the columns it is read from go
        keep = set()
        _ = projection.main.record, projection.main.key
        for table in projection.tables.values():
            _ = table.source_row
    _keep_columns(projection, {name: keep for name in projection.tables})


def _keep_columns(projection: Records, columns: Mapping[str, Iterable[str]]) -> None:
    """Drop the projection's columns other than ``columns`` (per table), and the answers
    converted from them."""
    for name, table in projection.tables.items():
        keep = set(columns.get(name, ()))
        table.forget_answers()
        frame = table.frame
        for column in [c for c in frame.columns if c not in keep]:
            del frame[column]


def _same_tables(first: RawData, block: RawData, i: int) -> None:
    if set(block.tables) != set(first.tables):
        raise ValidationError(
            "VAL334",
            f"block {i} of validate_blocks() has other tables than the first block",
            expected=", ".join(first.tables),
            found=", ".join(block.tables),
            hint="Every block holds every table of the data, empty where it has no rows.",
        )


class _SecondPass:
    """The checks of one record at a time, block by block (see :func:`validate_blocks`)."""

    def __init__(
        self,
        setup: Any,
        cfg: ValidateSettings,
        lang: str,
        context: EvaluationContext,
        rules: bool,
        wanted: np.ndarray,
        prints: Fingerprints | None,
        unexported: frozenset[tuple[str, str]],
        *,
        failure: BadExpression | None = None,
    ) -> None:
        self.setup, self.cfg, self.lang, self.context = setup, cfg, lang, context
        self.rules = rules
        self.unexported = unexported
        self.failure = failure
        self.wanted = wanted
        self.names = prints.names if prints is not None else []
        self.found: dict[str, list[Found]] = {}
        self.empty: set[tuple[str, int]] = set()
        self.totals: RuleTotals | None = None
        self._values: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        self._applies: list[tuple[np.ndarray, Found]] = []
        #: repeat -> rows (global positions) whose reader key is needed
        self.wanted_rows: dict[str, np.ndarray] = {}
        self._keys: dict[str, list[tuple[np.ndarray, pa.Array]]] = {}
        self._local: dict[str, list[np.ndarray]] = {}

    def keys_at(self, table: str, positions: np.ndarray) -> pa.Array:
        """The reader keys of some rows of a repeat (read in this pass)."""
        parts = self._keys.get(table, [])
        if not parts:
            return pa.array([""] * len(positions), pa.large_string())
        rows = np.concatenate([r for r, _ in parts])
        texts = pa.chunked_array([t for _, t in parts], pa.large_string()).combine_chunks()
        at = np.searchsorted(rows, positions)
        return texts.take(pa.array(at))

    def record_of(self, table: Any, positions: np.ndarray | None) -> pa.Array:
        """The reader keys of some rows (``None``: every row), for the issues table
        (see :func:`assemble`)."""
        if positions is None:
            if table.name == MAIN:
                return text_of(table.record)
            positions = np.arange(len(table))
        if table.name == MAIN:
            return text_of(table.record).take(pa.array(positions))
        return self.keys_at(table.name, positions)

    def applies(self) -> tuple[np.ndarray, Found]:
        """The ``duration.when`` verdict of every record (evaluated block by block)."""
        verdicts = [v for v, _ in self._applies]
        verdict = np.concatenate(verdicts) if verdicts else np.zeros(0, dtype=bool)
        problems = [p for _, p in self._applies if len(p)]
        if problems:  # the setting cannot be evaluated: the limits apply to every record
            return np.ones(len(verdict), dtype=bool), problems[0]
        return verdict, Found.none()

    def values_at(self, question: str, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The compared answers of the main records at ``positions`` (read in this pass)."""
        parts = self._values[question]
        values = np.concatenate([v for v, _ in parts]) if parts else np.zeros(0)
        empty = np.concatenate([e for _, e in parts]) if parts else np.zeros(0, dtype=bool)
        at = np.searchsorted(self.wanted, positions)
        return values[at], empty[at]

    def _add(self, check: str, found: Found, offsets: Mapping[str, int]) -> None:
        if len(found):
            frame = found.frame
            tables = frame["table"].astype("str").to_numpy(dtype=object)
            pos = frame["position"].to_numpy(dtype=np.int64)
            for name in offsets:
                if name != MAIN:
                    self._local.setdefault(name, []).append(pos[(tables == name) & (pos >= 0)])
            self.found.setdefault(check, []).append(compact(_shifted(found, offsets)))

    def _keep_keys(self, records: Records, offsets: Mapping[str, int]) -> None:
        """The reader keys of this block's repeat rows that the issues need."""
        for name, table in records.tables.items():
            if name == MAIN or name not in records.data.tables:
                continue
            n, offset = len(table), offsets.get(name, 0)
            wanted = self.wanted_rows.get(name, np.zeros(0, dtype=np.int64))
            lo, hi = np.searchsorted(wanted, [offset, offset + n])
            local = np.unique(
                np.concatenate([wanted[lo:hi] - offset, *self._local.pop(name, [])])
            ).astype(np.int64)
            if len(local):
                texts = text_of(table.record).take(pa.array(local))
                self._keys.setdefault(name, []).append((local + offset, texts))

    def run(self, blocks: Callable[[], Iterable[RawData]], timed: Callable) -> None:
        counts: dict[str, int] = {}
        for i, raw in enumerate(_each(blocks)):
            offsets = {name: counts.get(name, 0) for name in raw.tables}
            for name, frame in raw.tables.items():
                counts[name] = offsets[name] + len(frame)
            records = self.setup.records(raw)
            for name in records.tables:
                offsets.setdefault(name, 0)
            self._block(records, offsets, i, timed)
            self._keep_keys(records, offsets)
            del records, raw
            _let_go()

    def _block(self, records: Records, offsets: Mapping[str, int], i: int, timed: Callable) -> None:
        cfg, lang = self.cfg, self.lang
        start = time.perf_counter()
        empty_found, empty_rows = _empty_records(records, cfg, lang)
        self._add("duplicate", empty_found, offsets)
        self.empty.update((t, p + offsets.get(t, 0)) for t, p in empty_rows)
        self._fetch(records, offsets[MAIN])
        timed("duplicate", start)
        if cfg.runs("choice"):
            start = time.perf_counter()
            self._add("choice", repeated_codes(records, lang), offsets)
            timed("choice", start)
        if cfg.runs("read"):
            start = time.perf_counter()
            found = reader_issues(records)
            if i > 0 and len(found):  # issues about no row: read from the first block
                found = Found(found.frame[found.frame["position"] >= 0].reset_index(drop=True))
            self._add("read", found, offsets)
            timed("read", start)
        if cfg.runs("type"):
            start = time.perf_counter()
            self._add("type", check_types(records, lang), offsets)
            timed("type", start)
        if cfg.runs("pii"):
            start = time.perf_counter()
            self._add("pii", check_pii(records, cfg.pii, lang), offsets)
            timed("pii", start)
        start = time.perf_counter()
        cells = None
        engine = engine_data(records) if self.rules or cfg.runs("duration") else None
        if cfg.runs("duration"):
            self._applies.append(duration_applies(records, cfg, engine, self.context, lang))
        timed("duration", start)
        start = time.perf_counter()
        if self.rules:
            if self.totals is None:
                self.totals = RuleTotals(unexported=self.unexported)
            hits = [task() for task in block_tasks(records, engine, self.context, cfg.chunk_size)]
            found, cells = rules_from_hits(records, hits, lang, totals=self.totals)
            self._add("form_rules", found, offsets)
        elif self.failure is not None:  # repeat rows without parent are still reported
            found = rules_from_hits(records, [], lang, totals=RuleTotals())[0]
            self._add("form_rules", found, offsets)
        timed("form_rules", start)
        if cfg.runs("choice"):
            start = time.perf_counter()
            found = check_choices(records, lang, cells, repeated=False)
            self._add("choice_after", found, offsets)
            timed("choice", start)

    def _fetch(self, records: Records, offset: int) -> None:
        """The compared answers of this block's records the near-duplicate search needs."""
        if not len(self.wanted):
            return
        n = len(records.main)
        lo, hi = np.searchsorted(self.wanted, [offset, offset + n])
        local = self.wanted[lo:hi] - offset
        for q in self.names:
            col = records.main.column(q)
            self._values.setdefault(q, []).append(_column_codes_small(col.iloc[local]))
