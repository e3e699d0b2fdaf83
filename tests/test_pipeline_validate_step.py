"""The validate step's outputs of a large issues table: the CSV in chunks, blocking by mask."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.pipeline.wave import _blocking, _write_issues, blocking_issues
from analysis.study import Study


def _issues() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "key": pd.Categorical(["H1", "H2", None, "H1", "H3"]),
            "source_row": pd.array([2, 3, None, 5, 6], dtype="Int64"),
            "check": pd.Categorical(["pii", "choice", "duplicate", "pii", "outlier"]),
            "code": pd.Categorical(["VAL195", "VAL110", "VAL131", "VAL195", "VAL140"]),
            "severity": ["error", "error", "error", "warning", "warning"],
            "message": pd.Categorical(['说明 "引号", 逗号', "a\nb", "", "x", "y"]),
            "confirmed": [False, False, True, False, False],
        }
    )
    return frame.astype({"severity": "str"})


def test_the_issues_csv_written_in_chunks_has_the_bytes_of_to_csv(tmp_path):
    issues = _issues()
    for rows in (2, 5, 100):
        path = _write_issues(issues, tmp_path / f"issues-{rows}.csv", rows=rows)
        assert path.read_bytes() == issues.to_csv(index=False).encode("utf-8")
    empty = _write_issues(issues.iloc[:0], tmp_path / "empty.csv")
    assert empty.read_bytes() == issues.iloc[:0].to_csv(index=False).encode("utf-8")


def test_the_blocking_mask_picks_the_rows_of_blocking_issues():
    issues = _issues()
    settings = (
        {},
        {"pipeline": {"non_blocking_checks": ["pii"]}},
        {"pipeline": {"blocking_checks": ["choice", "duplicate"]}},
    )
    for setting in settings:
        study = Study(Path("/s"), setting)
        stops = _blocking(issues, study)
        assert stops.dtype == np.bool_
        assert issues[stops].equals(blocking_issues(issues, study))
