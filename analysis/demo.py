"""``baicun demo``: run the main job on the embedded demo study.

Until the wave pipeline exists this checks every instrument of the study and writes
its codebook (Markdown, XLSX, DOCX) beside the processed data.
"""

from __future__ import annotations

import argparse
import time

from .study import Study

__all__ = ["register", "run_demo"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``baicun demo`` to the command line."""
    parser = subparsers.add_parser("demo", help="run the main job on the embedded demo study")
    parser.set_defaults(func=_cmd_demo)
    from .demo_study.commands import add_subcommands

    add_subcommands(parser)


def run_demo(study: Study) -> int:
    """Check the study's instruments and write their codebooks; returns the exit status."""
    from .instrument.check import check_instrument
    from .instrument.codebook import write_codebook

    status = 0
    out = study.codebook_dir()
    for name in study.instrument_names:
        started = time.perf_counter()
        path = study.form_path(name)
        issues = check_instrument(path)
        errors = issues[issues["severity"] == "error"] if len(issues) else issues
        written = write_codebook(path, out)
        took = time.perf_counter() - started
        print(
            f"  {name:<10} {len(errors)} errors, {len(issues) - len(errors)} warnings; "
            f"codebook: {', '.join(p.name for p in written)}  ({took:.1f}s)"
        )
        if len(errors):
            status = 1
    print(f"codebooks written to {out}")
    return status


def _cmd_demo(args: argparse.Namespace) -> int:
    study = Study.load(args.study)
    print(f"baicun demo: {study.name}")
    return run_demo(study)
