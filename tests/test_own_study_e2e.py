"""Two teams' own studies end to end through the command line, with no Python of the team.

The REACH MSNA template (analysistools: form, 100 households, list of analyses, published
results) and the REACH cleaningtools study (form, 632 raw records, cleaning log, clean
data) each go ``baicun init`` -> ``baicun new-wave`` -> the export copied into the wave ->
(``baicun corrections import`` of the cleaning log) -> (``baicun estimates import`` of
the list of analyses) -> ``baicun run`` (exit 0 or 1, never 2): validation summary,
cleaned data in every format, estimate tables and a report assembled from the notebooks
(the starter notebook ``baicun init`` wrote, and for the MSNA a second section the team
wrote as a notebook: markdown narrative and builder calls, no Python module).

What the team does by hand is what a person does in a spreadsheet or in Jupyter: delete
the five instruction rows of the MSNA form that the coded error names (``INS018``), write
a list of analyses as a CSV, write a notebook.

Measured on a 2-core machine shared with other jobs (load average about 10): 34 s wall,
12 s CPU (MSNA) and 47 s wall, 14 s CPU (cleaningtools), most of it validation, writing
three formats and the report step's notebook kernel; hence ``slow``.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pyreadstat
import pytest

from analysis.cli import main
from analysis.corrections.values import display
from analysis.instrument import load_instrument
from analysis.readers import read_raw
from analysis.sections.notebooks import section_notebook, write_notebook

ROOT = Path(__file__).resolve().parents[1]
REAL = (ROOT / ".." / "shared" / "realdata").resolve()
REACH = REAL / "exports" / "reach_msna"
MSNA_FORM = REAL / "xlsform" / "reach_impact" / "analysistools_MSNA_template_kobo_tool.xlsx"
MSNA_DATA = REACH / "analysistools_MSNA_template_data.csv"
MSNA_LOA = REACH / "analysistools_MSNA_template_loa.csv"
MSNA_RESULTS = REACH / "analysistools_MSNA_template_no_ratio_results_table.csv"
CT_FORM = REAL / "xlsform" / "reach_impact" / "cleaningtools_survey.csv"
CT_RAW = REACH / "cleaningtools_raw_data.csv"
CT_LOG = REACH / "cleaningtools_cleaning_log.csv"
CT_CLEAN = REACH / "cleaningtools_clean_data.csv"
#: The instruction rows of the MSNA template's survey sheet (a label and nothing else).
INSTRUCTION_ROWS = (66, 69, 79, 91, 102)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.realdata,
    pytest.mark.skipif(
        not all(p.is_file() for p in (MSNA_FORM, MSNA_DATA, CT_FORM, CT_RAW, CT_LOG)),
        reason="the REACH forms and exports (../shared/realdata) are absent",
    ),
]

#: The section a team wrote in Jupyter for the MSNA report: text in markdown cells,
#: numbers from builder calls and from an [[estimates]] table of the wave.
TEAM_CELLS = [
    ("markdown", "# Drinking water and income"),
    (
        "code",
        """\
import pandas as pd
from analysis.report import report_table
from analysis.sections.summary import shares_block

water = shares_block(ctx, "msna", "wash_drinkingwatersource")
w.rows(source=water.rows["top"])
w.figure("water_sources", water.figure, "Main source of drinking water")

estimates = ctx.study.processed_dir(ctx.wave) / "estimates"
income = pd.read_csv(estimates / "mean_income_v1_salaried_work_by_admin1.csv")
w.rows(high=income.loc[income["estimate"].idxmax()], low=income.loc[income["estimate"].idxmin()])
w.table("income", report_table(income, columns=["admin1", "estimate", "ci", "n"],
        labels={"admin1": "Area"}, percent=False, lang=w.lang),
        "Mean income from salaried work by area")""",
    ),
    (
        "markdown",
        "## Where households get their drinking water\n\n"
        "The most common main source of drinking water is {source.item}: "
        "{source:pct}{source:ci} of households (see {fig:water_sources}).\n\n"
        "{fig:water_sources}",
    ),
    (
        "markdown",
        "## Income from salaried work\n\n"
        "The mean income from salaried work ranges from {low:num} in {low.admin1} to "
        "{high:num} in {high.admin1} (see {tab:income}); the intervals use the degrees of "
        "freedom of the whole design, as REACH's analysistools do.\n\n{tab:income}",
    ),
]


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the report kernel)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _without_rows(form: Path, rows: tuple[int, ...], folder: Path) -> Path:
    """A copy of the form without the given survey rows (the team's edit in Excel)."""
    folder.mkdir(parents=True, exist_ok=True)
    book = openpyxl.load_workbook(form)
    for row in sorted(rows, reverse=True):
        book["survey"].delete_rows(row)
    copy = folder / form.name
    book.save(copy)
    return copy


def _issues(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "data/processed/w1/validation_issues.csv", dtype=str)


def _check_outputs(folder: Path, instrument: str, records: int) -> None:
    out = folder / "data" / "processed" / "w1"
    assert len(pd.read_parquet(out / f"{instrument}.parquet")) == records
    for suffix, read in ((".sav", pyreadstat.read_sav), (".dta", pyreadstat.read_dta)):
        _, meta = read(str(out / f"{instrument}{suffix}"), metadataonly=True)
        assert meta.number_rows == records
    html = (out / "validation.html").read_text(encoding="utf-8")
    # the summary by rule and by question, in the study's language only (English here)
    assert "1. Overview" in html and "2. By question" in html
    assert "概览" not in html
    report = folder / "reports" / "w1"
    assert {p.name for p in report.glob("report.*")} == {"report.docx", "report.html", "report.md"}


def test_reach_msna_from_init_to_report(tmp_path, monkeypatch, capsys):
    start, cpu = time.perf_counter(), _cpu()
    folder = tmp_path / "msna"
    assert main(["init", str(folder), f"msna={MSNA_FORM}"]) == 2
    err = capsys.readouterr().err
    assert "[INS018]" in err and "rows 66, 69, 79, 91, 102" in err  # the form really is broken
    # the team deletes the five instruction rows the error names, in its own copy of the form
    form = _without_rows(MSNA_FORM, INSTRUCTION_ROWS, tmp_path / "team")
    assert main(["init", str(folder), f"msna={form}"]) == 0
    assert (folder / "notebooks" / "01_msna.ipynb").is_file()  # the starter section
    monkeypatch.chdir(folder)
    assert main(["new-wave", "w1"]) == 0
    shutil.copy(MSNA_DATA, folder / "data" / "raw" / "w1" / "msna.csv")
    assert main(["estimates", "import", str(MSNA_LOA), "--instrument", "msna"]) == 0
    nb = section_notebook("02_water", TEAM_CELLS)
    write_notebook(folder / "notebooks" / "02_water.ipynb", nb)
    assert main(["run", "--wave", "w1"]) in (0, 1)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu

    _check_outputs(folder, "msna", 100)
    issues = _issues(folder)
    counts = issues["code"].value_counts()
    # the four wording calculations stored with '|' for ' or ': one info each, not 400 warnings
    assert counts["VAL320"] == 4
    wording = issues["variable"].str.endswith("_question_select") & (issues["code"] == "VAL123")
    assert set(issues.loc[wording, "variable"]) == {"health_barriers_question_select"}
    assert counts["VAL123"] == 126

    tables = folder / "data" / "processed" / "w1" / "estimates"
    assert len(list(tables.glob("*.csv"))) == 13
    ours = pd.read_csv(tables / "mean_income_v1_salaried_work_by_admin1.csv")
    theirs = pd.read_csv(MSNA_RESULTS)
    theirs = theirs[
        (theirs["analysis_type"] == "mean")
        & (theirs["analysis_var"] == "income_v1_salaried_work")
        & (theirs["group_var"] == "admin1")
    ].set_index("group_var_value")
    for row in ours.itertuples():
        published = theirs.loc[row.admin1]
        assert row.estimate == pytest.approx(published["stat"], rel=1e-9)
        assert row.ci_low == pytest.approx(published["stat_low"], rel=1e-9)
        assert row.ci_high == pytest.approx(published["stat_upp"], rel=1e-9)

    text = (folder / "reports" / "w1" / "report.md").read_text(encoding="utf-8")
    assert "## 1. IMPACT MSNA template" in text and "## 2. Drinking water and income" in text
    assert "### 1.2 Protection" in text and "### 1.1 General questions" in text
    assert "The most common main source of drinking water is " in text
    assert "ranges from 19.8 in admin1b to 20.3 in admin1c (see Table 12)" in text
    assert "(see Figure 1)" in text
    executed = folder / "reports" / "w1" / "notebooks"
    assert sorted(p.name for p in executed.glob("*.ipynb")) == ["01_msna.ipynb", "02_water.ipynb"]
    print(f"REACH MSNA end to end: {seconds:.1f} s ({cpu:.1f} s CPU); issues {dict(counts)}")


def test_cleaningtools_from_init_to_report(tmp_path, monkeypatch, capsys):
    start, cpu = time.perf_counter(), _cpu()
    folder = tmp_path / "ct"
    assert main(["init", str(folder), str(CT_FORM)]) == 0  # survey CSV + choices CSV beside it
    monkeypatch.chdir(folder)
    assert main(["new-wave", "w1"]) == 0
    shutil.copy(CT_RAW, folder / "data" / "raw" / "w1" / "cleaningtools.csv")
    # the log names no one and 4 rows give no reason nor issue: the team says who and why
    status = main(["corrections", "import", str(CT_LOG), "--instrument", "cleaningtools",
                   "--study-wave", "w1", "--who", "REACH field team", "--date", "2021-07-31",
                   "--reason", "checked with the field team"])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 1  # rows left out (duplicates, confirmations of no question): reported
    assert "checked against cleaningtools.csv" in out and "duplicate: 136" in out
    loa = folder / "analyses.csv"  # the team's list of analyses, written as a CSV
    loa.write_text(
        "analysis_type,analysis_var,group_var,level\n"
        "prop_select_one,water_source_drinking,,0.95\n"
        "prop_select_multiple,water_sources,,0.95\n"
        "mean,tot_expenses,,0.95\n"
        "median,tot_expenses,displace_status,0.95\n",
        encoding="utf-8",
    )
    assert main(["estimates", "import", str(loa), "--instrument", "cleaningtools"]) == 0
    assert main(["run", "--wave", "w1"]) in (0, 1)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu

    _check_outputs(folder, "cleaningtools", 578)  # 54 records dropped by the log
    tables = folder / "data" / "processed" / "w1" / "estimates"
    assert len(list(tables.glob("*.csv"))) == 4
    # the cleaned data against cleaningtools' own clean data, cell by cell
    form = load_instrument(folder / "surveys" / "cleaningtools_survey.csv")
    theirs = read_raw(CT_CLEAN, form).data.set_index("_key")
    ours = pd.read_parquet(folder / "data/processed/w1/cleaningtools.parquet").set_index("_key")
    assert sorted(ours.index) == sorted(theirs.index)
    columns = [c for c in ours.columns if c in theirs.columns and c != "_source_row"]
    equal = total = 0
    for column in columns:
        same = ours.loc[theirs.index, column].map(display) == theirs[column].map(display)
        equal, total = equal + int(same.sum()), total + len(same)
    assert (equal, total) == (265_274, 265_302)  # 99.989%: the 28 cells explained in
    # tests/test_corrections_import.py::test_reach_log_applied_to_raw_gives_their_clean_data

    text = (folder / "reports" / "w1" / "report.md").read_text(encoding="utf-8")
    assert "### 1.4 Water Sources" in text
    executed = nbformat.read(folder / "reports/w1/notebooks/01_cleaningtools.ipynb", as_version=4)
    assert not any(
        o.get("output_type") == "error" for c in executed.cells for o in c.get("outputs", [])
    )
    print(f"cleaningtools end to end: {seconds:.1f} s ({cpu:.1f} s CPU); cells {equal}/{total}")
