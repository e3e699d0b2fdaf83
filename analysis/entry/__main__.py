"""``python -m analysis.entry [--study S] ACTION ...``: the ``baicun entry`` actions on their own.

Example: ``python -m analysis.entry --study . serve --wave 2025``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import BaicunError
from .commands import add_actions


def main(argv: Sequence[str] | None = None) -> int:
    """Run one entry action; returns the exit status (2 on a coded error)."""
    parser = argparse.ArgumentParser(prog="python -m analysis.entry")
    parser.add_argument("--study", type=Path, default=None, help="study folder")
    add_actions(parser)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BaicunError as err:
        print(f"baicun entry: error\n{err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
