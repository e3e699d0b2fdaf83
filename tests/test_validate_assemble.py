"""The record texts of the issues table (``validation._record_texts``): the fast path
for texts that all differ gives what the dictionary encoding gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from analysis.validate import validation


class _Table:
    """A table of texts, as ``_record_texts`` sees one (its length and its texts)."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = pa.array(texts, pa.large_string())

    def __len__(self) -> int:
        return len(self.texts)


def _texts_of(table: _Table, rows: np.ndarray | None) -> pa.Array:
    return table.texts if rows is None else table.texts.take(pa.array(rows))


def _both(monkeypatch, segments, positions, override=None):
    fast = validation._record_texts(segments, positions, _texts_of, override)
    with monkeypatch.context() as m:
        m.setattr(validation, "_all_distinct", lambda pieces: False)
        slow = validation._record_texts(segments, positions, _texts_of, override)
    return fast, slow


@pytest.mark.parametrize("blank", [False, True])
def test_distinct_record_texts_skip_the_dictionary_with_the_same_result(monkeypatch, blank):
    main, roster = _Table(["m0", "m1", "m2"]), _Table(["r0", "r1", "r2", "r3"])
    # main findings in two check families, roster findings between them
    positions = np.array([2, 0, 1, 3, 1, 0, 2, -1 if blank else 1])
    segments = [(0, 2, main), (2, 5, roster), (5, 8, main)]
    fast, slow = _both(monkeypatch, segments, positions)
    expected = ["m2", "m0", "r1", "r3", "r1", "m0", "m2", "" if blank else "m1"]
    assert fast.tolist() == slow.tolist() == expected
    assert list(fast.categories) == list(slow.categories)
    assert ("" in fast.categories) is blank


def test_texts_shared_by_two_records_take_the_dictionary(monkeypatch):
    main, roster = _Table(["a", "b"]), _Table(["b", "c"])
    override = pd.Categorical([None, None, "c", None], categories=pd.Index(["c"], dtype="str"))
    positions = np.array([0, 1, -1, 0])
    fast, slow = _both(
        monkeypatch, [(0, 2, main), (2, 3, None), (3, 4, roster)], positions, override
    )
    assert fast.tolist() == slow.tolist() == ["a", "b", "c", "b"]
    assert fast.categories.is_unique


def test_all_distinct_is_exact_on_shared_texts():
    one = pa.array(["x" * 20, "y"], pa.large_string())
    assert validation._all_distinct([one])
    assert not validation._all_distinct([one, pa.array(["x" * 20], pa.large_string())])
