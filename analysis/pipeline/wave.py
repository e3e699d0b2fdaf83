"""The wave pipeline: raw exports in, cleaned data, validation report and estimates out.

Steps (each skipped when its inputs have not changed since the last run):

1. **read** every instrument's raw export with :func:`analysis.readers.read_raw`;
2. **correct**: apply ``corrections.csv`` in order (:mod:`analysis.corrections`);
   dropped records go to a quarantine with their reason;
3. **validate** the corrected data against the instrument's own logic
   (:func:`analysis.validate.validate`) and write the validation report;
4. **write** labelled parquet, .sav and .dta, codebooks, and the quarantine;
5. **estimate** the tables ``study.toml`` declares (``[[estimates]]``).

The manifest (``data/processed/<wave>/manifest.json``) records the raw inputs' hashes,
the instruments' versions, the package version, the versions of Python and of the
libraries that produced the outputs (pandas, numpy, pyarrow, pyreadstat, statsmodels,
pyxform), the record counts (raw = cleaned + quarantined, checked) and every output's
hash; it holds no clock time, so two runs on the same inputs (and versions) give identical
files. Run times go to ``run-log.json``.
"""

from __future__ import annotations

import json
import pickle
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import BaicunError, StudyError
from ..study import WORK_FOLDER, Study
from .atomic import complete_or_restore, remove_stale
from .blockmode import BlockSettings, CleanBlocks, block_settings
from .folders import MANIFEST_NAME
from .inventory import RawInventory, raw_inventory
from .runner import Step, StepOutcome, StepRecord, hash_files, run_steps
from .versions import library_versions

__all__ = ["WaveResult", "WaveRun", "blocking_issues", "closing_line", "run_wave", "wave_steps"]


@dataclass(frozen=True)
class WaveRun:
    """What every step needs: the study, the wave and the language of labels."""

    study: Study
    wave: str
    lang: str = "zh"

    @property
    def raw(self) -> Path:
        return self.study.raw_dir(self.wave)

    @cached_property
    def inventory(self) -> RawInventory:
        """The raw folder, matched once per run (every step reads the same exports)."""
        return raw_inventory(self.study, self.wave)

    @property
    def out(self) -> Path:
        return self.study.processed_dir(self.wave)

    @property
    def work(self) -> Path:
        return self.study.work_dir(self.wave)

    def cleaned(self, name: str) -> Path:
        """The cleaned data of instrument ``name`` (:meth:`analysis.study.Study.cleaned_file`)."""
        return self.study.cleaned_file(self.wave, name)

    def form(self, name: str) -> Path:
        return self.study.form_path(name, self.wave)

    @cached_property
    def blocks(self) -> BlockSettings:
        """``[pipeline]`` block settings (:mod:`analysis.pipeline.blockmode`)."""
        return block_settings(self.study)

    @cached_property
    def in_blocks(self) -> dict[str, str | None]:
        """Per instrument read in blocks: ``None``, or why it is read whole all the same."""
        from ..readers.blocks import block_support

        out: dict[str, str | None] = {}
        for name, path in self.inventory.exports.items():
            if self.blocks.wants(path):
                out[name] = block_support(path)
        return out

    def blocked(self, name: str) -> bool:
        """True when instrument ``name`` is processed in blocks in this wave."""
        return name in self.in_blocks and self.in_blocks[name] is None

    def raw_blocks(self, name: str) -> Path:
        """The folder of the raw blocks of ``name`` (block mode)."""
        return self.work / f"raw-{name}.blocks"

    def clean_blocks(self, name: str) -> Path:
        """The folder of the cleaned blocks of ``name`` (block mode)."""
        return self.work / f"clean-{name}.blocks"

    def raw_of(self, name: str) -> Path:
        """What the read step keeps of ``name``: a pickle, or the blocks' folder."""
        return self.raw_blocks(name) if self.blocked(name) else self.work / f"raw-{name}.pkl"

    def clean_of(self, name: str) -> Path:
        """What the correct step keeps of ``name``: a pickle, or the blocks' folder."""
        return self.clean_blocks(name) if self.blocked(name) else self.cleaned(name)


@dataclass(frozen=True)
class WaveResult:
    """The outcome of :func:`run_wave`."""

    wave: str
    steps: tuple[StepRecord, ...]
    blocking: bool
    manifest: Path
    facts: dict[str, Any] = field(default_factory=dict)


def _dump(obj: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(obj, protocol=5))
    return path


def _load(path: Path) -> Any:
    return pickle.loads(path.read_bytes())


def _instruments_present(run: WaveRun) -> list[tuple[str, Path]]:
    """Each instrument's export, after every file of the raw folder was accounted for."""
    return list(run.inventory.exports.items())


# ----------------------------------------------------------------------------- steps
def _read_inputs(run: WaveRun) -> list[Path]:
    present = _instruments_present(run)
    return [path for _, path in present] + [run.form(name) for name, _ in present]


def _read(run: WaveRun) -> StepOutcome:
    from ..instrument import load_instrument
    from ..readers import read_raw

    inventory = run.inventory
    outputs, counts, issues = [], {}, 0
    whole: dict[str, str] = {}
    for name, path in inventory.exports.items():
        if run.blocked(name):
            from ..readers.blocks import read_blocks

            blocks = read_blocks(
                path, load_instrument(run.form(name)), block_records=run.blocks.records,
                folder=run.raw_blocks(name),
            )  # fmt: skip
            outputs.append(run.raw_blocks(name))
            counts[name] = dict(blocks.counts)
            issues += blocks.notes
            (run.work / f"raw-{name}.pkl").unlink(missing_ok=True)  # of an in-memory run
            continue
        if name in run.in_blocks:
            whole[name] = str(run.in_blocks[name])
        shutil.rmtree(run.raw_blocks(name), ignore_errors=True)  # of a run in blocks
        data = read_raw(path, load_instrument(run.form(name)))
        outputs.append(_dump(data, run.work / f"raw-{name}.pkl"))
        counts[name] = data.counts()
        issues += len(data.issues)
    summary = ", ".join(f"{n} {c.get('main', 0)}" for n, c in counts.items())
    summary = f"records: {summary}; {issues} reader notes"
    blocked = [n for n in inventory.exports if run.blocked(n)]
    if blocked:
        summary += f"; in blocks of {run.blocks.records}: {', '.join(blocked)}"
    if whole:
        summary += "; read whole: " + ", ".join(f"{n} ({why})" for n, why in whole.items())
    if inventory.optional_missing:
        summary += f"; not fielded: {', '.join(inventory.optional_missing)}"
    if inventory.ignored:
        summary += f"; ignored: {', '.join(p.name for p in inventory.ignored)}"
    return StepOutcome(
        outputs=outputs,
        summary=summary,
        facts={
            "raw_counts": counts,
            "files": {name: path.name for name, path in inventory.exports.items()},
            "not_fielded": list(inventory.optional_missing),
            "ignored": [p.relative_to(run.raw).as_posix() for p in inventory.ignored],
            **({"blocks": {n: run.blocks.records for n in blocked}} if blocked else {}),
            **({"read_whole": whole} if whole else {}),
        },
    )


def _correct_inputs(run: WaveRun) -> list[Path]:
    names = [n for n, _ in _instruments_present(run)]
    return [run.raw_of(n) for n in names] + [run.raw / "corrections.csv"]


def _correct(run: WaveRun) -> StepOutcome:
    from ..corrections import apply_corrections, read_corrections
    from ..instrument import load_instrument

    log = read_corrections(run.raw / "corrections.csv", study=run.study, missing_ok=True)
    outputs, applied, dropped = [], 0, 0
    logs = []
    for name, _ in _instruments_present(run):
        if run.blocked(name):
            result = _correct_blocks(run, name, log)
            outputs.append(run.clean_blocks(name))
        else:
            shutil.rmtree(run.clean_blocks(name), ignore_errors=True)  # of a run in blocks
            raw = _load(run.work / f"raw-{name}.pkl")
            result = apply_corrections(
                raw, log, instrument=load_instrument(run.form(name)), name=name, study=run.study
            )
            outputs.append(_dump(result, run.cleaned(name)))
        applied += len(result.log)
        dropped += sum(len(q) for q in result.quarantine.values())
        if len(result.log):
            logs.append(
                result.log.assign(instrument=name) if "instrument" not in result.log else result.log
            )
    run.out.mkdir(parents=True, exist_ok=True)
    log_path = run.out / "cleaning_log.csv"
    frame = pd.concat(logs, ignore_index=True) if logs else pd.DataFrame()
    frame.to_csv(log_path, index=False, encoding="utf-8")
    outputs.append(log_path)
    return StepOutcome(
        outputs=outputs, summary=f"{applied} corrections applied, {dropped} records quarantined"
    )


def _correct_blocks(run: WaveRun, name: str, log: Any) -> CleanBlocks:
    """The correct step of an instrument in blocks (:mod:`analysis.pipeline.blockmode`)."""
    from ..corrections.blocks import correct_blocks
    from ..instrument import load_instrument
    from ..readers.blocks import BlockSet

    run.cleaned(name).unlink(missing_ok=True)  # no whole-data pickle beside the blocks
    shutil.rmtree(run.clean_blocks(name), ignore_errors=True)
    clean = CleanBlocks(run.clean_blocks(name))
    done = correct_blocks(
        BlockSet.load(run.raw_blocks(name)), log, instrument=load_instrument(run.form(name)),
        keep=clean.keep, name=name, study=run.study,
    )  # fmt: skip
    clean.folder.mkdir(parents=True, exist_ok=True)
    clean.log, clean.quarantine, clean.confirmed = done.log, dict(done.quarantine), done.confirmed
    clean.raw_counts, clean.counts = dict(done.raw_counts), dict(done.counts)
    clean.save()
    return clean


def _clean_inputs(run: WaveRun) -> list[Path]:
    return [run.clean_of(n) for n, _ in _instruments_present(run)]


def _panel_previous(run: WaveRun) -> dict[str, Path]:
    """The previous wave's cleaned data of each panel instrument of this wave.

    Panel instruments are those with a ``[validate.panel.<instrument>]`` section in
    study.toml (the same units wave after wave, e.g. the villages); their records are
    checked against the previous wave's (units gone, units new, stable fields changed).
    """
    before = run.study.wave_before(run.wave)
    panel = run.study.setting("validate", "panel", default={}) or {}
    if before is None or not panel:
        return {}
    previous = WaveRun(run.study, before, run.lang)
    present = {n for n, _ in _instruments_present(run)}
    # the previous wave's cleaned blocks if it was processed in blocks, else its pickle
    return {
        n: previous.clean_blocks(n) if previous.clean_blocks(n).is_dir() else previous.cleaned(n)
        for n in panel
        if n in present
    }


def _validate_inputs(run: WaveRun) -> list[Path]:
    return _clean_inputs(run) + [p for p in _panel_previous(run).values() if p.exists()]


def _panel_data(run: WaveRun, name: str, previous: Any) -> tuple[Any, str]:
    """The previous wave's data of a panel instrument in this wave's terms, and what
    the step says about it: collected with an older form, it is renamed and recoded by
    the study's harmonisation map (``[harmonise.<instrument>]``) first."""
    from ..instrument.harmonise import harmonise, map_between

    before = run.study.wave_before(run.wave)
    h = map_between(run.study, name, run.wave, before)
    if h is None:
        return previous, f"checked against {before}"
    data = replace(previous, data=harmonise(previous.data, h))
    return data, f"checked against {before}, harmonised to this wave's form"


def _validate(run: WaveRun) -> StepOutcome:
    from ..validate import combine_compact

    results, panel_facts = _validate_each(run)  # the data is let go on return
    by_severity = (
        pd.concat([r.issues["severity"] for r in results], ignore_index=True)
        .value_counts()
        .to_dict()
        if results
        else {}
    )
    # one table of every instrument's issues for the report, the CSV and the summary
    combined, overview = combine_compact(results)
    del results
    return _validation_outputs(run, combined, overview, by_severity, panel_facts)


def _validate_each(run: WaveRun) -> tuple[list[Any], dict[str, str]]:
    """Every instrument's validation result, and what was said of its panel check."""
    from ..instrument import load_instrument
    from ..validate import validate, validate_blocks
    from .blockmode import concat_blocks

    names = [n for n, _ in _instruments_present(run)]
    cleaned = {
        n: CleanBlocks.load(run.clean_blocks(n)) if run.blocked(n) else _load(run.cleaned(n))
        for n in names
    }
    datasets = {n: r.data for n, r in cleaned.items() if not isinstance(r, CleanBlocks)}
    parents = {run.study.instrument(n).parent for n in names if n in run.study.instrument_names}
    for n, r in cleaned.items():  # a parent in blocks is needed whole by its children's links
        if isinstance(r, CleanBlocks) and n in parents:
            datasets[n] = concat_blocks(r.blocks())
    panel = _panel_previous(run)
    before = run.study.wave_before(run.wave)
    panel_facts: dict[str, str] = {}
    results = []
    for name, result in cleaned.items():
        others = {k: v for k, v in datasets.items() if k != name}
        previous = None
        if name in panel:
            if panel[name].exists():
                before_data = (
                    concat_blocks(CleanBlocks.load(panel[name]).blocks())
                    if panel[name].is_dir()
                    else _load(panel[name]).data
                )
                previous, panel_facts[name] = _panel_data(run, name, before_data)
            else:  # said in the summary and the manifest, not skipped silently
                panel_facts[name] = (
                    f"NOT checked against {before}: run `baicun run --wave {before}` first"
                )
        if isinstance(result, CleanBlocks):
            results.append(
                validate_blocks(
                    result.blocks,
                    load_instrument(run.form(name)),
                    study=run.study,
                    others={k: v for k, v in datasets.items() if k != name},
                    previous=previous,
                    name=name,
                    confirmed=result.confirmed,
                    lang=run.lang,
                )
            )
            continue
        results.append(
            validate(
                result.data,
                load_instrument(run.form(name)),
                study=run.study,
                others=others,
                previous=previous,
                name=name,
                confirmed=result.confirmed,
                lang=run.lang,
            )
        )
    return results, panel_facts


def _validation_outputs(
    run: WaveRun,
    combined: Any,
    overview: pd.DataFrame,
    by_severity: dict[str, int],
    panel_facts: dict[str, str],
) -> StepOutcome:
    """The validate step's report, issues CSV and summary of the combined result (and its
    overview, :func:`analysis.validate.combine_compact`): the issues table is not copied
    (a wave of a million households logs millions of issues)."""
    from ..validate import write_report

    paths = write_report(combined, run.out, stem="validation", overview=overview)
    issues = combined.issues
    issues_path = run.out / "validation_issues.csv"
    _write_issues(issues, issues_path)
    stops = _blocking(issues, run.study)
    blocking = {c: issues[c][stops] for c in ("check", "code")}  # not a copy of every column
    summary = ", ".join(f"{v} {k}s" for k, v in sorted(by_severity.items())) or "no issues"
    count = int(stops.sum())
    if count:
        summary += f"; {count} BLOCKING ({', '.join(sorted(set(blocking['check'])))})"
    if panel_facts:
        summary += "; panel: " + ", ".join(f"{n} {v}" for n, v in panel_facts.items())
    return StepOutcome(
        outputs=[*paths.values(), issues_path],
        summary=summary,
        facts={
            "issues": {k: int(v) for k, v in by_severity.items()},
            "blocking_issues": count,
            "blocking_codes": {
                str(k): int(v) for k, v in sorted(blocking["code"].value_counts().items()) if v
            },
            "panel": panel_facts,
        },
        blocking=bool(count),
    )


def _write_issues(issues: pd.DataFrame, path: Path, rows: int = 100_000) -> Path:
    """``validation_issues.csv``: the bytes of ``issues.to_csv``, written ``rows`` at a
    time with the categorical columns as text (pandas writes categories 4x slower)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        for start in range(0, max(len(issues), 1), rows):
            chunk = issues.iloc[start : start + rows]
            text = {
                c: "str" for c in chunk.columns if isinstance(chunk[c].dtype, pd.CategoricalDtype)
            }
            chunk.astype(text).to_csv(handle, index=False, header=start == 0)
    return path


def blocking_issues(issues: pd.DataFrame, study: Study) -> pd.DataFrame:
    """The issues that stop a wave (exit status 1): every error-level issue by default.

    An issue confirmed in ``corrections.csv`` is no longer an error. A study may let named
    checks through (``[pipeline] non_blocking_checks = ["pii"]``), or block only named
    checks (``[pipeline] blocking_checks = [...]``).
    """
    return issues[_blocking(issues, study)]


def _blocking(issues: pd.DataFrame, study: Study) -> np.ndarray:
    """Which issues stop the wave (:func:`blocking_issues`), as a mask: no copy of the
    issues, which a wave of a million households counts in millions."""
    stops = (issues["severity"] == "error").to_numpy(dtype=bool, na_value=False)
    only = study.setting("pipeline", "blocking_checks", default=None)
    if only:
        stops = stops & issues["check"].isin(list(only)).to_numpy(dtype=bool)
    let_through = list(study.setting("pipeline", "non_blocking_checks", default=[]) or [])
    return stops & ~issues["check"].isin(let_through).to_numpy(dtype=bool)


def _write(run: WaveRun) -> StepOutcome:
    from ..instrument import load_instrument
    from ..instrument.codebook import write_codebook
    from ..writers import OUTPUT_FORMATS, write_tables

    salt = run.study.setting("pii", "salt")
    pii = run.study.setting("pii", "action", default="drop")
    formats = tuple(run.study.setting("outputs", "formats", default=None) or OUTPUT_FORMATS)
    outputs: list[Path] = []
    counts: dict[str, dict[str, int]] = {}
    not_written: dict[str, list[str]] = {}
    for name, _ in _instruments_present(run):
        form = load_instrument(run.form(name))
        if run.blocked(name):
            from ..writers.blocks import write_blocks

            _check_block_formats(run, name)
            result: Any = CleanBlocks.load(run.clean_blocks(name))
            receipt = write_blocks(
                result.blocks, run.out, name, instrument=form, lang=run.lang, pii=pii, salt=salt
            )
            cleaned = dict(result.counts)
            skipped = [f for f in formats if f != "parquet"]
            if skipped:
                not_written[name] = skipped
        else:
            result = _load(run.cleaned(name))
            receipt = write_tables(
                result.data, run.out, name, formats=formats, instrument=form, lang=run.lang,
                pii=pii, salt=salt,
            )  # fmt: skip
            cleaned = result.data.counts()
        outputs.extend(receipt.paths())
        quarantined = {t: len(q) for t, q in result.quarantine.items()}
        for table, frame in result.quarantine.items():
            if len(frame):
                qpath = run.out / "quarantine" / f"{name}-{table}.csv"
                qpath.parent.mkdir(parents=True, exist_ok=True)
                frame.to_csv(qpath, index=False, encoding="utf-8")
                outputs.append(qpath)
        raw = dict(result.raw_counts)
        for table, n_raw in raw.items():
            if n_raw != cleaned.get(table, 0) + quarantined.get(table, 0):
                raise BaicunError(
                    "PIP001",
                    f"{name}/{table}: records do not add up",
                    expected=f"raw {n_raw} = cleaned + quarantined",
                    found=f"cleaned {cleaned.get(table, 0)} + quarantined {quarantined.get(table, 0)}",
                    hint="This is a bug in the toolkit: please report it with the wave's raw files.",
                )
        counts[name] = {
            f"{table}_{kind}": value
            for table in raw
            for kind, value in (
                ("raw", raw[table]),
                ("cleaned", cleaned.get(table, 0)),
                ("quarantined", quarantined.get(table, 0)),
            )
        }
        outputs.extend(write_codebook(form, run.out / "codebooks", lang=run.lang))
    total = sum(v for c in counts.values() for k, v in c.items() if k == "main_cleaned")
    summary = f"{total} cleaned records written ({', '.join(formats)})"
    facts: dict[str, Any] = {"counts": counts}
    if not_written:
        summary += "; in blocks, parquet only: " + ", ".join(
            f"{n} without {'/'.join(f)}" for n, f in not_written.items()
        )
        facts["not_written"] = not_written
    return StepOutcome(outputs=outputs, summary=summary, facts=facts)


def _check_block_formats(run: WaveRun, name: str) -> None:
    """A study that asks for .sav/.dta of an instrument read in blocks: PIP050."""
    asked = run.study.setting("outputs", "formats", default=None) or ()
    cannot = [f for f in asked if f in ("sav", "dta")]
    if cannot:
        raise BaicunError(
            "PIP050",
            f"{name} is processed in blocks ([pipeline] block_mode), and SPSS/Stata files "
            f"cannot be written in blocks: {', '.join(cannot)} asked in [outputs] formats",
            file=run.study.root / "study.toml",
            expected='[outputs] formats = ["parquet"] for a wave processed in blocks',
            found=", ".join(asked),
            hint='Write parquet only ([outputs] formats = ["parquet"]) and convert a subset '
            'with pyreadstat, or set [pipeline] block_mode = "never" if the wave fits in memory.',
        )


def _estimate(run: WaveRun) -> StepOutcome:
    from ..design.from_study import (
        analysis_frame,
        build_design,
        design_columns,
        design_settings,
        repeat_frame,
    )
    from ..instrument import load_instrument
    from .estimates import choice_columns, compute, compute_many, estimate_specs, spec_table

    specs = estimate_specs(run.study)
    folder = run.out / "estimates"
    folder.mkdir(parents=True, exist_ok=True)
    pending: dict[Any, Any] = {}  # design key -> (its first table, repeat table, settings)
    loaded: dict[str, Any] = {}
    present = dict(_instruments_present(run))
    batches: dict[Any, list[Any]] = {}  # design -> its specs, computed together
    for spec in specs:
        if spec.instrument not in present:
            continue
        export = present[spec.instrument]
        with _estimate_context(spec, export):
            if spec.instrument not in loaded:
                cleaned = _estimate_data(run, spec.instrument, specs)
                if cleaned.data.empty:
                    raise StudyError(
                        "STU036",
                        f"instrument '{spec.instrument}' has no records in wave '{run.wave}' "
                        f"({export.name} holds no record, or every record was dropped or "
                        "quarantined)",
                        file=export,
                        hint="Check the export (a header line only?) and corrections.csv; if "
                        "the instrument was not fielded, remove its file and declare it under "
                        "[waves.optional].",
                    )
                loaded[spec.instrument] = (cleaned, load_instrument(run.form(spec.instrument)))
            cleaned, form = loaded[spec.instrument]
            table = spec_table(spec, form)
            key = (spec.instrument, table)
            settings = design_settings(run.study, spec.instrument)
            if table is not None:
                # the repeat's rows, each with its parent's design and `by` columns
                key = (*key, tuple(spec.by))
            if key not in pending:
                pending[key] = (spec, table, settings)  # built when its tables are computed
        batches.setdefault(key, []).append(spec)
    tables: dict[str, Any] = {}
    # one design at a time: a large wave's designs (households, their members) are not
    # held together
    for key, group in batches.items():
        first, table, settings = pending.pop(key)
        cleaned, form = loaded[first.instrument]
        with _estimate_context(first, present[first.instrument]):
            if table is None:
                frame = cleaned.data
            else:
                frame = repeat_frame(
                    cleaned.data,
                    cleaned.repeats,
                    table,
                    [*design_columns(settings), *first.by],
                    {g.name: g.repeat for g in form.repeats}.get,
                )
            choices = choice_columns(cleaned, form, run.lang, table or "main")
            frame = analysis_frame(frame, form)
            design = build_design(_numeric_codes(frame, settings), settings, name=first.instrument)
            del frame
        try:
            done = compute_many(group, design, choices=choices)
        except BaicunError:  # say which table failed
            done = []
            for spec in group:
                with _estimate_context(spec, present[spec.instrument]):
                    done.append(compute(spec, design, choices=choices))
        tables.update((spec.name, t) for spec, t in zip(group, done))
        del design, choices
    outputs = []
    for spec in specs:
        if spec.name not in tables:
            continue
        path = folder / f"{spec.name}.csv"
        tables[spec.name].to_csv(path, index=False, encoding="utf-8", float_format="%.10g")
        outputs.append(path)
    return StepOutcome(outputs=outputs, summary=f"{len(outputs)} estimate tables")


@contextmanager
def _estimate_context(spec: Any, export: Path) -> Iterator[None]:
    """Errors (other than study.toml's) say which estimate table and export they concern."""
    try:
        yield
    except StudyError:
        raise
    except BaicunError as err:
        raise err.with_context(
            f"estimate table '{spec.name}' of instrument '{spec.instrument}', from {export.name}",
            file=export,
            hint=(err.hint or "")
            + " Check the export's column for it (the validation report lists columns the "
            "export lacks, reader note RD102) and the table's declaration in study.toml.",
        ) from None


def _estimate_data(run: WaveRun, name: str, specs: Sequence[Any]) -> Any:
    """The cleaned data the estimate tables of ``name`` need (in blocks: their columns)."""
    if not run.blocked(name):
        return _load(run.cleaned(name)).data
    from ..design.from_study import design_columns, design_settings
    from .blockmode import read_columns, spec_names

    wanted = set(design_columns(design_settings(run.study, name)))
    for spec in specs:
        if spec.instrument == name:
            wanted |= spec_names(spec)
    return read_columns(CleanBlocks.load(run.clean_blocks(name)), wanted)


def _numeric_codes(frame: pd.DataFrame, settings: dict) -> pd.DataFrame:
    """Design columns as the estimators need them (weights numeric)."""
    weights = settings.get("weights")
    if weights and weights in frame and not pd.api.types.is_numeric_dtype(frame[weights]):
        frame = frame.assign(**{weights: pd.to_numeric(frame[weights], errors="coerce")})
    return frame


def _blocks_key(run: WaveRun) -> str:
    """The read step's key: which instruments are read in blocks, and of how many records
    (empty when none is)."""
    blocked = [n for n in run.inventory.exports if run.blocked(n)]
    return json.dumps({"blocks": blocked, "records": run.blocks.records}) if blocked else ""


def _outputs_key(run: WaveRun) -> str:
    """``[outputs]`` of study.toml for the write step's key (empty when the study has none)."""
    outputs = run.study.setting("outputs")
    return json.dumps(outputs, sort_keys=True) if outputs else ""


def wave_steps(run: WaveRun) -> list[Step]:
    """The steps of one wave, in order."""
    from .report import report_steps  # imports wave.WaveRun: imported here, not at the top

    forms = lambda r: [r.form(n) for n, _ in _instruments_present(r)]  # noqa: E731

    def settings_key(r):
        return (
            json.dumps(
                {
                    k: r.study.setting(k)
                    for k in (
                        "design",
                        "estimates",
                        "validate",
                        "pii",
                        "pipeline",
                        "instruments",
                        "harmonise",  # panel checks line the previous wave up with it
                    )
                },
                sort_keys=True,
                ensure_ascii=False,
                default=str,
            )
            + r.lang
        )

    return [
        Step("read", inputs=_read_inputs, run=_read, key=_blocks_key),
        Step(
            "correct",
            inputs=lambda r: _correct_inputs(r) + forms(r),
            run=_correct,
            key=settings_key,
        ),
        Step(
            "validate",
            inputs=lambda r: _validate_inputs(r) + forms(r),
            run=_validate,
            key=settings_key,
        ),
        Step(
            "write",
            inputs=lambda r: _clean_inputs(r) + forms(r),
            run=_write,
            key=lambda r: settings_key(r) + _outputs_key(r),
        ),
        Step(
            "estimate",
            inputs=_clean_inputs,
            run=_estimate,
            key=lambda r: settings_key(r) + json.dumps(r.study.setting("estimate") or {}),
        ),
        *report_steps(run),
    ]


def closing_line(study: Study, result: WaveResult) -> str:
    """The last line of a run: how many errors remain and where to read and resolve them."""
    wave = result.wave
    validate = next((s for s in result.steps if s.name == "validate"), None)
    codes = validate.facts.get("blocking_codes", {}) if validate else {}
    report = (study.processed_dir(wave) / "validation.html").relative_to(study.root)
    if not result.blocking:
        return f"wave {wave}: no errors remain (warnings and notes: {report})"
    count = sum(codes.values())
    listed = ", ".join(f"{code} {n}" for code, n in codes.items())
    log = (study.raw_dir(wave) / "corrections.csv").relative_to(study.root)
    return (
        f"wave {wave}: {count} error(s) remain ({listed}): read {report}; "
        f"correct or confirm them in {log}"
    )


def run_wave(
    study: Study,
    wave: str,
    *,
    lang: str | None = None,
    force: bool = False,
    stream: TextIO | None = None,
    extra_steps: Sequence[Step] = (),
) -> WaveResult:
    """Run the wave pipeline; returns what happened, with ``blocking`` for the exit status."""
    run = WaveRun(study, wave, lang or study.default_language)
    _ = run.inventory  # every raw file accounted for before anything is touched
    with complete_or_restore([run.out, study.reports_dir(wave)], stream=stream):
        return _run_steps_and_manifest(run, force=force, stream=stream, extra_steps=extra_steps)


def _run_steps_and_manifest(
    run: WaveRun, *, force: bool, stream: TextIO | None, extra_steps: Sequence[Step]
) -> WaveResult:
    study, wave = run.study, run.wave
    started = time.perf_counter()
    steps = [*wave_steps(run), *extra_steps]
    records = run_steps(
        steps, state_dir=run.work, context=run, force=force, stream=stream, base=study.root
    )
    blocking = any(r.blocking for r in records)
    inputs = hash_files(
        [p for _, p in _instruments_present(run)] + [run.raw / "corrections.csv"], base=study.root
    )
    from ..instrument import load_instrument

    manifest = {
        "wave": wave,
        "package": f"baicun {__version__}",
        "versions": library_versions(),
        "inputs": inputs,
        "instruments": {
            name: {
                "form": run.form(name).relative_to(study.root).as_posix(),
                "version": load_instrument(run.form(name)).version,
                "sha256": hash_files([run.form(name)])[run.form(name).as_posix()],
            }
            for name, _ in _instruments_present(run)
        },
        # internal work files (.work/) are caches, not outputs: left out of the manifest
        "steps": {
            r.name: {
                "summary": r.summary,
                "outputs": {k: v for k, v in r.outputs.items() if f"/{WORK_FOLDER}/" not in k},
                "facts": r.facts,
            }
            for r in records
        },
        "blocking": blocking,
    }
    manifest_path = run.out / MANIFEST_NAME
    manifest_path.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
    )
    # nothing of an older run survives: every file left is in this run's manifest
    keep = [manifest_path] + [study.root / name for r in records for name in r.outputs]
    stale = [
        path for folder in (run.out, study.reports_dir(wave)) for path in remove_stale(folder, keep)
    ]
    if stale:
        print(
            f"  removed {len(stale)} file(s) of an older run: "
            + ", ".join(p.name for p in stale[:5])
            + (" ..." if len(stale) > 5 else ""),
            file=stream or sys.stderr,
        )
    (run.work / "run-log.json").write_text(
        json.dumps(
            {
                "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "seconds": round(time.perf_counter() - started, 2),
                "steps": {
                    r.name: {"seconds": round(r.seconds, 2), "skipped": r.skipped} for r in records
                },
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    return WaveResult(wave=wave, steps=tuple(records), blocking=blocking, manifest=manifest_path)
