"""The suggestions builder: answers coded by theme, ranked by weighted share, with quotes."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from analysis.design.survey import SurveyDesign
from analysis.errors import SectionError
from analysis.sections.context import SectionContext, WaveData
from analysis.sections.suggestions import join_quotes, suggestion_themes
from analysis.sections.themes import OpenQuestions

CODEBOOK = """\
version: 1
none_answers: [没有]
themes:
  - code: funding
    zh: 增加经费
    en: More funding
    keywords: [经费]
  - code: bilingual
    zh: 双语宣讲
    en: Bilingual outreach
    keywords: [双语]
"""


class _Study(SimpleNamespace):
    def setting(self, *keys, default=None):
        return default


@pytest.fixture
def ctx(tmp_path) -> SectionContext:
    (tmp_path / "book.yaml").write_text(CODEBOOK, encoding="utf-8")
    answers = ["希望多给点经费。"] * 3 + ["建议多准备双语材料。"] * 2 + ["没有", None]
    frame = pd.DataFrame(
        {"s": answers, "w": [1.0, 1.0, 1.0, 4.0, 4.0, 1.0, 1.0], "k": list("abcdefg")}
    )
    study = _Study(root=tmp_path, surveys_dir=tmp_path, instrument_names=["hh"])
    design = SurveyDesign(frame, weights="w")
    return SectionContext(
        study=study,
        wave="w1",
        lang="zh",
        current=WaveData("w1", {"hh": frame}, {"hh": design}),
    )


def test_themes_are_ranked_by_weighted_share_with_quotes(ctx, monkeypatch):
    import analysis.sections.suggestions as sug

    monkeypatch.setattr(
        sug.SectionContext, "design_for", lambda self, i, f: SurveyDesign(f, weights="w")
    )
    s = suggestion_themes(ctx, {"hh": OpenQuestions("hh", ("s",), "农牧户", "book.yaml")})
    top = s.top("hh")
    assert top["item"].tolist() == ["双语宣讲", "增加经费"]  # 8 of 12 by weight, not 2 of 6
    assert top["estimate"].iloc[0] == pytest.approx(8 / 12)
    assert s.answered("hh")["n"] == 6
    assert s.quotes("hh", 1) == "“建议多准备双语材料”"
    assert s.listing("hh", 2) == "双语宣讲（66.7%）、增加经费（25.0%）"
    assert s.table.frame.iloc[0].tolist()[:2] == ["农牧户", "双语宣讲"]
    with pytest.raises(SectionError) as err:
        s.theme("hh", 3)
    assert err.value.code == "SEC046"
    with pytest.raises(SectionError) as err:
        s.first("cadre")
    assert err.value.code == "SEC045" and "hh" in str(err.value)


def test_no_group_to_code_is_a_coded_error(ctx):
    with pytest.raises(SectionError) as err:
        suggestion_themes(ctx, {"x": OpenQuestions("nothing", ("s",), "无", "book.yaml")})
    assert err.value.code == "SEC045"


def test_quotes_do_not_double_the_sentence_punctuation():
    assert join_quotes(["“希望多给点经费。”", "“好！”"]) == "“希望多给点经费”；“好！”"
    assert join_quotes(["“Fix the road.”"], lang="en") == "“Fix the road”"
