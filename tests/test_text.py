"""Coding Chinese open-ended answers against the study's codebook of themes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.text import (
    TextCodingError,
    code_answers,
    load_codebook,
    parse_codebook,
    sentences,
    theme_frequencies,
    theme_indicators,
    uncoded,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(ROOT / "surveys" / "themes.yaml")


@pytest.fixture(scope="module")
def answers() -> pd.Series:
    return pd.Series(
        {
            "H01": "村里活动经费不够，书屋的书太旧了",
            "H02": "手机信号差，看不了远程教育",
            "H03": "离乡里太远，老人听不懂普通话",
            "H04": "无",
            "H05": "希望多组织唱歌跳舞比赛",
            "H06": "远程教育站点没人管",
            "H07": "经费充足，就是活动太少",
            "H08": "",
            "H09": None,
            "H10": "网速慢，经费也紧张",
        },
        name="problems",
    )


@pytest.fixture(scope="module")
def weights() -> pd.Series:
    w = [2.0, 1.0, 1.0, 1.0, 1.0, 3.0, 1.0, 1.0, 1.0, 2.0]
    return pd.Series(w, index=[f"H{i:02d}" for i in range(1, 11)])


def test_the_demo_codebook_has_the_study_themes(codebook):
    labels = {t.zh for t in codebook.themes}
    assert {
        "经费不足",
        "设施老化",
        "人员缺乏",
        "网络信号差",
        "活动形式单一",
        "距离远",
        "语言障碍",
    } <= labels
    assert all(t.en and t.en != t.zh for t in codebook.themes)
    assert all(t.keywords for t in codebook.themes)


def test_answers_are_coded_by_theme_with_what_matched(answers, codebook, weights):
    coded = code_answers(answers, codebook, weights)
    assert list(coded.columns) == [
        "answer_id",
        "theme",
        "label",
        "label_en",
        "matched",
        "text",
        "weight",
    ]
    pairs = set(zip(coded["answer_id"], coded["label"]))
    assert pairs == {
        ("H01", "经费不足"),
        ("H01", "设施老化"),
        ("H02", "网络信号差"),
        ("H03", "距离远"),
        ("H03", "语言障碍"),
        ("H06", "人员缺乏"),
        ("H07", "活动形式单一"),
        ("H10", "网络信号差"),
        ("H10", "经费不足"),
    }
    assert coded.loc[coded["answer_id"] == "H06", "weight"].item() == 3.0


def test_keywords_match_whole_words_and_exclusions_veto(codebook):
    coded = code_answers(
        pd.Series({"a": "远程教育设备不错", "b": "活动经费充足", "c": "信号差不多"}), codebook
    )
    # 远 in 远程教育 is not "too far"; 经费充足 is not a funding problem; 差不多 is not "poor"
    assert coded.empty


def test_theme_frequencies_are_weighted_shares_with_quotes(answers, codebook, weights):
    freq = theme_frequencies(answers, codebook, weights, examples=2)
    # base: the 8 non-blank answers (H04 "无" counts as answered), weighted 2+1+1+1+1+3+1+2 = 12
    assert set(freq["base_n"]) == {8} and set(freq["base_weighted"]) == {12.0}
    row = freq.set_index("label").loc["经费不足"]
    assert row["answers"] == 2 and row["weighted"] == 4.0
    assert row["share"] == pytest.approx(4 / 12)
    assert row["examples"] == "“村里活动经费不够，书屋的书太旧了”；“网速慢，经费也紧张”"
    assert freq.iloc[0]["label"] == "经费不足"  # largest share first
    assert len(freq) == len(codebook.themes)


def test_uncoded_answers_are_left_for_a_person(answers, codebook):
    left = uncoded(answers, codebook)
    assert left["answer_id"].tolist() == ["H05"]
    assert left["text"].tolist() == ["希望多组织唱歌跳舞比赛"]


def test_indicators_leave_unanswered_missing(answers, codebook):
    ind = theme_indicators(answers, codebook)
    assert ind.loc["H01", "funding"] == True  # noqa: E712 (pandas boolean)
    assert ind.loc["H05", "funding"] == False  # noqa: E712
    assert pd.isna(ind.loc["H08", "funding"]) and pd.isna(ind.loc["H09", "funding"])


def test_meeting_notes_split_into_codable_sentences(codebook):
    s = sentences({"座谈会": "大家反映书屋经费不足。网络信号差！其他没有问题"})
    assert s.index.tolist() == ["座谈会#1", "座谈会#2", "座谈会#3"]
    coded = code_answers(s, codebook)
    assert coded[["answer_id", "theme"]].values.tolist() == [
        ["座谈会#1", "funding"],
        ["座谈会#2", "poor_signal"],
    ]


@pytest.mark.parametrize(
    ("text", "code", "row"),
    [
        (
            "themes:\n  - {code: a, zh: 甲, keywords: [x]}\n  - {code: a, zh: 乙, keywords: [y]}\n",
            "TXT003",
            3,
        ),
        ("themes:\n  - code: a\n    zh: 甲\n    patterns: ['(未闭合']\n", "TXT004", 2),
        ("themes:\n  - code: a\n    zh: 甲\n    keyword: [x]\n", "TXT002", 2),
        ("themes:\n  - code: a\n    zh: 甲\n", "TXT005", 2),
        ("themes: [\n", "TXT001", None),
    ],
)
def test_codebook_mistakes_are_located(text, code, row):
    with pytest.raises(TextCodingError) as err:
        parse_codebook(text, source="themes.yaml")
    assert err.value.code == code
    assert err.value.file == "themes.yaml"
    if row is not None:
        assert err.value.row == row


def test_missing_codebook_and_bad_weights_are_coded_errors(tmp_path, answers, codebook):
    with pytest.raises(TextCodingError) as err:
        load_codebook(tmp_path / "nope.yaml")
    assert err.value.code == "TXT001"
    with pytest.raises(TextCodingError) as err:
        code_answers(answers, codebook, weights=[1.0, 2.0])
    assert err.value.code == "TXT006"
    with pytest.raises(TextCodingError) as err:
        code_answers(answers, codebook, weights=pd.Series(-1.0, index=answers.index))
    assert err.value.code == "TXT006"
