"""``baicun corrections import``: another tool's cleaning log as a wave's corrections.csv.

``baicun corrections import LOG --instrument NAME --study-wave WAVE [--raw EXPORT]
[--who W] [--date D] [--date-order dmy|mdy] [--out PATH] [--report PATH]``

Writes ``<raw folder>/<WAVE>/corrections.csv`` (or ``--out``); an existing file with
corrections is extended (its rows first), never overwritten. ``--who``/``--date``
fill only the rows whose log gives no one / no date. The problems (duplicates left
out, rows lacking who/date/reason, 0/1 column edits turned into answer edits, rows
that do not apply to the export) are printed and written to ``--report`` (default:
``corrections-import-report.csv`` beside the output).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pandas as pd

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
    p.add_argument("--raw", type=Path, help="the export the log was written against")
    p.add_argument("--who", help="who decided, for rows whose log names no one")
    p.add_argument("--date", help="YYYY-MM-DD, for rows whose log gives no date")
    p.add_argument("--date-order", choices=("dmy", "mdy"), help="how 05/07/2021 is written")
    p.add_argument("--out", type=Path, help="default: <raw folder>/<wave>/corrections.csv")
    p.add_argument("--report", type=Path, help="the problems as CSV")
    p.set_defaults(func=_cmd_import)
    group.set_defaults(func=lambda args: group.print_help() or 0)


def _cmd_import(args: argparse.Namespace) -> int:
    from ..instrument import load_instrument
    from ..readers import read_raw

    out = args.out
    raw = form = None
    study = None
    if out is None or args.raw is not None:
        study = Study.load(args.study)
    if out is None:
        out = study.raw_dir(args.wave) / "corrections.csv"
    if args.raw is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            form = load_instrument(study.form_path(args.instrument, args.wave))
        raw = read_raw(args.raw, form)
    result = import_cleaning_log(
        args.log,
        instrument_name=args.instrument,
        raw=raw,
        instrument=form,
        who=args.who,
        date=args.date,
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
