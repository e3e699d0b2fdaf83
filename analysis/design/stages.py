"""Sampling stages of a design: unit codes, weights, fpc, and lonely units.

The construction steps of :class:`analysis.design.survey.SurveyDesign`, as functions:
integer coding of labels (:func:`factorize`), reading and checking the weights
(:func:`read_weights`) and the finite population corrections (:func:`fpc_values`),
building one :class:`~analysis.design.variance.SamplingStage` per stage (:func:`build_stages`)
and checking lonely units (:func:`check_lonely`). Errors are ``DesignError`` codes
listed in ``docs/errors/design.md``.

Examples
--------
>>> import pandas as pd
>>> codes, labels = factorize(pd.Series([12, 10, 12, 11]))
>>> codes.tolist(), labels.tolist()
([2, 0, 2, 1], [10, 11, 12])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import DesignError
from .rowpass import bincount, blocks, first_rows, keyed_counts
from .variance import SamplingStage

__all__ = [
    "RowCodes",
    "build_stages",
    "check_lonely",
    "factorize",
    "fpc_values",
    "nested_codes",
    "numeric_column",
    "population_sizes",
    "read_weights",
    "readonly",
    "refuse_mixed_types",
    "refuse_rows",
]


def rows_preview(data: pd.DataFrame, mask: np.ndarray, limit: int = 5) -> str:
    """The index labels of the first rows of ``mask``, for error messages."""
    idx = np.flatnonzero(mask)[:limit]
    labels = [str(data.index[i]) for i in idx]
    more = int(mask.sum()) - len(idx)
    return ", ".join(labels) + (f" and {more} more" if more > 0 else "")


def refuse_rows(
    data: pd.DataFrame,
    bad: np.ndarray,
    code: str,
    what: str,
    *,
    column: str,
    expected: str,
    found: str,
    hint: str,
) -> None:
    """Raise a :class:`DesignError` naming the rows where ``bad`` holds, if any do."""
    if bad.any():
        raise DesignError(
            code,
            f"{int(bad.sum())} row(s) {what}",
            column=column,
            record=rows_preview(data, bad),
            expected=expected,
            found=found,
            hint=hint,
        )


def labels_missing(values: pd.Series) -> np.ndarray:
    """True where a label (stratum, unit) is missing."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "biu":
        return np.broadcast_to(False, (len(values),))  # numpy integers cannot be missing
    return values.isna().to_numpy()


def refuse_mixed_types(values: pd.Series, column: str, role: str) -> None:
    """Refuse a label column that holds numbers and text (``1`` and ``'1'``) together.

    pandas keeps ``1`` and ``'1'`` apart, so such a column would split one village into
    two sampling units (or strata) without a word, changing the SEs and the df.

    Examples
    --------
    >>> refuse_mixed_types(pd.Series([1, "1", 2], dtype=object), "village", "PSU")
    Traceback (most recent call last):
    ...
    analysis.errors.DesignError: [DES022] PSU column 'village' mixes numbers and text ...
    """
    if values.dtype != object:
        return
    kinds: dict[str, object] = {}
    for value in pd.unique(values.dropna()):
        kind = "text" if isinstance(value, str) else "number"
        kinds.setdefault(kind, value)
        if len(kinds) == 2:
            raise DesignError(
                "DES022",
                f"{role} column {column!r} mixes numbers and text "
                f"(e.g. {kinds['number']!r} and {kinds['text']!r}): they would count as "
                "different units",
                column=column,
                expected="one type of label",
                found="numbers and text",
                hint=f"Convert the column to one type first, e.g. data[{column!r}] = "
                f"data[{column!r}].astype(str).",
            )


def _small_integers(values: pd.Series) -> tuple[np.ndarray, int, np.ndarray | None] | None:
    """``(array, lo, mapping)`` when ``values`` are integers spanning a small range.

    The code of a row is ``mapping[value - lo]``, or ``value - lo`` when every label from
    ``lo`` to the largest is present (``mapping`` None). The labels present are found
    block by block (no row-length temporary). None for other columns.
    """
    if not pd.api.types.is_integer_dtype(values.dtype) or isinstance(
        values.dtype, pd.CategoricalDtype
    ):
        return None
    arr = values.to_numpy()
    if arr.dtype.kind not in "iu" or not arr.size:
        return None
    lo, hi = int(arr.min()), int(arr.max())
    if hi - lo >= 4 * arr.size + 1024:
        return None
    seen = keyed_counts(lambda b: _shifted(arr[b], lo), arr.size, hi - lo + 1) > 0
    if seen.all():
        return arr, lo, None
    return arr, lo, (np.cumsum(seen) - 1).astype(np.intp)


def _shifted(values: np.ndarray, lo: int) -> np.ndarray:
    """``values - lo`` as ``intp`` (no overflow of narrow integer types)."""
    values = values.astype(np.intp, copy=False)
    return values - lo if lo != 0 else values


def factorize(values: pd.Series, *, sort: bool = False) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (``-1`` for missing) and labels of a column.

    Small non-negative integer columns (village numbers, county codes) are coded
    in O(n) without sorting; everything else goes through pyarrow's dictionary
    encoding or :func:`pandas.factorize`. Labels are sorted when ``sort`` is true or
    the fast path is used.
    """
    small = _small_integers(values)
    if small is not None:
        codes = RowCodes.small_integers(*small)
        return codes.full(), codes.labels
    arrow = _arrow_strings(values)
    if arrow is not None:
        coded = _factorize_arrow(arrow, values.dtype, sort)
        if coded is not None:
            return coded
    codes, uniques = pd.factorize(values, sort=sort)
    return codes.astype(np.intp, copy=False), pd.Index(uniques)


class RowCodes:
    """The integer codes of a label column, read for any rows (a slice or row numbers).

    Integer labels are coded when read (``mapping[value - lo]``), so building the codes
    of a design needs no row-length array per column; other columns hold their codes.

    Examples
    --------
    >>> codes = RowCodes.of(pd.Series([12, 10, 12, 11]))
    >>> codes[1:3].tolist(), codes[np.array([0, 3])].tolist(), codes.labels.tolist()
    ([0, 2], [2, 1], [10, 11, 12])
    >>> RowCodes.rows(5)[1:4].tolist()
    [1, 2, 3]
    """

    __slots__ = ("_arr", "_lo", "_mapping", "labels", "n_rows")

    def __init__(
        self, arr: np.ndarray | None, lo: int, mapping: np.ndarray | None, labels: pd.Index
    ) -> None:
        self._arr = arr
        self._lo = lo
        self._mapping = mapping
        self.labels = labels
        self.n_rows = len(labels) if arr is None else arr.size

    @classmethod
    def of(cls, values: pd.Series, *, sort: bool = False) -> RowCodes:
        """The codes of ``values`` (labels sorted when ``sort`` or integer)."""
        small = _small_integers(values)
        if small is not None:
            return cls.small_integers(*small)
        codes, labels = factorize(values, sort=sort)
        return cls(codes, 0, None, labels)

    @classmethod
    def small_integers(cls, arr: np.ndarray, lo: int, mapping: np.ndarray | None) -> RowCodes:
        """Codes ``mapping[arr - lo]`` (``arr - lo`` without mapping) of integer labels."""
        if mapping is None:
            labels = np.arange(lo, int(arr.max()) + 1)
        else:
            labels = np.flatnonzero(np.diff(mapping, prepend=-1)) + lo
        return cls(arr, lo, mapping, pd.Index(labels.astype(arr.dtype)))

    @classmethod
    def rows(cls, n: int) -> RowCodes:
        """Every row its own unit: the code is the row number."""
        return cls(None, 0, None, pd.RangeIndex(n))

    def __len__(self) -> int:
        """The number of codes (labels)."""
        return len(self.labels)

    def __getitem__(self, rows: slice | np.ndarray) -> np.ndarray:
        """The ``intp`` codes of ``rows``."""
        if self._arr is None:
            if isinstance(rows, slice):
                return np.arange(*rows.indices(self.n_rows), dtype=np.intp)
            return np.asarray(rows, dtype=np.intp)
        values = self._arr[rows]
        if self._mapping is None and self._lo == 0 and values.dtype == np.intp:
            return values
        shifted = _shifted(values, self._lo)
        return shifted if self._mapping is None else self._mapping[shifted]

    def full(self) -> np.ndarray:
        """The codes of every row, as one array."""
        if self._arr is None:
            return np.arange(self.n_rows, dtype=np.intp)
        if self._mapping is None:
            return _shifted(self._arr, self._lo)
        out = np.empty(self.n_rows, dtype=np.intp)
        for b in blocks(self.n_rows):
            out[b] = self[b]
        return out


def _arrow_strings(values: pd.Series) -> Any:
    """The pyarrow ChunkedArray behind a text column (pandas' default ``str``), or None."""
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return getattr(values.array, "_pa_array", None)
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        if pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype):
            return getattr(values.array, "_pa_array", None)
    return None


def _factorize_arrow(chunked: Any, dtype: Any, sort: bool) -> tuple[np.ndarray, pd.Index] | None:
    """Codes of a text column by pyarrow's dictionary encoding, in one pass over the rows.

    The (small) dictionary is sorted, not the rows: pandas' ``factorize(sort=True)`` remaps
    the codes of every row a second time. Returns None when the chunks do not share one
    dictionary (pandas' general path is used then).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(chunked)
    chunks = encoded.chunks
    if not chunks:
        return None
    dictionary = chunks[-1].dictionary
    for chunk in chunks[:-1]:
        # one memo table for the whole column: every chunk's dictionary is a prefix of the last
        if not chunk.dictionary.equals(dictionary.slice(0, len(chunk.dictionary))):
            return None
    parts = []
    for chunk in chunks:
        idx = chunk.indices
        if idx.null_count:
            idx = pc.fill_null(idx, -1)
        parts.append(idx.to_numpy(zero_copy_only=False))
    indices = parts[0] if len(parts) == 1 else np.concatenate(parts)
    labels = dictionary.to_pylist()
    if sort and labels != sorted(labels):
        order = sorted(range(len(labels)), key=labels.__getitem__)
        rank = np.empty(len(labels) + 1, dtype=np.intp)
        rank[order] = np.arange(len(labels))
        rank[-1] = -1  # missing values keep -1
        labels = [labels[i] for i in order]
        codes = rank[indices]
    else:
        codes = indices.astype(np.intp)
    return codes, pd.Index(pa.array(labels, type=dictionary.type), dtype=dtype)


def compact(key: np.ndarray, size: int | None = None) -> tuple[np.ndarray, int]:
    """Dense codes 0..m-1 for integer keys (first-appearance order not guaranteed)."""
    if size is not None and size <= max(1 << 22, 4 * key.size):
        seen = bincount(key, minlength=size) > 0
        mapping = np.cumsum(seen) - 1
        return mapping[key].astype(np.intp, copy=False), int(seen.sum())
    codes, uniques = pd.factorize(key)
    return codes.astype(np.intp, copy=False), len(uniques)


def nested_codes(parent: RowCodes, labels: RowCodes) -> tuple[np.ndarray, int]:
    """Codes ``0..m-1`` of the (parent, label) pairs of the rows, and ``m``.

    The codes are those of :func:`compact` on ``parent * len(labels) + labels``, computed
    block by block: in increasing (parent, label) order when the pairs fit a dense table.

    Examples
    --------
    >>> county = RowCodes.of(pd.Series(["A", "A", "B", "B"]), sort=True)
    >>> village = RowCodes.of(pd.Series([1, 2, 1, 1]))
    >>> codes, m = nested_codes(county, village)
    >>> codes.tolist(), m
    ([0, 1, 2, 2], 3)
    """
    width = len(labels)
    size = len(parent) * width
    n = labels.n_rows

    def key_of(rows: slice) -> np.ndarray:
        key = parent[rows] * width
        key += labels[rows]
        return key

    if size > max(1 << 22, 4 * n):
        key = np.empty(n, dtype=np.intp)
        for b in blocks(n):
            key[b] = key_of(b)
        return compact(key)
    seen = keyed_counts(key_of, n, size) > 0
    mapping = (np.cumsum(seen) - 1).astype(np.intp)
    codes = np.empty(n, dtype=np.intp)
    for b in blocks(n):
        codes[b] = mapping[key_of(b)]
    return codes, int(seen.sum())


def read_weights(
    data: pd.DataFrame,
    weights: str | None,
    fpc_cols: list[str],
    unit_codes: list[np.ndarray],
    scodes: np.ndarray,
    n_units: list[int],
) -> np.ndarray:
    """Checked weights (``DES003``-``DES006``), or R's weights from the fpc when ``None``.

    Zero weights are allowed, as in R: such rows add nothing to the estimates but keep
    their sampling unit (and its stratum's PSU count) in the design."""
    n = len(data)
    if weights is None:
        if not fpc_cols:
            return np.ones(n)
        prob = np.ones(n)
        fpc = fpc_values(data, fpc_cols)
        for s in range(len(fpc_cols)):
            pop, samp = population_sizes(*fpc, s, unit_codes, scodes)
            prob = prob * (1.0 / (pop / samp))
        return 1.0 / prob
    w = numeric_column(
        data,
        weights,
        "DES006",
        "weights",
        expected="positive numbers",
        hint="Convert the weights to numbers (check for text such as '1,234' or '--').",
    )
    if w.size and w.min() > 0 and w.max() < np.inf:
        return w  # finite and positive (a NaN fails both comparisons): nothing to report
    checks = (
        (
            np.isnan(w),
            "DES003",
            "have a missing weight",
            "a weight for every row",
            "missing values",
            "Compute the weights of these rows (see analysis.sampling), or drop the "
            "rows if they were not sampled.",
        ),
        (
            np.isinf(w),
            "DES006",
            "have an infinite weight",
            "finite positive weights",
            "inf",
            "An infinite weight means a zero inclusion probability: fix the "
            "selection probabilities of these rows.",
        ),
        (
            w < 0,
            "DES005",
            "have a negative weight",
            "positive weights",
            f"minimum {np.nanmin(w) if (w < 0).any() else 0:g}",
            "Sampling weights are inverse inclusion probabilities and cannot be "
            "negative: check the weight computation.",
        ),
    )
    for bad, code, what, expected, found, hint in checks:
        refuse_rows(
            data, bad, code, what, column=weights, expected=expected, found=found, hint=hint
        )
    if not (w > 0).any():
        raise DesignError(
            "DES004",
            "every weight is zero",
            column=weights,
            expected="at least one positive weight",
            found=f"{n} zero weight(s)",
            hint="Check the weight column. Rows of weight 0 are allowed (they keep their "
            "sampling unit in the design, as in R) but some rows must carry weight.",
        )
    return w


def numeric_column(
    data: pd.DataFrame, name: str, code: str, role: str, *, expected: str, hint: str
) -> np.ndarray:
    """Column ``name`` as float64 with NaN for missing values, or the error ``code``.

    ``role`` names the column in the message ("weights column 'w' is not numeric");
    True/False columns are refused too.

    Examples
    --------
    >>> numeric_column(pd.DataFrame({"w": [1, 2]}), "w", "DES006", "weights",
    ...                expected="positive numbers", hint="")
    array([1., 2.])
    """
    col = data[name]
    if col.dtype == bool or not pd.api.types.is_numeric_dtype(col.dtype):
        raise DesignError(
            code,
            f"{role} column {name!r} is not numeric",
            column=name,
            expected=expected,
            found=str(col.dtype),
            hint=hint,
        )
    return col.to_numpy(dtype=np.float64, na_value=np.nan)


def fpc_values(data: pd.DataFrame, fpc_cols: list[str]) -> tuple[np.ndarray, bool]:
    """The fpc columns as a matrix, and whether they are population sizes (else fractions)."""
    mats = []
    for col in fpc_cols:
        v = numeric_column(
            data,
            col,
            "DES013",
            "fpc",
            expected="population sizes or sampling fractions",
            hint="Convert the fpc column to numbers.",
        )
        refuse_rows(
            data,
            np.isnan(v),
            "DES012",
            "have a missing fpc",
            column=col,
            expected="an fpc for every row",
            found="missing values",
            hint="Fill in the population size (or sampling fraction) of the stratum of these rows.",
        )
        neg = v < 0
        refuse_rows(
            data,
            neg,
            "DES013",
            "have a negative fpc",
            column=col,
            expected="population sizes (>= 1) or sampling fractions (0..1)",
            found=f"minimum {np.nanmin(v) if neg.any() else 0:g}",
            hint="Correct the fpc values.",
        )
        mats.append(v)
    fpc = np.column_stack(mats)
    is_popsize = bool((fpc > 1).any())
    if is_popsize != bool((fpc >= 1).all()):
        if is_popsize:
            rows = (fpc < 1).any(axis=1)
            found = "values above 1 (population sizes) and below 1 (fractions)"
        else:
            rows = np.ones(len(fpc), dtype=bool)
            found = "every value equal to 1"
        raise DesignError(
            "DES013",
            "fpc mixes population sizes and sampling fractions",
            column=", ".join(fpc_cols),
            record=rows_preview(data, rows),
            expected="all fpc values >= 1 (population sizes) or all <= 1 (fractions)",
            found=found,
            hint="Give every stage's fpc the same way: population sizes (e.g. number of "
            "villages in the county) or sampling fractions (n/N).",
        )
    return fpc, is_popsize


def population_sizes(
    fpc: np.ndarray,
    is_popsize: bool,
    s: int,
    unit_codes: list[np.ndarray],
    scodes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row population size and sample size of the stage-``s`` group."""
    group = scodes if s == 0 else unit_codes[s - 1]
    n_groups = int(group.max()) + 1
    # sampled units per group (units are nested in their group)
    units = unit_codes[s]
    first = first_rows(units, int(units.max()) + 1)
    sampled = np.bincount(group[first], minlength=n_groups).astype(np.float64)
    samp = sampled[group]
    v = fpc[:, s]
    pop = v if is_popsize else samp / v
    return pop, samp


def build_stages(
    data: pd.DataFrame,
    fpc_cols: list[str],
    fpc: tuple[np.ndarray, bool] | None,
    unit_codes: list[np.ndarray],
    n_units: list[int],
    strata: tuple[np.ndarray | None, np.ndarray],
    n_strata: int,
    variance_stages: int,
) -> tuple[SamplingStage, ...]:
    """One :class:`SamplingStage` per variance stage, with fpc checks (``DES014``, ``DES015``).

    ``strata`` holds the stratum code of every row (None when no fpc needs it) and the
    stratum code of each PSU.
    """
    scodes, psu_stratum = strata
    stages = []
    multiplier_of_unit = None
    for s in range(variance_stages):
        units = unit_codes[s]
        m = n_units[s]
        if s == 0:
            unit_group = psu_stratum
            n_groups = n_strata
            group_rows = scodes
        else:
            unit_group = unit_codes[s - 1][first_rows(units, m)]
            n_groups = n_units[s - 1]
            group_rows = unit_codes[s - 1]
        sampled = np.bincount(unit_group, minlength=n_groups)
        if fpc_cols:
            pop_rows, _ = population_sizes(*fpc, s, unit_codes, scodes)
            gfirst = first_rows(group_rows, n_groups)
            lo = np.full(n_groups, np.inf)
            hi = np.full(n_groups, -np.inf)
            np.minimum.at(lo, group_rows, pop_rows)
            np.maximum.at(hi, group_rows, pop_rows)
            varies = lo != hi
            if varies.any():
                g = int(np.flatnonzero(varies)[0])
                rows = varies[group_rows]
                raise DesignError(
                    "DES014",
                    f"the fpc varies within a {'stratum' if s == 0 else 'sampling unit'} "
                    f"at stage {s + 1}",
                    column=fpc_cols[s],
                    record=rows_preview(data, rows),
                    expected="one population size per stratum",
                    found=f"values from {lo[g]:g} to {hi[g]:g} in one group",
                    hint="The fpc is the population size of the whole stratum (e.g. the "
                    "number of villages in the county) and must be equal on all its rows.",
                )
            population = pop_rows[gfirst]
            too_small = population < sampled
            if too_small.any():
                g = int(np.flatnonzero(too_small)[0])
                raise DesignError(
                    "DES015",
                    f"the fpc implies more than 100% sampling at stage {s + 1}",
                    column=fpc_cols[s],
                    record=rows_preview(data, too_small[group_rows]),
                    expected=f"population size >= {int(sampled[g])} sampled units",
                    found=f"population size {population[g]:g}",
                    hint="The fpc must be the population size (or fraction) of the "
                    "stratum, not of a smaller group; check the values and the strata.",
                )
            with np.errstate(divide="ignore", invalid="ignore"):
                f = np.where(np.isinf(population), 1.0, (population - sampled) / population)
        else:
            population = np.full(n_groups, np.inf)
            f = np.ones(n_groups)
        if s == 0:
            multiplier = np.ones(n_groups)
        else:
            multiplier = multiplier_of_unit
        stages.append(
            SamplingStage(
                number=s + 1,
                n_units=m,
                unit_group=readonly(unit_group.astype(np.intp, copy=False)),
                n_groups=n_groups,
                sampled=readonly(sampled),
                population=readonly(population),
                f=readonly(f),
                multiplier=readonly(multiplier),
            )
        )
        # multiplier passed to the next stage's groups (= this stage's units)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(np.isinf(population), 0.0, sampled / population)
        multiplier_of_unit = (multiplier * frac)[unit_group]
    return tuple(stages)


def check_lonely(
    stages: tuple[SamplingStage, ...],
    data: pd.DataFrame,
    psu_cols: list[str],
    unit_codes: list[np.ndarray],
    strata_labels: pd.Index,
    strata_column: str | None,
    lonely_psu: str,
) -> None:
    """Lonely units: ``DES010`` with ``fail``, ``DES018`` for ``average`` after stage 1."""
    for st in stages:
        lonely = st.lonely
        if not lonely.any():
            continue
        if st.number == 1:
            names = [str(strata_labels[g]) for g in np.flatnonzero(lonely)]
            what = "stratum" if len(names) == 1 else "strata"
        else:
            parents = np.flatnonzero(lonely)
            first = first_rows(unit_codes[st.number - 2], st.n_groups)[parents]
            col = psu_cols[st.number - 2]
            names = [str(data[col].iloc[i]) for i in first]
            what = f"stage-{st.number - 1} unit" + ("" if len(names) == 1 else "s")
        shown = ", ".join(repr(x) for x in names[:5]) + (
            f" and {len(names) - 5} more" if len(names) > 5 else ""
        )
        if lonely_psu == "fail":
            unit = "PSU" if st.number == 1 else f"stage-{st.number} unit"
            raise DesignError(
                "DES010",
                f"{what} {shown} {'has' if len(names) == 1 else 'have'} only one sampled "
                f"{unit} (lonely PSU at stage {st.number})",
                column=strata_column if st.number == 1 else psu_cols[st.number - 2],
                expected=f"at least two sampled {unit}s per {'stratum' if st.number == 1 else 'unit'}",
                found=f"{len(names)} with a single {unit}",
                hint="Choose a lonely-PSU policy as in R's survey.lonely.psu: "
                "lonely_psu='adjust' (conservative: R survey 4.1.1's rule, the lonely "
                "stratum centred at zero), 'adjust_mean' (R survey >= 4.4: centred at the "
                "average PSU total), 'average', 'certainty' or 'remove'; or merge the "
                "stratum with a similar one.",
            )
        if lonely_psu == "average" and st.number > 1:
            raise DesignError(
                "DES018",
                f"lonely_psu='average' cannot handle a single sampled unit within "
                f"{what} {shown} at stage {st.number}",
                column=psu_cols[st.number - 2],
                expected="at least two sampled units per unit at later stages",
                found=f"{len(names)} unit(s) with a single sampled sub-unit",
                hint="R's survey returns NaN standard errors here. Use lonely_psu='adjust', "
                "'certainty' or 'remove', or drop the fpc of the later stages "
                "(ultimate-cluster variance).",
            )


def readonly(a: np.ndarray) -> np.ndarray:
    """A read-only view (never touches the flags of the caller's array, e.g. a data column)."""
    view = np.asarray(a).view()
    view.flags.writeable = False
    return view
