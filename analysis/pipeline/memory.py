"""One memory allocator for numpy and pyarrow in the toolkit's commands.

pandas keeps text in pyarrow arrays, allocated by pyarrow's own allocator (mimalloc or
jemalloc), and numbers in numpy arrays, allocated by the C library's. Memory freed by
one is not reused by the other, so a long step that moves between the two (a
validation builds numpy codes from text columns and text from numpy positions) holds
the high-water marks of both. With pyarrow on the system allocator as well, the
validation of 1M households peaks 0.25-0.3 GiB lower (benchmarks/bench_validate.py).

The ``baicun`` command calls :func:`use_one_allocator` before anything else; a
notebook or script that imports :mod:`analysis` can call it first too. A choice made
in the environment (``ARROW_DEFAULT_MEMORY_POOL``) is left alone.

Examples
--------
The allocator it switches to is in every pyarrow build:

>>> import pyarrow as pa
>>> "system" in pa.supported_memory_backends()
True
"""

from __future__ import annotations

import os
import sys

__all__ = ["use_one_allocator"]

_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def use_one_allocator() -> str:
    """Make pyarrow allocate with the system allocator (unless the environment says
    otherwise); returns the allocator pyarrow uses from now on.

    Sets ``ARROW_DEFAULT_MEMORY_POOL=system`` for this process and the processes it
    starts, and switches pyarrow's default pool if pyarrow is already imported.
    """
    chosen = os.environ.setdefault(_VARIABLE, "system")
    if "pyarrow" in sys.modules:
        import pyarrow as pa

        if chosen == "system" and pa.default_memory_pool().backend_name != "system":
            pa.set_memory_pool(pa.system_memory_pool())
        return pa.default_memory_pool().backend_name
    return chosen
