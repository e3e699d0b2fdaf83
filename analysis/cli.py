"""The ``baicun`` command.

Every subcommand lives beside the concept it serves (``analysis.instrument.commands``,
...) and registers itself here through a ``register(subparsers)`` function.
Errors of the toolkit (:class:`analysis.errors.BaicunError`) are printed without a
traceback and exit with status 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import BaicunError

__all__ = ["build_parser", "main"]

#: Modules that contribute subcommands, each with ``register(subparsers)``.
COMMAND_MODULES: tuple[str, ...] = (
    "analysis.instrument.commands",
    "analysis.pipeline.commands",
    "analysis.demo_study.run",
    "analysis.entry.commands",
    "analysis.corrections.commands",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="baicun",
        description="baicun: survey collection and analysis for hundred-villages (百村) studies",
    )
    parser.add_argument("--version", action="version", version=f"baicun {__version__}")
    parser.add_argument(
        "--study",
        type=Path,
        default=None,
        help="study folder (default: found from the working directory)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    return parser


def command() -> int:
    """The ``baicun`` console command: :func:`main` with one memory allocator for numpy
    and pyarrow (see :mod:`analysis.pipeline.memory`)."""
    from .pipeline.memory import use_one_allocator

    use_one_allocator()
    return main()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``baicun``; returns the exit status (0 ok, 1 blocking problems found, 2 error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        status = args.func(args)
    except BaicunError as err:
        if args.debug:
            raise
        print(f"baicun: error\n{err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("baicun: interrupted", file=sys.stderr)
        return 130
    return int(status or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(command())
