"""The report step: run the section notebooks on a wave and assemble the report.

Every notebook of ``study.notebooks_dir`` (``01_facilities.ipynb`` ...) is run with
the papermill parameters ``wave``, ``lang``, ``study_root``, ``section_file`` and
``notebook`` (the notebook's own path: its markdown cells are the section's text,
see ``docs/notebooks.md``);
the executed notebooks are kept in ``reports/<wave>/notebooks/`` for audit, and
the sections they saved are assembled in notebook order into
``reports/<wave>/report.docx``, ``report.html`` and ``report.md`` with every
figure and table as its own file (:func:`analysis.report.write_report`).

Two engines run the notebooks (``[report] engine`` in study.toml):

* ``"kernel"`` (default): papermill parameterises each notebook and nbclient runs
  them one after the other in **one** Jupyter kernel, so the toolkit is imported
  and the wave's data loaded once (the namespace is reset between notebooks);
* ``"papermill"``: ``papermill.execute_notebook`` per notebook, a fresh kernel each.

Both use the ``python3`` kernel, which jupyter_client starts with the interpreter
running the pipeline (ipykernel's own kernel spec), so the notebooks see the same
environment.

Examples
--------
>>> from analysis.study import Study
>>> [s.name for s in report_steps(None)]
['report']
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..errors import SectionError
from ..sections.files import load_section, section_path
from .runner import Step, StepOutcome
from .wave import WaveRun

__all__ = ["ENGINES", "KERNEL_NAME", "report_steps", "run_notebooks", "write_wave_report"]

#: How the notebooks are run (see the module docstring).
ENGINES = ("kernel", "papermill")
#: The Jupyter kernel the notebooks run in.
KERNEL_NAME = "python3"
_TIMEOUT = 600
_NOTEBOOKS = "notebooks"


def _found_notebooks(run: WaveRun) -> list[Path]:
    folder = run.study.notebooks_dir
    return sorted(folder.glob("*.ipynb")) if folder.is_dir() else []


def _notebooks(run: WaveRun) -> list[Path]:
    folder = run.study.notebooks_dir
    found = _found_notebooks(run)
    if not found:
        raise SectionError(
            "SEC010",
            "the study has no report notebooks",
            file=folder,
            expected="one .ipynb per findings section (01_facilities.ipynb ...)",
            found="none",
            hint=(
                "Write one notebook per section: markdown cells for the text, code cells "
                "registering rows, figures and tables on a SectionWriter (docs/notebooks.md); "
                "`baicun init` writes starter notebooks from the study's forms."
            ),
        )
    return found


def _engine(run: WaveRun) -> str:
    engine = run.study.setting("report", "engine", default="kernel")
    if engine not in ENGINES:
        raise SectionError(
            "SEC012",
            f"unknown report engine {engine!r}",
            file=run.study.root / "study.toml",
            expected=" or ".join(ENGINES),
            found=repr(engine),
            hint='Set [report] engine = "kernel" (one kernel, fast) or "papermill".',
        )
    return engine


def _kernels(run: WaveRun) -> int:
    """How many kernels run the notebooks side by side: ``[report] kernels`` of study.toml,
    default 2 on a machine with two cores or more, else 1."""
    import os

    default = 2 if (os.cpu_count() or 1) >= 2 else 1
    value = run.study.setting("report", "kernels", default=default)
    return value if isinstance(value, int) and value >= 1 else default


def _parameters(run: WaveRun, section_file: Path, notebook: Path) -> dict[str, Any]:
    return {
        "wave": run.wave,
        "lang": run.lang,
        "study_root": str(run.study.root),
        "section_file": str(section_file),
        "notebook": str(notebook),
    }


def _failure(notebook: Path, executed: Path, exc: Exception) -> SectionError:
    name = getattr(exc, "ename", type(exc).__name__)
    value = str(getattr(exc, "evalue", "") or exc).strip().splitlines()
    return SectionError(
        "SEC011",
        f"notebook {notebook.name} failed: {name}: {value[0] if value else ''}",
        file=executed,
        found="\n".join(value[:8]),
        hint="Open the executed notebook (it is kept with its error) to see the failing cell.",
    )


def _run_in_one_kernel(
    jobs: Sequence[tuple[Path, Path, dict]],
    cwd: Path,
    log: Path | None = None,
    done: Callable[[Path], None] | None = None,
) -> None:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    first: NotebookClient | None = None
    stderr = open(log, "w", encoding="utf-8") if log is not None else None
    try:
        for source, executed, params in jobs:
            nb = parameterize_notebook(load_notebook_node(str(source)), params)
            for cell in nb.cells:  # papermill gives its cell a random id: name it instead
                if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
                    cell["id"] = f"{source.stem}-parameters"
            client = NotebookClient(
                nb,
                km=None if first is None else first.km,
                kernel_name=KERNEL_NAME,
                timeout=_TIMEOUT,
                record_timing=False,  # no clock times: the same inputs give the same files
                resources={"metadata": {"path": str(cwd)}},
            )
            if first is not None:
                client.kc = first.kc
                reset = first.kc.execute("%reset -f", silent=True)
                first.wait_for_reply(reset)
            try:
                if first is None:
                    first = client
                    client.execute(cleanup_kc=False, cwd=str(cwd), stderr=stderr)
                else:
                    client.execute()
            except CellExecutionError as exc:
                nbformat.write(nb, executed)
                raise _failure(source, executed, exc) from None
            nbformat.write(nb, executed)
            if done is not None:
                done(Path(params["section_file"]))
    finally:
        if first is not None and first.km is not None:
            first._cleanup_kernel()
        if stderr is not None:
            stderr.close()


def _run_with_papermill(
    jobs: Sequence[tuple[Path, Path, dict]],
    cwd: Path,
    done: Callable[[Path], None] | None = None,
) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    for source, executed, params in jobs:
        try:
            papermill.execute_notebook(
                str(source),
                str(executed),
                parameters=params,
                kernel_name=KERNEL_NAME,
                cwd=str(cwd),
                progress_bar=False,
                log_output=False,
                execution_timeout=_TIMEOUT,
            )
        except PapermillExecutionError as exc:
            raise _failure(source, executed, exc) from None
        if done is not None:
            done(Path(params["section_file"]))


def run_notebooks(
    run: WaveRun,
    *,
    engine: str | None = None,
    notebooks: Sequence[Path] | None = None,
    done: Callable[[Path], None] | None = None,
) -> list[tuple[Path, Path]]:
    """Run the section notebooks on the wave; returns (executed notebook, section file) pairs.

    Executed notebooks go to ``reports/<wave>/notebooks/``; section files to the
    wave's work folder. ``done`` is called with each section file as soon as its
    notebook has run (the report step renders its figures meanwhile). Raises ``SEC011``
    naming the notebook that failed (its executed copy, with the error, is kept).
    """
    engine = engine or _engine(run)
    if engine not in ENGINES:
        raise SectionError(
            "SEC012",
            f"unknown report engine {engine!r}",
            expected=" or ".join(ENGINES),
            found=repr(engine),
            hint='Use engine="kernel" or engine="papermill".',
        )
    sources = list(notebooks) if notebooks is not None else _notebooks(run)
    executed_dir = run.study.reports_dir(run.wave) / _NOTEBOOKS
    sections_dir = run.work / "sections"
    for folder in (executed_dir, sections_dir):
        if folder.is_dir():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    jobs = []
    for source in sources:
        target = section_path(sections_dir, source.stem)
        jobs.append(
            (source, executed_dir / source.name, _parameters(run, target, source.resolve()))
        )
    if engine == "kernel":
        # the kernel's own messages (start-up warnings, crashes) go to a log, not the console
        n = min(_kernels(run), len(jobs))
        if n <= 1:
            _run_in_one_kernel(jobs, run.study.root, run.work / "report-kernel.log", done)
        else:
            # notebooks dealt round-robin to n kernels running side by side (each section
            # is independent; numbering happens at assembly, so the report is the same)
            with ThreadPoolExecutor(max_workers=n, thread_name_prefix="baicun-kernel") as ex:
                runs = [
                    ex.submit(
                        _run_in_one_kernel,
                        jobs[i::n],
                        run.study.root,
                        run.work / f"report-kernel-{i + 1}.log",
                        done,
                    )
                    for i in range(n)
                ]
                for r in runs:
                    r.result()
    else:
        _run_with_papermill(jobs, run.study.root, done)
    return [(executed, Path(params["section_file"])) for _, executed, params in jobs]


def _title(run: WaveRun) -> tuple[str, str]:
    study = run.study
    if run.lang == "en":
        name = study.setting("study", "name_en", default=study.name)
        label = study.wave_label(run.wave, "en")
        return study.setting("report", "title_en", default=f"{name}: findings"), f"Wave {label}"
    return study.setting(
        "report", "title", default=f"{study.name}分析报告"
    ), f"调查轮次：{study.wave_label(run.wave)}"


def _rendered_section(section_file: Path) -> Any:
    """A saved section with every figure rendered (PNG and SVG), for the assembly."""
    from ..sections.files import render_figures

    return render_figures(load_section(section_file))


def write_wave_report(run: WaveRun, *, engine: str | None = None) -> StepOutcome:
    """Run the notebooks and write ``reports/<wave>/report.docx|.html|.md`` with figures and tables.

    A study without notebooks gets no report (the step says so and succeeds).
    """
    from ..report import write_report

    if not _found_notebooks(run):
        folder = run.study.notebooks_dir.relative_to(run.study.root).as_posix()
        return StepOutcome(summary=f"no notebooks in {folder}/: no report written")
    blocked = [n for n in run.inventory.exports if run.blocked(n)]
    if blocked:  # the notebooks load each instrument's cleaned data in memory
        return StepOutcome(
            summary=f"no report written: {', '.join(blocked)} processed in blocks (the report "
            "notebooks load the cleaned data in memory; analyse the parquet files with "
            "SurveyDesign.from_parquet)",
            facts={"not_written": {"blocks": blocked}},
        )
    started = time.perf_counter()
    # While the kernel runs the next notebook, a thread here draws the SVGs of the
    # sections done (the kernel drew their PNGs for its preview): two cores at work.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="baicun-render") as pool:
        rendering: dict[Path, Future] = {}

        def section_done(section_file: Path) -> None:
            if section_file.is_file():
                rendering[section_file] = pool.submit(_rendered_section, section_file)

        done = run_notebooks(run, engine=engine, done=section_done)
        ran = time.perf_counter() - started
        sections = [rendering[f].result() if f in rendering else load_section(f) for _, f in done]
    out = run.study.reports_dir(run.wave)
    for folder in ("figures", "tables"):
        if (out / folder).is_dir():
            shutil.rmtree(out / folder)  # numbering may have changed: no stale files
    title, subtitle = _title(run)
    written = write_report(sections, out, title=title, subtitle=subtitle, lang=run.lang)
    figures = [p for p in written["figures"] if p.suffix == ".png"]
    tables = [p for p in written["tables"] if p.suffix == ".csv"]
    timing = {
        "notebooks_seconds": round(ran, 2),
        "assembly_seconds": round(time.perf_counter() - started - ran, 2),
    }
    (run.work / "report-timing.json").write_text(json.dumps(timing), encoding="utf-8")
    outputs = [
        written["docx"],
        written["html"],
        written["md"],
        *written["figures"],
        *written["tables"],
        *written.get("appendix", []),
        *(executed for executed, _ in done),
    ]
    return StepOutcome(
        outputs=outputs,
        summary=f"{len(sections)} sections, {len(figures)} figures, {len(tables)} tables "
        f"-> {written['docx'].relative_to(run.study.root).as_posix()}",
        facts={"sections": len(sections), "figures": len(figures), "tables": len(tables)},
    )


def _inputs(run: WaveRun) -> list[Path]:
    from ..sections.context import previous_wave

    waves = [run.wave]
    previous = previous_wave(run.study, run.wave)
    if previous is not None:
        waves.append(previous)
    files = [run.study.cleaned_file(w, name) for w in waves for name in run.study.instrument_names]
    surveys = run.study.surveys_dir
    codebooks = sorted(surveys.glob("*.yaml")) if surveys.is_dir() else []
    return [*files, *codebooks, *_found_notebooks(run)]


def _key(run: WaveRun) -> str:
    return json.dumps(
        {
            "report": run.study.setting("report", default={}),
            "design": run.study.setting("design", default={}),
            "waves": list(run.study.waves),
            "lang": run.lang,
        },
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )


def report_steps(run: WaveRun | None) -> list[Step]:
    """The report step, to run after the wave's estimate step."""
    return [Step("report", inputs=_inputs, run=write_wave_report, key=_key)]
