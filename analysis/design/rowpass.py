"""Passes over the rows without row-length temporaries, and without hidden copies.

A design over tens of millions of rows is reduced many times (unit codes, domain
sizes, unit totals). Every row-length temporary of such a pass is fresh memory: it is
larger than what the allocator keeps for reuse, so each pass maps new pages that the
kernel zeroes on first touch. That cost is not in the arithmetic and it grows faster
than the rows on a busy machine (page faults, huge-page compaction). The passes here
work on blocks of :data:`BLOCK_ROWS` rows, whose temporaries stay in the CPU cache and
are reused by the allocator.

:func:`numpy.bincount` (and :func:`numpy.take`) copy their read-only inputs: the
design's codes and weights are read-only, so :func:`bincount` hands numpy a view it
accepts as it is (:func:`borrow`). Nothing here writes to its inputs.

Sums are exactly those of one :func:`numpy.bincount` over all the rows:
:func:`numpy.add.at` adds the rows of each block, in row order, to the same output.

Examples
--------
>>> import numpy as np
>>> codes = np.array([2, 0, 2, 1])
>>> codes.flags.writeable = False
>>> bincount(codes, weights=np.array([1.0, 2.0, 3.0, 4.0])).tolist()
[2.0, 4.0, 4.0]
>>> keyed_sums(lambda b: codes[b], 4, 3, np.array([[1.0], [2.0], [3.0], [4.0]])).tolist()
[[2.0], [4.0], [4.0]]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

__all__ = [
    "BLOCK_ROWS",
    "bincount",
    "blocks",
    "borrow",
    "first_rows",
    "keyed_counts",
    "keyed_sums",
]

#: Rows per block: a few int64/float64 temporaries of a block fit in a core's L2 cache.
BLOCK_ROWS = 1 << 16

#: The key of the rows of a block (a slice of the rows), as ``intp`` codes.
BlockKey = Callable[[slice], np.ndarray]


def blocks(n: int, size: int = BLOCK_ROWS) -> Iterator[slice]:
    """Consecutive slices of ``size`` rows covering ``range(n)``.

    Examples
    --------
    >>> list(blocks(5, 2))
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def borrow(a: np.ndarray) -> np.ndarray:
    """A view of ``a`` that numpy's C routines take without copying it.

    :func:`numpy.bincount` and :func:`numpy.take` ask for writable arrays and copy
    read-only ones (the design's codes and weights, pandas' columns). The view is only
    passed to such routines, never written to. ``a`` itself when it is writable, or
    when its memory cannot be flagged writable (a read-only buffer).

    Examples
    --------
    >>> a = np.arange(3)
    >>> a.flags.writeable = False
    >>> view = borrow(a)
    >>> np.shares_memory(view, a), a.flags.writeable
    (True, False)
    """
    if a.flags.writeable:
        return a
    view = a.view()
    try:
        view.flags.writeable = True
    except ValueError:  # memory owned read-only: numpy will copy it
        return a
    return view


def bincount(x: np.ndarray, weights: np.ndarray | None = None, minlength: int = 0) -> np.ndarray:
    """:func:`numpy.bincount`, without the copy numpy makes of read-only inputs.

    Examples
    --------
    >>> codes = np.array([1, 1, 3])
    >>> codes.flags.writeable = False
    >>> bincount(codes, minlength=5).tolist()
    [0, 2, 0, 1, 0]
    """
    return np.bincount(
        borrow(np.asarray(x)),
        None if weights is None else borrow(np.asarray(weights)),
        minlength,
    )


def first_rows(codes: np.ndarray, m: int) -> np.ndarray:
    """The last row of each code ``0..m-1`` (``-1`` for an absent code), block by block.

    Units are nested, so any row of a unit represents it.

    Examples
    --------
    >>> first_rows(np.array([1, 0, 1, 2]), 4).tolist()
    [1, 2, 3, -1]
    """
    out = np.full(m, -1, dtype=np.intp)
    step = np.arange(min(BLOCK_ROWS, codes.size), dtype=np.intp)
    for b in blocks(codes.size):
        out[codes[b]] = step[: b.stop - b.start] + b.start
    return out


def keyed_counts(key_of: BlockKey, n: int, size: int) -> np.ndarray:
    """``(size,)`` number of rows of each key, the keys computed block by block.

    ``key_of(block)`` returns the ``intp`` keys ``0..size-1`` of the rows of ``block``.

    Examples
    --------
    >>> dom, unit = np.array([0, 1, 1, 0]), np.array([0, 0, 1, 1])
    >>> keyed_counts(lambda b: dom[b] * 2 + unit[b], 4, 4).tolist()
    [1, 1, 1, 1]
    """
    out = np.zeros(size, dtype=np.intp)
    for b in blocks(n):
        np.add.at(out, key_of(b), 1)
    return out


def keyed_sums(key_of: BlockKey, n: int, size: int, values: np.ndarray) -> np.ndarray:
    """``(size, k)`` sums of the ``(n, k)`` ``values`` per key, block by block.

    The same numbers as ``numpy.bincount(key, weights=values[:, j])`` over all the rows.

    Examples
    --------
    >>> key = np.array([1, 0, 1])
    >>> keyed_sums(lambda b: key[b], 3, 2, np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    array([[3., 4.],
           [6., 8.]])
    """
    k = values.shape[1]
    out = np.zeros((k, size))
    for b in blocks(n):
        key = key_of(b)
        for j in range(k):
            np.add.at(out[j], key, values[b, j])
    return out.T
