"""The section notebooks: their frame, no typed numbers, run by the report step; the assembled report."""

from __future__ import annotations

import ast
import re
import string
import zipfile
from pathlib import Path

import nbformat
import pytest
from docx_checks import cjk_runs_without_east_asian_font
from lxml import etree
from sections_support import small_study

from analysis import Study
from analysis.pipeline.report import report_steps, run_notebooks, write_wave_report
from analysis.pipeline.wave import WaveRun, wave_steps
from analysis.sections import SectionError, load_section, report_cells
from analysis.sections.notebooks import OPEN_CELL, PARAMETERS, SAVE_CELL

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_NUMBER = re.compile(r"[0-9０-９]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_demo_has_a_notebook_per_section_of_the_seed_report():
    assert [p.name for p in NOTEBOOKS] == [
        "00_methods.ipynb",
        "01_facilities.ipynb",
        "01a_village_work.ipynb",
        "02_households.ipynb",
        "03_cadres.ipynb",
        "03a_cadre_support.ipynb",
        "04_problems.ipynb",
        "05_changes.ipynb",
        "06_suggestions.ipynb",
    ]


def _literal(text: str) -> str:
    """Text outside the placeholders, as fill() scans it."""
    try:
        return "".join(part for part, *_ in string.Formatter().parse(text))
    except ValueError:
        return text


def _narrative(nb) -> list[tuple[str, str]]:
    """Report text of the markdown cells, and the Chinese strings of code cells (captions,
    notes, phrases); numbers in code (weights, codes like "1") are not narrative."""
    out = []
    for cell in report_cells(nb):
        if not cell.note:
            out.append(("markdown", _literal(cell.text)))
    for cell in nb.cells:
        if cell.cell_type == "code":
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if _CJK.search(node.value):
                        out.append(("string", _literal(node.value).replace("95%", "")))
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_narrative_has_no_typed_numbers(path):
    nb = nbformat.read(path, as_version=4)
    found = [(kind, text[:60]) for kind, text in _narrative(nb) if _NUMBER.search(text)]
    assert not found, f"{path.name}: numbers typed into the narrative: {found}"


def test_the_number_scan_catches_a_typed_number_but_not_a_reference():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("<!-- zh -->\n各村普遍建有农家书屋，见{fig:facilities}。"),
        nbformat.v4.new_markdown_cell("<!-- note -->\nRun after step 5."),
        nbformat.v4.new_code_cell('text = "全县有线电视入户率达53%"'),
        nbformat.v4.new_code_cell('w.rows(lib=pick(t, level="1"))'),
    ]
    assert [t for _, t in _narrative(nb) if _NUMBER.search(t)] == ["全县有线电视入户率达53%"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_have_the_section_frame(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and nb.cells[0] is tagged[0]
    names = {t.id for t in ast.walk(ast.parse(tagged[0].source)) if isinstance(t, ast.Name)}
    assert names == set(PARAMETERS)
    assert f'notebook = "{path.name}"' in tagged[0].source
    assert nb.cells[1].source == OPEN_CELL and nb.cells[-1].source == SAVE_CELL
    langs = {c.lang for c in report_cells(nb) if not c.note}
    assert {"zh", "en"} <= langs
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_the_report_step_follows_the_estimates():
    run = WaveRun(Study.load(ROOT), "demo-2025")
    assert [s.name for s in wave_steps(run)][-2:] == ["estimate", "report"]
    assert [s.name for s in report_steps(run)] == ["report"]


# ----------------------------------------------------------------------------- executed
@pytest.fixture(scope="module")
def study(repo_root, tmp_path_factory):
    return small_study(repo_root, tmp_path_factory.mktemp("notebooks"))


@pytest.fixture(scope="module")
def report(study):
    run = WaveRun(study, "demo-2025")
    outcome = write_wave_report(run, engine="kernel")
    return run, outcome


@pytest.mark.slow
def test_the_report_step_runs_every_notebook_and_keeps_them(report):
    run, outcome = report
    kept = sorted((run.study.reports_dir(run.wave) / "notebooks").glob("*.ipynb"))
    assert [p.name for p in kept] == [p.name for p in NOTEBOOKS]
    for path in kept:
        nb = nbformat.read(path, as_version=4)
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert injected and "demo-2025" in injected[0].source
        # nothing that changes from run to run: the same wave gives the same notebook file
        assert injected[0]["id"] == f"{path.stem}-parameters"
        assert " at 0x" not in path.read_text(encoding="utf-8")
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        assert not [o for o in outputs if o.get("output_type") == "error"]
        assert not [o for o in outputs if o.get("name") == "stderr"], path.name  # timings, ...
        assert any("text/html" in o.get("data", {}) for o in outputs), path.name
    assert outcome.facts["sections"] == len(NOTEBOOKS)


@pytest.mark.slow
def test_the_demo_report_has_nine_sections_and_its_figures_and_tables(report):
    run, _ = report
    out = run.study.reports_dir(run.wave)
    docx = out / "report.docx"
    with zipfile.ZipFile(docx) as archive:
        body = etree.fromstring(archive.read("word/document.xml"))
        styles = etree.fromstring(archive.read("word/styles.xml"))
    heading1 = {
        s.get(f"{W}styleId")
        for s in styles.iter(f"{W}style")
        if s.find(f"{W}name") is not None and s.find(f"{W}name").get(f"{W}val") == "heading 1"
    }
    top = [
        "".join(t.text or "" for t in p.iter(f"{W}t"))
        for p in body.iter(f"{W}p")
        if p.find(f"{W}pPr/{W}pStyle") is not None
        and p.find(f"{W}pPr/{W}pStyle").get(f"{W}val") in heading1
    ]
    assert [t[:2] for t in top] == [
        "一、",
        "二、",
        "三、",
        "四、",
        "五、",
        "六、",
        "七、",
        "八、",
        "九、",
    ]
    assert "调查方法" in top[0] and "对策建议" in top[-1]
    assert (out / "appendix.docx").is_file()  # sentences left for manual coding: not the body
    assert len(list((out / "figures").glob("*.png"))) >= 8
    assert len(list((out / "tables").glob("*.csv"))) >= 5
    assert len(list(body.iter(f"{W}drawing"))) >= 8
    assert len(list(body.iter(f"{W}tbl"))) >= 5
    assert (out / "report.html").stat().st_size > 0 and (out / "report.md").is_file()


@pytest.mark.slow
def test_every_docx_run_with_chinese_has_the_east_asian_font(report):
    run, _ = report
    assert cjk_runs_without_east_asian_font(run.study.reports_dir(run.wave) / "report.docx") == []


@pytest.mark.slow
def test_a_notebook_runs_with_papermill_on_its_own(study):
    run = WaveRun(study, "demo-2025")
    notebook = study.notebooks_dir / "05_changes.ipynb"
    [(executed, section_file)] = run_notebooks(run, engine="papermill", notebooks=[notebook])
    section = load_section(section_file)
    assert section.title == "与上一轮相比的变化"
    nb = nbformat.read(executed, as_version=4)
    assert nb.metadata["papermill"]["parameters"]["wave"] == "demo-2025"


@pytest.mark.slow
def test_a_failing_notebook_is_named_and_kept_with_its_error(study, tmp_path):
    broken = tmp_path / "09_broken.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell("wave = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("raise ValueError('no such indicator')")]
    nbformat.write(nb, broken)
    run = WaveRun(study, "demo-2025")
    with pytest.raises(SectionError) as err:
        run_notebooks(run, engine="papermill", notebooks=[broken])
    assert err.value.code == "SEC011" and "09_broken.ipynb" in err.value.message
    assert "no such indicator" in err.value.message
    assert Path(err.value.file).is_file()
