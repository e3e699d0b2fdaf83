"""corrections.csv: read (UTF-8/GBK), checked, applied in order, never in place, nothing lost."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from analysis.corrections import CORRECTIONS_COLUMNS, apply_corrections, read_corrections
from analysis.errors import CorrectionError
from analysis.instrument import load_instrument
from analysis.readers import RawData, RawMetadata, read_raw
from analysis.study import Study
from analysis.validate import validate

FORM = """
| survey |
| | type | name | label | role | constraint | relevant |
| | text | hh_id | Household | id | | |
| | integer | age | Age | | . <= 110 | |
| | decimal | income | Income | | | |
| | select_one yn | has_tv | TV | | | |
| | select_multiple crop | crops | Crops | | | |
| | date | visit_date | Date | | | |
| | text | notes | Notes | | | |
| | begin repeat | members | Members | | | |
| | integer | m_age | Age | | | |
| | end repeat | | | | | |
| choices |
| | list_name | name | label |
| | yn | 1 | Yes |
| | yn | 2 | No |
| | crop | rice | Rice |
| | crop | maize | Maize |
"""
EXPORT = (
    "hh_id,age,income,has_tv,crops,visit_date,notes,instanceID\n"
    "H001,156,4.1,1,rice,2024-07-01,,uuid:a\n"
    "H002,40,3,2,rice maize,2024-07-02,电话13373044609,uuid:b\n"
    "H003,38,2.5,1,maize,2024-07-02,,uuid:c\n"
    "H003,38,2.5,1,maize,2024-07-02,,uuid:d\n"
    "011204,50,1,1,rice,2024-07-03,,uuid:e\n"
)
HEADER = ",".join(CORRECTIONS_COLUMNS)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corr")
    (folder / "form.md").write_text(FORM, encoding="utf-8")
    instrument = load_instrument(folder / "form.md")
    (folder / "hh.csv").write_text(EXPORT, encoding="utf-8")
    data = read_raw(folder / "hh.csv", instrument)
    return instrument, data


def write(tmp_path: Path, *rows: str, encoding: str = "utf-8", header: str = HEADER) -> Path:
    path = tmp_path / "corrections.csv"
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def apply(setup, tmp_path, *rows, **kw):
    instrument, data = setup
    log = read_corrections(write(tmp_path, *rows, **kw))
    return apply_corrections(data, log, instrument=instrument, name="hh")


def code_of(excinfo) -> str:
    return excinfo.value.code


# ---------------------------------------------------------------------------- applying


def test_replace_changes_a_new_object_and_logs_it(setup, tmp_path):
    _, data = setup
    result = apply(setup, tmp_path, "hh,H001,age,156,56,replace,核对问卷,王敏,2024-09-03")
    assert result.data.data["age"].tolist()[:2] == [56, 40]
    assert data.data["age"].tolist()[0] == 156  # the raw data is untouched
    row = result.log.iloc[0]
    assert (row.csv_row, row.key, row.variable, row.old_value, row.new_value, row.who) == (
        2,
        "H001",
        "age",
        "156",
        "56",
        "王敏",
    )


def test_corrections_apply_in_order(setup, tmp_path):
    result = apply(
        setup,
        tmp_path,
        "hh,H001,age,156,56,replace,a,王敏,2024-09-03",
        "hh,H001,age,56,57,replace,b,王敏,2024-09-04",
    )
    assert result.data.data["age"].iloc[0] == 57
    assert result.log["csv_row"].tolist() == [2, 3]


def test_select_multiple_choice_columns_follow_the_answer(setup, tmp_path):
    result = apply(setup, tmp_path, "hh,H001,crops,rice,rice maize,replace,补录,王敏,2024-09-03")
    row = result.data.data.iloc[0]
    assert row["crops"] == "rice maize"
    choice_cols = [
        c for c, i in result.data.metadata.column_info("main").items() if i.kind == "choice"
    ]
    assert [row[c] for c in choice_cols] == [1, 1]


def test_drop_moves_the_record_and_its_repeat_rows_to_the_quarantine():
    main = pd.DataFrame({"_key": ["a", "b"], "_source_row": [2, 3], "hh_id": ["H1", "H2"]})
    members = pd.DataFrame(
        {
            "_key": ["a/m[1]", "a/m[2]", "b/m[1]"],
            "_parent_key": ["a", "a", "b"],
            "_source_row": [2, 3, 4],
            "m_age": pd.array([40, 12, 70], dtype="Int64"),
        }
    )
    data = RawData(main, {"members": members}, RawMetadata(format="csv"))
    instrument = load_instrument_from_text(FORM)
    log = pd.DataFrame(
        [
            dict(
                zip(
                    CORRECTIONS_COLUMNS,
                    ["hh", "H1", "", "", "", "drop", "重复", "王敏", "2024-09-03"],
                    strict=True,
                )
            )
        ]
    )
    result = apply_corrections(data, log, instrument=instrument, name="hh")
    counts = result.counts().set_index("table")
    assert counts.loc["main"].tolist() == [2, 1, 1, True]
    assert counts.loc["members"].tolist() == [3, 1, 2, True]
    assert result.quarantine["members"]["_quarantine_reason"].str.contains("上级记录被删除").all()
    assert result.log["affected"].tolist() == [3]


@functools.lru_cache
def load_instrument_from_text(md: str):
    path = Path(tempfile.mkdtemp()) / "form.md"
    path.write_text(md, encoding="utf-8")
    return load_instrument(path)


def test_a_duplicate_is_told_apart_by_its_instance_id(setup, tmp_path):
    result = apply(setup, tmp_path, "hh,H003,instanceID,uuid:d,,drop,重复上传,王敏,2024-09-03")
    assert result.data.data["instanceID"].tolist() == ["uuid:a", "uuid:b", "uuid:c", "uuid:e"]
    assert result.quarantine["main"]["_correction_row"].tolist() == [2]


def test_confirm_marks_the_issue_as_confirmed(setup, tmp_path):
    instrument, _ = setup
    result = apply(
        setup, tmp_path, "hh,H001,age,156,,confirm,户主确实156岁？已电话核实,王敏,2024-09-03"
    )
    assert result.data.data["age"].iloc[0] == 156
    checked = validate(result.data, instrument, name="hh", confirmed=result.confirmed, lang="en")
    issue = checked.issues[checked.issues["variable"] == "age"].iloc[0]
    assert issue["confirmed"] and issue["severity"] == "info"
    assert issue["message"].endswith("(confirmed)")


def test_a_short_interview_can_be_confirmed(tmp_path):
    from validate_support import form, good_household, raw

    household = form(tmp_path)
    record = good_household(0)
    record["end"] = record["start"] + pd.Timedelta(minutes=4)
    data = raw([record])
    log = read_corrections(
        write(tmp_path, "household,H000,duration,,,confirm,拒访，时间短属实,王敏,2024-09-03")
    )
    result = apply_corrections(data, log, instrument=household, name="household")
    checked = validate(result.data, household, name="household", confirmed=result.confirmed)
    short = checked.issues[checked.issues["code"] == "VAL160"]
    assert short["confirmed"].tolist() == [True]


def test_repeat_rows_are_named_by_their_main_key_and_position():
    main = pd.DataFrame({"_key": ["a"], "_source_row": [2], "hh_id": ["H1"]})
    members = pd.DataFrame(
        {
            "_key": ["a/m[1]", "a/m[2]"],
            "_parent_key": ["a", "a"],
            "_source_row": [2, 3],
            "m_age": pd.array([40, 120], dtype="Int64"),
        }
    )
    data = RawData(main, {"members": members}, RawMetadata(format="csv"))
    log = pd.DataFrame(
        [
            dict(
                zip(
                    CORRECTIONS_COLUMNS,
                    [
                        "hh",
                        "H1/members[2]",
                        "members/m_age",
                        "120",
                        "12",
                        "replace",
                        "多打0",
                        "王敏",
                        "2024-09-03",
                    ],
                    strict=True,
                )
            )
        ]
    )
    result = apply_corrections(data, log, instrument=load_instrument_from_text(FORM), name="hh")
    assert result.data.repeats["members"]["m_age"].tolist() == [40, 12]


# ---------------------------------------------------------------------------- reading


def test_gbk_file_with_chinese_headers_and_semicolons(tmp_path):
    path = write(
        tmp_path,
        "hh;H001;age;156;56;替换;核对;王敏;2024/9/3",
        encoding="gbk",
        header="问卷;编号;变量;原值;新值;操作;原因;修改人;日期",
    )
    log = read_corrections(path)
    assert log.encoding == "gbk"
    assert log.rows[["action", "date", "who"]].values.tolist() == [
        ["replace", "2024-09-03", "王敏"]
    ]


def test_utf8_with_bom_and_blank_rows(tmp_path):
    path = tmp_path / "corrections.csv"
    path.write_bytes(
        ("\ufeff" + HEADER + "\nhh,H001,age,156,56,replace,r,w,2024-09-03\n,,,,,,,,\n").encode(
            "utf-8"
        )
    )
    assert len(read_corrections(path)) == 1


def test_missing_file_is_an_empty_log_when_allowed(tmp_path):
    assert len(read_corrections(tmp_path / "corrections.csv", missing_ok=True)) == 0


# ---------------------------------------------------------------------------- bad input: raised


def test_correction_that_no_longer_matches_fails_loudly(setup, tmp_path):
    with pytest.raises(CorrectionError) as err:
        apply(setup, tmp_path, "hh,H002,age,41,42,replace,核对,王敏,2024-09-03")
    e = err.value
    assert (e.code, e.row, e.record, e.column, e.expected, e.found) == (
        "COR020",
        2,
        "H002",
        "age",
        "41",
        "'40'",
    )
    assert "corrections.csv" in e.file
    assert "no longer matches" in str(e)


def test_unknown_variable_suggests_the_name(setup, tmp_path):
    with pytest.raises(CorrectionError) as err:
        apply(setup, tmp_path, "hh,H001,agee,156,56,replace,r,w,2024-09-03")
    assert code_of(err) == "COR012" and "'age'" in err.value.hint


def test_unknown_key(setup, tmp_path):
    with pytest.raises(CorrectionError) as err:
        apply(setup, tmp_path, "hh,H999,age,156,56,replace,r,w,2024-09-03")
    assert code_of(err) == "COR013" and err.value.row == 2


def test_key_that_lost_its_leading_zero_in_excel(setup, tmp_path):
    with pytest.raises(CorrectionError) as err:
        apply(setup, tmp_path, "hh,11204,age,50,51,replace,r,w,2024-09-03")
    assert code_of(err) == "COR013" and "leading zero" in err.value.hint


def test_drop_of_a_record_that_does_not_exist(setup, tmp_path):
    with pytest.raises(CorrectionError) as err:
        apply(setup, tmp_path, "hh,H404,,,,drop,r,w,2024-09-03")
    assert code_of(err) == "COR014"


def test_drop_of_a_record_already_dropped(setup, tmp_path):
    with pytest.raises(CorrectionError) as err:
        apply(
            setup,
            tmp_path,
            "hh,H001,,,,drop,r,w,2024-09-03",
            "hh,H001,age,156,56,replace,r,w,2024-09-04",
        )
    assert code_of(err) == "COR014" and "row 2" in str(err.value)


def test_key_naming_several_records(setup, tmp_path):
    with pytest.raises(CorrectionError) as err:
        apply(setup, tmp_path, "hh,H003,age,38,39,replace,r,w,2024-09-03")
    assert code_of(err) == "COR015"


def test_new_value_that_is_not_an_integer(setup, tmp_path):
    with pytest.raises(CorrectionError) as err:
        apply(setup, tmp_path, "hh,H001,age,156,五十六,replace,r,w,2024-09-03")
    assert code_of(err) == "COR021" and err.value.expected == "an integer"


def test_new_value_that_is_not_a_choice_code(setup, tmp_path):
    with pytest.raises(CorrectionError) as err:
        apply(setup, tmp_path, "hh,H001,has_tv,1,是,replace,r,w,2024-09-03")
    assert code_of(err) == "COR021" and "choice list" in err.value.expected


def test_derived_and_reserved_columns_cannot_be_corrected(setup, tmp_path):
    _, data = setup
    choice = next(c for c, i in data.metadata.column_info("main").items() if i.kind == "choice")
    with pytest.raises(CorrectionError) as err:
        apply(setup, tmp_path, f"hh,H001,{choice},1,0,replace,r,w,2024-09-03")
    assert code_of(err) == "COR041"
    with pytest.raises(CorrectionError) as err:
        apply(setup, tmp_path, "hh,H001,_key,x,y,replace,r,w,2024-09-03")
    assert code_of(err) == "COR041"


@pytest.mark.parametrize(
    ("rows", "code"),
    [
        (["hh,H001,age,156,56,fix,r,w,2024-09-03"], "COR010"),
        (
            [
                "hh,H001,age,156,56,replace,r,w,2024-09-03",
                "hh,H001,age,156,56,replace,r,w,2024-09-03",
            ],
            "COR023",
        ),
        (
            [
                "hh,H001,age,156,56,replace,r,w,2024-09-03",
                "hh,H001,age,156,57,replace,r,w,2024-09-03",
            ],
            "COR024",
        ),
        (["hh,H001,age,156,,replace,,w,2024-09-03"], "COR016"),
        (["hh,H001,,,,drop,r,,2024-09-03"], "COR016"),
        (["hh,H001,,,x,drop,r,w,2024-09-03"], "COR025"),
        (["hh,H001,age,156,56,replace,r,w,上周三"], "COR030"),
        (["hh,H001,age,156,56,replace,r,w"], "COR005"),
        (['hh,H001,notes,,"未闭合的引号,replace,r,w,2024-09-03'], "COR005"),
    ],
)
def test_bad_rows_are_coded_errors_naming_the_row(tmp_path, rows, code):
    with pytest.raises(CorrectionError) as err:
        read_corrections(write(tmp_path, *rows))
    assert err.value.code == code
    assert err.value.row is not None and err.value.hint


def test_all_problems_of_a_file_are_counted(tmp_path):
    with pytest.raises(CorrectionError) as err:
        read_corrections(
            write(tmp_path, "hh,H1,age,1,2,fix,r,w,2024-09-03", "hh,H2,age,1,2,zap,r,w,2024-09-03")
        )
    assert "1 more problem" in str(err.value) and "rows 3" in str(err.value)


def test_missing_columns(tmp_path):
    with pytest.raises(CorrectionError) as err:
        read_corrections(
            write(tmp_path, "hh,H001,age,156,56", header="instrument,key,variable,old,new")
        )
    assert err.value.code == "COR003" and "action" in err.value.message


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "corrections.csv").write_bytes(b"")
    with pytest.raises(CorrectionError) as err:
        read_corrections(tmp_path / "corrections.csv")
    assert err.value.code == "COR004"
    with pytest.raises(CorrectionError) as err:
        read_corrections(tmp_path / "nowhere.csv")
    assert err.value.code == "COR001"


def test_a_binary_file_is_not_a_cleaning_log(tmp_path):
    (tmp_path / "corrections.csv").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(CorrectionError) as err:
        read_corrections(tmp_path / "corrections.csv")
    assert err.value.code in ("COR002", "COR003", "COR005")


def test_unknown_instrument_with_the_study(tmp_path):
    (tmp_path / "study.toml").write_text(
        '[instruments.household]\nform = "surveys/household.xlsx"\n', encoding="utf-8"
    )
    with pytest.raises(CorrectionError) as err:
        read_corrections(
            write(tmp_path, "househld,H001,age,156,56,replace,r,w,2024-09-03"),
            study=Study.load(tmp_path),
        )
    assert err.value.code == "COR011" and err.value.expected == "household"


def test_wrong_arguments(setup):
    instrument, data = setup
    with pytest.raises(CorrectionError) as err:
        apply_corrections(data.data, pd.DataFrame(), instrument=instrument)
    assert err.value.code == "COR040"
    with pytest.raises(CorrectionError) as err:
        apply_corrections(data, pd.DataFrame({"key": []}), instrument=instrument)
    assert err.value.code == "COR003"
