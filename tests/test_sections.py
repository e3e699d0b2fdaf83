"""The findings sections on a small fixture wave: structure, numbers from tables, waves, errors."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pandas as pd
import pytest
from sections_support import small_study

from analysis import estimate as est
from analysis.report import Section, outline, pct
from analysis.report.section import Heading, NumberedFigure, NumberedTable, Paragraph
from analysis.sections import (
    SECTIONS,
    SectionError,
    build_sections,
    changes,
    households,
    load_context,
    load_section,
    preview,
    problems,
    save_section,
    section_module,
    section_path,
)
from analysis.sections.indicators import no_change_is_not_significant, yes_shares

pytestmark = pytest.mark.slow

SECTIONS_DIR = Path(__file__).resolve().parents[1] / "analysis" / "sections"


@pytest.fixture(scope="module")
def study(repo_root, tmp_path_factory):
    return small_study(repo_root, tmp_path_factory.mktemp("sections"))


@pytest.fixture(scope="module")
def ctx(study):
    return load_context(study, "demo-2025", lang="zh")


@pytest.fixture(scope="module")
def built(ctx):
    return dict(zip(SECTIONS, build_sections(ctx)))


def _items(section: Section):
    return outline([section])


def _text(section: Section) -> str:
    return "\n".join(i.text for i in _items(section) if isinstance(i, Paragraph))


def test_every_section_has_a_heading_narrative_and_its_charts_and_tables(built):
    titles = [s.title for s in built.values()]
    assert titles == [
        "村级文化设施与覆盖",
        "农牧户参与、信息渠道与满意度",
        "挂职干部",
        "存在的问题",
        "与上一轮相比的变化",
    ]
    items = outline(list(built.values()))
    assert sum(isinstance(i, NumberedFigure) for i in items) >= 8
    assert sum(isinstance(i, NumberedTable) for i in items) >= 5
    for name, section in built.items():
        assert _text(section), name
        kinds = {type(i) for i in _items(section)}
        assert NumberedFigure in kinds, f"{name} has no chart"


def test_facility_shares_in_the_text_are_the_estimates(ctx, built):
    table = est.proportion(ctx.designs["village"], "has_library")
    share = table.loc[table["level"] == "1", "estimate"].item()
    assert f"{pct(share)}的村建有农家书屋" in _text(built["facilities"])


def test_household_participation_is_the_design_based_share(ctx, built):
    frame = households.household_frame(ctx)
    d = ctx.design_for("household", frame)
    share = yes_shares(d, {"participated": "x"})["estimate"].item()
    assert f"{pct(share)}的农牧户参加过至少一项" in _text(built["households"])
    # the regression and the Rao-Scott tests are in tables, with p-values
    tables = [i.table.frame for i in _items(built["households"]) if isinstance(i, NumberedTable)]
    assert any("比值比" in t.columns for t in tables)
    assert any("F" in t.columns and "p值" in t.columns for t in tables)


def test_reverse_items_are_turned_round_and_dont_know_is_missing(ctx):
    frame = households.household_frame(ctx)
    raw = pd.to_numeric(ctx.frames["household"]["att_formality_r"], errors="coerce")
    answered = raw.between(1, 5)
    assert (frame.loc[answered, "att_formality_r_s"] == 6 - raw[answered]).all()
    assert frame.loc[~answered, "att_formality_r_s"].isna().all()


def test_cadre_scores_and_the_ranking_table(ctx, built):
    text = _text(built["cadres"])
    mean = est.mean(ctx.designs["cadre"], "total_score")["estimate"].item()
    assert f"平均为{mean:.1f}分" in text
    tables = [i.table.frame for i in _items(built["cadres"]) if isinstance(i, NumberedTable)]
    ranks = tables[-1]["名次"].astype(int).tolist()
    assert ranks == sorted(ranks) and ranks[0] == 1


def test_problems_give_weighted_theme_shares_quotes_and_the_uncoded(ctx, built):
    q = problems.QUESTIONS[0]
    frame, shares, quotes, _ = problems.coded_answers(ctx, q)
    top = shares.sort_values("estimate", ascending=False).iloc[0]
    text = _text(built["problems"])
    assert f"{top['item']}（{pct(top['estimate'])}）" in text
    assert quotes[top["theme"]] and all(x.startswith("“") for x in quotes[top["theme"]])
    # a theme's share is over those who answered, weighted by the design
    answered = frame["coded"].notna()
    w = ctx.designs["household"].weights
    manual = (frame.loc[answered, f"theme_{top['theme']}"] * w[answered.to_numpy()]).sum() / w[
        answered.to_numpy()
    ].sum()
    assert top["estimate"] == pytest.approx(manual)
    uncoded = int((frame["uncoded"] == 1).sum())
    assert f"{uncoded:,}份未能归入任何主题" in text


def test_changes_are_claimed_only_when_significant(ctx, built):
    shares, means = changes.change_tables(ctx)
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


def test_the_first_wave_says_there_is_nothing_to_compare(study):
    first = load_context(study, "demo-2024")
    assert first.previous is None
    assert "首轮调查" in _text(changes.build(first))


def test_sections_in_english(study):
    ctx = load_context(study, "demo-2025", lang="en")
    built = build_sections(ctx, ("facilities", "cadres", "changes"))
    headings = [i.text for s in built for i in outline([s], "en") if isinstance(i, Heading)]
    assert headings[0] == "1. Village cultural facilities and coverage"
    assert all(not re.search(r"[\u4e00-\u9fff]", h) for h in headings)
    assert "percentage points" in _text(built[2])


def test_a_section_survives_the_trip_from_notebook_to_report(built, tmp_path):
    path = save_section(built["facilities"], section_path(tmp_path, "facilities"))
    back = load_section(path)
    assert back.title == built["facilities"].title
    assert sum(isinstance(i, NumberedFigure) for i in _items(back)) == sum(
        isinstance(i, NumberedFigure) for i in _items(built["facilities"])
    )
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
    with pytest.raises(SectionError) as name:
        section_module("summary")
    assert name.value.code == "SEC009"


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


def _paragraph_literals(tree: ast.AST):
    """String constants inside the arguments of .paragraph(...) and ctx.fill/ctx.t calls."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("paragraph", "fill", "t", "note"):
                for arg in node.args:
                    for sub in ast.walk(arg):
                        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                            yield node.lineno, sub.value


def test_section_narrative_has_no_typed_numbers():
    """Narrative literals in the section modules hold no digit (figures come from tables).

    Placeholders ({row:pct.2}) are left out, as fill() does; captions and notes in
    ctx.t(...) may name the 95% interval.
    """
    offenders = []
    for path in sorted(SECTIONS_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, text in _paragraph_literals(tree):
            try:
                literal = "".join(part for part, *_ in string.Formatter().parse(text))
            except ValueError:
                literal = text
            cleaned = literal.replace("95%", "")
            if re.search(r"[0-9０-９]", cleaned) and re.search(
                r"[\u4e00-\u9fff]|[a-z]{3}", cleaned
            ):
                offenders.append(f"{path.name}:{line}: {text[:50]}")
    assert not offenders, offenders
