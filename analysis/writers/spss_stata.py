"""Labelled SPSS (.sav/.zsav) and Stata (.dta) files through pyreadstat.

What is written, for a table read by :func:`analysis.readers.read_raw` (or the
cleaned version of it, same columns):

* names: every column under a valid SPSS *and* Stata name
  (:func:`analysis.readers.safe_name`); ``_key``, ``_parent_key``, ``_source_row``
  become ``record_key``, ``parent_key``, ``source_row``; other leading underscores
  are dropped (``_submission_time`` -> ``submission_time``). Renames are noted
  (WRT101) and returned in ``WriteReceipt.names``.
* variable labels and value labels in ``lang`` (``zh`` by default), cut on character
  boundaries to the format's limits (WRT102, WRT103; see
  :mod:`analysis.writers.limits`);
* select_one answers whose codes are all integers as numbers with value labels
  (WRT106); other codes as text (value labels kept in SPSS, impossible in Stata:
  WRT104);
* dates as dates (SPSS ``DATE``, Stata ``%td``), date-times as date-times;
* missing codes of numeric questions (``98=不知道``) as SPSS user-missing values (at
  most three; WRT105 beyond) and as value labels in both formats; Stata has no
  user-missing values for ordinary numbers (WRT105).

The header timestamp is fixed (see :mod:`analysis.writers.outputs`), so two runs on
the same data write byte-identical files.

Examples
--------
>>> import tempfile, pathlib, pyreadstat
>>> from analysis.readers import read_raw
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "hh.csv").write_text("_uuid,人口\\nu1,4\\n", encoding="utf-8")
>>> raw = read_raw(folder / "hh.csv")
>>> receipt = write_sav(raw.data, folder / "hh.sav", metadata=raw.metadata)
>>> frame, meta = pyreadstat.read_sav(folder / "hh.sav")
>>> list(frame.columns), receipt.names["main"]["_uuid"]
(['record_key', 'source_row', 'uuid', 'v4'], 'uuid')
>>> meta.column_names_to_labels["v4"]
'人口'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import WriteError
from ..readers.names import MAX_NAME, safe_name
from ..readers.rawdata import KEY, MAIN, PARENT_KEY, ROW, ColumnInfo, RawMetadata
from .labels import column_infos
from .limits import LIMITS, fit
from .outputs import atomic_write, neutralise_timestamp, sha256_of
from .receipt import Notes, WriteReceipt, WrittenFile

__all__ = ["labelled_name_limit", "output_names", "write_dta", "write_sav"]

_FIXED_NAMES = {KEY: "record_key", PARENT_KEY: "parent_key", ROW: "source_row"}


def labelled_name_limit(position: int) -> int:
    """Longest Stata name of the ``position``-th (0-based) column carrying value labels.

    pyreadstat names the value-label set of a variable ``<name><position>`` (``q0``,
    ``q1``, ... in the order of the labelled columns), and Stata refuses a set name of
    more than 32 characters ("A provided name is too long for the file format";
    checked with pyreadstat 1.3.8): 31 characters for the first ten, 30 up to the
    hundredth, ...

    Examples
    --------
    >>> labelled_name_limit(0), labelled_name_limit(9), labelled_name_limit(10)
    (31, 31, 30)
    """
    return MAX_NAME - len(str(position))


def output_names(columns: list[str], labelled: Iterable[str] = ()) -> dict[str, str]:
    """``{column: SPSS/Stata name}``: safe names, unique, existing safe names kept first.

    A name without any ASCII letter or digit (``户主``) becomes ``v<position>``; the
    original name is then written as the variable label when the column has none.
    Names have at most 32 characters (Stata's limit; ASCII, so within SPSS's 64 bytes),
    and fewer for the ``labelled`` columns (those with value labels): their value-label
    set is named after them plus their position, within 32 characters too (see
    :func:`labelled_name_limit`). A cut name that collides gets ``_2``, ``_3``, ...

    Examples
    --------
    >>> output_names(["_key", "hh-size", "hh_size", "_uuid"])
    {'_key': 'record_key', 'hh-size': 'hh_size_2', 'hh_size': 'hh_size', '_uuid': 'uuid'}
    >>> long = ["a" * 31 + "x", "a" * 31 + "y"]
    >>> list(output_names(long, labelled=long).values())
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa_2']
    """
    labelled = set(labelled)
    positions = {c: i for i, c in enumerate(c for c in columns if c in labelled)}
    taken: set[str] = set()
    out: dict[str, str] = {}
    wanted = {}
    for position, c in enumerate(columns, start=1):
        name = _FIXED_NAMES.get(c, c.lstrip("_") or c)
        wanted[c] = name if re.search(r"[A-Za-z0-9]", name) else f"v{position}"

    def limit(column: str) -> int:
        return labelled_name_limit(positions[column]) if column in positions else MAX_NAME

    for column in columns:  # names that need no change keep them
        name = wanted[column]
        if name == safe_name(name) and name.lower() not in taken and len(name) <= limit(column):
            out[column] = name
            taken.add(name.lower())
    for column in columns:
        if column not in out:
            name = safe_name(wanted[column], taken)
            if len(name) > limit(column):
                name = _shortened(safe_name(wanted[column]), limit(column), taken)
            out[column] = name
            taken.add(name.lower())
    return {c: out[c] for c in columns}


def _shortened(name: str, limit: int, taken: set[str]) -> str:
    """``name`` cut to ``limit`` characters, with ``_2``, ``_3``, ... when the cut is taken."""
    cut = name[:limit]
    n = 1
    while cut.lower() in taken:
        n += 1
        suffix = f"_{n}"
        cut = name[: limit - len(suffix)] + suffix
    return cut


def _is_int_text(values: pd.Series) -> bool:
    present = values.dropna()
    return bool(len(present)) and bool(present.astype(str).str.fullmatch(r"-?\d{1,15}").all())


def _prepare(
    frame: pd.DataFrame,
    infos: Mapping[str, ColumnInfo],
    kind: str,
    lang: str,
    notes: Notes,
    file: str,
    table: str,
) -> dict[str, Any]:
    """The frame renamed and converted, with labels and missing values for pyreadstat."""
    limits = LIMITS[kind]
    labelled = [c for c in frame.columns if c in infos and infos[c].value_label_map(lang)]
    names = output_names(list(frame.columns), labelled)
    data: dict[str, pd.Series] = {}
    column_labels: dict[str, str] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    missing: dict[str, list[Any]] = {}
    for column in frame.columns:
        name = names[column]
        if name != column and column not in _FIXED_NAMES:
            notes.add(
                "WRT101",
                f"{column!r} written as {name!r}",
                file=file,
                table=table,
                column=column,
                original=column,
                written=name,
            )
        info = infos.get(column)
        values = frame[column]
        labels = info.value_label_map(lang) if info is not None else {}
        qtype = info.type if info is not None else None
        if (
            qtype == "select_one"
            and values.dtype == "str"
            and _is_int_text(values)
            and all(re.fullmatch(r"-?\d{1,15}", str(k)) for k in labels)
        ):
            values = pd.to_numeric(values).astype("float64")
            labels = {int(k): v for k, v in labels.items()}
            notes.add(
                "WRT106",
                "choice codes are integers: written as numbers with value labels",
                file=file,
                table=table,
                column=column,
            )
        elif qtype in ("date", "today") and pd.api.types.is_datetime64_any_dtype(values):
            values = pd.Series(
                [None if pd.isna(v) else v.date() for v in values],
                index=values.index,
                dtype="object",
            )
        elif values.dtype == object:
            sample = values.dropna()
            if len(sample) and not all(isinstance(v, (dt.date, dt.time)) for v in sample):
                values = values.map(
                    lambda v: (
                        None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                    )
                ).astype("str")
                notes.add(
                    "WRT107",
                    "values of mixed types written as text",
                    file=file,
                    table=table,
                    column=column,
                )
        elif values.dtype == bool:
            values = values.astype("int64")
        if (
            pd.api.types.is_datetime64_any_dtype(values)
            and getattr(values.dt, "tz", None) is not None
        ):
            values = values.dt.tz_localize(None)
        data[name] = values
        label = info.label(lang) if info is not None else None
        if not label and name != column and column not in _FIXED_NAMES:
            label = column
        if label:
            cut = fit(label, chars=limits.variable_label_chars, nbytes=limits.variable_label_bytes)
            if cut != label:
                notes.add(
                    "WRT102",
                    f"variable label cut to the {limits.name} limit",
                    file=file,
                    table=table,
                    column=column,
                    original=label,
                    written=cut,
                )
            column_labels[name] = cut
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if labels:
            kept: dict[Any, str] = {}
            for key, text in labels.items():
                number = _number(key)
                if numeric and number is None:
                    continue
                if not numeric and not limits.text_value_labels:
                    continue
                if (
                    numeric
                    and not limits.text_value_labels
                    and number is not None
                    and number != int(number)
                ):
                    continue
                cut = fit(text, nbytes=limits.value_label_bytes)
                if cut != text:
                    notes.add(
                        "WRT103",
                        f"value label of {key!r} cut to the {limits.name} limit",
                        file=file,
                        table=table,
                        column=column,
                        original=text,
                        written=cut,
                    )
                if numeric:
                    kept[int(number) if not limits.text_value_labels else number] = cut  # type: ignore[arg-type]
                else:
                    kept[str(key)] = cut
            if len(kept) < len(labels):
                notes.add(
                    "WRT104",
                    f"{len(labels) - len(kept)} value label(s) cannot be stored in {limits.name} for this column",
                    file=file,
                    table=table,
                    column=column,
                )
            if kept:
                value_labels[name] = kept
        declared = list(info.user_missing) if info is not None else []
        if declared:
            if limits.missing_discrete and numeric:
                discrete = [
                    d for d in declared if not isinstance(d, tuple) and _number(d) is not None
                ]
                ranges = [d for d in declared if isinstance(d, tuple)]
                chosen: list[Any] = [{"lo": lo, "hi": hi} for lo, hi in ranges[:1]]
                room = 1 if chosen else limits.missing_discrete
                chosen += [float(_number(d)) for d in discrete[:room]]  # type: ignore[arg-type]
                if len(chosen) < len(declared):
                    notes.add(
                        "WRT105",
                        f"only {len(chosen)} of {len(declared)} user-missing values fit in SPSS",
                        file=file,
                        table=table,
                        column=column,
                        original=declared,
                    )
                missing[name] = chosen
            elif limits.missing_discrete and values.dtype == "str":
                texts = [
                    str(d)
                    for d in declared
                    if not isinstance(d, tuple) and len(str(d).encode()) <= 8
                ][: limits.missing_discrete]
                if texts:
                    missing[name] = texts
            else:
                notes.add(
                    "WRT105",
                    f"{limits.name} has no user-missing values for ordinary values; {declared} kept as (labelled) values",
                    file=file,
                    table=table,
                    column=column,
                    original=declared,
                )
    return {
        "frame": pd.DataFrame(data),
        "column_labels": column_labels,
        "value_labels": value_labels,
        "missing": missing,
        "names": names,
    }


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _write(
    kind: str,
    frame: pd.DataFrame,
    path: Path | str,
    *,
    metadata: RawMetadata | None,
    table: str,
    lang: str,
    file_label: str | None,
    compress: bool,
) -> WriteReceipt:
    import pyreadstat

    path = Path(path)
    notes = Notes()
    limits = LIMITS[kind]
    prepared = _prepare(frame, column_infos(metadata, table), kind, lang, notes, str(path), table)
    label = file_label or ""
    cut = fit(label, chars=limits.file_label_chars, nbytes=limits.file_label_bytes)
    if cut != label:
        notes.add(
            "WRT110",
            f"file label cut to the {limits.name} limit",
            file=str(path),
            table=table,
            original=label,
            written=cut,
        )

    def write(tmp: Path) -> None:
        try:
            if kind == "sav":
                pyreadstat.write_sav(
                    prepared["frame"], tmp, file_label=cut, column_labels=prepared["column_labels"] or None,
                    variable_value_labels=prepared["value_labels"] or None,
                    missing_ranges=prepared["missing"] or None, compress=compress,
                )  # fmt: skip
            else:
                pyreadstat.write_dta(
                    prepared["frame"], tmp, file_label=cut, column_labels=prepared["column_labels"] or None,
                    variable_value_labels=prepared["value_labels"] or None,
                )  # fmt: skip
        except Exception as exc:  # pyreadstat.ReadstatError and type errors of odd columns
            column = _culprit(kind, prepared, tmp)
            at = f" (column {column!r})" if column else ""
            raise WriteError(
                "WRT002",
                f"pyreadstat could not write the {limits.name} file{at}: {exc}",
                file=path,
                column=column,
                found=None if column is None else f"written as {prepared['names'][column]!r}",
                hint="Check the notes of the column named; convert unusual columns to text before writing.",
            ) from None
        neutralise_timestamp(tmp, kind)

    atomic_write(path, write)
    written = WrittenFile(
        path=path,
        format=kind,
        table=table,
        rows=len(frame),
        columns=len(prepared["frame"].columns),
        sha256=sha256_of(path),
    )
    return WriteReceipt(files=(written,), notes=notes.frame(), names={table: prepared["names"]})


def _culprit(kind: str, prepared: Mapping[str, Any], tmp: Path) -> str | None:
    """The first column that pyreadstat refuses on its own (None when each one is written)."""
    import pyreadstat

    written = {v: k for k, v in prepared["names"].items()}
    frame = prepared["frame"]
    for name in frame.columns:
        options: dict[str, Any] = {
            "column_labels": {name: prepared["column_labels"][name]}
            if name in prepared["column_labels"]
            else None,
            "variable_value_labels": {name: prepared["value_labels"][name]}
            if name in prepared["value_labels"]
            else None,
        }
        if kind == "sav" and name in prepared["missing"]:
            options["missing_ranges"] = {name: prepared["missing"][name]}
        try:
            getattr(pyreadstat, f"write_{kind}")(frame[[name]], tmp, **options)
        except Exception:
            return written.get(name, name)
    return None


def write_sav(
    frame: pd.DataFrame,
    path: Path | str,
    *,
    metadata: RawMetadata | None = None,
    table: str = MAIN,
    lang: str = "zh",
    file_label: str | None = None,
    compress: bool | None = None,
) -> WriteReceipt:
    """Write one table as a labelled SPSS file (``.zsav`` -> compressed).

    Raises
    ------
    WriteError
        ``WRT001`` folder not writable, ``WRT002`` pyreadstat refused the data.
    """
    zsav = Path(path).suffix.lower() == ".zsav" if compress is None else compress
    return _write(
        "sav",
        frame,
        path,
        metadata=metadata,
        table=table,
        lang=lang,
        file_label=file_label,
        compress=zsav,
    )


def write_dta(
    frame: pd.DataFrame,
    path: Path | str,
    *,
    metadata: RawMetadata | None = None,
    table: str = MAIN,
    lang: str = "zh",
    file_label: str | None = None,
) -> WriteReceipt:
    """Write one table as a labelled Stata file (release 119, UTF-8).

    Raises
    ------
    WriteError
        ``WRT001`` folder not writable, ``WRT002`` pyreadstat refused the data.
    """
    return _write(
        "dta",
        frame,
        path,
        metadata=metadata,
        table=table,
        lang=lang,
        file_label=file_label,
        compress=False,
    )
