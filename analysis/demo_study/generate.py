"""``generate_demo``: the whole demo study from one seed, written to disk.

Writes, for each demo wave, ``data/raw/<wave>/``:

* ``village.csv`` — village questionnaire, KoboToolbox CSV export (``;``, UTF-8);
* ``household.zip`` — household questionnaire, ODK Central CSV zip (main + roster);
* ``cadre.csv`` — cadre questionnaire, typed into Excel and saved as CSV (GBK);
* ``corrections.csv`` — the cleaning log: fixes some of the injected problems;
* ``README.md`` — what each file is;

and, when ``truth_dir`` is given, the truth behind them (population values of the key
indicators, the samples with their weights, the injected problems, the themes of the
open answers). Deterministic: the same seed gives byte-identical files; no date comes
from the clock.

Examples
--------
>>> import tempfile, pathlib, shutil
>>> from analysis.study import Study
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = shutil.copytree(Study.load().surveys_dir, root / "surveys")
>>> _ = shutil.copy(Study.load().root / "study.toml", root)
>>> summary = generate_demo(Study.load(root), seed=5, scale=0.1, n_villages=12)
>>> sorted(p.name for p in Study.load(root).raw_dir("demo-2024").iterdir())
['README.md', 'cadre.csv', 'corrections.csv', 'household.zip', 'village.csv']
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DemoError
from ..study import Study
from .answers import fit_to_instrument
from .dirt import Problem, inject, problems_frame
from .exports import write_corrections, write_excel_csv, write_kobo_csv, write_odk_central_zip
from .geography import COUNTIES, choice_rows
from .population import INDICATORS, WAVES, Province, build_province, population_truth, rng_for
from .sample import MODE_EFFECT, cadre_roster, field_households, field_villages
from .waves import (
    INSTRUMENT_CHANGES_2025,
    WaveRecords,
    enumerators,
    form_for_wave,
    load_wave_instruments,
    wave_records,
)

__all__ = ["generate_demo"]


def generate_demo(
    study: Study,
    seed: int = 2024,
    *,
    truth_dir: Path | str | None = None,
    scale: float = 1.0,
    n_villages: int = 100,
    force: bool = False,
) -> dict[str, Any]:
    """Generate the demo study's raw exports (and its truth) into ``study``.

    Parameters
    ----------
    study : Study
        The study to write into (its ``data/raw/<wave>/`` folders are overwritten).
    seed : int
        The same seed gives byte-identical files.
    truth_dir : path, optional
        Where to write the truth files (e.g. ``tests/fixtures/demo_truth``).
    scale, n_villages : optional
        A smaller province and sample, for quick tests.
    force : bool
        Overwrite a wave folder even when it holds files the generator did not write.

    Returns
    -------
    dict
        What was written: files per wave, counts of records and problems, and the
        questions answered generically (unknown to the answer models).
    """
    if n_villages < len(COUNTIES) or not 0.05 <= scale <= 5:
        raise DemoError(
            "DEM002",
            f"cannot draw {n_villages} villages from a province of scale {scale}",
            expected=f"at least {len(COUNTIES)} villages (one per county) and a scale between 0.05 and 5",
            found=f"n_villages={n_villages}, scale={scale}",
            hint="Use the defaults (100 villages, scale 1) or a larger sample.",
        )
    for wave in WAVES:
        _check_overwrite(study.raw_dir(wave), force)
    province = build_province(seed, scale=scale)
    villages = field_villages(province, seed=seed, n=n_villages)
    households = field_households(province, villages, seed=seed)
    cadres = cadre_roster(seed=seed)
    summary: dict[str, Any] = {
        "seed": seed,
        "villages_in_frame": len(province.villages),
        "households_in_frame": len(province.households),
        "waves": {},
    }
    all_problems: list[Problem] = []
    themes: list[tuple[str, str, str, str, str]] = []
    for wave, year in WAVES.items():
        records = wave_records(province, villages, households, cadres, wave, seed=seed)
        instruments = load_wave_instruments(study, wave)
        tables, report = _tables(records, instruments)
        dirty, problems = inject(tables, wave, year, rng_for(seed, "dirt", wave))
        cadre_rows = _cadre_rows(dirty["cadre"])
        problems = [_name_cadre_row(p, cadre_rows) for p in problems]
        folder = study.raw_dir(wave)
        folder.mkdir(parents=True, exist_ok=True)
        files = _write_wave(folder, dirty, instruments, problems, wave, year, seed)
        all_problems += problems
        themes += [(wave, *t) for t in records.themes]
        summary["waves"][wave] = {
            "files": [p.name for p in files],
            "forms": {n: form_for_wave(study, n, wave).name for n in instruments},
            "records": {n: len(dirty[n]) for n in ("village", "household", "members", "cadre")},
            "problems": len(problems),
            "corrections": int(sum(1 for p in problems if p.action)),
            "generic_answers": report["generic"],
            "dropped_answers": report["dropped"],
        }
    if truth_dir is not None:
        _write_truth(
            Path(truth_dir), province, villages, households, cadres, all_problems, themes, seed
        )
    return summary


#: The first line of a generated wave README; marks a folder the generator may overwrite.
MARKER = "(demo study, synthetic)"


def _check_overwrite(folder: Path, force: bool) -> None:
    if force or not folder.is_dir():
        return
    files = [p for p in folder.iterdir() if p.is_file()]
    readme = folder / "README.md"
    first = (
        (readme.read_text(encoding="utf-8", errors="replace").splitlines() or [""])[0]
        if readme.is_file()
        else ""
    )
    ours = MARKER in first
    if files and not ours:
        raise DemoError(
            "DEM001",
            f"{folder.name} holds files the demo generator did not write; it will not overwrite them",
            file=folder,
            found=", ".join(sorted(p.name for p in files)[:5]),
            hint="Move those files elsewhere, or run `baicun demo generate --force` if they are disposable.",
        )


def _tables(
    records: WaveRecords, instruments: dict
) -> tuple[dict[str, pd.DataFrame], dict[str, list[str]]]:
    for _name, rows, prefix, key in (
        ("village", records.village, "village-", "village_id"),
        ("household", records.household, "hh-", "hh_id"),
    ):
        for r in rows:
            r["instanceID"] = r["__instance_id"]
            r["instanceName"] = prefix + r[key]
    report: dict[str, list[str]] = {"generic": [], "dropped": []}
    tables = {}
    for name, rows, repeat in (
        ("village", records.village, None),
        ("household", records.household, None),
        ("members", records.members, "members"),
        ("cadre", records.cadre, None),
    ):
        instrument = instruments["household" if name == "members" else name]
        frame, rep = fit_to_instrument(rows, instrument, repeat=repeat)
        skip = (
            {"start", "end", "deviceid", "username", "instanceID", "instanceName"}
            if name == "cadre"
            else set()
        )
        report["generic"] += [f"{name}.{q}" for q in rep["generic"] if q not in skip]
        report["dropped"] += [f"{name}.{q}" for q in rep["dropped"]]
        tables[name] = frame
    return tables, report


def _write_wave(
    folder: Path,
    tables: dict[str, pd.DataFrame],
    instruments: dict,
    problems: list[Problem],
    wave: str,
    year: int,
    seed: int,
) -> list[Path]:
    rng = rng_for(seed, "export-ids", wave)
    alphabet = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"))
    version_uid = "v" + "".join(rng.choice(alphabet, 21))
    submitters = {}
    for ci, county in enumerate(COUNTIES):
        for j, code in enumerate(enumerators(ci, year), start=1):
            submitters[str(code)] = (str(10 + 5 * ci + j), f"{county.name}调查员{j}")
    review = {p.instance_id: "hasIssues" for p in problems if p.kind == "short_interview"}
    written = [
        write_kobo_csv(
            tables["village"],
            instruments["village"],
            folder / "village.csv",
            version_uid=version_uid,
            first_id=int(2_871_000 + (year - 2024) * 1_000 + rng.integers(0, 900)),
        ),
        write_odk_central_zip(
            tables["household"],
            tables["members"],
            instruments["household"],
            folder / "household.zip",
            submitters=submitters,
            review=review,
        ),
        write_excel_csv(
            _cadre_rows(tables["cadre"]),
            instruments["cadre"],
            folder / "cadre.csv",
            trailing_empty_row=True,
        ),
        write_corrections(
            problems,
            folder / "corrections.csv",
            who="王敏（数据质控）",
            first_dates={
                "village": f"{year}-09-02",
                "household": f"{year}-09-03",
                "cadre": f"{year + 1}-01-06",
            },
        ),
    ]
    readme = folder / "README.md"
    readme.write_text(_readme(wave, year, tables, instruments, problems), encoding="utf-8")
    return [*written, readme]


def _readme(
    wave: str,
    year: int,
    tables: dict[str, pd.DataFrame],
    instruments: dict,
    problems: list[Problem],
) -> str:
    kinds = pd.Series([p.kind for p in problems]).value_counts().sort_index()
    fixed = sum(1 for p in problems if p.action)
    hh = instruments["household"]
    repeat = hh.repeats[0].name if hh.repeats else "members"
    lines = [
        f"# 原始数据 Raw data: wave {wave} {MARKER}",
        "",
        "这些文件由 `baicun demo generate` 生成，模拟实地调查收回的原始导出文件；不要手工修改。",
        "Generated by `baicun demo generate` to look exactly like field exports as received; do not edit them.",
        "Every person, village and number in them is synthetic.",
        "",
        "| file | instrument | what it is | format and encoding |",
        "|---|---|---|---|",
        f"| `village.csv` | village (村级调查表, form `{instruments['village'].form_id}` v{instruments['village'].version}) "
        f"| {len(tables['village'])} submissions | KoboToolbox CSV export, XML values and headers: `;` separator, every "
        "field quoted, CRLF, UTF-8 (no BOM); group paths joined by `/`; select_multiple as `a b` plus one 0/1 column "
        "per choice (`grp/q/code`); geopoint as `lat lon alt acc` plus `_q_latitude`..`_q_precision`; "
        "`_id`, `_uuid`, `_submission_time` (UTC), ..., `_index` at the end |",
        f"| `household.zip` | household (农牧户问卷, form `{hh.form_id}` v{hh.version}) "
        f"| {len(tables['household'])} submissions (incl. refusals), {len(tables['members'])} roster rows "
        f"| ODK Central CSV zip: `{hh.form_id}.csv` (main) and `{hh.form_id}-{repeat}.csv` (roster, linked by "
        "`PARENT_KEY` = main `KEY`); `,`, LF, UTF-8 (no BOM); group paths joined by `-`; geopoint in four columns "
        "`-Latitude/-Longitude/-Altitude/-Accuracy`; select_multiple space-separated; newest submission first |",
        f"| `cadre.csv` | cadre (挂职干部问卷及民主测评表, form `{instruments['cadre'].form_id}`) "
        f"| {len(tables['cadre'])} rows | typed into an Excel sheet (headers = question names) and saved as "
        '"CSV (逗号分隔)" on Chinese Windows: **GBK**, `,`, CRLF, dates shown as `2024/12/18`, `today` = day of '
        "entry, a trailing row of empty cells |",
        "| `corrections.csv` | all | the cleaning log | UTF-8, `,`; columns instrument, key, variable, old_value, "
        "new_value, action (replace/drop/confirm), reason, who, date |",
        "",
        "## The cleaning log",
        "",
        f"`corrections.csv` fixes {fixed} problems found in checking; the others are left for validation to flag.",
        "A `drop` of a duplicate submission names the record by `variable` = `instanceID` and `old_value` = its",
        "instance ID (ODK `meta-instanceID`/`KEY`; Kobo `_uuid` with the `uuid:` prefix); a `confirm` keeps a value",
        "that looks wrong but was checked.",
        "",
        "## Known problems (injected on purpose)",
        "",
        "| kind | count |",
        "|---|---|",
        *[f"| {k} | {n} |" for k, n in kinds.items()],
        "",
        "The full list, with the true values, is `tests/fixtures/demo_truth/injected_problems.csv`.",
        "",
        "## Sample",
        "",
        "100 villages drawn by systematic PPS (size = households) within the 12 counties, with one replacement",
        "each; 20 households per village drawn systematically from the household register (plus 5 reserves).",
        "The villages are the same in both waves; in 2025 half of the 2024 households are interviewed again",
        "under the same `hh_no` (so `hh_id` identifies the household in both waves) and 10 new ones are drawn.",
        f"Fieldwork: July-August {year}; cadre assessments: December {year}.",
    ]
    return "\n".join(lines) + "\n"


def _write_truth(
    folder: Path,
    province: Province,
    villages: pd.DataFrame,
    households: pd.DataFrame,
    cadres: pd.DataFrame,
    problems: list[Problem],
    themes: list[tuple[str, str, str, str, str]],
    seed: int,
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    truth = population_truth(province).reset_index()
    doc: dict[str, Any] = {
        "seed": seed,
        "note": "Population values of the demo study's key indicators (synthetic province), per wave.",
        "definitions": {k: {"level": lvl, "definition": d} for k, (lvl, d) in INDICATORS.items()},
        "population": {
            "villages": len(province.villages),
            "households": len(province.households),
            "counties": [c.code for c in COUNTIES],
        },
        "waves": {},
    }
    for wave in WAVES:
        t = truth[truth["wave"] == wave]
        entry: dict[str, Any] = {}
        for domain, part in t.groupby("domain", sort=True):
            entry[domain] = {r.indicator: round(float(r.value), 10) for r in part.itertuples()}
        c = cadres[cadres["wave"] == wave]
        entry["cadre_total_score_by_mode"] = {
            m: round(float(c.loc[c["posting_mode"] == m, "total_score"].mean()), 10)
            for m in sorted(MODE_EFFECT)
        }
        entry["cadre_total_score"] = round(float(c["total_score"].mean()), 10)
        entry["cadres"] = len(c)
        doc["waves"][wave] = entry
    doc["instrument_changes_proposed_for_2025"] = list(INSTRUMENT_CHANGES_2025)
    (folder / "population_truth.json").write_text(
        json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )

    v = villages[
        [
            "county",
            "township",
            "village_id",
            "village_name",
            "village_type",
            "households",
            "distance_county_km",
            "pi",
            "certainty",
            "role",
            "replaces",
            "order",
            "status",
            "village_weight",
        ]
    ]
    v.to_csv(folder / "sample_villages.csv", index=False, float_format="%.10g", lineterminator="\n")
    h = households.drop(columns=["pi_village"])
    h.to_csv(
        folder / "sample_households.csv", index=False, float_format="%.10g", lineterminator="\n"
    )
    problems_frame(problems).to_csv(
        folder / "injected_problems.csv", index=False, lineterminator="\n"
    )
    pd.DataFrame(themes, columns=["wave", "instrument", "key", "variable", "theme"]).to_csv(
        folder / "open_answer_themes.csv", index=False, lineterminator="\n"
    )
    (folder / "geography_choices.md").write_text(
        "# County and township choices of the demo geography\n\n"
        "Rows for the `choices` table of surveys/village.md, household.md and cadre.md (list_name, name,\n"
        "label::中文 (zh), label::English (en), county):\n\n" + choice_rows() + "\n",
        encoding="utf-8",
    )


def _cadre_rows(cadre: pd.DataFrame) -> pd.DataFrame:
    """The cadre table in the order its rows are typed into the Excel sheet."""
    return cadre.sort_values("__seq", key=lambda s: s.astype(int))


def _name_cadre_row(problem: Problem, cadres: pd.DataFrame) -> Problem:
    """A cadre typed in twice has no instance ID: its drop names the second copy's row
    (``main#row<N>``, the reader's key of a CSV row; the header is row 1)."""
    if problem.instrument != "cadre" or problem.action != "drop" or problem.instance_id:
        return problem
    rows = np.flatnonzero(cadres["cadre_id"].astype(str).to_numpy() == problem.key)
    return replace(problem, target=f"main#row{int(rows[-1]) + 2}")
