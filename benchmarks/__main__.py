"""Run every ``benchmarks/bench_*.py`` module's ``main()`` in one run.

Usage::

    python -m benchmarks            # all benchmarks
    python -m benchmarks estimate   # only bench_estimate.py (names are matched as substrings)
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Import each bench module and call its ``main()``; report failures at the end."""
    wanted = sys.argv[1:] if argv is None else argv
    names = sorted(p.stem for p in Path(__file__).resolve().parent.glob("bench_*.py"))
    if wanted:
        names = [n for n in names if any(w in n for w in wanted)]
    failed = []
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        start = time.perf_counter()
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            module.main()
        except Exception:  # keep going: one broken benchmark must not hide the others
            traceback.print_exc()
            failed.append(name)
        print(f"=== {name}: {time.perf_counter() - start:.1f} s ===", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
