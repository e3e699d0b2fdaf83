"""``baicun demo``: run the main job on the embedded demo study.

Runs the wave pipeline (``baicun run``) on every wave of the demo study, oldest first,
and prints where the outputs are. ``baicun demo generate`` regenerates the demo's raw
data from its seed (:mod:`analysis.demo_study`).
"""

from __future__ import annotations

import argparse
import time

from ..study import Study

__all__ = ["register", "run_demo"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``baicun demo`` (and ``baicun demo generate``) to the command line."""
    parser = subparsers.add_parser("demo", help="run the main job on the embedded demo study")
    parser.add_argument(
        "--force", action="store_true", help="re-run every step even when nothing changed"
    )
    parser.set_defaults(func=_cmd_demo)
    from .commands import add_subcommands

    add_subcommands(parser)


def run_demo(study: Study, *, force: bool = False) -> int:
    """Run every wave of the study; returns 1 when a wave has blocking problems."""
    from ..pipeline.wave import closing_line, run_wave

    status = 0
    for wave in study.waves:
        started = time.perf_counter()
        print(f"wave {wave}")
        result = run_wave(study, wave, force=force)
        print(
            f"  -> {study.processed_dir(wave).relative_to(study.root)}/ ({time.perf_counter() - started:.1f}s)"
        )
        print(f"  {closing_line(study, result)}")
        status = max(status, int(result.blocking))
    return status


def _cmd_demo(args: argparse.Namespace) -> int:
    study = Study.load(args.study)
    print(f"baicun demo: {study.name}")
    return run_demo(study, force=args.force)
