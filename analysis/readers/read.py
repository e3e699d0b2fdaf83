"""``read_raw``: any field export into :class:`~analysis.readers.rawdata.RawData`.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "hh.csv").write_bytes("户主,人口\\n张三,4\\n李四,5\\n".encode("gbk"))
>>> raw = read_raw(folder / "hh.csv")
>>> raw.metadata.format, raw.metadata.encoding, raw.data["户主"].tolist()
('csv', 'gbk', ['张三', '李四'])
>>> raw.data["_key"].tolist(), raw.data["_source_row"].tolist()
(['main#row2', 'main#row3'], [2, 3])
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import BaicunError, ReadError
from ..instrument.load import load_instrument
from ..instrument.model import Instrument
from .answers import DATE_ORDERS, DateOrder
from .canonical import PLATFORM_LABELS, BuiltTable, build_table
from .columns import HeaderResolver, Resolution
from .detect import FORMATS, detect_format, sniff_kind
from .issues import IssueLog
from .kobo import read_kobo_csv, read_kobo_xlsx
from .linking import number_within, repeat_path, report_duplicates, unpack_flattened
from .odk_central import read_odk_central
from .rawdata import KEY, MAIN, PARENT_KEY, ROW, ColumnInfo, RawData, RawMetadata, SourceFile
from .spss_stata import read_stat_file
from .table import SourceTable
from .values import text_values
from .xlsx import read_workbook

__all__ = ["read_raw"]

_SUFFIX_FORMATS = {
    ".csv": ("csv", "kobo_csv", "odk_central"),
    ".txt": ("csv", "kobo_csv", "odk_central"),
    ".tsv": ("csv", "kobo_csv", "odk_central"),
    ".zip": ("odk_central",),
    ".xlsx": ("xlsx", "kobo_xlsx"),
    ".xlsm": ("xlsx", "kobo_xlsx"),
    ".sav": ("spss",),
    ".zsav": ("spss",),
    ".por": ("spss",),
    ".dta": ("stata",),
}


def read_raw(
    path: str | Path,
    instrument: Instrument | str | Path | None = None,
    *,
    format: str | None = None,
    encoding: str | None = None,
    date_order: DateOrder | None = None,
) -> RawData:
    """Read a field export into the canonical layout (see :mod:`analysis.readers`).

    Parameters
    ----------
    path : str or Path
        ODK Central CSV zip or CSV, KoboToolbox/Ona CSV or XLSX, any CSV (UTF-8,
        UTF-8 with BOM, GBK, GB18030) or XLSX, SPSS .sav/.zsav/.por, Stata .dta.
    instrument : Instrument, str or Path, optional
        The form (or the path of its XLSForm). Without it columns keep their headers
        and text values (.sav/.dta: the file's types).
    format : str, optional
        Force a format (one of ``odk_central, kobo_csv, kobo_xlsx, csv, xlsx, spss,
        stata``) instead of detecting it.
    encoding : str, optional
        Force the text encoding of CSV files instead of detecting it.
    date_order : {"dmy", "mdy"}, optional
        How the export writes dates that start with the day or the month
        (``05/01/2024``). Without it such dates are not read (``RD112``, ``RD115``):
        see :mod:`analysis.readers.answers`.

    Returns
    -------
    RawData
        Every record of the file (``metadata.source_rows`` equals each table's length),
        and the reader-level issues in ``RawData.issues``.

    Raises
    ------
    ReadError
        A coded error (``RD0xx``) when the file cannot be read at all.
    """
    path = Path(path)
    if date_order is not None and date_order not in DATE_ORDERS:
        raise ReadError(
            "RD024",
            f"unknown date order {date_order!r}",
            expected=" or ".join(DATE_ORDERS),
            found=str(date_order),
            hint="Pass date_order='dmy' (05/01/2024 is 5 January) or 'mdy' (1 May).",
        )
    if not path.exists():
        raise ReadError(
            "RD001",
            "file not found",
            file=path,
            hint="Check the path; raw exports live in the study's data/raw/<wave>/ folder.",
        )
    if path.is_dir():
        raise ReadError(
            "RD001",
            "the path is a folder, not a file",
            file=path,
            hint="Pass the export file itself (the .zip, .csv, .xlsx, .sav or .dta).",
        )
    form = _instrument(instrument)
    log = IssueLog()
    try:
        fmt = detect_format(path, format)
        tables = _read_tables(path, fmt, form, log, encoding)
        digest, size = _digest(path)
    except BaicunError:
        raise
    except PermissionError:
        raise ReadError("RD015", "the file cannot be opened (permission denied)", file=path,
                        hint="Check the file's permissions, or close it in Excel first.") from None  # fmt: skip
    except OSError as exc:
        raise ReadError("RD015", f"the file cannot be read ({exc})", file=path,
                        hint="Check the disk and the file; copy it again.") from None  # fmt: skip
    except Exception as exc:  # a file shaped like nothing foreseen: still a coded error
        raise _unexpected(path, exc) from exc
    suffix = path.suffix.lower()
    with path.open("rb") as handle:
        kind = sniff_kind(handle.read(4096), path)
    binary_in_text = suffix in (".csv", ".txt", ".tsv") and kind is not None
    if format is None and (
        binary_in_text or (suffix in _SUFFIX_FORMATS and fmt not in _SUFFIX_FORMATS[suffix])
    ):
        log.add(
            "RD160", f"the file is named {suffix} but holds {fmt} data; read as {fmt}", table=MAIN
        )
    try:
        return _assemble(path, fmt, tables, form, log, digest, size, date_order)
    except BaicunError:
        raise
    except Exception as exc:
        raise _unexpected(path, exc) from exc


def _unexpected(path: Path, exc: Exception) -> ReadError:
    return ReadError(
        "RD099",
        f"the file could not be read: {type(exc).__name__}: {exc}",
        file=path,
        hint="This file is shaped in a way the readers do not handle yet: report it with the file "
        "(or its first rows) to the toolkit's maintainers; meanwhile re-export it as CSV.",
    )


def _instrument(instrument: Instrument | str | Path | None) -> Instrument | None:
    if instrument is None or isinstance(instrument, Instrument):
        return instrument
    if isinstance(instrument, (str, Path)):
        return load_instrument(instrument)
    raise ReadError(
        "RD020",
        f"instrument must be an Instrument or the path of an XLSForm, not {type(instrument).__name__}",
        expected="an Instrument from load_instrument(path), or the XLSForm path itself",
        found=repr(instrument)[:80],
        hint="Pass the form loaded with analysis.load_instrument, or its path.",
    )


def _read_tables(
    path: Path, fmt: str, form: Instrument | None, log: IssueLog, encoding: str | None
) -> list[SourceTable]:
    if fmt == "odk_central":
        return read_odk_central(path, log=log, encoding=encoding, instrument=form)
    if fmt == "kobo_csv":
        return read_kobo_csv(path, log=log, encoding=encoding, instrument=form)
    if fmt == "kobo_xlsx":
        return read_kobo_xlsx(path, log=log, instrument=form)
    if fmt == "csv":
        from .csv import read_csv_table

        return [read_csv_table(path, log=log, encoding=encoding, label=f"file:{path.name}")]
    if fmt == "xlsx":
        tables = read_workbook(path, log=log)
        return tables
    if fmt in ("spss", "stata"):
        return [read_stat_file(path, log=log, encoding=encoding)]
    raise AssertionError(f"format {fmt!r} not in {FORMATS}")  # pragma: no cover


def _digest(path: Path) -> tuple[str, int]:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest(), path.stat().st_size


# ---------------------------------------------------------------------------- assembly
def _infer_table(src: SourceTable, resolver: HeaderResolver, form: Instrument | None) -> str:
    if form is None:
        return MAIN
    counts: Counter[str] = Counter()
    for header in src.headers:
        res = resolver.resolve(header, None)
        if res.question is not None and not res.indices:
            counts[res.table or MAIN] += 1
    if src.parent_table is not None:
        repeats = [t for t in counts if t != MAIN]
        if repeats:
            return max(repeats, key=lambda t: (counts[t], -list(counts).index(t)))
    if not counts:
        return MAIN
    best = max(counts.values())
    return MAIN if counts.get(MAIN, 0) == best else next(t for t, c in counts.items() if c == best)


def _subset(src: SourceTable, positions: list[int]) -> SourceTable:
    if len(positions) == len(src.headers):
        return src
    frame = src.frame.iloc[:, positions].copy()
    frame.columns = range(len(positions))
    return SourceTable(
        headers=[src.headers[i] for i in positions], frame=frame, rows=src.rows, path=src.path, table=src.table,
        member=src.member, sheet=src.sheet, encoding=src.encoding, delimiter=src.delimiter, native=src.native,
        column_meta=[src.column_meta[i] for i in positions] if src.column_meta else [],
        parent_table=src.parent_table, label=src.label, link=src.link,
    )  # fmt: skip


class _Part:
    """One source part of a canonical table, as built and linked."""

    def __init__(
        self, built: BuiltTable, src: SourceTable, parent_part: _Part | None = None
    ) -> None:
        self.built = built
        self.src = src
        self.parent_part = parent_part
        self.keys: pd.Series | None = None
        self.parent_keys: pd.Series | None = None


def _assemble(
    path: Path,
    fmt: str,
    sources: list[SourceTable],
    form: Instrument | None,
    log: IssueLog,
    digest: str,
    size: int,
    date_order: DateOrder | None = None,
) -> RawData:
    resolver = HeaderResolver(form)
    repeat_names = [g.name for g in form.repeats] if form is not None else []
    placeholders = fmt in ("kobo_csv", "kobo_xlsx")
    retable: dict[str, str] = {}
    plan: list[tuple[str, SourceTable, list[Resolution], _Part | None]] = []
    used_main = False
    for src in sources:
        table = src.table if src.table is not None else _infer_table(src, resolver, form)
        if table == MAIN and used_main:
            table = src.sheet or Path(src.member or src.path).stem
            log.add(
                "RD135",
                f"a second main table was found ({src.label}); kept as table {table!r}",
                table=src.label,
            )
        elif form is not None and table != MAIN and table not in repeat_names:
            log.add(
                "RD135",
                f"table {table!r} ({src.label}) is not a repeat of the form; kept",
                table=src.label,
            )
        if table == MAIN:
            used_main = True
        retable[src.label] = table
        resolutions = [resolver.resolve(h, table) for h in src.headers]
        plan.append((table, src, resolutions, None))
    log.retable(retable)
    single_repeat = bool(sources) and not used_main and form is not None
    if single_repeat:
        first = plan[0][0]
        log.add(
            "RD163",
            f"the file holds repeat {first!r} only; link it to its parent table by its parent index/key",
            table=first,
        )

    questions = {}
    if form is not None:
        for q in form.data_questions:
            questions.setdefault(q.repeat or MAIN, []).append(q)

    parts: dict[str, list[_Part]] = {}
    queue = list(plan)
    while queue:
        table, src, resolutions, parent_part = queue.pop(0)
        if form is not None and src.link is None:
            keep, derived = unpack_flattened(
                src, table, resolutions, form, log, placeholders=placeholders
            )
            src_kept = _subset(src, keep)
            res_kept = [resolutions[i] for i in keep]
        else:
            derived, src_kept, res_kept = [], src, resolutions
        built = build_table(
            src_kept, table, res_kept, form, log, placeholders=placeholders, questions=tuple(questions.get(table, ())),
            date_order=date_order,
        )  # fmt: skip
        part = _Part(built, src_kept, parent_part)
        parts.setdefault(table, []).append(part)
        for dsrc, dres in derived:
            queue.append((dsrc.table or MAIN, dsrc, dres, part))

    order = [MAIN, *repeat_names]
    order += [t for t in parts if t not in order]
    parents: dict[str, str] = {}
    for table in order:
        if table == MAIN:
            continue
        if form is not None and table in repeat_names:
            parents[table] = form.group(table).repeat or MAIN
        else:
            first = parts.get(table, [None])[0]
            parents[table] = first.src.parent_table if first and first.src.parent_table else MAIN
            if parents[table] not in order or parents[table] == table:
                parents[table] = MAIN

    frames: dict[str, pd.DataFrame] = {}
    infos: dict[str, dict[str, ColumnInfo]] = {}
    key_source: dict[str, str] = {}
    for table in order:
        if table not in parts:
            empty = SourceTable(
                headers=[],
                frame=pd.DataFrame(index=range(0)),
                rows=np.zeros(0, dtype="int64"),
                path=str(path),
                label=table,
            )
            parts[table] = [
                _Part(
                    build_table(
                        empty, table, [], form, log, questions=tuple(questions.get(table, ()))
                    ),
                    empty,
                )
            ]
        for part in parts[table]:
            how = _link(
                part, table, parents.get(table), parts, form, log, single_repeat,
                platform=fmt in ("odk_central", "kobo_csv", "kobo_xlsx"),
            )  # fmt: skip
            key_source.setdefault(table, how)
        frames[table], infos[table] = _frame(table, parts[table], table != MAIN)
        if fmt == "odk_central" and "_status" in frames[table].columns:
            status = frames[table]["_status"].astype("str")
            hidden = status.isin(["missing encrypted form data", "not decrypted"]).to_numpy()
            if hidden.any():
                log.add_cells(
                    "RD161", "submission without readable data (encrypted and not decrypted, or data missing)",
                    table=table, column="_status", rows=frames[table][ROW].to_numpy()[hidden], values=status[hidden].tolist(),
                )  # fmt: skip
        report_duplicates(
            frames[table][KEY], frames[table][ROW].to_numpy(dtype="int64"), table, log
        )

    log.fill_records(
        {t: dict(zip(f[ROW].tolist(), f[KEY].tolist(), strict=True)) for t, f in frames.items()}
    )
    digest_sources = []
    for table in order:
        for part in parts[table]:
            src = part.src
            if not src.headers and not len(src):
                continue
            digest_sources.append(
                SourceFile(path=str(path), table=table, rows=len(part.built), member=src.member, sheet=src.sheet,
                           sha256=digest, size=size, encoding=src.encoding, delimiter=src.delimiter,
                           unpacked_from=part.parent_part.built.table if src.link is not None and part.parent_part else None)
            )  # fmt: skip
    main_src = parts[MAIN][0].src
    file_label = next((s.file_label for s in sources if s.file_label), None)
    metadata = RawMetadata(
        format=fmt,
        sources=tuple(digest_sources),
        encoding=main_src.encoding
        if main_src.headers
        else (sources[0].encoding if sources else None),
        delimiter=main_src.delimiter
        if main_src.headers
        else (sources[0].delimiter if sources else None),
        instrument=form.form_id if form is not None else None,
        instrument_version=form.version if form is not None else None,
        languages=tuple(form.languages) if form is not None and form.languages else ("default",),
        columns=infos,
        repeat_parents=parents,
        key_source=key_source,
        source_rows={t: len(f) for t, f in frames.items()},
        file_label=file_label,
        issues=log.frame(),
    )
    return RawData(frames[MAIN], {t: f for t, f in frames.items() if t != MAIN}, metadata)


def _text_column(built: BuiltTable, name: str) -> pd.Series | None:
    series = built.columns.get(name)
    if series is None:
        return None
    if series.dtype != "str":
        series = series.map(
            lambda v: (
                None
                if pd.isna(v)
                else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
            )
        )
    values = text_values(series)
    return None if values.isna().all() else values


def _row_keys(table: str, rows: np.ndarray) -> pd.Series:
    return pd.Series([f"{table}#row{r}" for r in rows], dtype="str")


def _link(
    part: _Part, table: str, parent: str | None, parts: dict[str, list[_Part]], form: Instrument | None,
    log: IssueLog, single_repeat: bool, platform: bool = True,
) -> str:  # fmt: skip
    """Set ``part.keys`` and ``part.parent_keys``; returns how keys were made."""
    built, src = part.built, part.src
    n = len(built)
    rows = built.rows
    how = "row"
    keys: pd.Series | None = None
    parent_keys: pd.Series | None = None
    if table != MAIN:
        parent_keys = pd.Series(pd.NA, index=range(n), dtype="str")
        parent_parts = parts.get(parent or MAIN, [])
        if built.parent_key is not None:
            parent_keys = built.parent_key.reset_index(drop=True)
            how = "PARENT_KEY"
        elif (
            src.link is not None
            and part.parent_part is not None
            and part.parent_part.keys is not None
        ):
            base = part.parent_part.keys.to_numpy(dtype=object)[src.link["parent_pos"]]
            if src.link["instance"] is not None:
                inst = src.link["instance"]
                pinst = src.link["parent_instance"]
                keys = pd.Series([f"{b}/{i}" for b, i in zip(base, inst, strict=True)], dtype="str")
                parent_keys = pd.Series(
                    [f"{b}/{p}" if p else b for b, p in zip(base, pinst, strict=True)], dtype="str"
                )
                how = "flattened columns"
            else:
                parent_keys = pd.Series(base, dtype="str")
                how = "flattened rows"
        elif "_parent_index" in built.columns:
            wanted = pd.to_numeric(built.columns["_parent_index"], errors="coerce").reset_index(
                drop=True
            )
            lookup: dict[float, str] = {}
            for pp in parent_parts:
                if "_index" in pp.built.columns and pp.keys is not None:
                    idx = pd.to_numeric(pp.built.columns["_index"], errors="coerce")
                    lookup.update(
                        {float(i): k for i, k in zip(idx, pp.keys, strict=True) if pd.notna(i)}
                    )
            if lookup:
                parent_keys = wanted.map(
                    lambda v: lookup.get(float(v)) if pd.notna(v) else None
                ).astype("str")
                missing = wanted.notna() & parent_keys.isna()
                if missing.any():
                    log.add_cells("RD133", f"_parent_index not found among the _index of table {parent!r}; record kept without parent",
                                  table=table, column="_parent_key", rows=rows[missing.to_numpy()], values=wanted[missing].tolist())  # fmt: skip
                how = "_parent_index"
            elif n and not single_repeat:
                log.add(
                    "RD134",
                    f"table {table!r} links to its parent by _parent_index, but table {parent!r} has no _index column; records cannot be linked",
                    table=table,
                )
        elif n and not single_repeat:
            log.add(
                "RD134",
                f"table {table!r} has no PARENT_KEY or _parent_index column: its records cannot be linked to {parent!r}",
                table=table,
            )
        parent_keys = text_values(parent_keys)
        if how in ("PARENT_KEY", "flattened columns"):
            known = set()
            for pp in parent_parts:
                if pp.keys is not None:
                    known.update(pp.keys.tolist())
            orphan = parent_keys.notna() & ~parent_keys.isin(known)
            if orphan.any() and (
                parent_parts and any(len(pp.built) or pp.src.headers for pp in parent_parts)
            ):
                log.add_cells("RD133", f"parent key not found in table {parent!r}; record kept", table=table, column="_parent_key",
                              rows=rows[orphan.to_numpy()], values=parent_keys[orphan].tolist())  # fmt: skip
    if keys is None and built.key is not None:
        keys = built.key.reset_index(drop=True)
        how = "KEY" if table == MAIN else how + "+KEY"
    if keys is None and table == MAIN:
        for name in ("instanceID", "_uuid", "_id"):
            values = _text_column(built, name)
            if values is not None:
                keys, how = values, name
                break
        else:
            if n and platform:
                log.add(
                    "RD131",
                    "no record key column (KEY, instanceID, _uuid, _id): keys made from row numbers",
                    table=table,
                )
    if keys is None and table != MAIN and parent_keys is not None and parent_keys.notna().any():
        rank = number_within(parent_keys)
        step = repeat_path(form, table, parent or MAIN)
        keys = pd.Series(
            [
                f"{p}/{step}[{r}]" if isinstance(p, str) else None
                for p, r in zip(parent_keys, rank, strict=True)
            ],
            dtype="str",
        )
        how = f"{how}+rank"
    if keys is None:
        keys = _row_keys(table, rows)
    keys = text_values(keys)
    empty = keys.isna().to_numpy()
    if empty.any():
        if how not in ("row",) and not how.endswith("+rank"):
            log.add_cells("RD132", "empty record key; the key is made from the row number", table=table, column="_key",
                          rows=rows[empty], values=[""] * int(empty.sum()))  # fmt: skip
        keys = keys.where(~pd.Series(empty), _row_keys(table, rows))
    part.keys = keys.astype("str").reset_index(drop=True)
    part.parent_keys = parent_keys
    return how


def _frame(
    table: str, parts: list[_Part], is_repeat: bool
) -> tuple[pd.DataFrame, dict[str, ColumnInfo]]:
    frames = []
    infos: dict[str, ColumnInfo] = {
        KEY: ColumnInfo(KEY, "key", type="text", labels=PLATFORM_LABELS[KEY]),
    }
    if is_repeat:
        infos[PARENT_KEY] = ColumnInfo(
            PARENT_KEY, "parent_key", type="text", labels=PLATFORM_LABELS[PARENT_KEY]
        )
    infos[ROW] = ColumnInfo(ROW, "row", type="integer", labels=PLATFORM_LABELS[ROW])
    for part in parts:
        columns: dict[str, pd.Series] = {KEY: part.keys}
        if is_repeat:
            columns[PARENT_KEY] = part.parent_keys.astype("str").reset_index(drop=True)
        columns[ROW] = pd.Series(part.built.rows, dtype="int64")
        for name, series in part.built.columns.items():
            columns[name] = series
            infos.setdefault(name, part.built.infos[name])
        frames.append(pd.DataFrame(columns))
    if len(frames) == 1:
        return frames[0], infos
    out = pd.concat(frames, ignore_index=True)
    return out, infos
