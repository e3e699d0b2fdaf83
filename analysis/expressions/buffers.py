"""The buffers of a pyarrow string column, read without copying.

A text column of an export is mostly read once per session (numbers, dates); these helpers
let that read use the column's own memory: the offsets give each row's length (an empty
answer is a zero length), and the same buffers with a validity bitmap make the blanks
nulls for a pyarrow cast, with no new string data.

Examples
--------
>>> import pyarrow as pa
>>> text = pa.array(["12", "", "7"], pa.string())
>>> answered(text).tolist()
[True, False, True]
>>> blanks_as_nulls(text).to_pylist()
['12', None, '7']
>>> blanks_as_nulls(text.slice(1)).to_pylist()
[None, '7']
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["answered", "blanks_as_nulls", "string_buffers"]


def string_buffers(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The offsets (``len(text) + 1``, native width) and the value bytes of a string array.

    ``raw[offsets[i]:offsets[i + 1]]`` is the UTF-8 text of row ``i``; nothing is copied.
    """
    buffers = text.buffers()
    width = np.int64 if text.type == pa.large_string() else np.int32
    offsets = np.frombuffer(buffers[1], dtype=width)[text.offset : text.offset + len(text) + 1]
    raw = (
        np.frombuffer(buffers[2], dtype=np.uint8)
        if buffers[2] is not None
        else np.zeros(0, np.uint8)
    )
    return offsets, raw


def answered(text: pa.Array) -> np.ndarray:
    """Per row: is the text non-empty (from the offsets, one comparison per row)."""
    offsets, _ = string_buffers(text)
    return offsets[1:] != offsets[:-1]


def blanks_as_nulls(text: pa.Array, filled: np.ndarray | None = None) -> pa.Array:
    """The same string array with its empty values as nulls (a new validity bitmap over
    the same offsets and bytes); ``filled`` is :func:`answered` when already computed.

    ``text`` must have no nulls (the expression values' strings never do).
    """
    filled = answered(text) if filled is None else filled
    if text.offset:
        filled = np.concatenate([np.zeros(text.offset, dtype=bool), filled])
    bits = pa.py_buffer(np.packbits(filled, bitorder="little"))
    buffers = text.buffers()
    return pa.Array.from_buffers(
        text.type, len(text), [bits, buffers[1], buffers[2]], offset=text.offset
    )
