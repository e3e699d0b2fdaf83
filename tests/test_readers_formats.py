"""Reading ODK Central and KoboToolbox exports into the one canonical layout."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from exports_support import EXPORTS, codes, household_form, issues_of, kobo_xlsx, odk_zip

from analysis.readers import read_raw

HH1 = "uuid:6f1c2a3e-0b7d-4c51-9a2e-1d3f5b7c9e01"
HH2 = "uuid:0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c02"
HH3 = "uuid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c03"
QUESTION_COLUMNS = [
    "start", "end", "village", "head_name", "hh_size", "income", "visit_date", "has_tv",
    "channels", "channels_tv", "channels_radio", "channels_wechat", "channels_other",
    "gps", "gps_latitude", "gps_longitude", "gps_altitude", "gps_accuracy", "instanceID",
]  # fmt: skip


@pytest.fixture(scope="module")
def odk(tmp_path_factory):
    return read_raw(odk_zip(tmp_path_factory.mktemp("odk")), household_form())


@pytest.fixture(scope="module")
def kobo_csv():
    return read_raw(EXPORTS / "kobo" / "household_xml.csv", household_form())


@pytest.fixture(scope="module")
def kobo_labels():
    return read_raw(EXPORTS / "kobo" / "household_labels_zh.csv", household_form())


@pytest.fixture(scope="module")
def kobo_book(tmp_path_factory):
    return read_raw(kobo_xlsx(tmp_path_factory.mktemp("kobo")), household_form())


def test_odk_central_zip_gives_main_and_repeat_tables_linked_by_key(odk):
    assert odk.metadata.format == "odk_central"
    assert odk.counts() == {"main": 3, "member": 3, "job": 3}
    assert odk.data["_key"].tolist() == [HH1, HH2, HH3]
    member = odk.repeats["member"]
    assert member["_parent_key"].tolist() == [HH1, HH1, HH2]
    assert member["_key"].tolist()[1] == f"{HH1}/member[2]"
    job = odk.repeats["job"]
    assert set(job["_parent_key"]) <= set(member["_key"])
    assert dict(odk.metadata.repeat_parents) == {"member": "main", "job": "member"}


def test_odk_central_columns_are_question_names_in_form_order(odk):
    questions = [c for c in odk.data.columns if c in QUESTION_COLUMNS]
    assert questions == QUESTION_COLUMNS
    assert odk.metadata.renamed()["info-hh_size"] == "hh_size"
    assert odk.metadata.renamed()["SubmissionDate"] == "_submission_time"


def test_odk_central_values_are_typed(odk):
    row = odk.data.iloc[0]
    assert row["hh_size"] == 5 and str(odk.data["hh_size"].dtype) == "Int64"
    assert row["income"] == pytest.approx(3.5)
    assert row["visit_date"] == pd.Timestamp("2024-06-01")
    assert row["start"] == pd.Timestamp("2024-06-01 09:15:02.113")  # wall-clock, +08:00
    assert odk.metadata.column_info()["start"].timezone == "+08:00"
    assert odk.metadata.column_info()["_submission_time"].type == "datetime"
    assert row["gps"] == "30.6598 104.0633 512.3 4.8"  # rebuilt from the four ODK columns
    assert row["gps_latitude"] == pytest.approx(30.6598)
    assert odk.data.loc[1, "head_name"] == "李秀英, 王强"  # quoted comma kept


def test_select_multiple_answer_and_choice_columns(odk):
    assert odk.data["channels"].tolist()[:2] == ["tv wechat", "radio"]
    assert odk.data.loc[
        0, ["channels_tv", "channels_radio", "channels_wechat", "channels_other"]
    ].tolist() == [1, 0, 1, 0]
    assert pd.isna(odk.data.loc[2, "channels_tv"])  # unanswered: NA, not 0
    info = odk.metadata.column_info()["channels_wechat"]
    assert (info.kind, info.question, info.choice, info.original) == (
        "choice",
        "channels",
        "wechat",
        "info-channels/wechat",
    )
    assert info.label("zh") == "获取政策信息的渠道: 微信"


def _drop_column(text: str, header: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    at = rows[0].index(header)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([r[:at] + r[at + 1 :] for r in rows])
    return out.getvalue()


def test_select_multiple_from_choice_columns_only(tmp_path):
    def split_only(member, text):
        return _drop_column(text, "info-channels") if member == "household.csv" else text

    raw = read_raw(odk_zip(tmp_path, edit=split_only), household_form())
    assert raw.data["channels"].tolist()[:2] == ["tv wechat", "radio"]
    assert pd.isna(raw.data.loc[2, "channels"])
    assert raw.data["channels_wechat"].tolist()[:2] == [1, 0]


def test_same_records_whatever_the_export(odk, kobo_csv, kobo_labels, kobo_book):
    columns = [c for c in QUESTION_COLUMNS if c not in ("start", "end")]
    expected = odk.data[["_key", *columns]].reset_index(drop=True)
    for other in (kobo_csv, kobo_labels, kobo_book):
        got = other.data[["_key", *columns]].reset_index(drop=True)
        got.loc[1, "head_name"] = expected.loc[1, "head_name"]  # Kobo fixture uses '; '
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_kobo_csv_semicolons_groups_and_platform_columns(kobo_csv):
    assert (kobo_csv.metadata.format, kobo_csv.metadata.delimiter) == ("kobo_csv", ";")
    assert kobo_csv.data["_index"].tolist() == [1, 2, 3]
    assert kobo_csv.data["_uuid"].tolist()[0] == HH1.removeprefix("uuid:")
    assert kobo_csv.metadata.key_source["main"] == "instanceID"
    assert kobo_csv.issues.empty


def test_kobo_label_export_is_mapped_back_to_codes(kobo_labels):
    assert kobo_labels.data["has_tv"].tolist() == ["1", "2", "1"]
    assert kobo_labels.data["channels"].tolist()[0] == "tv wechat"
    assert kobo_labels.metadata.renamed()["获取政策信息的渠道/微信"] == "channels_wechat"
    assert {"RD121"} == codes(kobo_labels)


def test_kobo_xlsx_repeat_sheets_link_by_parent_index(kobo_book, odk):
    assert kobo_book.metadata.format == "kobo_xlsx"
    assert kobo_book.counts() == {"main": 3, "member": 3, "job": 3}
    for table in ("member", "job"):
        pd.testing.assert_series_equal(kobo_book.repeats[table]["_key"], odk.repeats[table]["_key"])
        pd.testing.assert_series_equal(
            kobo_book.repeats[table]["_parent_key"], odk.repeats[table]["_parent_key"]
        )
    assert kobo_book.repeats["member"]["m_age"].tolist() == [52, 49, 67]


def test_repeats_of_the_form_always_present(kobo_csv):
    assert set(kobo_csv.repeats) == {"member", "job"}
    assert kobo_csv.repeats["member"].empty
    assert list(kobo_csv.repeats["member"].columns[:3]) == ["_key", "_parent_key", "_source_row"]


def test_source_rows_point_at_spreadsheet_rows(odk, kobo_book):
    assert odk.data["_source_row"].tolist() == [2, 3, 4]
    assert odk.repeats["job"]["_source_row"].tolist() == [2, 3, 4]
    assert kobo_book.repeats["member"]["_source_row"].tolist() == [2, 3, 4]


def test_metadata_labels_and_missing_codes(odk):
    meta = odk.metadata
    assert meta.instrument == "household" and meta.instrument_version == "2024060101"
    assert meta.variable_labels(lang="en")["hh_size"] == "Household size"
    assert meta.value_labels(lang="zh")["has_tv"] == {"1": "是", "2": "否"}
    assert meta.value_labels(lang="zh")["hh_size"] == {98: "不知道", 99: "拒答"}
    assert meta.user_missing()["hh_size"] == (98, 99)
    assert meta.variable_labels("member", "zh")["m_age"] == "年龄"
    assert meta.sources[0].sha256 and meta.source_rows == {"main": 3, "member": 3, "job": 3}


def test_odk_central_main_csv_alone(tmp_path):
    path = tmp_path / "household.csv"
    path.write_text(
        EXPORTS.joinpath("odk_central", "household.csv").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    raw = read_raw(path, household_form())
    assert raw.metadata.format == "odk_central"
    assert raw.counts()["main"] == 3 and raw.counts()["member"] == 0


def test_repeat_name_collisions_in_central_zip(tmp_path):
    raw = read_raw(odk_zip(tmp_path, media=False), None)
    assert set(raw.repeats) == {"member", "job"}
    assert "RD162" not in codes(raw)


def test_issue_records_carry_the_record_key(tmp_path):
    def bad_age(member, text):
        return text.replace(",52,", ",五十二,") if member == "household-member.csv" else text

    raw = read_raw(odk_zip(tmp_path, edit=bad_age), household_form())
    issue = issues_of(raw, "RD110").iloc[0]
    assert (issue["table"], issue["row"], issue["record"], issue["value"]) == (
        "member",
        2,
        f"{HH1}/member[1]",
        "五十二",
    )


def test_raw_files_are_left_byte_identical(tmp_path):
    zipped = odk_zip(tmp_path)
    before = zipped.read_bytes(), (EXPORTS / "kobo" / "household_xml.csv").read_bytes()
    read_raw(zipped, household_form())
    read_raw(EXPORTS / "kobo" / "household_xml.csv", household_form())
    assert (zipped.read_bytes(), (EXPORTS / "kobo" / "household_xml.csv").read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "household.zip"
    ]  # nothing written beside it
