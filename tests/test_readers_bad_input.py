"""Bad input: each case gives a coded ReadError or a logged issue, never a traceback,
and no record is dropped without a trace."""

from __future__ import annotations

import random
import zipfile

import pandas as pd
import pyreadstat
import pytest
from exports_support import EXPORTS, codes, household_form, issues_of, kobo_xlsx, odk_zip
from openpyxl import Workbook, load_workbook

from analysis.errors import ReadError
from analysis.readers import read_raw

FORM = household_form
KOBO = (EXPORTS / "kobo" / "household_xml.csv").read_text(encoding="utf-8")


def _csv(tmp_path, text: str | bytes, name="hh.csv"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def _error(path, *args, **kwargs) -> ReadError:
    with pytest.raises(ReadError) as err:
        read_raw(path, *args, **kwargs)
    assert str(err.value).startswith(f"[{err.value.code}]") and err.value.hint
    return err.value


def _kobo(tmp_path, edit) -> pd.DataFrame:
    return read_raw(_csv(tmp_path, edit(KOBO)), FORM())


# ---------------------------------------------------------------- files that cannot be read
def test_missing_file(tmp_path):
    assert _error(tmp_path / "nope.csv").code == "RD001"


def test_folder_instead_of_file(tmp_path):
    assert _error(tmp_path).code == "RD001"


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n  \n"])
def test_empty_file(tmp_path, content):
    assert _error(_csv(tmp_path, content)).code == "RD004"


def test_sav_that_is_not_a_sav(tmp_path):
    assert _error(_csv(tmp_path, "village,size\nA,4\n", "hh.sav")).code == "RD008"


def test_truncated_sav(tmp_path):
    path = tmp_path / "hh.sav"
    pyreadstat.write_sav(pd.DataFrame({"size": range(2000), "name": ["张三"] * 2000}), path)
    path.write_bytes(path.read_bytes()[:3000])
    assert _error(path).code == "RD008"


def test_dta_that_is_not_a_dta(tmp_path):
    assert _error(_csv(tmp_path, b"<stata_dta><header>broken", "hh.dta")).code == "RD008"


def test_truncated_zip(tmp_path):
    path = odk_zip(tmp_path)
    path.write_bytes(path.read_bytes()[:200])
    assert _error(path, FORM()).code == "RD006"


def test_zip_without_the_main_csv(tmp_path):
    path = odk_zip(tmp_path, edit=lambda member, text: None if member == "household.csv" else text)
    err = _error(path, FORM())
    assert err.code == "RD007" and "household.csv" in err.expected


def test_zip_without_any_csv(tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("media/a.jpg", b"\xff\xd8")
    assert _error(path).code == "RD007"


def test_binary_content_in_a_csv(tmp_path):
    assert _error(_csv(tmp_path, b"a,b\n\x00\x01\x02\x00\n")).code == "RD019"


def test_unknown_format_name(tmp_path):
    assert _error(_csv(tmp_path, "a\n1\n"), format="sas").code == "RD003"


def test_format_contradicting_the_content(tmp_path):
    assert _error(_csv(tmp_path, "a\n1\n"), format="spss").code == "RD014"


def test_old_xls_workbook(tmp_path):
    assert (
        _error(_csv(tmp_path, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "hh.xls")).code
        == "RD002"
    )


def test_xlsform_workbook_passed_as_data(tmp_path):
    book = Workbook()
    book.active.title = "survey"
    book.active.append(["type", "name", "label"])
    book.create_sheet("choices").append(["list_name", "name", "label"])
    book.save(tmp_path / "form.xlsx")
    assert _error(tmp_path / "form.xlsx").code == "RD012"


def test_xlsx_that_is_not_a_workbook(tmp_path):
    assert _error(_csv(tmp_path, b"PK\x03\x04garbage", "hh.xlsx")).code in ("RD010", "RD006")


def test_workbook_with_only_empty_sheets(tmp_path):
    book = Workbook()
    book.save(tmp_path / "empty.xlsx")
    assert _error(tmp_path / "empty.xlsx").code == "RD011"


def test_instrument_of_the_wrong_kind(tmp_path):
    assert _error(_csv(tmp_path, "a\n1\n"), instrument=42).code == "RD020"


# ---------------------------------------------------------------- logged, nothing lost
def test_truncated_csv_keeps_the_partial_record(tmp_path):
    raw = read_raw(_csv(tmp_path, "a,b,c\n1,2,3\n4,5"))
    assert raw.data["a"].tolist() == ["1", "4"]
    assert issues_of(raw, "RD142")["row"].tolist() == [3]


def test_unclosed_quote_is_reported_where_it_starts(tmp_path):
    raw = read_raw(_csv(tmp_path, 'a,b\n1,"open\n2,x\n3,y\n'))
    issue = issues_of(raw, "RD143").iloc[0]
    assert issue["row"] == 2 and "2,x" in issue["value"]


def test_header_only(tmp_path):
    raw = read_raw(_csv(tmp_path, "a,b,c\n"))
    assert raw.data.empty and "RD146" in codes(raw)
    assert list(raw.data.columns) == ["_key", "_source_row", "a", "b", "c"]


def test_rows_longer_than_the_header_keep_their_extra_fields(tmp_path):
    raw = read_raw(_csv(tmp_path, "a,b\n1,2,3,4\n5,6\n"))
    assert raw.data["_extra"].tolist()[0] == "3,4" and pd.isna(raw.data["_extra"].tolist()[1])
    assert issues_of(raw, "RD140")["row"].tolist() == [2]


def test_rows_shorter_than_the_header(tmp_path):
    raw = read_raw(_csv(tmp_path, "a,b,c\n1,2\n3,4,5\n"))
    assert raw.data["c"].isna().tolist() == [True, False]
    assert issues_of(raw, "RD141")["row"].tolist() == [2]


def test_wrong_delimiter_in_the_rows(tmp_path):
    raw = read_raw(_csv(tmp_path, "a;b;c\n1,2,3\n4,5,6\n"))
    assert len(raw.data) == 2 and raw.data["a"].tolist() == ["1,2,3", "4,5,6"]
    assert {"RD141", "RD147"} <= codes(raw)


def test_one_column_header_over_delimited_rows(tmp_path):
    raw = read_raw(_csv(tmp_path, "name\nA;1\nB;2\n"))
    assert len(raw.data) == 2 and "RD147" in codes(raw)


def test_blank_rows_are_counted(tmp_path):
    raw = read_raw(_csv(tmp_path, "a,b\n1,2\n\n3,4\n"))
    assert raw.data["_source_row"].tolist() == [2, 4] and "RD145" in codes(raw)


def test_duplicate_and_empty_headers(tmp_path):
    raw = read_raw(_csv(tmp_path, "a,a,\n1,2,3\n"))
    assert list(raw.data.columns[2:]) == ["a", "a~2", "column_3"]
    assert len(issues_of(raw, "RD103")) == 2


def test_unknown_columns_are_kept_and_reported(tmp_path):
    raw = _kobo(
        tmp_path,
        lambda t: t.replace('"village";', '"village";"enumerator_note";', 1).replace(
            '"红星村";', '"红星村";"ok";'
        ),
    )
    assert "enumerator_note" in raw.data.columns
    assert issues_of(raw, "RD101")["column"].tolist() == ["enumerator_note"]


def test_question_missing_from_the_export(tmp_path):
    raw = read_raw(_csv(tmp_path, "village,info/hh_size\n红星村,5\n"), FORM())
    assert raw.data["income"].isna().all()
    assert "income" in set(issues_of(raw, "RD102")["column"])


def test_missing_key_column(tmp_path):
    def no_keys(member, text):
        if member != "household.csv":
            return text
        import csv
        import io

        rows = list(csv.reader(io.StringIO(text)))
        drop = {rows[0].index("KEY"), rows[0].index("meta-instanceID")}
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(
            [[v for i, v in enumerate(r) if i not in drop] for r in rows]
        )
        return out.getvalue()

    raw = read_raw(odk_zip(tmp_path, edit=no_keys), FORM())
    assert raw.data["_key"].tolist() == ["main#row2", "main#row3", "main#row4"]
    assert "RD131" in codes(raw)
    assert len(raw.repeats["member"]) == 3  # repeats kept, their parents not found
    assert len(issues_of(raw, "RD133")) == 3


def test_duplicate_keys_are_kept_and_reported(tmp_path):
    raw = _kobo(
        tmp_path,
        lambda t: t.replace(
            "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c03", "6f1c2a3e-0b7d-4c51-9a2e-1d3f5b7c9e01"
        ),
    )
    assert len(raw.data) == 3
    assert issues_of(raw, "RD130")["row"].tolist() == [2, 4]


def test_empty_key_values(tmp_path):
    raw = _kobo(tmp_path, lambda t: t.replace('"uuid:0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c02"', '""'))
    assert raw.data["_key"].tolist()[1] == "main#row3" and "RD132" in codes(raw)


def test_unknown_choice_values_are_kept(tmp_path):
    raw = _kobo(tmp_path, lambda t: t.replace('"2";"radio"', '"3";"radio tiktok"'))
    assert raw.data.loc[1, "has_tv"] == "3" and raw.data.loc[1, "channels"] == "radio tiktok"
    assert set(issues_of(raw, "RD120")["value"]) == {"3", "radio tiktok"}


def test_text_in_an_integer_field_keeps_the_text_in_the_issue(tmp_path):
    raw = _kobo(tmp_path, lambda t: t.replace('"张建国";"5"', '"张建国";"五口人"'))
    assert pd.isna(raw.data.loc[0, "hh_size"])
    issue = issues_of(raw, "RD110").iloc[0]
    assert (issue["column"], issue["row"], issue["value"]) == ("hh_size", 2, "五口人")


def test_text_in_a_decimal_field(tmp_path):
    raw = _kobo(tmp_path, lambda t: t.replace('"3.5"', '"三万五"'))
    assert issues_of(raw, "RD111")["value"].tolist() == ["三万五"]


def test_full_width_and_grouped_numbers_are_read(tmp_path):
    raw = _kobo(tmp_path, lambda t: t.replace('"张建国";"5";"3.5"', '"张建国";"１２";"1,234.5"'))
    assert raw.data.loc[0, "hh_size"] == 12 and raw.data.loc[0, "income"] == 1234.5
    assert len(issues_of(raw, "RD119")) == 2


def test_bad_dates_and_datetimes(tmp_path):
    raw = _kobo(
        tmp_path,
        lambda t: t.replace('"2024-06-01";"1"', '"2024-13-45";"1"').replace(
            "2024-06-02T08:55:00.000+08:00", "yesterday"
        ),
    )
    assert issues_of(raw, "RD112")["value"].tolist() == ["2024-13-45"]
    assert issues_of(raw, "RD113")["value"].tolist() == ["yesterday"]


def test_excel_date_serials_are_converted(tmp_path):
    raw = read_raw(_csv(tmp_path, "village,info/visit_date\n红星村,45444\n"), FORM())
    assert raw.data.loc[0, "visit_date"] == pd.Timestamp("2024-06-01")
    assert "RD114" in codes(raw)


def test_day_month_dates_are_refused_without_a_declared_order(tmp_path):
    path = _csv(tmp_path, "village,info/visit_date\nA,6/1/2024\nB,13/2/2024\n")
    raw = read_raw(path, FORM())
    assert raw.data["visit_date"].isna().all()
    assert "RD115" in codes(raw) and issues_of(raw, "RD112")["value"].tolist() == [
        "6/1/2024",
        "13/2/2024",
    ]
    declared = read_raw(path, FORM(), date_order="dmy")
    assert declared.data["visit_date"].dt.month.tolist() == [1, 2]
    assert "RD115" not in codes(declared) and "RD112" not in codes(declared)


def test_an_unknown_date_order_is_a_coded_error(tmp_path):
    with pytest.raises(ReadError) as err:
        read_raw(_csv(tmp_path, "village\nA\n"), FORM(), date_order="ymd")
    assert err.value.code == "RD024"


def test_date_times_with_different_offsets_become_utc(tmp_path):
    raw = read_raw(
        _csv(tmp_path, "village,start\nA,2024-06-01T09:00:00+08:00\nB,2024-06-01T09:00:00+02:00\n"),
        FORM(),
    )
    assert raw.data["start"].dt.hour.tolist() == [1, 7]
    assert raw.metadata.column_info()["start"].timezone == "UTC" and "RD117" in codes(raw)


def test_malformed_geopoint(tmp_path):
    raw = _kobo(tmp_path, lambda t: t.replace('"30.6612 104.0701 498 6"', '"here"'))
    assert issues_of(raw, "RD116")["value"].tolist() == ["here"]
    assert pd.isna(raw.data.loc[1, "gps_latitude"])


def test_select_multiple_columns_that_disagree_or_are_not_flags(tmp_path):
    raw = _kobo(
        tmp_path, lambda t: t.replace('"radio";"0";"1";"0";"0"', '"radio";"yes";"0";"0";"1"')
    )
    assert issues_of(raw, "RD118")["column"].tolist() == ["channels_tv"]
    assert issues_of(raw, "RD122")["column"].tolist() == ["channels_radio", "channels_other"]
    assert raw.data.loc[1, "channels_radio"] == 1  # the answer wins


def test_repeat_rows_whose_parent_is_missing(tmp_path):
    def orphan(member, text):
        return (
            text.replace(
                "uuid:0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c02,",
                "uuid:ffffffff-0000-0000-0000-000000000000,",
            )
            if member == "household-member.csv"
            else text
        )

    raw = read_raw(odk_zip(tmp_path, edit=orphan), FORM())
    assert len(raw.repeats["member"]) == 3
    assert issues_of(raw, "RD133")["row"].tolist() == [4]


def test_repeat_csv_without_parent_key(tmp_path):
    def no_parent(member, text):
        if member != "household-member.csv":
            return text
        return (
            "\n".join(
                ",".join(line.split(",")[:3] + line.split(",")[4:]) for line in text.splitlines()
            )
            + "\n"
        )

    raw = read_raw(odk_zip(tmp_path, edit=no_parent), FORM())
    assert len(raw.repeats["member"]) == 3 and "RD134" in codes(raw)


def test_kobo_repeat_sheet_with_unknown_parent_index(tmp_path):
    path = kobo_xlsx(tmp_path)
    book = load_workbook(path)
    book["member"]["F4"] = 9  # _parent_index of 李秀英 -> no household 9
    book.save(path)
    raw = read_raw(path, FORM())
    assert len(raw.repeats["member"]) == 3
    assert issues_of(raw, "RD133")["value"].tolist() == ["9"]


def test_encrypted_odk_submissions_are_kept_and_flagged(tmp_path):
    def encrypted(member, text):
        if member != "household.csv":
            return text
        lines = text.splitlines()
        lines[3] = lines[3].replace(",0,0,,hasIssues,", ",0,0,not decrypted,hasIssues,")
        return "\n".join(lines) + "\n"

    raw = read_raw(odk_zip(tmp_path, edit=encrypted), FORM())
    assert len(raw.data) == 3 and issues_of(raw, "RD161")["row"].tolist() == [4]


def test_extension_that_lies_is_read_by_content(tmp_path):
    source = odk_zip(tmp_path)
    path = tmp_path / "household.csv"
    path.write_bytes(source.read_bytes())
    raw = read_raw(path, FORM())
    assert len(raw.data) == 3 and "RD160" in codes(raw)


@pytest.mark.parametrize(
    "suffix", [".csv", ".xlsx", ".sav", ".dta", ".zip", ".zsav", ".por", ".txt"]
)
def test_random_bytes_never_escape_as_a_traceback(tmp_path, suffix):
    rng = random.Random(suffix)
    head = rng.choice([b"", b"PK\x03\x04", b"$FL2", b"<stata_dta>", b"a,b\n"])
    path = _csv(
        tmp_path,
        head + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))),
        "f" + suffix,
    )
    try:
        raw = read_raw(path)
    except ReadError as err:
        assert err.code.startswith("RD")
    else:
        assert raw.counts()["main"] == len(raw.data)
