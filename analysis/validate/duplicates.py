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
>>> from analysis.instrument.model import Question
>>> form = [Question("id", "text", role="id"), *(Question(f"q{i}", "integer") for i in range(20))]
>>> base = {f"q{i}": i for i in range(20)}
>>> frame = pd.DataFrame([{"_key": "a", "id": "1", **base}, {"_key": "b", "id": "1", **base},
...                       {"_key": "c", "id": "2", **base, "q0": 99}])
>>> found = check_duplicates(Records.of_frame(frame, form), "en")
>>> found.frame[["position", "code"]].values.tolist()
[[0, 'VAL131'], [1, 'VAL131'], [0, 'VAL132'], [1, 'VAL132'], [0, 'VAL133'], [2, 'VAL133']]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..instrument.model import METADATA_TYPES
from ..readers.rawdata import MAIN
from ..readers.records import Records, RecordTable, question_type, value_codes
from .issues import Found, join_distinct, join_text, number_text, say, text_of
from .settings import NearDuplicateSettings

__all__ = [
    "DUPLICATE_CODES",
    "Fingerprints",
    "KeyHashes",
    "check_duplicates",
    "compared_questions",
    "exact_codes",
    "fingerprint_records",
    "near_candidates",
]

#: The codes of the issues that put a record in a duplicate group.
DUPLICATE_CODES = ("VAL130", "VAL131", "VAL132", "VAL133")

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


_HASH_ROWS = 1 << 16  # rows hashed at a time (bounds the per-word arrays to a few MB)
_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xBF58476D1CE4E5B9)
_K3 = np.uint64(0x94D049BB133111EB)


def text_hashes(arrow: pa.Array) -> np.ndarray:
    """A 64-bit hash of each text of a ``large_string`` array, read from its buffers.

    Each text is read eight bytes at a time; every word is mixed with its place in the
    text (splitmix64's finaliser) and the words are summed. Equal texts always hash
    alike; different texts almost never do (and every match is checked exactly
    afterwards). Nothing but a block of rows is copied at a time, and the words are
    taken one place at a time (the first word of every text, then the second, ...).
    """
    n = len(arrow)
    offsets = np.frombuffer(arrow.buffers()[1], dtype=np.int64)[arrow.offset : arrow.offset + n + 1]
    data = arrow.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    out = np.empty(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for start in range(0, n, _HASH_ROWS):
            stop = min(n, start + _HASH_ROWS)
            lo, hi = int(offsets[start]), int(offsets[stop])
            padded = np.zeros(hi - lo + 8, dtype=np.uint8)
            padded[: hi - lo] = data[lo:hi]
            # the 8 bytes from every byte position, as one little-endian word each
            words_at = np.ndarray((hi - lo + 1,), dtype=np.uint64, buffer=padded, strides=(1,))
            at = offsets[start:stop] - lo
            lengths = np.diff(offsets[start : stop + 1])
            count = (lengths + 7) // 8
            hashes = np.zeros(stop - start, dtype=np.uint64)
            rows = np.arange(stop - start)
            shortest, longest = (int(count.min()), int(count.max())) if len(count) else (0, 0)
            for place in range(longest):
                if place >= shortest:  # only the texts this long
                    rows = rows[count[rows] > place]
                words = words_at[at[rows] + 8 * place]
                left = lengths[rows] - 8 * place  # bytes of the text in the word
                tail = np.flatnonzero(left < 8)
                words[tail] &= (np.uint64(1) << (np.uint64(8) * left[tail].astype(np.uint64))) - 1
                mixed = (words ^ (np.uint64(place) * _K1)) * _K2
                mixed ^= mixed >> np.uint64(29)
                mixed *= _K3
                mixed ^= mixed >> np.uint64(32)
                hashes[rows] += mixed
            out[start:stop] = hashes ^ (lengths.astype(np.uint64) * _K1)
    return out


def _repeated(hashes: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Positions of the rows (not missing) whose hash another such row shares."""
    present = hashes[~missing]
    ordered = np.sort(present)
    again = ordered[1:][ordered[1:] == ordered[:-1]]
    if not len(again):
        return np.zeros(0, dtype=np.int64)
    again = np.unique(again)
    at = np.minimum(np.searchsorted(again, hashes), len(again) - 1)
    return np.flatnonzero((again[at] == hashes) & ~missing)


@dataclass
class KeyHashes:
    """Hashes of a text column (a table's ``_key``), made block by block, and the rows
    whose hash another row shares (:meth:`maybe`): the only rows whose texts the search
    for duplicate keys reads (:func:`exact_codes`)."""

    hashes: np.ndarray
    missing: np.ndarray

    @staticmethod
    def of(values: pd.Series, *, blank_missing: bool) -> KeyHashes:
        arrow = text_of(values)  # missing values as '', shared with pandas (not copied)
        missing = values.isna().to_numpy(dtype=bool, copy=True)
        if blank_missing:
            missing |= pc.equal(pc.binary_length(arrow), 0).to_numpy(zero_copy_only=False)
        return KeyHashes(text_hashes(arrow), missing)

    @staticmethod
    def concat(parts: list[KeyHashes]) -> KeyHashes:
        return KeyHashes(
            np.concatenate([p.hashes for p in parts]), np.concatenate([p.missing for p in parts])
        )

    def maybe(self) -> np.ndarray:
        """Positions of the rows (not missing) whose hash another such row shares."""
        return _repeated(self.hashes, self.missing)


def exact_codes(n: int, maybe: np.ndarray, texts: pa.Array) -> np.ndarray:
    """Codes of the texts at ``maybe`` that occur more than once there (-1 elsewhere)."""
    out = np.full(n, -1, dtype=np.int64)
    if len(maybe):
        exact = pc.dictionary_encode(texts)
        found = exact.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        again = np.bincount(found, minlength=len(exact.dictionary))[found] > 1
        out[maybe[again]] = found[again]  # same hash, different text: no duplicate
    return out


def _text_codes(values: pd.Series, *, blank_missing: bool) -> np.ndarray:
    """Codes of texts that occur more than once (-1 for every other row).

    Rows are hashed in place (:func:`text_hashes`); only rows whose hash repeats are
    compared exactly, so a million distinct keys are neither copied nor held in a hash
    table of texts.
    """
    maybe = KeyHashes.of(values, blank_missing=blank_missing).maybe()
    texts = text_of(values).take(pa.array(maybe)) if len(maybe) else None
    return exact_codes(len(values), maybe, texts)


def _codes(values: np.ndarray | pd.Series, *, blank_missing: bool = False) -> np.ndarray:
    """Integer codes of values; -1 for missing ones, and for '' with ``blank_missing``.

    Text gets codes only where it occurs more than once (all that a search for
    duplicates needs).
    """
    if isinstance(values, pd.Series) and values.dtype == "str":
        return _text_codes(values, blank_missing=blank_missing)
    codes = pd.factorize(values)[0]
    if blank_missing:
        codes[(np.asarray(values, dtype=object) == "") & (codes >= 0)] = -1
    return codes


def _group_refs(
    values: np.ndarray | pd.Series | None,
    rows: np.ndarray,
    *,
    blank_missing: bool = False,
    codes: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For rows sharing a value: positions, group size, and the row of another member
    (``codes``: the values' codes from :func:`_codes`, when known)."""
    if codes is None:
        codes = _codes(values, blank_missing=blank_missing)
    counts = np.bincount(codes[codes >= 0], minlength=max(codes.max() + 1, 1) if len(codes) else 1)
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
    table: RecordTable,
    values: pd.Series | Callable[[np.ndarray], pd.Series],
    code: str,
    name: str,
    lang: str,
    codes: np.ndarray | None = None,
) -> Found:
    """Rows sharing a key. ``values``: the keys, or (with their ``codes``, see
    :class:`KeyHashes`) a function giving the keys of some rows."""
    if codes is None:
        codes = _codes(values, blank_missing=True)
    pos, sizes, other_rows = _group_refs(None, table.source_row, codes=codes)
    if not len(pos):
        return Found.none()
    of = values if callable(values) else lambda at: values.iloc[at].reset_index(drop=True)
    # few distinct texts when many records share few keys: categories (join_distinct)
    shown = join_distinct(of(pos))
    message = join_distinct(
        say(lang, f"{name} “", f"{name} '"),
        shown,
        say(lang, "” 共出现 ", "' is used by "),
        sizes,
        say(lang, " 次（另见第 ", " records (see also row "),
        other_rows,
        say(lang, " 行）", ")"),
    )
    return Found.of(table.name, pos, name, code, shown, message, f"unique {name}")


# ---------------------------------------------------------------------------- answers


@dataclass
class Fingerprints:
    """What the search for duplicate submissions needs of each main record.

    ``full`` is a 64-bit fingerprint of every compared answer, ``bands`` one per band of
    questions (near duplicates), ``answered`` how many compared questions the record
    answers. A fingerprint depends only on the record's own answers (text is hashed by
    its content), so the fingerprints of blocks of records, joined, are those of the
    whole data (:meth:`concat`).
    """

    names: list[str]
    full: np.ndarray
    bands: np.ndarray
    answered: np.ndarray

    @staticmethod
    def concat(parts: list[Fingerprints]) -> Fingerprints:
        """The fingerprints of blocks of records, in block order."""
        return Fingerprints(
            parts[0].names,
            np.concatenate([p.full for p in parts]),
            np.concatenate([p.bands for p in parts], axis=1),
            np.concatenate([p.answered for p in parts]),
        )


def _answer_codes(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes of a column's answers (equal answers, equal codes, in any block) and its
    empty mask: numbers and dates by their bits, text by a hash of its content."""
    if pd.api.types.is_datetime64_any_dtype(col.dtype) or (
        pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype)
    ):
        return value_codes(col)
    text = col if col.dtype == "str" else col.astype("str")
    arrow = text_of(text)
    empty = text.isna().to_numpy(dtype=bool, copy=True)
    empty |= pc.equal(pc.utf8_trim_whitespace(arrow), "").to_numpy(zero_copy_only=False)
    hashes = text_hashes(arrow).view(np.int64)
    return np.where(empty, 0, hashes), empty


def fingerprint_records(records: Records, settings: NearDuplicateSettings) -> Fingerprints:
    """The fingerprints of the main records (see :class:`Fingerprints`)."""
    names = compared_questions(records, settings)
    n_bands = int(np.floor((1 - settings.share) * len(names) + 1e-9)) + 1
    return _fingerprints(records.main, names, n_bands)


def _fingerprints(table: RecordTable, names: list[str], n_bands: int) -> Fingerprints:
    n = len(table)
    full = np.zeros(n, dtype=np.uint64)
    bands = np.zeros((n_bands, n), dtype=np.uint64)
    answered = np.zeros(n, dtype=np.int32)
    with np.errstate(over="ignore"):
        for i, q in enumerate(names):
            codes, empty = _answer_codes(table.column(q))
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
    return Fingerprints(names, full, bands, answered)


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
    return _column_codes_small(table.column(q).iloc[idx])


def _column_codes_small(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        raw = col.to_numpy().astype("datetime64[us]")
        return raw.view(np.int64), np.isnat(raw)
    if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        num = col.to_numpy(dtype="float64", na_value=np.nan)
        return num, np.isnan(num)
    text = col.astype("str").fillna("").str.strip().to_numpy(dtype=object)
    return text, text == ""


def _candidate_pairs(
    n: int, reps: np.ndarray, fp: Fingerprints, settings: NearDuplicateSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of distinct records sharing a band (the only ones compared), ``lo < hi``."""
    keep = reps[fp.answered[reps] >= settings.min_answered]
    empty = np.zeros(0, dtype=np.int64)
    if len(keep) < 2:
        return empty, empty
    left, right = [], []
    for band in fp.bands:
        i, j = _pairs(band[keep])
        left.append(keep[i])
        right.append(keep[j])
    a = np.concatenate(left)
    b = np.concatenate(right)
    if not len(a):
        return empty, empty
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pair_code = np.unique(lo.astype(np.int64) * n + hi)
    return pair_code // n, pair_code % n


def _representatives(fp: Fingerprints) -> np.ndarray:
    """The first record of each distinct full fingerprint, in record order."""
    codes, _ = pd.factorize(fp.full)
    _, first = np.unique(codes, return_index=True)
    return np.sort(first)


def near_candidates(fp: Fingerprints, settings: NearDuplicateSettings) -> np.ndarray:
    """The main records whose answers the near-duplicate search compares (sorted)."""
    lo, hi = _candidate_pairs(len(fp.full), _representatives(fp), fp, settings)
    return np.unique(np.concatenate([lo, hi]))


ValuesAt = Callable[[str, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _near(
    n: int,
    names: list[str],
    reps: np.ndarray,
    fp: Fingerprints,
    settings: NearDuplicateSettings,
    values_at: ValuesAt,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    lo, hi = _candidate_pairs(n, reps, fp, settings)
    if not len(lo):
        return lo, hi, np.zeros(0), lo, hi
    same = np.zeros(len(lo), dtype=np.int32)
    union = np.zeros(len(lo), dtype=np.int32)
    for q in names:
        vi, ei = values_at(q, lo)
        vj, ej = values_at(q, hi)
        either = ~(ei & ej)
        union += either
        same += either & (vi == vj)
    share = np.where(union > 0, same / np.maximum(union, 1), 0.0)
    ok = (share >= settings.share) & (union >= settings.min_answered)
    return lo[ok], hi[ok], share[ok], same[ok], union[ok]


def check_duplicates(
    records: Records,
    lang: str,
    settings: NearDuplicateSettings | None = None,
    *,
    near: bool = True,
    prints: Fingerprints | None = None,
    values_at: ValuesAt | None = None,
    record_keys: Mapping[str, tuple[np.ndarray, Callable[[np.ndarray], pd.Series]]] | None = None,
) -> Found:
    """Duplicate keys in every table; duplicate and near-duplicate main records.

    ``prints``: the main records' fingerprints when made elsewhere (block by block,
    :func:`fingerprint_records`); ``values_at(question, positions)``: the compared
    answers of some main records as :func:`_column_codes_small` gives them (default:
    read from ``records``). With both, ``records`` needs only the keys, not the answers.
    ``record_keys``: per table, the codes of its ``_key`` (:class:`KeyHashes`,
    :func:`exact_codes`) and a function giving the ``_key`` of some rows, for tables
    whose keys ``records`` does not hold.
    """
    settings = settings or NearDuplicateSettings()
    parts = []
    for table in records.tables.values():
        if not len(table):
            continue
        if record_keys is not None and table.name in record_keys:
            codes, keys_at = record_keys[table.name]
            parts.append(_key_duplicates(table, keys_at, "VAL130", "_key", lang, codes))
        else:
            parts.append(_key_duplicates(table, table.record, "VAL130", "_key", lang))
    main = records.main
    if not len(main):
        return Found.concat(parts)
    if records.key_column is not None:
        parts.append(_key_duplicates(main, main.key, "VAL131", records.key_question, lang))
    fp = prints if prints is not None else fingerprint_records(records, settings)
    names = fp.names
    if not names:
        return Found.concat(parts)
    pos, sizes, other_rows = _group_refs(fp.full, main.source_row)
    if len(pos):
        sizes_text = join_distinct(sizes)
        message = join_distinct(
            say(lang, "全部答案与另外 ", "every answer is the same as in "),
            sizes - 1,
            say(lang, " 条记录相同（例如第 ", " other record(s) (e.g. row "),
            other_rows,
            say(lang, " 行），疑似重复提交", "): a duplicate submission?"),
        )
        parts.append(
            Found.of(
                MAIN, pos, "", "VAL132", sizes_text, message, f"{len(names)} compared questions"
            )
        )
    if near:
        if values_at is None:
            values_at = lambda q, idx: _values_at(main, q, idx)  # noqa: E731
        reps = _representatives(fp)
        lo, hi, share, _same, _union = _near(len(main), names, reps, fp, settings, values_at)
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
