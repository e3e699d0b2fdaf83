"""Report charts: Chinese renders, intervals come from the table, files are reproducible."""

from __future__ import annotations

import io
import subprocess
import sys
import warnings

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from PIL import Image

from analysis.charts import (
    ChartError,
    change_arrows,
    domain_bars,
    figure_bytes,
    find_cjk_font,
    likert_bars,
    ranking_dots,
    report_style,
    save_figure,
    score_distribution,
    share_bars,
)

LEVELS = ["很不满意", "不满意", "一般", "满意", "很满意"]


@pytest.fixture(scope="module")
def shares() -> pd.DataFrame:
    est = np.array([0.532, 0.611, 0.418, 0.705])
    return pd.DataFrame(
        {
            "county": ["城关县", "河东县", "山南县", "北川县"],
            "estimate": est,
            "se": [0.02] * 4,
            "ci_low": est - np.array([0.05, 0.04, 0.06, 0.03]),
            "ci_high": est + np.array([0.05, 0.07, 0.06, 0.03]),
            "df": [30] * 4,
            "deff": [1.5] * 4,
            "n": [120, 98, 143, 87],
        }
    )


@pytest.fixture(scope="module")
def by_type() -> pd.DataFrame:
    rows = []
    for i, c in enumerate(["城关县", "河东县", "山南县"]):
        for j, vt in enumerate(["农业村", "牧业村"]):
            e = 0.3 + 0.1 * i + 0.2 * j
            rows.append(
                {
                    "county": c,
                    "village_type": vt,
                    "estimate": e,
                    "ci_low": e - 0.05,
                    "ci_high": e + 0.05,
                    "n": 50,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def likert() -> pd.DataFrame:
    shares_ = {
        "农家书屋": [0.05, 0.10, 0.20, 0.40, 0.25],
        "广播电视": [0.20, 0.30, 0.20, 0.20, 0.10],
    }
    return pd.DataFrame(
        [
            {"item": k, "level": lv, "estimate": v}
            for k, vals in shares_.items()
            for lv, v in zip(LEVELS, vals)
        ]
    )


@pytest.fixture(scope="module")
def comparison() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "county": ["城关县", "河东县", "山南县"],
            "estimate_old": [0.50, 0.553, 0.40],
            "estimate_new": [0.532, 0.538, 0.41],
            "change": [0.032, -0.015, 0.01],
            "se": [0.01, 0.01, 0.02],
            "ci_low": [0.012, -0.035, -0.03],
            "ci_high": [0.052, 0.005, 0.05],
            "p_value": [0.002, 0.14, 0.6],
            "significant": [True, False, False],
        }
    )


@pytest.fixture(scope="module")
def scores() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "得分": np.r_[rng.normal(-1.5, 1, 40), rng.normal(1, 1, 40)],
            "挂职方式": ["外派"] * 40 + ["下派"] * 40,
            "w": rng.uniform(0.5, 2.0, 80),
        }
    )


def _draw_all(shares, by_type, likert, comparison, scores) -> list[Figure]:
    return [
        share_bars(shares, highlight=["北川县"]),
        domain_bars(by_type, by="county", hue="village_type"),
        likert_bars(likert, levels=LEVELS),
        change_arrows(comparison, waves=("2024年", "2025年")),
        score_distribution(scores, "得分", by="挂职方式", weights="w", xlabel="综合得分"),
        score_distribution(scores, "得分", by="挂职方式", kind="box"),
        ranking_dots(shares, percent=True),
    ]


def _missing_glyph_warnings(draw) -> tuple[object, list[str]]:
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = draw()
        figs = out if isinstance(out, list) else [out]
        for fig in figs:
            figure_bytes(fig, "svg")  # rendering is where glyphs are looked up
    return out, [str(w.message) for w in rec if "missing from font" in str(w.message)]


def test_the_glyph_check_catches_a_font_without_chinese():
    # the check below is only meaningful if drawing Chinese in a Latin font is caught
    def draw():
        with mpl.rc_context({"font.family": ["DejaVu Sans"]}):
            fig = Figure()
            fig.add_subplot().set_title("有线电视入户率")
        return fig

    _, missing = _missing_glyph_warnings(draw)
    assert missing


def test_every_chart_draws_chinese_labels_without_missing_glyphs(
    shares, by_type, likert, comparison, scores
):
    figs, missing = _missing_glyph_warnings(
        lambda: _draw_all(shares, by_type, likert, comparison, scores)
    )
    assert missing == []
    for fig in figs:
        assert isinstance(fig, Figure)
        assert fig.get_size_inches()[0] * 2.54 == pytest.approx(15.5)


def test_the_font_survives_seaborn_set_theme(shares, likert):
    import seaborn as sns

    with mpl.rc_context():
        sns.set_theme()  # rewrites font.sans-serif to Arial/DejaVu
        _, missing = _missing_glyph_warnings(
            lambda: [share_bars(shares), likert_bars(likert, levels=LEVELS)]
        )
    assert missing == []


def test_negative_numbers_use_a_minus_that_renders(scores, comparison):
    fig, missing = _missing_glyph_warnings(lambda: score_distribution(scores, "得分", weights="w"))
    assert missing == []
    ax = fig.axes[0]
    fig.canvas.draw() if hasattr(fig.canvas, "draw") else None
    with report_style():
        ticks = [ax.xaxis.get_major_formatter()(v, i) for i, v in enumerate(ax.get_xticks())]
    assert any(t.startswith("-") for t in ticks)
    assert not any("\u2212" in t for t in ticks)
    with report_style():
        assert mpl.rcParams["axes.unicode_minus"] is False
    labels = [t.get_text() for t in change_arrows(comparison).axes[0].texts]
    assert "53.8%（-1.5）" in labels


def test_bars_are_sorted_and_labelled_as_reports_write_numbers(shares):
    ax = share_bars(shares).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["北川县", "河东县", "城关县", "山南县"]
    texts = {t.get_text() for t in ax.texts}
    assert {"53.2%", "61.1%", "41.8%", "70.5%"} <= texts
    ax = share_bars(shares, order=["山南县"]).axes[0]
    assert next(t.get_text() for t in ax.get_yticklabels()) == "山南县"


def test_error_bars_are_the_tables_intervals(shares):
    ax = share_bars(shares).axes[0]
    segs = [s for c in ax.collections if isinstance(c, LineCollection) for s in c.get_segments()]
    spans = sorted((round(s[0][0], 6), round(s[1][0], 6)) for s in segs)
    expected = sorted(
        (round(lo, 6), round(hi, 6)) for lo, hi in zip(shares["ci_low"], shares["ci_high"])
    )
    assert spans == expected


def test_likert_disagreement_is_left_of_zero(likert):
    ax = likert_bars(likert, levels=LEVELS).axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == LEVELS
    bars = {}
    for container, name in zip(ax.containers, LEVELS):
        bars[name] = [(p.get_x(), p.get_x() + p.get_width()) for p in container.patches]
    assert all(hi <= 1e-9 for _, hi in bars["很不满意"])
    assert all(lo >= -1e-9 for lo, _ in bars["很满意"])
    # the neutral level straddles zero
    assert all(lo < 0 < hi for lo, hi in bars["一般"])
    # the item with more agreement comes first
    assert [t.get_text() for t in ax.get_yticklabels()] == ["农家书屋", "广播电视"]


def test_change_arrows_colour_only_significant_changes(comparison):
    ax = change_arrows(comparison).axes[0]
    colours = {tuple(np.round(c, 3)) for c in ax.collections[-1].get_facecolors()}
    grey = tuple(np.round(mpl.colors.to_rgba("#A6A6A6"), 3))
    assert grey in colours and len(colours) == 2
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "上期" and "显著提高" in legend[1]


def test_png_and_svg_bytes_are_identical_across_runs(tmp_path, shares):
    first = save_figure(share_bars(shares), tmp_path / "a" / "图1_各县入户率")
    second = save_figure(share_bars(shares), tmp_path / "b" / "图1_各县入户率")
    assert [p.suffix for p in first] == [".png", ".svg"]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes()
    svg = first[1].read_text(encoding="utf-8")
    assert "<dc:date>" not in svg and "baicun" in svg
    with Image.open(io.BytesIO(first[0].read_bytes())) as im:
        assert round(im.info["dpi"][0]) == 300
        assert im.mode == "RGB"


def test_chart_problems_are_coded_errors(shares, scores, likert):
    with pytest.raises(ChartError) as err:
        share_bars(shares.drop(columns="estimate"))
    assert err.value.code == "CHT002" and "estimate" in str(err.value)
    with pytest.raises(ChartError) as err:
        score_distribution(scores, "得分", kind="box", weights="w")
    assert err.value.code == "CHT006"
    with pytest.raises(ChartError) as err:
        likert_bars(likert, levels=LEVELS[:4])
    assert err.value.code == "CHT008"
    with pytest.raises(ChartError) as err:
        share_bars(shares.iloc[0:0])
    assert err.value.code == "CHT003"


def test_no_cjk_font_says_how_to_install_one():
    with pytest.raises(ChartError) as err:
        find_cjk_font(["No Such Font SC"])
    assert err.value.code == "CHT001"
    assert "scripts/install-system-deps.sh" in err.value.hint


def test_report_imports_before_charts():
    # this module imported analysis.charts first; the other order runs in a fresh process
    code = "import analysis.report, analysis.charts; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_a_figure_is_rendered_once_and_its_bytes_travel_with_a_section(shares, monkeypatch):
    import pickle

    from analysis.charts import save
    from analysis.report import Section

    fig = share_bars(shares)
    first = figure_bytes(fig, "png")
    section = pickle.loads(pickle.dumps(Section("一").figure(fig, "各县入户率")))
    loaded = section.blocks[0].figure
    monkeypatch.setattr(save, "_png", lambda f: pytest.fail("drawn again"))
    assert figure_bytes(loaded, "png") == first  # reused, not drawn again


def test_a_changed_figure_is_rendered_again(shares):
    fig = share_bars(shares)
    first = figure_bytes(fig, "svg")
    assert figure_bytes(fig, "svg") is first
    fig.axes[0].set_title("新标题")
    assert figure_bytes(fig, "svg") != first
