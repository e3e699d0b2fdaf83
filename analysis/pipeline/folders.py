"""Wave folders: create a new wave's raw folder, and report what each wave has.

Examples
--------
>>> import tempfile, pathlib
>>> from analysis.study import Study
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "study.toml").write_text('[instruments.village]\\nform = "village.xlsx"\\n', encoding="utf-8")
>>> study = Study.load(root)
>>> folder = new_wave(study, "2026")
>>> sorted(p.name for p in folder.iterdir())
['README.md', 'corrections.csv']
>>> wave_status(study)[["wave", "raw_files", "processed"]].to_dict("records")
[{'wave': '2026', 'raw_files': 0, 'processed': False}]
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from ..corrections import CORRECTIONS_COLUMNS
from ..errors import StudyError
from ..study import Study

__all__ = ["MANIFEST_NAME", "check_wave_name", "new_wave", "wave_status"]

MANIFEST_NAME = "manifest.json"

_README = """# 原始数据 Raw data: wave {wave}

把本轮调查的原始导出文件原样放在这个文件夹里，不要修改它们。
Put this wave's field exports here exactly as received; never edit them.

每个调查问卷一个文件（或一个 ODK Central 导出的 zip）。文件名为问卷名，或以问卷名加 `_`、`-`、`.`
或空格开头（如 `village_2026.csv`）；其他文件名请在 study.toml 的 `[waves.files.{wave}]` 中写明：
One file (or one ODK Central zip) per instrument. Its name (without the extension) is the
instrument's name, or starts with it followed by `_`, `-`, `.` or a space (`village_2026.csv`);
name any other file in study.toml under `[waves.files.{wave}]` (`village = "村级调查表.csv"`):

{files}

文件夹里的其他文件会使运行停止并报错（STU033），除非在 `[waves] ignore` 中列出；
缺少某个问卷的文件也会报错（STU034），除非在 `[waves.optional]` 中声明本轮未调查。
Any other file stops the run with STU033 unless `[waves] ignore` lists it (e.g. `["*.pdf"]`);
an instrument with no export stops it with STU034 unless `[waves.optional]` declares it not
fielded in this wave (`"{wave}" = ["cadre"]`).

支持的格式 Accepted formats: ODK Central CSV zip, KoboToolbox CSV/XLSX, CSV (UTF-8, GBK,
GB18030), XLSX, SPSS .sav/.zsav, Stata .dta.

数据清理记录 Cleaning log: `corrections.csv` (one row per change; applied in order):

| column | meaning |
|---|---|
| instrument | 问卷名 instrument name ({instruments}) |
| key | 记录编号 the record's key (e.g. hh_id) |
| variable | 变量名 question name |
| old_value | 原值 the value now in the data (the correction fails if it no longer matches) |
| new_value | 新值 the corrected value (empty for drop/confirm) |
| action | replace / drop / confirm |
| reason | 原因 why |
| who | 修改人 who decided |
| date | 日期 YYYY-MM-DD |

然后运行 Then run: `baicun run --wave {wave}`
"""


def check_wave_name(wave: str) -> str:
    """``wave`` when it is a usable wave name: a plain folder name of letters, digits,
    ``-``, ``_`` and ``.`` starting with a letter or digit (``STU010`` otherwise).

    Examples
    --------
    >>> check_wave_name("demo-2026")
    'demo-2026'
    >>> try:
    ...     check_wave_name("../../..")
    ... except StudyError as err:
    ...     print(err.code)
    STU010
    """
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", wave):
        raise StudyError(
            "STU010",
            f"'{wave}' is not a usable wave name",
            expected="letters, digits, '-', '_' or '.', e.g. 2026 or demo-2026",
            found=wave,
            hint="Choose a short name such as the year of the wave.",
        )
    return wave


def new_wave(study: Study, wave: str) -> Path:
    """Create ``data/raw/<wave>/`` with a corrections.csv template and a README.

    Raises
    ------
    StudyError
        ``STU010`` when the wave name is not a plain folder name, ``STU011`` when the
        wave already has a raw folder with files in it.
    """
    check_wave_name(wave)
    folder = study.raw_dir(wave)
    if folder.exists() and any(folder.iterdir()):
        raise StudyError(
            "STU011",
            f"wave '{wave}' already exists and holds files",
            file=folder,
            hint="Pick another wave name, or add the exports to the existing folder and run `baicun run`.",
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "corrections.csv").write_text(",".join(CORRECTIONS_COLUMNS) + "\n", encoding="utf-8")
    names = study.instrument_names
    files = (
        "\n".join(f"- `{n}.*`, `{n}_*.*`  ({n})" for n in names) or "- (no instruments declared)"
    )
    (folder / "README.md").write_text(
        _README.format(wave=wave, files=files, instruments=", ".join(names)), encoding="utf-8"
    )
    return folder


def wave_status(study: Study) -> pd.DataFrame:
    """One row per wave: raw files, whether processed outputs exist, when and whether stale.

    ``stale`` is True when the raw files changed since the last run recorded in the
    wave's manifest (or when the wave was never run).
    """
    from .runner import hash_files

    rows = []
    for wave in study.waves:
        raw = study.raw_dir(wave)
        raw_files = (
            sorted(p for p in raw.iterdir() if p.is_file() and p.name != "README.md")
            if raw.is_dir()
            else []
        )
        data_files = [p for p in raw_files if p.name != "corrections.csv"]
        manifest_path = study.processed_dir(wave) / MANIFEST_NAME
        manifest = (
            json.loads(manifest_path.read_text(encoding="utf-8"))
            if manifest_path.exists()
            else None
        )
        run_log = study.work_dir(wave) / "run-log.json"
        finished = (
            json.loads(run_log.read_text(encoding="utf-8")).get("finished")
            if run_log.exists()
            else None
        )
        if manifest is None:
            stale = True
        else:
            recorded = manifest.get("inputs", {})
            current = hash_files(raw_files, base=study.root)
            stale = any(recorded.get(k) != v for k, v in current.items()) or any(
                k not in current
                for k in recorded
                if k.startswith(raw.relative_to(study.root).as_posix())
            )
        rows.append(
            {
                "wave": wave,
                "raw_files": len(data_files),
                "processed": manifest is not None,
                "last_run": finished,
                "stale": stale,
                "blocking": manifest.get("blocking") if manifest else None,
            }
        )
    return pd.DataFrame(
        rows, columns=["wave", "raw_files", "processed", "last_run", "stale", "blocking"]
    )
