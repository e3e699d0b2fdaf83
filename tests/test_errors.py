"""The one base error type: codes, locations, hints; the CLI prints them without traceback."""

from __future__ import annotations

import pickle
import subprocess
import sys

from analysis.errors import BaicunError, InstrumentError


def test_error_says_where_and_what_to_do():
    err = InstrumentError(
        "INS003",
        "duplicate name 'age'",
        file="f.xlsx",
        sheet="survey",
        row=7,
        column="name",
        expected="unique names",
        found="age twice",
        hint="Rename one of them.",
    )
    text = str(err)
    assert text.startswith("[INS003] duplicate name 'age'")
    assert "f.xlsx, sheet survey, row 7, column name" in text
    assert "expected: unique names" in text and "found: age twice" in text
    assert "what to do: Rename one of them." in text
    assert isinstance(err, BaicunError)
    assert err.to_dict()["row"] == 7


def test_errors_survive_pickling():
    err = InstrumentError("INS001", "missing", file="x.xlsx", hint="h")
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is InstrumentError and again.code == "INS001" and again.hint == "h"


def test_cli_prints_coded_errors_without_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "instrument", "check", str(tmp_path / "nope.xlsx")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "[INS001]" in proc.stderr
