"""``baicun demo generate [--seed N]``: write the demo study's raw exports (and its truth).

Two ways to wire it into the command line:

* :func:`add_subcommands` adds ``generate`` under an existing ``demo`` parser (the one
  :mod:`analysis.demo_study.run` registers), so ``baicun demo`` keeps running the demo and
  ``baicun demo generate`` regenerates its data;
* :func:`register` adds a ``demo`` parser with the ``generate`` subcommand, for a
  command line without :mod:`analysis.demo_study.run`.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="baicun")
>>> register(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["demo", "generate", "--seed", "7"])
>>> args.seed, args.func.__name__
(7, '_cmd_generate')
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

__all__ = ["add_subcommands", "register"]


def add_subcommands(demo_parser: argparse.ArgumentParser) -> None:
    """Add ``generate`` (and its options) under the ``demo`` parser."""
    sub = demo_parser.add_subparsers(dest="demo_command", metavar="COMMAND")
    gen = sub.add_parser(
        "generate",
        help="generate the demo study's raw exports from a seed (synthetic province, two waves)",
        description="Write data/raw/demo-2024/ and data/raw/demo-2025/ (KoboToolbox CSV, ODK Central zip, "
        "GBK CSV, corrections.csv, README.md) and the population truth. The same seed gives "
        "byte-identical files.",
    )
    gen.add_argument(
        "--seed",
        type=int,
        default=2024,
        help="seed of the synthetic province and samples (default 2024)",
    )
    gen.add_argument(
        "--truth",
        type=Path,
        default=None,
        help="folder for the truth files (default: tests/fixtures/demo_truth when the study has a tests/ folder)",
    )
    gen.add_argument("--no-truth", action="store_true", help="do not write the truth files")
    gen.add_argument(
        "--force",
        action="store_true",
        help="overwrite wave folders holding files not written by the generator",
    )
    gen.set_defaults(func=_cmd_generate)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``baicun demo generate`` to a command line that has no ``demo`` command yet."""
    parser = subparsers.add_parser("demo", help="the embedded demo study")
    add_subcommands(parser)


def _cmd_generate(args: argparse.Namespace) -> int:
    from ..study import Study
    from .generate import generate_demo

    study = Study.load(getattr(args, "study", None))
    truth = args.truth
    if truth is None and not args.no_truth and (study.root / "tests").is_dir():
        truth = study.root / "tests" / "fixtures" / "demo_truth"
    if args.no_truth:
        truth = None
    started = time.perf_counter()
    print(f"baicun demo generate: seed {args.seed} -> {study.raw_dir('').relative_to(study.root)}/")
    summary = generate_demo(study, args.seed, truth_dir=truth, force=args.force)
    print(
        f"  province: {summary['villages_in_frame']} villages, {summary['households_in_frame']} households"
    )
    for wave, info in summary["waves"].items():
        rec = info["records"]
        print(
            f"  {wave}: village {rec['village']}, household {rec['household']} (+{rec['members']} members), "
            f"cadre {rec['cadre']}; {info['problems']} injected problems, {info['corrections']} corrected"
        )
        if info["generic_answers"]:
            print(f"    answered generically (no model): {', '.join(info['generic_answers'])}")
        if info["dropped_answers"]:
            print(f"    not in this wave's form: {', '.join(info['dropped_answers'])}")
    if truth is not None:
        print(f"  truth: {truth}")
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0
