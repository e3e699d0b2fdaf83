"""Report sections: numbers as reports write them, numbering, and DOCX/HTML/MD output."""

from __future__ import annotations

import re
import zipfile

import docx
import numpy as np
import pandas as pd
import pytest
from docx.shared import Cm
from lxml import etree

from analysis.charts import share_bars
from analysis.office.word import runs_missing_east_asian_font
from analysis.report import (
    ReportError,
    Section,
    change_phrase,
    chinese_numeral,
    ci,
    count,
    fill,
    heading_number,
    outline,
    pct,
    pick,
    report_table,
    write_report,
)
from analysis.report.section import Heading, NumberedFigure, NumberedTable

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@pytest.fixture(scope="module")
def estimates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "county": ["全省", "城关县", "河东县"],
            "estimate": [0.532, 0.6125, 0.417],
            "se": [0.014, 0.03, 0.035],
            "ci_low": [0.481, 0.55, 0.35],
            "ci_high": [0.583, 0.67, 0.49],
            "df": [90, 30, 30],
            "deff": [1.9, 1.6, 2.2],
            "n": [1234, 310, 286],
        }
    )


@pytest.fixture(scope="module")
def comparison() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "county": ["全省", "城关县", "河东县"],
            "estimate_old": [0.50, 0.60, 0.432],
            "estimate_new": [0.532, 0.6125, 0.417],
            "change": [0.032, 0.0125, -0.015],
            "se": [0.01, 0.02, 0.02],
            "ci_low": [0.012, -0.03, -0.055],
            "ci_high": [0.052, 0.05, 0.025],
            "p_value": [0.002, 0.53, 0.45],
            "significant": [True, False, False],
        }
    )


# --- numbers ---------------------------------------------------------------


def test_numbers_are_written_as_chinese_reports_write_them():
    assert pct(0.532) == "53.2%"
    assert pct(0.5325) == "53.3%"  # half-up on the decimal value, not banker's rounding
    assert pct(0.0) == "0.0%"
    assert count(1234, "户") == "1,234户"
    assert count(86, "个") == "86个"
    assert ci(0.481, 0.583) == "（95%置信区间：48.1%–58.3%）"


def test_a_change_is_claimed_only_when_flagged_significant():
    assert change_phrase(0.032, True) == "比上年提高3.2个百分点"
    assert change_phrase(-0.015, True) == "比上年降低1.5个百分点"
    assert change_phrase(0.032, False) == "与上年基本持平"
    assert change_phrase(0.5, np.False_) == "与上年基本持平"
    assert change_phrase(0.032, float("nan")) == "与上年基本持平"
    with pytest.raises(ReportError) as err:
        change_phrase(0.032, "yes")
    assert err.value.code == "REP003"


def test_fill_takes_every_number_from_table_rows(estimates, comparison):
    text = fill(
        "全省有线电视入户率达{t:pct}{t:ci}，{c:change}；调查{t:n:户}。{h.county}为{h:pct}，{hc:change}。",
        t=pick(estimates, county="全省"),
        c=pick(comparison, county="全省"),
        h=pick(estimates, county="河东县"),
        hc=pick(comparison, county="河东县"),
    )
    assert text == (
        "全省有线电视入户率达53.2%（95%置信区间：48.1%–58.3%），比上年提高3.2个百分点；"
        "调查1,234户。河东县为41.7%，与上年基本持平。"
    )


@pytest.mark.parametrize("template", ["入户率达53.2%", "共{n:n:户}，其中３个村", "见图1"])
def test_fill_refuses_numbers_typed_into_the_text(template, estimates):
    with pytest.raises(ReportError) as err:
        fill(template, n=pick(estimates, county="全省"))
    assert err.value.code == "REP001"


def test_fill_refuses_bare_numbers_and_unusable_rows(estimates, comparison):
    with pytest.raises(ReportError) as err:
        fill("入户率达{x:pct}", x=0.532)
    assert err.value.code == "REP002"
    with pytest.raises(ReportError) as err:
        fill("{c:change}", c=pick(estimates, county="全省"))  # not a comparison row
    assert err.value.code == "REP006"
    with pytest.raises(ReportError) as err:
        fill("{t:percent}", t=pick(estimates, county="全省"))
    assert err.value.code == "REP008"
    with pytest.raises(ReportError) as err:
        fill("{t:pct}", t=estimates)  # three rows
    assert err.value.code == "REP005"
    missing = estimates.assign(estimate=np.nan)
    with pytest.raises(ReportError) as err:
        fill("{t:pct}", t=pick(missing, county="全省"))
    assert err.value.code == "REP009"
    with pytest.raises(ReportError) as err:
        pick(estimates, county="西林县")
    assert err.value.code == "REP004" and "城关县" in err.value.found


# --- sections and numbering -------------------------------------------------


def test_headings_are_numbered_as_chinese_reports_number_them():
    assert [chinese_numeral(i) for i in (1, 2, 9, 10, 12, 30)] == [
        "一",
        "二",
        "九",
        "十",
        "十二",
        "三十",
    ]
    s1 = (
        Section("现状及做法")
        .subsection(
            Section("设施建设").subsection(Section("农家书屋")).subsection(Section("广播电视"))
        )
        .subsection(Section("活动开展"))
    )
    heads = [
        h.text
        for h in outline([s1, Section("存在的问题"), Section("建议")])
        if isinstance(h, Heading)
    ]
    assert heads == [
        "一、现状及做法",
        "（一）设施建设",
        "1. 农家书屋",
        "2. 广播电视",
        "（二）活动开展",
        "二、存在的问题",
        "三、建议",
    ]
    assert heading_number((1, 2), "en") == "1.2"


def test_sections_are_immutable_and_number_figures_and_tables_through_the_report(estimates):
    base = Section("现状及做法")
    grown = base.paragraph("文字。")
    assert base.blocks == () and len(grown.blocks) == 1
    fig = share_bars(estimates)
    s1 = grown.figure(fig, "各县入户率").table(report_table(estimates), "各县入户率")
    s2 = (
        Section("变化")
        .subsection(Section("设施").figure(fig, "入户率变化"))
        .table(estimates, "变化表")
    )
    items = outline([s1, s2])
    figs = [(i.label, i.stem) for i in items if isinstance(i, NumberedFigure)]
    tabs = [(i.label, i.stem) for i in items if isinstance(i, NumberedTable)]
    assert figs == [("图1", "图01_各县入户率"), ("图2", "图02_入户率变化")]
    assert tabs == [("表1", "表01_各县入户率"), ("表2", "表02_变化表")]
    with pytest.raises(ReportError):
        Section("x").figure("not a figure", "标题")


def test_estimate_tables_get_chinese_headers_and_formatted_cells(estimates, comparison):
    t = report_table(estimates, columns=["county", "estimate", "ci", "deff", "n"])
    assert list(t.frame.columns) == ["县", "比例", "95%置信区间", "设计效应", "样本量"]
    assert t.frame.iloc[0].tolist() == ["全省", "53.2%", "48.1%–58.3%", "1.90", "1,234"]
    c = report_table(comparison, waves=("2024年", "2025年"))
    assert list(c.frame.columns) == ["县", "2024年", "2025年", "变化（百分点）", "p值", "差异显著"]
    assert c.frame.iloc[2].tolist() == ["河东县", "43.2%", "41.7%", "-1.5", "0.450", "否"]
    with pytest.raises(ReportError) as err:
        report_table(estimates, columns=["county", "median"])
    assert err.value.code == "REP013"


# --- assembled report --------------------------------------------------------


@pytest.fixture(scope="module")
def report(tmp_path_factory, estimates, comparison):
    out = tmp_path_factory.mktemp("report")
    s1 = (
        Section("现状及做法")
        .paragraph(fill("全省有线电视入户率达{t:pct}{t:ci}。", t=pick(estimates, county="全省")))
        .subsection(
            Section("设施覆盖")
            .figure(share_bars(estimates), "各县有线电视入户率", note="误差线为95%置信区间。")
            .table(report_table(estimates), "各县有线电视入户率")
        )
    )
    s2 = Section("变化情况").table(
        report_table(comparison), "入户率变化", note="按复杂抽样设计检验。"
    )
    return write_report([s1, s2], out, title="百村调查报告", subtitle="示例")


def test_report_files_are_named_by_number_and_title(report):
    assert (
        report["docx"].name == "report.docx" and report["html"].exists() and report["md"].exists()
    )
    assert [p.name for p in report["figures"]] == [
        "图01_各县有线电视入户率.png",
        "图01_各县有线电视入户率.svg",
    ]
    assert [p.name for p in report["tables"]] == [
        "表01_各县有线电视入户率.csv",
        "表01_各县有线电视入户率.xlsx",
        "表02_入户率变化.csv",
        "表02_入户率变化.xlsx",
    ]
    csv = report["tables"][0].read_text(encoding="utf-8-sig").splitlines()
    assert csv[0] == "县,比例,95%置信区间,样本量"


def test_every_docx_run_with_chinese_text_carries_the_east_asian_font(report):
    with zipfile.ZipFile(report["docx"]) as z:
        parts = [
            n for n in z.namelist() if re.match(r"word/(document|footer\d*|header\d*)\.xml", n)
        ]
        checked = 0
        for name in parts:
            root = etree.fromstring(z.read(name))
            for run in root.iter(f"{{{W}}}r"):
                text = "".join(t.text or "" for t in run.iter(f"{{{W}}}t"))
                if CJK.search(text):
                    checked += 1
                    fonts = run.find("w:rPr/w:rFonts", NS)
                    assert fonts is not None and fonts.get(f"{{{W}}}eastAsia"), text
        assert checked > 5
        styles = etree.fromstring(z.read("word/styles.xml"))
    for style_id in ("Normal", "Heading1", "Heading2", "Heading3", "Caption"):
        style = styles.find(f"w:style[@w:styleId='{style_id}']", NS)
        fonts = style.find("w:rPr/w:rFonts", NS)
        assert fonts.get(f"{{{W}}}eastAsia"), style_id
        assert fonts.get(f"{{{W}}}eastAsiaTheme") is None, style_id


def test_docx_has_headings_captions_and_print_width_figures(report):
    d = docx.Document(report["docx"])
    assert runs_missing_east_asian_font(d) == []  # the shared checker agrees
    paras = [(p.style.name, p.text) for p in d.paragraphs if p.text]
    assert ("Heading 1", "一、现状及做法") in paras
    assert ("Heading 2", "（一）设施覆盖") in paras
    captions = [t for s, t in paras if s == "Caption"]
    assert captions == ["图1　各县有线电视入户率", "表1　各县有线电视入户率", "表2　入户率变化"]
    (shape,) = d.inline_shapes
    assert abs(shape.width - Cm(15.5)) < Cm(0.05)
    assert d.tables[0].rows[0].cells[0].text == "县"
    # the table caption comes before its table: 表1 precedes the first table in the body
    body = d.element.body
    kinds = [
        "table" if el.tag.endswith("tbl") else "".join(t.text or "" for t in el.iter(f"{{{W}}}t"))
        for el in body
    ]
    assert kinds.index("表1　各县有线电视入户率") < kinds.index("table")


def test_docx_bytes_do_not_change_between_runs(tmp_path, estimates):
    s = Section("现状").paragraph("文字。").table(report_table(estimates), "表")
    a = write_report([s], tmp_path / "a", title="报告")["docx"].read_bytes()
    b = write_report([s], tmp_path / "b", title="报告")["docx"].read_bytes()
    assert a == b


def test_html_is_self_contained(report):
    html = report["html"].read_text(encoding="utf-8")
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", html, flags=re.I)
    assert refs and all(r.startswith(("data:", "#")) for r in refs)
    assert "data:image/svg+xml;base64," in html
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert "<h2>一、现状及做法</h2>" in html and "表2　入户率变化" in html


def test_html_escapes_every_text_the_template_prints():
    from importlib.resources import files

    from analysis.report.html import render_html
    from analysis.report.tables import ReportTable

    assert files("analysis.report").joinpath("templates/report.html").is_file()
    evil = "<script>alert(1)</script>"
    table = ReportTable(frame=pd.DataFrame({evil: [evil], "n": ["1"]}), label_columns=1)
    items = [
        Heading(1, "一、", evil),
        NumberedFigure(1, "图1", evil, None, evil, "f1"),
        NumberedTable(1, "表1", evil, table, None, "t1"),
    ]
    html = render_html(items, title=evil, subtitle=evil, images={1: ("png", b"png")})
    assert "<script>" not in html
    safe = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert f"<title>{safe}</title>" in html and f'<p class="subtitle">{safe}</p>' in html
    assert f'alt="图1　{safe}"><figcaption>图1　{safe}</figcaption>' in html
    assert f'<p class="note">注：{safe}</p>' in html and f"<caption>表1　{safe}</caption>" in html
    assert f"<th>{safe}</th>" in html and f'<td class="label">{safe}</td><td>1</td>' in html


def test_markdown_links_the_figure_files(report):
    md = report["md"].read_text(encoding="utf-8")
    assert "## 一、现状及做法" in md and "### （一）设施覆盖" in md
    assert "(<figures/图01_各县有线电视入户率.png>)" in md
    assert "| 县 | 比例 | 95%置信区间 | 样本量 |" in md
    assert (report["md"].parent / "figures" / "图01_各县有线电视入户率.png").exists()


def test_english_reports_number_in_english(tmp_path, estimates):
    s = (
        Section("Findings")
        .figure(share_bars(estimates, lang="en"), "Coverage")
        .table(estimates, "Coverage")
    )
    out = write_report([s], tmp_path, title="Report", lang="en")
    assert next(p.name for p in out["figures"]) == "Figure01_Coverage.png"
    md = out["md"].read_text(encoding="utf-8")
    assert "## 1. Findings" in md and "**Figure 1. Coverage**" in md
