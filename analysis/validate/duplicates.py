"""Duplicate keys, duplicate submissions and near-duplicate records.

* ``VAL130``: a reader key ``_key`` used by more than one row (any table);
* ``VAL131``: a study key (``hh_id``) used by more than one main record;
* ``VAL132``: records with the same answer to every compared question (a submission
  sent twice, a form copied under another key);
* ``VAL133``: records with the same answer on at least ``share`` (95 %) of the questions
  either of them answered (copy-and-edit, or an interview made up from another).

Compared questions are the main record's answers: not the form's metadata (start, end,
device, instance id), not calculations, not the study key, not ``exclude``.

Finding near duplicates without comparing every pair uses the pigeonhole principle:
two records that differ in at most ``d`` of ``F`` compared fields agree completely on at
least one of ``d + 1`` disjoint bands of fields. Records are bucketed by each band, and
only records sharing a bucket are compared. Identical records are first collapsed to
one, so a form submitted many times costs nothing extra.

Examples
--------
>>> from analysis.readers import RawData, RawMetadata
>>> from analysis.instrument.model import Instrument, Question
>>> qs = tuple(Question(f"q{i}", "integer") for i in range(20))
>>> form = Instrument(None, "f", "F", None, None, ("default",), (Question("id", "text", role="id"), *qs), (), {})
>>> base = {f"q{i}": i for i in range(20)}
>>> frame = pd.DataFrame([{"_key": "a", "id": "1", **base}, {"_key": "b", "id": "1", **base},
...                       {"_key": "c", "id": "2", **base, "q0": 99}])
>>> found = check_duplicates(Records(RawData(frame, {}, RawMetadata(format="csv")), form, "f"), "en")
>>> found.frame[["position", "code"]].values.tolist()
[[0, 'VAL131'], [1, 'VAL131'], [0, 'VAL132'], [1, 'VAL132'], [0, 'VAL133'], [2, 'VAL133']]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..instrument.model import METADATA_TYPES
from ..readers.rawdata import MAIN
from .issues import Found, join_text, number_text, say
from .records import Records, RecordTable, question_type, value_codes
from .settings import NearDuplicateSettings

__all__ = ["check_duplicates", "compared_questions"]

_PRIME = np.uint64(0x100000001B3)
_SKIP_TYPES = METADATA_TYPES | {"calculate", "note", "acknowledge", "audit", "hidden"}
#: Buckets larger than this are not expanded into pairs (a band with too little variety).
BUCKET_CAP = 200


def compared_questions(records: Records, settings: NearDuplicateSettings) -> list[str]:
    """The main-table questions compared to find duplicate submissions."""
    main = records.main
    skip = set(settings.exclude) | {records.key_question}
    return [
        q.name
        for q in main.questions
        if q.name in main.columns and question_type(q) not in _SKIP_TYPES and q.name not in skip
    ]


# ---------------------------------------------------------------------------- keys


def _codes(values: np.ndarray | pd.Series) -> np.ndarray:
    """Integer codes of values (-1 for missing ones); text through arrow's dictionary."""
    if isinstance(values, pd.Series) and values.dtype == "str":
        encoded = pc.dictionary_encode(pa.array(values.array))
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        return pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return pd.factorize(values)[0]


def _group_refs(
    values: np.ndarray | pd.Series, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For rows sharing a value: positions, group size, and the row of another member."""
    codes = _codes(values)
    counts = np.bincount(codes[codes >= 0], minlength=codes.max() + 1 if len(codes) else 0)
    dup = (codes >= 0) & (counts[np.maximum(codes, 0)] > 1)
    pos = np.flatnonzero(dup)
    if not len(pos):
        return pos, pos, pos
    c = codes[pos]
    order = np.lexsort((pos, c))
    sorted_c = c[order]
    starts = np.flatnonzero(np.r_[True, sorted_c[1:] != sorted_c[:-1]])
    first = np.empty(len(pos), dtype=np.int64)
    second = np.empty(len(pos), dtype=np.int64)
    group_of = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(order)]))
    first[order] = pos[order][starts][group_of]
    second[order] = pos[order][starts + 1][group_of]
    other = np.where(first == pos, second, first)
    return pos, counts[c], rows[other]


def _key_duplicates(
    table: RecordTable, values: pd.Series, code: str, name: str, lang: str
) -> Found:
    pos, sizes, other_rows = _group_refs(values.where(values != ""), table.source_row)
    if not len(pos):
        return Found.none()
    shown = values.iloc[pos].reset_index(drop=True)
    message = join_text(
        say(lang, f"{name} “", f"{name} '"),
        shown,
        say(lang, "” 共出现 ", "' is used by "),
        number_text(sizes),
        say(lang, " 次（另见第 ", " records (see also row "),
        number_text(other_rows),
        say(lang, " 行）", ")"),
    )
    return Found.of(table.name, pos, name, code, shown, message, f"unique {name}")


# ---------------------------------------------------------------------------- answers


@dataclass
class _Fingerprints:
    full: np.ndarray
    bands: np.ndarray
    answered: np.ndarray


def _fingerprints(table: RecordTable, names: list[str], n_bands: int) -> _Fingerprints:
    n = len(table)
    full = np.zeros(n, dtype=np.uint64)
    bands = np.zeros((n_bands, n), dtype=np.uint64)
    answered = np.zeros(n, dtype=np.int32)
    with np.errstate(over="ignore"):
        for i, q in enumerate(names):
            codes, empty = value_codes(table.column(q))
            value = codes.view(np.uint64)
            value += np.uint64(i + 1)
            b = i % n_bands
            band = bands[b]
            band *= _PRIME
            band += value
            answered += ~empty
        for b in range(n_bands):  # the whole record: its bands combined
            full *= _PRIME
            full += bands[b]
    table.remember_answered(names, answered)
    return _Fingerprints(full, bands, answered)


def _pairs(buckets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, _ = pd.factorize(buckets)
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    left, right = [], []
    cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for start, size in zip(
        starts[(sizes > 1) & (sizes <= BUCKET_CAP)],
        sizes[(sizes > 1) & (sizes <= BUCKET_CAP)],
        strict=True,
    ):
        if size not in cache:
            cache[size] = np.triu_indices(size, 1)
        i, j = cache[size]
        members = order[start : start + size]
        left.append(members[i])
        right.append(members[j])
    if not left:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(left), np.concatenate(right)


def _values_at(table: RecordTable, q: str, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    col = table.column(q).iloc[idx]
    codes, empty = _column_codes_small(col)
    return codes, empty


def _column_codes_small(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        raw = col.to_numpy().astype("datetime64[us]")
        return raw.view(np.int64), np.isnat(raw)
    if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        num = col.to_numpy(dtype="float64", na_value=np.nan)
        return num, np.isnan(num)
    text = col.astype("str").fillna("").str.strip().to_numpy(dtype=object)
    return text, text == ""


def _near(
    table: RecordTable,
    names: list[str],
    reps: np.ndarray,
    fp: _Fingerprints,
    settings: NearDuplicateSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    keep = reps[fp.answered[reps] >= settings.min_answered]
    empty = np.zeros(0, dtype=np.int64)
    if len(keep) < 2:
        return empty, empty, np.zeros(0), empty, empty
    left, right = [], []
    for band in fp.bands:
        i, j = _pairs(band[keep])
        left.append(keep[i])
        right.append(keep[j])
    a = np.concatenate(left)
    b = np.concatenate(right)
    if not len(a):
        return empty, empty, np.zeros(0), empty, empty
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pair_code = np.unique(lo.astype(np.int64) * len(table) + hi)
    lo, hi = pair_code // len(table), pair_code % len(table)
    same = np.zeros(len(lo), dtype=np.int32)
    union = np.zeros(len(lo), dtype=np.int32)
    for q in names:
        vi, ei = _values_at(table, q, lo)
        vj, ej = _values_at(table, q, hi)
        either = ~(ei & ej)
        union += either
        same += either & (vi == vj)
    share = np.where(union > 0, same / np.maximum(union, 1), 0.0)
    ok = (share >= settings.share) & (union >= settings.min_answered)
    return lo[ok], hi[ok], share[ok], same[ok], union[ok]


def check_duplicates(
    records: Records, lang: str, settings: NearDuplicateSettings | None = None, *, near: bool = True
) -> Found:
    """Duplicate keys in every table; duplicate and near-duplicate main records."""
    settings = settings or NearDuplicateSettings()
    parts = []
    for table in records.tables.values():
        if len(table):
            parts.append(_key_duplicates(table, table.record, "VAL130", "_key", lang))
    main = records.main
    if not len(main):
        return Found.concat(parts)
    if records.key_column is not None:
        parts.append(_key_duplicates(main, main.key, "VAL131", records.key_question, lang))
    names = compared_questions(records, settings)
    if not names:
        return Found.concat(parts)
    n_bands = int(np.floor((1 - settings.share) * len(names) + 1e-9)) + 1
    fp = _fingerprints(main, names, n_bands)
    pos, sizes, other_rows = _group_refs(fp.full, main.source_row)
    if len(pos):
        sizes_text = number_text(sizes)
        message = join_text(
            say(lang, "全部答案与另外 ", "every answer is the same as in "),
            number_text(sizes - 1),
            say(lang, " 条记录相同（例如第 ", " other record(s) (e.g. row "),
            number_text(other_rows),
            say(lang, " 行），疑似重复提交", "): a duplicate submission?"),
        )
        parts.append(
            Found.of(
                MAIN, pos, "", "VAL132", sizes_text, message, f"{len(names)} compared questions"
            )
        )
    if near:
        codes, _ = pd.factorize(fp.full)
        _, first = np.unique(codes, return_index=True)
        lo, hi, share, _same, _union = _near(main, names, np.sort(first), fp, settings)
        if len(lo):
            me = np.concatenate([lo, hi])
            other = np.concatenate([hi, lo])
            sh = np.concatenate([share, share])
            order = np.lexsort((other, -sh, me))
            me, other, sh = me[order], other[order], sh[order]
            best = np.r_[True, me[1:] != me[:-1]]
            me, other, sh = me[best], other[best], sh[best]
            percent = number_text(np.floor(sh * 100))
            message = join_text(
                say(lang, "与第 ", "same answer as row "),
                number_text(main.source_row[other]),
                say(lang, " 行（编号 ", " (key "),
                main.key.iloc[other].reset_index(drop=True),
                say(lang, "）的已答题目有 ", ") on "),
                percent,
                say(
                    lang,
                    "% 相同，疑似重复或编造",
                    "% of the answered questions: copied or made up?",
                ),
            )
            parts.append(
                Found.of(
                    MAIN,
                    me,
                    "",
                    "VAL133",
                    join_text(percent, "%"),
                    message,
                    f">= {settings.share:.0%} of answered questions",
                )
            )
    return Found.concat(parts)
