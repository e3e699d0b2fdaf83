"""The one tidy issues table of a validation, and the codes of every logged issue.

Each check returns :class:`Found` issues located by *position* in a table; the
validator then fills in who the record is (:func:`assemble`). The final table has the
columns of :data:`ISSUE_COLUMNS`:

``instrument``  the study's name of the instrument (``household``)
``table``       ``main`` or the repeat (``members``)
``key``         the record's study key (``hh_id``, as written in corrections.csv);
                for repeat rows the key of their main record
``record``      the record's reader key ``_key`` (unique, e.g. ODK's ``uuid:...``)
``source_row``  the row of the export (header = row 1); empty for table-level issues
``enumerator``  who collected the record (or the enumerator an issue is about)
``variable``    the question (``duration`` for interview length; empty for records)
``check``       the family of checks (:data:`analysis.validate.settings.CHECKS`)
``code``        ``VAL1xx`` (or a reader's ``RD1xx``), see docs/errors/validate.md
``severity``    ``error``, ``warning`` or ``info``
``value``       the value found, as text (PII masked)
``message``     what is wrong, in the language asked for (zh or en)
``rule``        the rule broken (expression, range, threshold)
``confirmed``   True when a ``confirm`` row of corrections.csv vouches for the value

Examples
--------
>>> found = Found.of("main", [0, 2], "age", "VAL120", ["200", "-1"], "年龄超出范围", ". < 130")
>>> found.frame[["table", "position", "variable", "code", "value"]].values.tolist()
[['main', 0, 'age', 'VAL120', '200'], ['main', 2, 'age', 'VAL120', '-1']]
>>> ISSUE_CODES["VAL120"].check, ISSUE_CODES["VAL120"].severity
('constraint', 'error')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import union_categoricals

__all__ = [
    "CATEGORY_COLUMNS",
    "FOUND_COLUMNS",
    "ISSUE_CODES",
    "ISSUE_COLUMNS",
    "Found",
    "IssueCode",
    "distinct_category",
    "empty_issues",
    "filled_text",
    "join_distinct",
    "join_text",
    "number_text",
    "say",
    "text_of",
]

ISSUE_COLUMNS = (
    "instrument",
    "table",
    "key",
    "record",
    "source_row",
    "enumerator",
    "variable",
    "check",
    "code",
    "severity",
    "value",
    "message",
    "rule",
    "confirmed",
)

#: Columns of a check's raw findings (before the records are filled in).
FOUND_COLUMNS = (
    "table",
    "position",
    "variable",
    "code",
    "severity",
    "value",
    "message",
    "rule",
    "enumerator",
    "key",
)


@dataclass(frozen=True)
class IssueCode:
    """One logged-issue code: its check family, default severity and title."""

    code: str
    check: str
    severity: str
    zh: str
    en: str


def _codes(*rows: tuple[str, str, str, str, str]) -> dict[str, IssueCode]:
    return {r[0]: IssueCode(*r) for r in rows}


#: Every ``VAL1xx`` code a check can log (raised errors are ``VAL0xx``).
ISSUE_CODES: dict[str, IssueCode] = _codes(
    ("VAL100", "structure", "warning", "数据没有记录", "the data has no records"),
    (
        "VAL101",
        "type",
        "error",
        "整数题的值不是整数",
        "value of an integer question is not an integer",
    ),
    ("VAL102", "type", "error", "数值题的值不是数", "value of a decimal question is not a number"),
    ("VAL103", "type", "error", "日期题的值不是日期", "value of a date question is not a date"),
    ("VAL104", "type", "error", "日期时间题的值不是日期时间", "value is not a date-time"),
    (
        "VAL105",
        "type",
        "warning",
        "日期题中是Excel日期序号",
        "Excel date serial number in a date question",
    ),
    ("VAL106", "type", "error", "GPS坐标超出有效范围", "GPS coordinates out of range"),
    ("VAL110", "choice", "error", "选项代码不在选项表中", "choice code not in the choice list"),
    (
        "VAL111",
        "choice",
        "error",
        "多选题含有不在选项表中的代码",
        "select_multiple code not in the choice list",
    ),
    (
        "VAL112",
        "choice",
        "error",
        "选项不符合筛选条件（choice_filter）",
        "choice excluded by the choice_filter",
    ),
    ("VAL113", "choice", "warning", "多选题同一代码重复", "select_multiple code repeated"),
    ("VAL120", "constraint", "error", "不符合约束条件", "constraint broken"),
    ("VAL121", "required", "error", "必答题未回答", "required question empty"),
    ("VAL122", "relevance", "warning", "不应回答的题有答案", "answered although not relevant"),
    (
        "VAL123",
        "calculation",
        "warning",
        "计算值与重新计算的结果不同",
        "calculated value differs from its recomputation",
    ),
    (
        "VAL124",
        "structure",
        "error",
        "重复组条数与应有条数不符",
        "number of repeat instances differs from repeat_count",
    ),
    (
        "VAL125",
        "structure",
        "warning",
        "问卷中的题目在数据中没有对应列",
        "question of the form absent from the data",
    ),
    (
        "VAL126",
        "structure",
        "error",
        "重复组记录找不到所属的主记录",
        "repeat record without its parent record",
    ),
    (
        "VAL127",
        "structure",
        "info",
        "记录编号列缺失，按行号编号",
        "no record key column; keys made from row numbers",
    ),
    ("VAL128", "structure", "error", "空记录：没有任何答案", "empty record: no answers at all"),
    (
        "VAL320",
        "calculation",
        "info",
        "计算出的题目措辞写法不同，视为相同",
        "calculated wording written differently, taken as the same",
    ),
    ("VAL130", "duplicate", "error", "记录键（_key）重复", "duplicate record key (_key)"),
    ("VAL131", "duplicate", "error", "样本编号重复", "duplicate study key"),
    (
        "VAL132",
        "duplicate",
        "error",
        "重复提交：全部答案相同",
        "duplicate submission: every answer the same",
    ),
    (
        "VAL133",
        "near_duplicate",
        "warning",
        "疑似重复：绝大多数答案相同",
        "near duplicate: almost every answer the same",
    ),
    ("VAL140", "outlier", "warning", "异常值（四分位距规则）", "outlier (IQR rule)"),
    ("VAL141", "outlier", "warning", "异常值（标准差规则）", "outlier (SD rule)"),
    ("VAL142", "outlier", "warning", "超出合理范围", "outside the soft range"),
    (
        "VAL150",
        "missing_code",
        "warning",
        "缺失码（不知道/拒答）比例过高",
        "high share of missing codes",
    ),
    (
        "VAL151",
        "missing_code",
        "warning",
        "疑似缺失码位数不对",
        "looks like a missing code with the wrong number of digits",
    ),
    (
        "VAL152",
        "missing_code",
        "warning",
        "调查员的“不知道/拒答”比例过高",
        "enumerator with a high don't-know rate",
    ),
    ("VAL160", "duration", "warning", "访问时间过短", "interview too short"),
    ("VAL161", "duration", "warning", "访问时间过长", "interview too long"),
    ("VAL162", "duration", "error", "结束时间早于开始时间", "interview ends before it starts"),
    ("VAL163", "duration", "info", "缺少开始或结束时间", "start or end time missing"),
    (
        "VAL170",
        "enumerator",
        "warning",
        "调查员一天完成的访问过多",
        "too many interviews in one day",
    ),
    (
        "VAL171",
        "enumerator",
        "warning",
        "调查员访问时长明显偏短",
        "enumerator's interviews much shorter than others'",
    ),
    ("VAL180", "consistency", "error", "上级记录不存在", "parent record not found"),
    (
        "VAL181",
        "consistency",
        "warning",
        "与上级记录的值不一致",
        "value differs from the parent record",
    ),
    (
        "VAL182",
        "consistency",
        "warning",
        "下级记录数与应有数不符",
        "number of child records differs",
    ),
    (
        "VAL183",
        "consistency",
        "info",
        "上级记录没有任何下级记录",
        "parent record without child records",
    ),
    (
        "VAL184",
        "panel",
        "warning",
        "上一轮的样本本轮缺失",
        "panel unit of the previous wave missing",
    ),
    ("VAL185", "panel", "info", "本轮新增的样本", "new panel unit"),
    (
        "VAL186",
        "panel",
        "warning",
        "固定属性与上一轮不同",
        "stable attribute changed since the previous wave",
    ),
    ("VAL187", "consistency", "info", "一致性检查无法进行", "consistency check could not run"),
    (
        "VAL188",
        "panel",
        "info",
        "固定属性不在上一轮数据中，未比较",
        "stable attribute not in the previous wave's data; not compared",
    ),
    ("VAL190", "structure", "error", "问卷逻辑无法计算", "the form's rules could not be evaluated"),
    (
        "VAL191",
        "structure",
        "warning",
        "分析引擎不支持的函数：相关规则未检查",
        "function the engine does not evaluate: its rules not checked",
    ),
    ("VAL195", "pii", "error", "开放题中有手机号码", "mobile phone number in free text"),
    ("VAL196", "pii", "error", "开放题中有身份证号码", "resident ID number in free text"),
    (
        "VAL199",
        "settings",
        "warning",
        "设置中的变量不在问卷中",
        "setting names a variable the form does not have",
    ),
)


def say(lang: str, zh: str, en: str) -> str:
    """The text in ``lang`` (``zh`` or ``en``).

    >>> say("en", "太短", "too short")
    'too short'
    """
    return en if lang == "en" else zh


_LARGE = pa.large_string()


def filled_text(series: pd.Series) -> pd.Series:
    """A column as text with missing values as ''; a text category column stays a category.

    >>> filled_text(pd.Series(["a", None], dtype="category")).tolist()
    ['a', '']
    >>> filled_text(pd.Series(["b", None])).tolist()
    ['b', '']
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        if not series.isna().any():
            return series
        categories = series.cat.categories
        if categories.dtype == "str":  # still a category: "" joins the categories
            if "" not in categories:
                series = series.cat.add_categories([""])
            return series.fillna("")
        return series.astype("str").fillna("")
    return series.fillna("").astype("str") if series.dtype != "str" else series.fillna("")


def text_of(part: Any) -> pa.Array:
    """A column of text as one pyarrow ``large_string`` array (missing values as '').

    A text column of one chunk is shared with pandas, not copied.
    """
    if isinstance(part, pd.Index):
        part = pd.Series(part)
    if not isinstance(part, (pa.Array, pa.ChunkedArray)):
        s = part if isinstance(part, pd.Series) else pd.Series(part, dtype=object)
        part = pa.array((s if s.dtype == "str" else s.astype("str")).array)
    if isinstance(part, pa.ChunkedArray):
        part = part.chunk(0) if part.num_chunks == 1 else part.combine_chunks()
    if part.type != _LARGE:
        part = part.cast(_LARGE)
    return pc.fill_null(part, "") if part.null_count else part


def number_text(values: Any) -> pd.Series:
    """Integers as text, vectorised (no Python loop).

    >>> number_text(np.array([3, 12])).tolist()
    ['3', '12']
    """
    arr = pa.array(np.asarray(values, dtype=np.int64)).cast(_LARGE)
    return pd.Series(pd.array(arr, dtype="str"))


def join_text(*parts: Any) -> pd.Series:
    """Concatenate text pieces row by row; scalars are repeated (vectorised).

    >>> join_text("值 ", pd.Series(["1", "2"]), " 太大").tolist()
    ['值 1 太大', '值 2 太大']
    """
    columns = [p for p in parts if not isinstance(p, str)]
    if not columns:
        return pd.Series(["".join(parts)], dtype="str")
    arrays = [pa.scalar(p, _LARGE) if isinstance(p, str) else text_of(p) for p in parts]
    out = pc.binary_join_element_wise(*arrays, pa.scalar("", _LARGE))
    return pd.Series(pd.array(out, dtype="str"))


def join_distinct(*parts: Any) -> pd.Series:
    """:func:`join_text` as a category column: each distinct row of pieces joined once.

    Pieces are text (a scalar, repeated), text columns, or integer arrays (written as
    numbers). Millions of rows with few distinct texts (the members of a duplicate
    group) make few texts, not a text each.

    >>> found = join_distinct("见第 ", np.array([3, 3, 12]), " 行")
    >>> found.tolist(), found.cat.categories.tolist()
    (['见第 3 行', '见第 3 行', '见第 12 行'], ['见第 3 行', '见第 12 行'])
    """
    columns = [p for p in parts if not isinstance(p, str)]
    if not columns:
        return join_text(*parts).astype("category")
    n = len(columns[0])
    row_key = np.zeros(n, dtype=np.int64)
    for part in columns:
        if isinstance(part, pd.Series) and isinstance(part.dtype, pd.CategoricalDtype):
            codes = part.cat.codes.to_numpy().astype(np.int64) + 1  # missing: 0
            size = len(part.cat.categories) + 1
        elif isinstance(part, np.ndarray) and part.dtype.kind in "iu":
            codes, distinct = pd.factorize(part)
            size = len(distinct)
        else:
            encoded = pc.dictionary_encode(text_of(part))
            codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
            codes = codes.astype(np.int64) + 1
            size = len(encoded.dictionary) + 1
        # renumbered after each piece (hashing, not sorting), so the key stays below n * size
        row_key = pd.factorize(row_key * max(size, 1) + codes)[0]
    inverse = pd.factorize(row_key)[0]
    # codes come in order of first appearance: a row is first where its code exceeds
    # every code before it
    seen = np.maximum.accumulate(inverse)
    first = np.flatnonzero(np.r_[True, inverse[1:] > seen[:-1]])
    pieces = [
        p
        if isinstance(p, str)
        else number_text(p[first])
        if isinstance(p, np.ndarray) and p.dtype.kind in "iu"
        else text_of(p.iloc[first])
        if isinstance(p, pd.Series)
        else text_of(p).take(pa.array(first))
        for p in parts
    ]
    codes, texts = pd.factorize(join_text(*pieces))
    return pd.Series(distinct_category(codes[inverse], pd.Index(texts, dtype="str")))


@dataclass(frozen=True)
class Found:
    """Issues found by one check, located by table and row position (see module doc)."""

    frame: pd.DataFrame

    @classmethod
    def of(
        cls,
        table: str,
        positions: Sequence[int] | np.ndarray,
        variable: str | Sequence[str] | pd.Series,
        code: str,
        values: Any,
        message: str | Sequence[str] | pd.Series,
        rule: str | Sequence[str] | pd.Series = "",
        *,
        severity: str | None = None,
        enumerator: str | Sequence[str] | pd.Series | None = None,
        key: str | Sequence[str] | None = None,
    ) -> Found:
        """Issues at ``positions`` of ``table`` (position -1: an issue of the whole table).

        ``enumerator`` and ``key`` override what the record says (issues about an
        enumerator, or about a unit that has no record here).
        """
        pos = np.asarray(positions, dtype=np.int64)
        n = len(pos)

        def column(value: Any) -> Any:
            if value is None:
                return value
            if isinstance(value, str):  # one value for every row: a category
                return pd.Categorical.from_codes(
                    np.zeros(n, dtype=np.int8), categories=pd.Index([value], dtype="str")
                )
            if isinstance(value, pd.Series):
                series = value.reset_index(drop=True)
                if (
                    isinstance(series.dtype, pd.CategoricalDtype)
                    and series.cat.categories.dtype == "str"
                ):
                    return series  # texts as a category stay one (see join_distinct)
            else:
                series = pd.Series(
                    list(value) if not isinstance(value, np.ndarray) else value, dtype=object
                )
            if series.dtype != "str":
                series = series.astype("str")
            return series

        def category(value: Any) -> Any:
            out = column(value)
            return out.astype("category") if isinstance(out, pd.Series) else out

        frame = pd.DataFrame(
            {
                "table": column(table),
                "position": pos,
                "variable": category(variable),
                "code": column(code),
                "severity": column(severity or ISSUE_CODES[code].severity),
                "value": column(values) if values is not None else "",
                "message": column(message),
                "rule": category(rule),
                # not given: missing (one byte a row, not an object per row)
                "enumerator": column(enumerator)
                if enumerator is not None
                else _missing_category(n),
                "key": column(key) if key is not None else _missing_category(n),
            },
            index=pd.RangeIndex(n),
        )
        return cls(frame)

    @classmethod
    def table_level(
        cls,
        table: str,
        variable: str,
        code: str,
        value: str,
        message: str,
        rule: str = "",
        *,
        severity: str | None = None,
        enumerator: str | None = None,
        key: str | None = None,
    ) -> Found:
        """One issue about a whole variable, table or enumerator (no record)."""
        return cls.of(
            table,
            [-1],
            variable,
            code,
            [value],
            message,
            rule,
            severity=severity,
            enumerator=enumerator,
            key=key,
        )

    @classmethod
    def none(cls) -> Found:
        """No issue."""
        return cls(pd.DataFrame({c: pd.Series(dtype=object) for c in FOUND_COLUMNS}))

    @staticmethod
    def concat(parts: Iterable[Found]) -> Found:
        """All issues of several findings (category columns stay categories)."""
        frames = [p.frame for p in parts if len(p.frame)]
        if not frames:
            return Found.none()
        if len(frames) == 1:
            return Found(frames[0])
        columns = {}
        names = list(dict.fromkeys(c for f in frames for c in f.columns))
        for name in names:
            pieces = [f[name] if name in f.columns else None for f in frames]
            if name != "position" and _mostly_categories([p for p in pieces if p is not None]):
                # text pieces join the categories (rather than millions of category
                # rows becoming text)
                pieces = [None if p is None else _text_category(p) for p in pieces]
            if all(p is None or isinstance(p.dtype, pd.CategoricalDtype) for p in pieces):
                # a column some findings lack: missing values of a category column (one
                # byte a row, not an object per row)
                columns[name] = pd.Series(
                    _union(
                        [
                            p.array if p is not None else _missing_category(len(f))
                            for p, f in zip(pieces, frames, strict=True)
                        ]
                    )
                )
            elif name == "position":
                columns[name] = np.concatenate([p.to_numpy(dtype=np.int64) for p in pieces])
            else:
                columns[name] = pd.concat(
                    [
                        pd.Series([None] * len(f), dtype=object)
                        if p is None
                        else p.astype("str")
                        if isinstance(p.dtype, pd.CategoricalDtype)
                        else p
                        for p, f in zip(pieces, frames, strict=True)
                    ],
                    ignore_index=True,
                )
        return Found(pd.DataFrame(columns))

    def __len__(self) -> int:
        return len(self.frame)


#: Issue columns kept as categories: few distinct values, or (key, record) a text per
#: record concerned rather than per issue (small, and fast to group).
CATEGORY_COLUMNS = (
    "instrument",
    "table",
    "key",
    "record",
    "enumerator",
    "variable",
    "check",
    "code",
    "severity",
    "rule",
)


def distinct_category(codes: np.ndarray, categories: pd.Index) -> pd.Categorical:
    """A category column from codes into categories already known to be distinct.

    pandas checks that categories are distinct by hashing them all; for the millions
    of distinct records of a large validation that check costs as much as building
    them, so it is skipped where the categories come out of a dictionary encoding.

    >>> distinct_category(np.array([1, 0, -1]), pd.Index(["a", "b"], dtype="str")).tolist()
    ['b', 'a', nan]
    """
    try:
        dtype = pd.CategoricalDtype._from_fastpath(categories, False)
    except AttributeError:  # a pandas without the fast path: checked after all
        dtype = pd.CategoricalDtype(categories, ordered=False)
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def _missing_category(n: int) -> pd.Categorical:
    """``n`` missing values of a text category column."""
    return pd.Categorical.from_codes(
        np.full(n, -1, dtype=np.int8), dtype=pd.CategoricalDtype(pd.Index([], dtype="str"))
    )


def _mostly_categories(pieces: list[pd.Series]) -> bool:
    """Whether category pieces hold at least as many rows as the other (text) pieces."""
    rows = [(isinstance(p.dtype, pd.CategoricalDtype), len(p)) for p in pieces]
    text = all(
        p.dtype in ("str", object) for p in pieces if not isinstance(p.dtype, pd.CategoricalDtype)
    )
    categorical = sum(n for c, n in rows if c)
    return text and 0 < categorical >= sum(n for c, n in rows if not c)


def _text_category(column: pd.Series) -> pd.Series:
    """A column as a category (text where it is not one already; missing stays missing)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column
    return column.astype("str").astype("category")


def _union(pieces: list[pd.Categorical]) -> pd.Categorical:
    """One category column of several, whatever the type of their categories.

    Pieces without categories (all missing) take the others' type; categories of
    different types are made text.
    """
    kinds = {str(p.categories.dtype) for p in pieces if len(p.categories)}
    if len(kinds) > 1:
        pieces = [p.rename_categories(p.categories.astype("str")) for p in pieces]
        kinds = {"str"}
    target = (
        next(p.categories[:0] for p in pieces if len(p.categories))
        if kinds
        else pd.Index([], dtype="str")
    )
    pieces = [
        p if len(p.categories) else pd.Categorical.from_codes(p.codes, categories=target)
        for p in pieces
    ]
    return union_categoricals(pieces, ignore_order=True)


def empty_issues() -> pd.DataFrame:
    """An issues table without rows, with the standard columns and types."""
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in ISSUE_COLUMNS})
    frame["source_row"] = frame["source_row"].astype("Int64")
    frame["confirmed"] = frame["confirmed"].astype(bool)
    for name in CATEGORY_COLUMNS:
        frame[name] = frame[name].astype(pd.CategoricalDtype(pd.Index([], dtype="str")))
    return frame
