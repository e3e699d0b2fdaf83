"""Writers: labelled .sav/.dta round trips, Parquet labels, byte limits, determinism, PII."""

from __future__ import annotations

import json
import time

import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from exports_support import household_form, odk_zip

from analysis.errors import WriteError
from analysis.readers import ColumnInfo, RawMetadata, is_safe_name, read_raw
from analysis.writers import (
    METADATA_KEY,
    protect_pii,
    pseudonym,
    write_dta,
    write_parquet,
    write_sav,
    write_tables,
)


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    return read_raw(odk_zip(tmp_path_factory.mktemp("odk")), household_form())


@pytest.fixture(scope="module")
def written(raw, tmp_path_factory):
    folder = tmp_path_factory.mktemp("out")
    receipt = write_tables(raw, folder, "household", instrument=household_form(), pii="keep")
    return folder, receipt


def _codes(receipt) -> set[str]:
    return set(receipt.notes["code"])


@pytest.mark.parametrize(
    ("suffix", "reader"), [("sav", pyreadstat.read_sav), ("dta", pyreadstat.read_dta)]
)
def test_round_trip_keeps_values_labels_and_chinese_value_labels(written, raw, suffix, reader):
    folder, receipt = written
    frame, meta = reader(
        str(folder / f"household.{suffix}"), user_missing=True
    )  # SPSS: keep 98 as a value
    names = receipt.names["main"]
    assert frame[names["village"]].tolist() == raw.data["village"].tolist()
    assert frame[names["hh_size"]].tolist() == [5, 3, 98]
    assert frame[names["income"]].tolist()[0] == pytest.approx(3.5)
    assert frame[names["has_tv"]].tolist() == [1, 2, 1]
    assert meta.variable_value_labels[names["has_tv"]] == {1: "是", 2: "否"}
    assert meta.variable_value_labels[names["hh_size"]] == {98: "不知道", 99: "拒答"}
    assert meta.column_names_to_labels[names["hh_size"]] == "家庭人口"
    assert meta.column_names_to_labels["channels_wechat"] == "获取政策信息的渠道: 微信"
    assert meta.variable_value_labels["channels_wechat"] == {0: "未选中", 1: "选中"}
    assert frame["record_key"].tolist() == raw.data["_key"].tolist()
    visit = frame[names["visit_date"]].tolist()[0]
    assert str(visit)[:10] == "2024-06-01"
    assert all(is_safe_name(c) for c in frame.columns)


def test_repeats_written_with_parent_keys(written, raw):
    folder, _ = written
    frame, meta = pyreadstat.read_sav(str(folder / "household-member.sav"))
    assert frame["parent_key"].tolist() == raw.repeats["member"]["_parent_key"].tolist()
    assert meta.variable_value_labels["m_sex"] == {1: "男", 2: "女"}
    assert sorted(p.name for p in written[1].paths()) == sorted(
        f"household{t}.{ext}" for t in ("", "-member", "-job") for ext in ("parquet", "sav", "dta")
    )


def test_spss_user_missing_values(written):
    folder, receipt = written
    _, meta = pyreadstat.read_sav(str(folder / "household.sav"), user_missing=True)
    assert meta.missing_ranges[receipt.names["main"]["hh_size"]] == [
        {"lo": 98.0, "hi": 98.0},
        {"lo": 99.0, "hi": 99.0},
    ]
    notes = receipt.notes[
        (receipt.notes["code"] == "WRT105") & (receipt.notes["file"].str.endswith(".dta"))
    ]
    assert "hh_size" in set(notes["column"])  # Stata cannot: noted


def test_english_labels_on_request(raw, tmp_path):
    write_sav(raw.data, tmp_path / "en.sav", metadata=raw.metadata, lang="en")
    _, meta = pyreadstat.read_sav(str(tmp_path / "en.sav"))
    assert meta.column_names_to_labels["hh_size"] == "Household size"
    assert meta.variable_value_labels["has_tv"] == {1: "Yes", 2: "No"}


def test_parquet_keeps_types_and_labels_in_every_language(written, raw):
    folder, _ = written
    back = pd.read_parquet(folder / "household.parquet")
    pd.testing.assert_frame_equal(back, raw.data, check_dtype=False)
    assert str(back["hh_size"].dtype) == "Int64" and str(back["visit_date"].dtype).startswith(
        "datetime64"
    )
    schema = pq.read_schema(folder / "household.parquet")
    meta = json.loads(schema.metadata[METADATA_KEY])
    assert meta["instrument"] == "household"
    assert meta["columns"]["has_tv"]["value_labels"]["1"] == {"zh": "是", "en": "Yes"}
    assert schema.field("hh_size").metadata[b"label"].decode() == "家庭人口"


def test_two_runs_write_identical_bytes(raw, tmp_path):
    writers = {"parquet": write_parquet, "sav": write_sav, "zsav": write_sav, "dta": write_dta}
    first = {
        f: w(raw.data, tmp_path / f"a.{f}", metadata=raw.metadata).files[0].sha256
        for f, w in writers.items()
    }
    time.sleep(1.1)  # .sav headers record the time to the second
    second = {
        f: w(raw.data, tmp_path / f"b.{f}", metadata=raw.metadata).files[0].sha256
        for f, w in writers.items()
    }
    assert first == second


def test_header_timestamps_are_fixed(raw, tmp_path):
    write_sav(raw.data, tmp_path / "a.sav", metadata=raw.metadata)
    write_dta(raw.data, tmp_path / "a.dta", metadata=raw.metadata)
    assert (tmp_path / "a.sav").read_bytes()[92:109] == b"01 Jan 7000:00:00"
    assert b"<timestamp>\x1101 Jan 1970 00:00</timestamp>" in (tmp_path / "a.dta").read_bytes()


def _labelled(label: str, value_label: str) -> tuple[pd.DataFrame, RawMetadata]:
    frame = pd.DataFrame({"q": pd.array([1, 2], dtype="Int64")})
    info = ColumnInfo(
        "q", "question", type="integer", labels={"zh": label}, value_labels={1: {"zh": value_label}}
    )
    return frame, RawMetadata(format="csv", columns={"main": {"q": info}})


def test_long_chinese_labels_are_cut_on_character_boundaries(tmp_path):
    frame, meta = _labelled("家庭人口" * 50, "非常满意" * 50)
    sav = write_sav(frame, tmp_path / "l.sav", metadata=meta)
    dta = write_dta(frame, tmp_path / "l.dta", metadata=meta)
    _, m_sav = pyreadstat.read_sav(str(tmp_path / "l.sav"))
    _, m_dta = pyreadstat.read_dta(str(tmp_path / "l.dta"))
    assert len(m_sav.column_names_to_labels["q"].encode()) <= 256 and m_sav.column_names_to_labels[
        "q"
    ].startswith("家庭人口")
    assert len(m_sav.variable_value_labels["q"][1].encode()) <= 120
    assert m_dta.column_names_to_labels["q"] == ("家庭人口" * 20)  # 80 characters
    assert {"WRT102", "WRT103"} <= _codes(sav) and "WRT102" in _codes(dta)


def test_names_made_valid_for_spss_and_stata(tmp_path):
    frame = pd.DataFrame(
        {"meta-instanceID": ["u"], "_uuid": ["x"], "户主": ["张三"], "q" * 40: [1], "with": [2]}
    )
    receipt = write_dta(frame, tmp_path / "n.dta")
    back, meta = pyreadstat.read_dta(str(tmp_path / "n.dta"))
    assert list(back.columns) == ["meta_instanceID", "uuid", "v3", "q" * 32, "with_"]
    assert meta.column_names_to_labels["v3"] == "户主"
    assert "WRT101" in _codes(receipt)


def test_text_codes_keep_value_labels_in_spss_only(tmp_path):
    frame = pd.DataFrame({"a": pd.Series(["yes", "no"], dtype="str")})
    info = ColumnInfo(
        "a", "question", type="select_one", value_labels={"yes": {"zh": "是"}, "no": {"zh": "否"}}
    )
    meta = RawMetadata(format="csv", columns={"main": {"a": info}})
    write_sav(frame, tmp_path / "t.sav", metadata=meta)
    assert pyreadstat.read_sav(str(tmp_path / "t.sav"))[1].variable_value_labels["a"] == {
        "yes": "是",
        "no": "否",
    }
    assert "WRT104" in _codes(write_dta(frame, tmp_path / "t.dta", metadata=meta))


def test_mixed_values_are_written_as_text(tmp_path):
    frame = pd.DataFrame({"x": pd.Series([1.0, "a", None], dtype="object")})
    for writer, name in ((write_dta, "m.dta"), (write_parquet, "m.parquet")):
        assert "WRT107" in _codes(writer(frame, tmp_path / name))


def test_pii_dropped_or_pseudonymised(raw, tmp_path):
    form = household_form()
    dropped = write_tables(raw, tmp_path / "d", "household", formats=["parquet"], instrument=form)
    assert "head_name" not in pd.read_parquet(tmp_path / "d" / "household.parquet").columns
    assert "m_name" not in pd.read_parquet(tmp_path / "d" / "household-member.parquet").columns
    assert "WRT108" in _codes(dropped)
    write_tables(
        raw,
        tmp_path / "p",
        "household",
        formats=["parquet"],
        instrument=form,
        pii="pseudonymise",
        salt="盐-2024",
    )
    names = pd.read_parquet(tmp_path / "p" / "household.parquet")["head_name"].tolist()
    assert (
        names[0] == pseudonym("张建国", "盐-2024") != pseudonym("张建国", "other")
        and "张建国" not in names
    )


def test_pseudonymising_needs_a_salt():
    with pytest.raises(WriteError) as err:
        protect_pii(pd.DataFrame({"n": ["a"]}), ["n"], action="pseudonymise", salt="")
    assert err.value.code == "WRT003"


def test_unwritable_folder_gives_a_coded_error(raw, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(WriteError) as err:
        write_sav(raw.data, blocker / "sub" / "a.sav", metadata=raw.metadata)
    assert err.value.code == "WRT001"


def test_unknown_output_format(raw, tmp_path):
    with pytest.raises(WriteError) as err:
        write_tables(raw, tmp_path, "x", formats=["xlsx"])
    assert err.value.code == "WRT006"
