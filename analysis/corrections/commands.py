"""``baicun corrections import``: another tool's cleaning log as a wave's corrections.csv.

``baicun corrections import LOG --instrument NAME --study-wave WAVE [--raw EXPORT]
[--who W] [--date D] [--reason R] [--date-order dmy|mdy] [--out PATH] [--report PATH]``

Writes ``<raw folder>/<WAVE>/corrections.csv`` (or ``--out``); an existing file with
corrections is extended (its rows first), never overwritten. ``--who``, ``--date`` and
``--reason`` fill only the rows whose log gives no one / no date / no reason. The
problems (duplicates left out, rows lacking who/date/reason, 0/1 column edits turned
into answer edits, rows that do not apply to the export) are printed and written to ``--report`` (default:
``corrections-import-report.csv`` beside the output).

Without ``--raw``, the instrument's export in the wave's raw folder is used when there is
exactly one (named after the instrument, as ``baicun run`` finds it, or under
``[waves.files.<wave>]``), so that 0/1 column edits and old values are checked against
the data the log was written for.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pandas as pd

from ..errors import StudyError
from ..study import Study
from .cleaning_log import CORRECTIONS_COLUMNS, read_corrections
from .importing import import_cleaning_log

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``corrections import`` to the ``baicun`` parser."""
    group = sub.add_parser("corrections", help="cleaning logs (corrections.csv)")
    inner = group.add_subparsers(dest="corrections_command", metavar="ACTION")
    p = inner.add_parser(
        "import",
        help="turn a cleaningtools / IPA-style cleaning log into the wave's corrections.csv",
    )
    p.add_argument("log", type=Path, help="the cleaning log (CSV or XLSX)")
    p.add_argument("--instrument", required=True, help="the study's instrument the log is about")
    p.add_argument("--study-wave", required=True, dest="wave", help="the wave (raw folder)")
    p.add_argument(
        "--raw",
        type=Path,
        help="the export the log was written against (default: the instrument's export in "
        "the wave's raw folder)",
    )
    p.add_argument("--who", help="who decided, for rows whose log names no one")
    p.add_argument("--date", help="YYYY-MM-DD, for rows whose log gives no date")
    p.add_argument(
        "--reason", help="for rows whose log gives no reason (nor an issue to take it from)"
    )
    p.add_argument("--date-order", choices=("dmy", "mdy"), help="how 05/07/2021 is written")
    p.add_argument("--out", type=Path, help="default: <raw folder>/<wave>/corrections.csv")
    p.add_argument("--report", type=Path, help="the problems as CSV")
    p.set_defaults(func=_cmd_import)
    group.set_defaults(func=lambda args: group.print_help() or 0)


_SEPARATORS = ("_", "-", ".", " ")
_EXPORTS = (".zip", ".csv", ".xlsx", ".xls", ".sav", ".zsav", ".dta", ".txt", ".tsv")


def _wave_export(study: Study, wave: str, instrument: str) -> Path | None:
    """The instrument's only export in the wave's raw folder (None: none, or several)."""
    folder = study.raw_dir(wave)
    declared = study.setting("waves", "files", wave, instrument, default=None)
    if declared:
        path = folder / str(declared)
        return path if path.is_file() else None
    if not folder.is_dir():
        return None
    low = instrument.lower()
    found = []
    for path in folder.iterdir():
        name = path.name.lower()
        suffix = next((s for s in _EXPORTS if name.endswith(s)), None)
        if not path.is_file() or suffix is None or name == "corrections.csv":
            continue
        stem = name[: -len(suffix)]
        if stem == low or (stem.startswith(low) and stem[len(low)] in _SEPARATORS):
            found.append(path)
    return found[0] if len(found) == 1 else None


def _cmd_import(args: argparse.Namespace) -> int:
    from ..instrument import load_instrument
    from ..readers import read_raw

    out = args.out
    raw = form = None
    study = None
    raw_path = args.raw
    if out is None or raw_path is None:
        try:
            study = Study.load(args.study)
        except StudyError:
            if out is None:
                raise
    if out is None:
        out = study.raw_dir(args.wave) / "corrections.csv"
    if raw_path is None and study is not None:
        raw_path = _wave_export(study, args.wave, args.instrument)
        if raw_path is not None:
            print(f"checked against {raw_path.name} (the {args.instrument} export of the wave)")
    if raw_path is not None:
        study = study or Study.load(args.study)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            form = load_instrument(study.form_path(args.instrument, args.wave))
        raw = read_raw(raw_path, form)
    result = import_cleaning_log(
        args.log,
        instrument_name=args.instrument,
        raw=raw,
        instrument=form,
        who=args.who,
        date=args.date,
        reason=args.reason,
        date_order=args.date_order,
    )
    rows = result.corrections
    if out.is_file():
        before = read_corrections(out).rows[list(CORRECTIONS_COLUMNS)]
        rows = pd.concat([before, rows], ignore_index=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(out, index=False, encoding="utf-8", lineterminator="\n")
    report = args.report or out.with_name("corrections-import-report.csv")
    result.report.to_csv(report, index=False, encoding="utf-8", lineterminator="\n")
    print(result.summary())
    print(f"wrote {out} ({len(rows)} rows); problems: {report}")
    if raw is None:
        print("without --raw: 0/1 column edits and old values were not checked against the data")
    incomplete = result.report["problem"].isin(["no who", "no date", "no reason", "bad date"])
    return 1 if (~result.report["kept"]).any() or incomplete.any() else 0
