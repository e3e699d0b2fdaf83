"""Meeting notes and long answers as sentences, so each can be coded on its own.

Examples
--------
>>> sentences({"座谈1": "书屋经费不足。村里信号差！其他还好"}).tolist()
['书屋经费不足。', '村里信号差！', '其他还好']
>>> sentences({"座谈1": "书屋经费不足。村里信号差！"}).index.tolist()
['座谈1#1', '座谈1#2']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from .coding import _as_series, _texts

__all__ = ["sentences"]

_END = re.compile(r"(?<=[。！？!?；;\n])")


def sentences(notes: Any) -> pd.Series:
    """Split texts at sentence ends (。！？；and line breaks); ids become ``<id>#<k>``."""
    if isinstance(notes, str):
        notes = {"note": notes}
    s = _texts(_as_series(notes if not isinstance(notes, Mapping) else dict(notes)))
    out: dict[str, str] = {}
    for nid, text in s.items():
        if text is None:
            continue
        parts = [p.strip() for p in _END.split(text) if p.strip()]
        for k, part in enumerate(parts, start=1):
            out[f"{nid}#{k}"] = part
    return pd.Series(out, dtype=object)
