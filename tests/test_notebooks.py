"""The report notebooks: thin, free of typed numbers, runnable with papermill; the assembled report."""

from __future__ import annotations

import ast
import re
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
from analysis.sections import SECTIONS, SectionError, load_section
from analysis.sections.notebooks import PARAMETERS, notebook_name, write_notebooks

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_NUMBER = re.compile(r"[0-9０-９]")


def test_there_is_one_notebook_per_section_as_generated(tmp_path):
    assert [p.name for p in NOTEBOOKS] == [notebook_name(s) for s in SECTIONS]
    fresh = {p.name: p.read_bytes() for p in write_notebooks(tmp_path)}
    for path in NOTEBOOKS:
        assert path.read_bytes() == fresh[path.name], (
            f"{path.name} differs from its template: run `python -m analysis.sections.notebooks notebooks`"
        )


def _narrative(nb) -> list[tuple[str, str]]:
    """Markdown text and string literals of code cells (comments are not narrative)."""
    out = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            out.append(("markdown", cell.source))
        elif cell.cell_type == "code":
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    out.append(("string", node.value))
                elif isinstance(node, ast.JoinedStr):
                    out.append(("f-string", ast.unparse(node)))
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_narrative_has_no_typed_numbers(path):
    nb = nbformat.read(path, as_version=4)
    found = [(kind, text[:60]) for kind, text in _narrative(nb) if _NUMBER.search(text)]
    assert not found, f"{path.name}: numbers typed into the narrative: {found}"


def test_the_number_scan_catches_a_typed_number():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("各村普遍建有农家书屋。"),
        nbformat.v4.new_code_cell('text = "全县有线电视入户率达53%"'),
    ]
    assert [t for _, t in _narrative(nb) if _NUMBER.search(t)] == ["全县有线电视入户率达53%"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_thin_and_parameterised(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    names = {t.id for t in ast.walk(ast.parse(tagged[0].source)) if isinstance(t, ast.Name)}
    assert names == set(PARAMETERS)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert len(code.splitlines()) <= 15
    tree = ast.parse(code)
    assert not any(isinstance(n, ast.FunctionDef | ast.ClassDef | ast.For) for n in ast.walk(tree))
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
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        assert not [o for o in outputs if o.get("output_type") == "error"]
        assert any("text/html" in o.get("data", {}) for o in outputs), path.name
    assert outcome.facts["sections"] == len(SECTIONS)


@pytest.mark.slow
def test_the_demo_report_has_five_sections_eight_figures_five_tables(report):
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
    assert [t[:2] for t in top] == ["一、", "二、", "三、", "四、", "五、"]
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
    notebook = study.notebooks_dir / notebook_name("changes")
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
