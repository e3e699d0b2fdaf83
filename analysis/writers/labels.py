"""Labels for written files, from the column metadata a reader recorded.

Every column of a :class:`~analysis.readers.RawData` table has a
:class:`~analysis.readers.ColumnInfo` with its variable label and value labels in
every language of the form (choice labels for select_one, ``选中``/``未选中`` for
select_multiple 0/1 columns, the meanings of missing codes for numeric questions).
The writers take them in one language, ``zh`` by default, falling back to the form's
other languages when a label is missing in that language.

Examples
--------
>>> from analysis.readers import ColumnInfo
>>> infos = {"tv": ColumnInfo("tv", "question", labels={"zh": "有电视吗", "en": "Has a TV"},
...                           value_labels={"1": {"zh": "有", "en": "yes"}})}
>>> variable_label(infos["tv"], "en"), value_label_map(infos["tv"], "zh")
('Has a TV', {'1': '有'})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..readers.rawdata import MAIN, ColumnInfo, RawMetadata

__all__ = ["column_infos", "value_label_map", "variable_label"]


def column_infos(metadata: RawMetadata | None, table: str = MAIN) -> Mapping[str, ColumnInfo]:
    """The ColumnInfo of each column of ``table`` (empty without metadata)."""
    if metadata is None:
        return {}
    return metadata.column_info(table)


def variable_label(info: ColumnInfo | None, lang: str) -> str | None:
    """The variable label of a column in ``lang`` (with fallback), or ``None``."""
    if info is None:
        return None
    return info.label(lang)


def value_label_map(info: ColumnInfo | None, lang: str) -> dict[Any, str]:
    """``{value: label}`` of a column in ``lang`` (with fallback)."""
    if info is None:
        return {}
    return info.value_label_map(lang)
