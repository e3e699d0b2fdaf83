"""The findings sections written by the demo's notebooks, run in this process on a small wave.

The notebooks' code cells run here (tests/sections_support.run_notebook), their
markdown cells are filled by the writer: the text states the design-based estimates,
changes are claimed only when significant, and the library names no question of the
demo study.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from sections_support import run_notebook, small_study

from analysis import estimate as est
from analysis.report import Section, outline, pct
from analysis.report.section import Heading, NumberedFigure, NumberedTable, Paragraph
from analysis.sections import (
    SectionError,
    load_context,
    load_section,
    preview,
    save_section,
    section_path,
)
from analysis.sections.indicators import item_totals, no_change_is_not_significant, yes_shares

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def study(repo_root, tmp_path_factory):
    return small_study(repo_root, tmp_path_factory.mktemp("sections"))


@pytest.fixture(scope="module")
def ctx(study):
    return load_context(study, "demo-2025", lang="zh")


def _run(study, stem: str, wave: str = "demo-2025", lang: str = "zh") -> dict:
    path = ROOT / "notebooks" / f"{stem}.ipynb"
    return run_notebook(path, study_root=str(study.root), wave=wave, lang=lang)


@pytest.fixture(scope="module")
def ran(study):
    return {p.stem.split("_", 1)[1]: _run(study, p.stem) for p in NOTEBOOKS}


@pytest.fixture(scope="module")
def built(ran):
    return {name: ns["w"].section() for name, ns in ran.items()}


def _text(section: Section, others: list[Section] = ()) -> str:
    items = outline([*others, section], strict=False)
    return "\n".join(i.text for i in items if isinstance(i, Paragraph))


def test_every_section_has_a_heading_narrative_and_its_charts_and_tables(built):
    titles = [s.title for s in built.values()]
    assert titles == [
        "调查方法与样本",
        "村级文化设施与覆盖",
        "宣传文化队伍、书屋管理与经费",
        "农牧户参与、信息渠道与满意度",
        "挂职干部",
        "挂职干部的工作安排与保障",
        "存在的问题",
        "与上一轮相比的变化",
        "对策建议",
    ]
    items = outline(list(built.values()))  # every {fig:...} reference resolves
    assert sum(isinstance(i, NumberedFigure) for i in items) >= 8
    assert sum(isinstance(i, NumberedTable) for i in items) >= 5
    for name, section in built.items():
        kinds = {type(i) for i in outline([section], strict=False)}
        assert Paragraph in kinds and kinds & {NumberedFigure, NumberedTable}, name


def test_the_methods_section_states_the_run_records_and_margins(built):
    text = _text(built["methods"])
    assert "按县分层、以村为初级抽样单位的两阶段整群抽样" in text
    assert "误差幅度约为正负" in text and "demo-" not in text


def test_the_suggestions_section_ranks_themes_with_quotes(built):
    text = _text(built["suggestions"])
    assert "提得较多的是" in text and "“" in text
    assert "。”" not in text  # quotes end with the sentence's punctuation, not their own


def test_facility_shares_in_the_text_are_the_estimates(ctx, built):
    table = est.proportion(ctx.designs["village"], "has_library")
    share = table.loc[table["level"] == "1", "estimate"].item()
    assert f"{pct(share)}的村建有农家书屋" in _text(built["facilities"])


def test_household_participation_is_the_design_based_share(ran, built):
    d = ran["households"]["d"]
    share = yes_shares(d, {"participated": "x"})["estimate"].item()
    assert f"{pct(share)}的农牧户参加过至少一项" in _text(built["households"])
    tables = [i.table.frame for i in outline([built["households"]]) if isinstance(i, NumberedTable)]
    assert any("比值比" in t.columns for t in tables)
    assert any("F" in t.columns and "p值" in t.columns for t in tables)


def test_reverse_items_are_turned_round_and_dont_know_is_missing(ctx, ran):
    frame = ran["households"]["frame"]
    raw = pd.to_numeric(ctx.frames["household"]["att_formality_r"], errors="coerce")
    answered = raw.between(1, 5)
    assert (frame.loc[answered, "att_formality_r_s"] == 6 - raw[answered]).all()
    assert frame.loc[~answered, "att_formality_r_s"].isna().all()


def test_cadre_scores_and_the_ranking_table(ctx, built):
    text = _text(built["cadres"])
    mean = est.mean(ctx.designs["cadre"], "total_score")["estimate"].item()
    assert f"平均为{mean:.1f}分" in text
    tables = [i.table.frame for i in outline([built["cadres"]]) if isinstance(i, NumberedTable)]
    ranks = tables[-1]["名次"].astype(int).tolist()
    assert ranks == sorted(ranks) and ranks[0] == 1


def test_problems_give_weighted_theme_shares_quotes_and_the_uncoded(ctx, ran, built):
    coded = ran["problems"]["coded"]["hh"]
    top = coded.shares.sort_values("estimate", ascending=False).iloc[0]
    text = _text(built["problems"])
    assert f"{top['item']}（{pct(top['estimate'])}）" in text
    assert coded.quotes[top["theme"]] and all(x.startswith("“") for x in coded.quotes[top["theme"]])
    frame = coded.frame
    answered = frame["coded"].notna()
    w = ctx.designs["household"].weights
    manual = (frame.loc[answered, f"theme_{top['theme']}"] * w[answered.to_numpy()]).sum() / w[
        answered.to_numpy()
    ].sum()
    assert top["estimate"] == pytest.approx(manual)
    assert f"{coded.not_coded:,}份未能归入任何主题" in text


def test_changes_are_claimed_only_when_significant(ran, built):
    shares, means = ran["changes"]["shares"], ran["changes"]["means"]
    text = _text(built["changes"])
    assert not shares.empty and not means.empty
    for _, row in shares.iterrows():
        points = f"{abs(row['change']) * 100:.1f}个百分点"
        if row["significant"]:
            assert f"{row['item']}比上年{'提高' if row['change'] > 0 else '降低'}{points}" in text
        else:
            assert f"{row['item']}比上年" not in text
    assert "基本持平" in text


def test_a_zero_change_is_not_significant():
    t = pd.DataFrame(
        {
            "change": [5e-17, 0.02],
            "se": [0.0, 0.0],
            "p_value": [0.0, 0.0],
            "significant": [True, True],
        }
    )
    out = no_change_is_not_significant(t)
    assert out["significant"].tolist() == [False, True]
    assert out["p_value"].tolist() == [1.0, 0.0]


def test_a_count_has_no_negative_lower_bound(ctx):
    totals = item_totals(ctx.designs["village"], {"culture_volunteers": "志愿者"})
    assert (totals["ci_low"] >= 0).all()


def test_the_first_wave_says_there_is_nothing_to_compare(study):
    ns = _run(study, "05_changes", wave="demo-2024")
    assert "首轮调查" in _text(ns["w"].section())
    facilities = _run(study, "01_facilities", wave="demo-2024")["w"].section()
    assert "与上一轮相比" not in [b.title for b in facilities.blocks if isinstance(b, Section)]


def test_sections_in_english(study):
    built = [
        _run(study, stem, lang="en")["w"].section()
        for stem in ("01_facilities", "03_cadres", "05_changes")
    ]
    headings = [i.text for i in outline(built, "en", strict=False) if isinstance(i, Heading)]
    assert headings[0] == "1. Village cultural facilities and coverage"
    assert all(not re.search(r"[\u4e00-\u9fff]", h) for h in headings)
    assert "percentage points" in _text(built[2])


def test_a_section_survives_the_trip_from_notebook_to_report(built, tmp_path):
    path = save_section(built["facilities"], section_path(tmp_path, "facilities"))
    back = load_section(path)
    assert back.title == built["facilities"].title
    assert len(outline([back])) == len(outline([built["facilities"]]))
    assert "村级文化设施与覆盖" in preview(back)._repr_html_()


def test_errors_say_what_to_do(study, tmp_path):
    with pytest.raises(SectionError) as unknown:
        load_context(study, "demo-2030")
    assert unknown.value.code == "SEC003"
    with pytest.raises(SectionError) as lang:
        load_context(study, "demo-2025", lang="fr")
    assert lang.value.code == "SEC005"
    with pytest.raises(SectionError) as missing:
        load_section(tmp_path / "nothing.section.pkl")
    assert missing.value.code == "SEC008"


def test_an_unprocessed_wave_is_a_coded_error(repo_root, tmp_path):
    import shutil

    from analysis import Study

    for name in ("study.toml", "surveys"):
        (shutil.copytree if (repo_root / name).is_dir() else shutil.copy2)(
            repo_root / name, tmp_path / name
        )
    (tmp_path / "data" / "raw" / "demo-2025").mkdir(parents=True)
    with pytest.raises(SectionError) as err:
        load_context(Study.load(tmp_path), "demo-2025")
    assert err.value.code == "SEC001" and "baicun run demo-2025" in err.value.hint
