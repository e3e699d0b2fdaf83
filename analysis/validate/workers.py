"""Running independent pieces of a validation side by side in forked processes.

The pieces (the expression engine on each block of records, the duplicate search, the
outlier statistics, ...) only read the data. With ``jobs > 1`` they run in a pool of
forked processes: the data is shared with the workers copy-on-write (nothing is
copied or pickled on the way in), and only each piece's findings come back. Where the
platform cannot fork, or with ``jobs = 1``, they run one after the other here; the
results are the same either way, in the order of the tasks.

Examples
--------
>>> results = run_tasks([lambda: 1 + 1, lambda: "two"], jobs=1)
>>> [value for value, seconds in results]
[2, 'two']
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..readers.blocks import release_memory

__all__ = ["can_fork", "release_memory", "run_tasks"]

#: The tasks of the running pool (set just before the fork; the workers inherit it).
_TASKS: list[Callable[[], Any]] = []


def can_fork() -> bool:
    """True where worker processes can be forked (Linux, and macOS's fork start method)."""
    return "fork" in mp.get_all_start_methods()


def _run(index: int) -> tuple[int, Any, float]:
    start = time.perf_counter()
    value = _TASKS[index]()
    return index, value, time.perf_counter() - start


def run_tasks(
    tasks: Sequence[Callable[[], Any]], jobs: int = 1, *, order: Sequence[int] | None = None
) -> list[tuple[Any, float]]:
    """``(result, seconds)`` of every task, in task order.

    ``order`` is the order to start them in (largest first balances the workers). An
    exception in a task is raised here, as it would be without workers.
    """
    order = list(order) if order is not None else list(range(len(tasks)))
    results: list[tuple[Any, float]] = [(None, 0.0)] * len(tasks)
    if jobs <= 1 or len(tasks) <= 1 or not can_fork():
        for i in order:
            start = time.perf_counter()
            results[i] = (tasks[i](), time.perf_counter() - start)
        return results
    _TASKS[:] = list(tasks)
    try:
        with mp.get_context("fork").Pool(min(jobs, len(tasks))) as pool:
            for i, value, seconds in pool.imap_unordered(_run, order, chunksize=1):
                results[i] = (value, seconds)
    finally:
        _TASKS.clear()
    return results
