"""Writers never break on real forms: Stata/SPSS names, collisions, the failing column named."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from analysis.readers import read_raw
from analysis.writers import output_names, write_sav, write_tables
from analysis.writers.spss_stata import _culprit, labelled_name_limit

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / ".." / "shared" / "realdata"
REACH_FORM = REAL / "xlsform" / "reach_impact" / "cleaningtools_reach_kobo_tool.xlsx"
REACH_DATA = REAL / "exports" / "reach_msna" / "cleaningtools_raw_data.csv"


def test_pyreadstat_limits_are_what_the_writers_assume(tmp_path):
    """Stata label sets are named <variable><position>: 32 characters at most."""
    long = "a" * 32
    pyreadstat.write_dta(pd.DataFrame({long: [1.0]}), tmp_path / "ok.dta")
    with pytest.raises(Exception, match="too long"):
        pyreadstat.write_dta(
            pd.DataFrame({long: [1.0]}), tmp_path / "x.dta", variable_value_labels={long: {1: "y"}}
        )
    columns = {f"v{i:02d}_" + "b" * 26: [1.0] for i in range(11)}  # 30 characters; set 10: 32
    pyreadstat.write_dta(
        pd.DataFrame(columns), tmp_path / "ok2.dta",
        variable_value_labels={c: {1: "y"} for c in columns},
    )  # fmt: skip
    assert labelled_name_limit(0) == 31 and labelled_name_limit(10) == 30


def test_long_labelled_names_are_cut_collision_safe():
    columns = ["q" * 40 + "_1", "q" * 40 + "_2", "short"]
    names = output_names(columns, labelled=columns)
    assert [len(n) for n in names.values()] == [31, 31, 5]
    assert len({n.lower() for n in names.values()}) == 3


def test_a_writer_error_names_the_column(tmp_path):
    long = "a" * 32
    prepared = {
        "frame": pd.DataFrame({"ok": [1.0], long: [1.0]}),
        "column_labels": {},
        "value_labels": {long: {1: "yes"}},
        "missing": {},
        "names": {"ok": "ok", "original name": long},
    }
    assert _culprit("dta", prepared, tmp_path / "x.dta") == "original name"
    prepared["value_labels"] = {}
    assert _culprit("dta", prepared, tmp_path / "x.dta") is None


@pytest.mark.skipif(not REACH_FORM.is_file(), reason="the REACH form and export are absent")
def test_the_reach_export_writes_as_stata_and_spss(tmp_path):
    raw = read_raw(REACH_DATA, REACH_FORM)
    receipt = write_tables(raw, tmp_path, "msna", formats=("sav", "dta"))
    assert sorted(p.name for p in receipt.paths()) == ["msna.dta", "msna.sav"]
    _, meta = pyreadstat.read_dta(tmp_path / "msna.dta", metadataonly=True)
    assert max(len(c) for c in meta.column_names) <= 32
    renamed = receipt.notes[receipt.notes["code"] == "WRT101"]
    assert len(renamed) and renamed["original"].notna().all() and renamed["written"].notna().all()
    written = set(meta.column_names)
    assert set(receipt.names["main"].values()) == written
    _, sav = pyreadstat.read_sav(tmp_path / "msna.sav", metadataonly=True)
    assert sav.column_names == meta.column_names
    assert all(len(c.encode()) <= 64 for c in sav.column_names)


def test_write_sav_within_spss_limits(tmp_path):
    frame = pd.DataFrame({"x" * 70: [1.0]})
    receipt = write_sav(frame, tmp_path / "x.sav")
    assert len(receipt.names["main"]["x" * 70]) <= 32
