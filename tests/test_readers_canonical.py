"""The canonical layout: naming rule, typing, RawData and its metadata."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.instrument import load_instrument
from analysis.readers import MAIN, RawData, choice_column, is_safe_name, read_raw, safe_name
from analysis.readers.values import to_date, to_datetime, to_integer

FORM = """
| survey |
|        | type                          | name                                              | label::中文 (zh) | label::English (en) |
|        | select_multiple help          | available_transportation_types_to_referral_facility | 交通工具       | Transport           |
|        | select_multiple yesno         | agree                                             | 同意             | Agree               |
|        | text                          | agree_yes                                         | 说明             | Note                |
| choices |
|         | list_name | name          | label::中文 (zh) | label::English (en) |
|         | help      | ambulance     | 救护车           | Ambulance           |
|         | help      | -99           | 不知道           | Don't know          |
|         | help      | 其他          | 其他             | Other               |
|         | help      | a_code_that_is_far_too_long_for_a_name | 长 | Long   |
|         | yesno     | yes           | 是               | Yes                 |
|         | yesno     | no            | 否               | No                  |
"""


@pytest.fixture(scope="module")
def form(tmp_path_factory):
    path = tmp_path_factory.mktemp("form") / "names.md"
    path.write_text(FORM, encoding="utf-8")
    return load_instrument(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("channels_1", "channels_1"),
        ("meta-instanceID", "meta_instanceID"),
        ("_index", "v_index"),
        ("2nd_visit", "v2nd_visit"),
        ("by", "by_"),
        ("str20", "str20_"),
        ("a" * 40, "a" * 32),
    ],
)
def test_safe_name(text, expected):
    assert safe_name(text) == expected and is_safe_name(expected)


def test_safe_name_collisions_are_case_insensitive_and_stay_within_32():
    assert safe_name("AGE", {"age"}) == "AGE_2"
    assert safe_name("x" * 40, {"x" * 32}) == "x" * 30 + "_2"
    assert safe_name("x" * 40, {"x" * 32, "x" * 30 + "_2"}) == "x" * 30 + "_3"


def test_choice_columns_keep_the_code_and_are_always_valid(form, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(
        "available_transportation_types_to_referral_facility,agree,agree_yes\n"
        "ambulance -99,yes,fine\n",
        encoding="utf-8",
    )
    raw = read_raw(path, form)
    info = raw.metadata.column_info()
    dummies = {i.choice: name for name, i in info.items() if i.kind == "choice"}
    assert dummies["ambulance"] == "available_transportati_ambulance"
    assert dummies["-99"] == "available_transportation_typ__99"
    assert dummies["其他"] == "available_transportation_types_3"  # no ASCII in the code: position
    assert dummies["a_code_that_is_far_too_long_for_a_name"] == "available_transportation_types_4"
    assert (
        dummies["yes"] == "agree_yes_2"
    )  # 'agree_yes' is a question of the form: it keeps its name
    assert all(is_safe_name(n) and len(n) <= 32 for n in dummies.values())
    assert raw.data[dummies["-99"]].tolist() == [1] and raw.data["agree_yes"].tolist() == ["fine"]


def test_choice_column_examples():
    assert choice_column("channels", "1", 1) == "channels_1"
    assert choice_column("src", "tv", 1, taken={"src_tv"}) == "src_tv_2"


def test_integers_tolerate_excel_and_ime_forms():
    typed = to_integer(pd.Series(["12", "12.0", "１２", "1,234", "12.5", "abc", " "], dtype="str"))
    assert typed.values.tolist()[:4] == [12, 12, 12, 1234]
    assert typed.bad.tolist() == [False, False, False, False, True, True, False]


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-05",
        "2024/3/5",
        "2024年3月5日",
        "20240305",
        "2024-03-05T10:00:00+08:00",
        "05-Mar-24",
        "45356",
    ],
)
def test_date_formats(text):
    assert to_date(pd.Series([text], dtype="str")).values.tolist() == [pd.Timestamp("2024-03-05")]


def test_day_and_month_first_dates_need_a_declared_order():
    text = pd.Series(["25/12/2023", "05/01/2024"], dtype="str")
    refused = to_date(text)
    assert refused.bad.tolist() == [True, True] and "order" in refused.notes
    typed = to_date(text, order="dmy")
    assert typed.values.dt.month.tolist() == [12, 1] and not typed.bad.any()
    assert to_date(text, order="mdy").bad.tolist() == [True, False]


def test_datetime_keeps_wall_clock_of_a_single_offset():
    typed = to_datetime(
        pd.Series(["2024-06-01T09:15:02.113+08:00", "2024-06-01 10:00"], dtype="str")
    )
    assert (
        typed.values.tolist()[0] == pd.Timestamp("2024-06-01 09:15:02.113")
        and typed.notes["timezone"] == "+08:00"
    )


def test_rawdata_api():
    frame = pd.DataFrame({"_key": ["a"], "_source_row": [2]})
    child = pd.DataFrame({"_key": ["a/m[1]"], "_parent_key": ["a"], "_source_row": [2]})
    from analysis.readers import RawMetadata

    raw = RawData(frame, {"m": child}, RawMetadata(format="csv", repeat_parents={"m": MAIN}))
    assert raw.counts() == {"main": 1, "m": 1}
    assert raw.table("m") is child and list(raw.tables) == ["main", "m"]
    with pytest.raises(TypeError):
        raw.repeats["x"] = child  # read-only mapping


def test_every_code_is_documented():
    import re
    from pathlib import Path

    from analysis.readers import ISSUE_CODES
    from analysis.writers import NOTE_CODES

    root = Path(__file__).resolve().parents[1]
    for area, codes, package in (
        ("readers", ISSUE_CODES, "readers"),
        ("writers", NOTE_CODES, "writers"),
    ):
        doc = (root / "docs" / "errors" / f"{area}.md").read_text(encoding="utf-8")
        source = "".join(
            p.read_text(encoding="utf-8") for p in (root / "analysis" / package).glob("*.py")
        )
        raised = set(re.findall(r'"((?:RD|WRT)0\d\d)"', source))
        for code in set(codes) | raised:
            assert f"`{code}`" in doc, f"{code} missing from docs/errors/{area}.md"
