"""baicun instrument diff and the harmonisation map: what changed between waves, and lining up."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pandas as pd
import pytest
from instrument_forms import write_form

from analysis.cli import main
from analysis.errors import InstrumentError, StudyError
from analysis.instrument import load_instrument
from analysis.instrument.diff import diff_instruments
from analysis.instrument.harmonise import Harmonisation, harmonisation, harmonise
from analysis.instrument.model import Instrument, Question
from analysis.study import Study

OLD = """
| survey |
| | type | name | label::中文 (zh) | label::English (en) | relevant | constraint |
| | select_one yn | uses_wechat | 用微信吗 | Uses WeChat | | |
| | select_multiple channel | info_channels | 信息渠道 | Information channels | ${uses_wechat} = '1' | |
| | integer | hh_size | 家庭人口 | Household size | | . >= 1 |
| | integer | age | 年龄 | Age | | |
| | text | remark | 备注 | Remark | | |
| | select_one yn | has_tv | 有电视吗 | TV | | |
| | integer | n_rooms | 房间数 | Rooms | | |
| choices |
| | list_name | name | label::中文 (zh) | label::English (en) |
| | yn | 1 | 是 | Yes |
| | yn | 2 | 否 | No |
| | channel | 1 | 电视 | TV |
| | channel | 2 | 广播 | Radio |
| | channel | 3 | 微信 | WeChat |
"""

NEW = """
| survey |
| | type | name | label::中文 (zh) | label::English (en) | relevant | constraint |
| | select_one yn | uses_wechat_group | 用微信吗 | Uses a WeChat group | | |
| | select_multiple media | info_channels | 信息渠道 | Information channels | ${uses_wechat_group}='1' | |
| | integer | hh_size | 家庭人口 | Household size | | . >= 1 and . <= 30 |
| | decimal | age | 年龄 | Age | | |
| | text | remark | 备注说明 | Remark | | |
| | select_one yn | has_tv | 有电视吗 | TV | ${hh_size} > 0 | |
| | integer | n_phones | 手机数 | Phones | | |
| choices |
| | list_name | name | label::中文 (zh) | label::English (en) |
| | yn | 1 | 是 | Yes |
| | yn | 2 | 否 | No |
| | media | 1 | 电视 | TV |
| | media | 2 | 广播电台 | Radio |
| | media | 4 | 短视频 | Short videos |
| | media | 9 | 微信群 | WeChat group |
"""


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forms")
    return write_form(folder, "old", OLD), write_form(folder, "new", NEW)


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(None if pd.isna(v) else v for v in r) for r in frame.itertuples(index=False)]


def test_each_kind_of_change_is_listed_once(forms):
    old, new = (load_instrument(p) for p in forms)
    found = diff_instruments(old, new)
    assert list(found.columns) == ["change", "name_old", "name_new", "detail"]
    assert [r[:3] for r in rows(found)] == [
        ("renamed", "uses_wechat", "uses_wechat_group"),
        ("label_changed", "uses_wechat", "uses_wechat_group"),
        ("choices_added", "info_channels", "info_channels"),
        ("choices_added", "info_channels", "info_channels"),
        ("choices_removed", "info_channels", "info_channels"),
        ("choice_label_changed", "info_channels", "info_channels"),
        ("constraint_changed", "hh_size", "hh_size"),
        ("type_changed", "age", "age"),
        ("label_changed", "remark", "remark"),
        ("relevance_changed", "has_tv", "has_tv"),
        ("removed", "n_rooms", None),
        ("added", None, "n_phones"),
    ]
    detail = dict(zip(zip(found["change"], found["name_old"].fillna("")), found["detail"]))
    assert detail[("choices_removed", "info_channels")] == "3: 微信 / WeChat"
    assert detail[("choice_label_changed", "info_channels")] == "2: zh '广播' -> '广播电台'"
    assert detail[("type_changed", "age")] == "integer -> decimal"
    assert "en: 'Uses WeChat' -> 'Uses a WeChat group'" == detail[("label_changed", "uses_wechat")]
    # the relevance of info_channels only follows the rename: not a change
    assert not (
        (found["change"] == "relevance_changed") & (found["name_new"] == "info_channels")
    ).any()


def test_same_form_has_no_changes(forms):
    form = load_instrument(forms[0])
    assert diff_instruments(form, form).empty


def _form(*questions: Question) -> Instrument:
    return Instrument(None, "f", "f", None, None, ("zh", "en"), questions, (), {})


def test_renames_are_one_to_one_same_type_same_label():
    other = {"zh": "其他", "en": "Other"}
    old = _form(
        Question("other_a", "integer", other),
        Question("other_b", "integer", other),
        Question("note_x", "text", {"en": "Note"}),
        Question("size", "integer", {"zh": "面积"}),
    )
    new = _form(
        Question("other_c", "integer", {"zh": "其他", "en": "Something else"}),
        Question("note_y", "text", {"en": "Note"}),
        Question("size2", "decimal", {"zh": "面积"}),
    )
    found = diff_instruments(old, new)
    assert [r[:3] for r in rows(found) if r[0] in ("renamed", "added", "removed")] == [
        ("renamed", "other_a", "other_c"),  # same zh label wins over a different en label
        ("removed", "other_b", None),  # the added question is taken: one-to-one
        ("renamed", "note_x", "note_y"),  # no zh: the same label in every language
        ("removed", "size", None),  # other type: not a rename
        ("added", None, "size2"),
    ]


# ------------------------------------------------------------------ harmonise
STUDY = """
[instruments.household]
form = "new.md"
"""

MAP = """
[harmonise.household]
rename = { uses_wechat = "uses_wechat_group" }
[harmonise.household.recode.info_channels]
"3" = "9"
[harmonise.household.recode.has_tv]
"0" = 2
"""


def study_with(tmp_path, forms, harmonise_toml: str) -> Study:
    (tmp_path / "new.md").write_text(forms[1].read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "study.toml").write_text(STUDY + harmonise_toml, encoding="utf-8")
    return Study.load(tmp_path)


def test_harmonise_renames_and_recodes_select_one_and_multiple(tmp_path, forms):
    h = harmonisation(study_with(tmp_path, forms, MAP), "household")
    assert h == Harmonisation(
        "household",
        rename={"uses_wechat": "uses_wechat_group"},
        recode={"info_channels": {"3": "9"}, "has_tv": {"0": "2"}},
        multiple=frozenset({"info_channels"}),
    )
    wave_2024 = pd.DataFrame(
        {
            "uses_wechat": ["1", "2", None],
            "info_channels": ["1 3", "3", None],
            "has_tv": ["0", "1", "0"],
            "remark": ["3", "3", "0"],
        }
    )
    out = harmonise(wave_2024, h)
    assert list(out.columns) == ["uses_wechat_group", "info_channels", "has_tv", "remark"]
    assert out["info_channels"].fillna("NA").tolist() == ["1 9", "9", "NA"]
    assert out["has_tv"].tolist() == ["2", "1", "2"]
    assert out["remark"].tolist() == ["3", "3", "0"]  # not in the map: untouched
    assert wave_2024.columns[0] == "uses_wechat"  # the input is not changed


def test_recode_to_one_code_keeps_it_once_and_numbers_are_recoded():
    h = Harmonisation("f", recode={"m": {"3": "9", "8": "9"}, "s": {"2": "0"}}, multiple={"m"})
    frame = pd.DataFrame({"m": ["3 8 1"], "s": [2.0]})
    out = harmonise(frame, h)
    assert out["m"].tolist() == ["9 1"]
    assert out["s"].astype(str).tolist() == ["0"]


def test_no_map_is_an_empty_harmonisation(tmp_path, forms):
    h = harmonisation(study_with(tmp_path, forms, ""), "household")
    assert h.is_empty
    frame = pd.DataFrame({"a": ["1"]})
    assert harmonise(frame, h).equals(frame)


@pytest.mark.parametrize(
    ("toml", "code", "names"),
    [
        ('[harmonise.household]\nrenames = { a = "b" }\n', "INS060", "renames"),
        ("[harmonise.household]\nrename = { a = 1.5 }\n", "INS060", "rename.a"),
        ('[harmonise.household]\nrename = { uses_wechat = "wechat" }\n', "INS061", "wechat"),
        ('[harmonise.household]\nrename = { age = "hh_size" }\n', "INS061", "age"),
        ("[harmonise.household.recode.hh_size]\n1 = 2\n", "INS062", "hh_size"),
        ("[harmonise.household.recode.uses_wechat]\n1 = 2\n", "INS062", "uses_wechat"),
        ('[harmonise.household.recode.info_channels]\n"3" = "7"\n', "INS063", "7"),
    ],
)
def test_map_that_does_not_fit_the_form_is_a_coded_error(tmp_path, forms, toml, code, names):
    study = study_with(tmp_path, forms, toml)
    with pytest.raises(InstrumentError) as info:
        harmonisation(study, "household")
    err = info.value
    assert err.code == code
    assert names in str(err)
    assert err.file.endswith("study.toml") and err.hint


def test_unknown_instrument_and_both_names_in_data_are_coded_errors(tmp_path, forms):
    study = study_with(tmp_path, forms, MAP)
    with pytest.raises(StudyError) as info:
        harmonisation(study, "houshold")
    assert info.value.code == "STU005"
    h = harmonisation(study, "household")
    both = pd.DataFrame({"uses_wechat": ["1"], "uses_wechat_group": ["1"]})
    with pytest.raises(InstrumentError) as info:
        harmonise(both, h)
    assert info.value.code == "INS064"
    assert "uses_wechat_group" in str(info.value)


# ------------------------------------------------------------------ command line
def test_cli_diff_prints_the_changes(forms):
    out = io.StringIO()
    with redirect_stdout(out):
        status = main(["instrument", "diff", str(forms[0]), str(forms[1]), "--format", "csv"])
    assert status == 0
    found = pd.read_csv(io.StringIO(out.getvalue()), dtype=str)
    assert len(found) == 12
    assert found.iloc[0][["change", "name_old", "name_new"]].tolist() == [
        "renamed",
        "uses_wechat",
        "uses_wechat_group",
    ]
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["instrument", "diff", str(forms[0]), str(forms[1]), "--format", "md"]) == 0
    assert out.getvalue().splitlines()[0] == "| change | name_old | name_new | detail |"
    assert "| added |  | n_phones |" in out.getvalue()
