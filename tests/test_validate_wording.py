"""Wording calculations written differently by an export (VAL320 instead of VAL123 per record)."""

from __future__ import annotations

import pandas as pd

from analysis.instrument.model import Instrument, Question
from analysis.readers import RawData, RawMetadata
from analysis.readers.records import Records
from analysis.validate.form_rules import check_rules
from analysis.validate.wording import same_wording, wording_texts

CALC = (
    "if(${age} < 18, 'Does he / she have difficulty walking or climbing steps?', "
    "'Do you have difficulty walking or climbing steps?')"
)


def _found(lang: str = "en") -> pd.DataFrame:
    form = Instrument(None, "f", "F", None, None, ("default",), (
        Question("age", "integer"),
        Question("walk_text", "calculate", calculation=CALC),
        Question("group", "calculate", calculation="if(${age} < 18, 'child', 'adult')"),
    ), (), {})  # fmt: skip
    frame = pd.DataFrame({
        "_key": ["a", "b", "c", "d"], "age": [30, 40, 10, 50],
        "walk_text": ["Do you have difficulty walking|climbing steps?",
                      "Do you have difficulty walking|climbing steps?",
                      "Does he / she have difficulty walking|climbing steps?",
                      "Does he / she have difficulty walking|climbing steps?"],
        "group": ["adult", "Adult", "child", "adult"]})  # fmt: skip
    records = Records(RawData(frame, {}, RawMetadata(format="csv")), form, "f")
    found, _ = check_rules(records, lang=lang)
    return found.frame


def test_a_sentence_written_differently_is_one_info_not_a_warning_per_record():
    found = _found()
    info = found[found["code"] == "VAL320"]
    assert len(info) == 1 and info["variable"].tolist() == ["walk_text"]
    assert str(info["severity"].iloc[0]) == "info"
    assert info["message"].iloc[0] == (
        "calculation walk_text gives wording; 3 record(s) hold it written differently, taken "
        "as the same sentence (e.g. 'Do you have difficulty walking|climbing steps?' for "
        "'Do you have difficulty walking or climbing steps?')"
    )


def test_the_other_branch_and_codes_are_still_compared_exactly():
    found = _found()
    warned = found[found["code"] == "VAL123"]
    # record d (age 50) holds the child's sentence: the export chose the other branch
    assert sorted(zip(warned["variable"], warned["position"].astype(int))) == [
        ("group", 1),  # 'Adult' for 'adult': a code, not a sentence
        ("walk_text", 3),
    ]


def test_the_wording_issue_in_chinese():
    message = _found("zh").query("code == 'VAL320'")["message"].iloc[0]
    assert message.startswith("计算题 walk_text 给出的是文字（题目措辞），3 条记录存的写法不同")


def test_which_calculations_give_wording():
    assert wording_texts(CALC) == (
        "Does he / she have difficulty walking or climbing steps?",
        "Do you have difficulty walking or climbing steps?",
    )
    assert wording_texts("if(${a} > 1, 'yes', 'no')") is None
    assert wording_texts("concat('Do you have ', ${item}, ' at home?')") is None
    assert wording_texts("${a} + 1") is None and wording_texts("") is None
    texts = ("Do you have a bicycle at home?", "Does she have a bicycle at home?")
    assert same_wording("do you have a  bicycle at home ?", texts[0], texts)
    assert not same_wording("Does she have a bicycle at home?", texts[0], texts)
    assert not same_wording("A completely different sentence here", texts[0], texts)
