"""``baicun init DIR FORM...``: a new study folder from a team's XLSForms.

The folder gets the forms (copied into ``surveys/``), a ``study.toml`` declaring one
instrument and one (simple random sample) design per form, the empty data, report and
notebook folders (with a starter notebook per form: :mod:`analysis.pipeline.starter`),
and a short bilingual README. ``baicun new-wave``, ``run`` and
``status`` then work in it as in any study.

The key of each instrument is inferred from its form, and the reason written beside it
as a TOML comment: the question with the toolkit role ``id``; else the submission id of
the platform (KoboToolbox's ``_uuid`` when the form looks like a Kobo tool, ODK's
``meta/instanceID``, read as ``instanceID``, otherwise).

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "hh_survey.csv").write_text(
...     "type,name,label\\ntext,hh_id,Household id\\ninteger,size,Size\\n", encoding="utf-8")
>>> _ = (folder / "hh_choices.csv").write_text("list_name,name,label\\n", encoding="utf-8")
>>> study = init_study(folder / "study", [str(folder / "hh_survey.csv")])
>>> study.instrument_names, study.instrument("hh").form.name
(('hh',), 'hh_survey.csv')
>>> sorted(p.name for p in study.surveys_dir.iterdir())
['hh_choices.csv', 'hh_survey.csv']
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import StudyError
from ..instrument import Instrument, load_instrument
from ..instrument.sources import SUPPORTED_SUFFIXES, split_form_files
from ..study import DEFAULT_PATHS, STUDY_FILE, Study
from .starter import write_starter_notebooks

__all__ = ["FormArg", "infer_key", "init_study", "parse_form_args", "study_toml"]

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
_FOLDERS = ("surveys", "raw", "processed", "reports", "notebooks")


@dataclass(frozen=True)
class FormArg:
    """One ``FORM`` argument: the instrument name and the form's file."""

    name: str
    path: Path


def parse_form_args(forms: Sequence[str]) -> list[FormArg]:
    """``PATH`` or ``NAME=PATH`` arguments as :class:`FormArg` (name: the file's stem).

    A split form (``tool_survey.csv`` beside ``tool_choices.csv``) is named after the
    part before ``_survey`` (``tool``).

    Raises
    ------
    StudyError
        ``STU051`` a form file is missing or not an XLSForm file type; ``STU052`` an
        instrument name is not usable or given twice.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "Household Survey.xlsx"
    >>> _ = f.write_bytes(b"")
    >>> [a.name for a in parse_form_args([str(f), f"hh={f}"])]
    ['Household_Survey', 'hh']
    """
    out: list[FormArg] = []
    for argument in forms:
        name, sep, path_text = argument.partition("=")
        if not sep or not _NAME.fullmatch(name) or Path(argument).is_file():
            name, path_text = "", argument
        path = Path(path_text)
        if not path.is_file() or path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise StudyError(
                "STU051",
                f"'{path_text}' is not an XLSForm file",
                file=path,
                expected="an existing " + ", ".join(SUPPORTED_SUFFIXES) + " file",
                found="no such file" if not path.is_file() else path.suffix or "(no extension)",
                hint="Give the path of each form (a survey CSV with its choices CSV beside it "
                "is fine), optionally as NAME=PATH.",
            )
        if not name:
            name = _default_name(path)
        out.append(FormArg(name=name, path=path))
    seen: set[str] = set()
    for arg in out:
        if not _NAME.fullmatch(arg.name) or arg.name.lower() in seen:
            raise StudyError(
                "STU052",
                f"instrument name '{arg.name}' is "
                + ("given twice" if arg.name.lower() in seen else "not usable"),
                file=arg.path,
                expected="a unique name of letters, digits, '_' or '-', starting with a letter",
                found=arg.name,
                hint="Name the forms yourself: baicun init DIR household=PATH village=PATH.",
            )
        seen.add(arg.name.lower())
    return out


def _default_name(path: Path) -> str:
    split = split_form_files(path)
    stem = path.stem
    if split.get("survey") == path:
        stem = re.sub(r"[_\-. ]?survey$", "", stem, flags=re.I) or stem
    name = re.sub(r"[^A-Za-z0-9_\-]+", "_", stem).strip("_-")
    if name and not name[0].isalpha():
        name = f"form_{name}"
    return name or stem


def _looks_like_kobo(path: Path, instrument: Instrument) -> str | None:
    """Why the form looks like a KoboToolbox tool (None when it does not)."""
    if "kobo" in path.name.lower():
        return f"the file name '{path.name}' says it is a KoboToolbox tool"
    if split_form_files(path):
        return "it is shared as split CSV sheets, as KoboToolbox tools are"
    if any(str(k).startswith("kobo") for k in instrument.settings):
        return "its settings have KoboToolbox entries"
    return None


def infer_key(path: Path, instrument: Instrument) -> tuple[str, str]:
    """``(key, reason)``: the column identifying a record of this form, and why.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> form = pathlib.Path(tempfile.mkdtemp()) / "kobo_survey.csv"
    >>> _ = form.write_text("type,name,label\\ninteger,size,Size\\n", encoding="utf-8")
    >>> infer_key(form, load_instrument(form))[0]
    '_uuid'
    """
    ids = [q.name for q in instrument.with_role("id") if q.repeat is None]
    if ids:
        return ids[0], f"question '{ids[0]}' has the toolkit role id in the form"
    kobo = _looks_like_kobo(path, instrument)
    if kobo:
        return "_uuid", (
            f"no question has the toolkit role id; {kobo}, so the key is the submission "
            "UUID of KoboToolbox exports (_uuid)"
        )
    return "instanceID", (
        "no question has the toolkit role id; the key is the submission id of ODK exports "
        '(meta/instanceID; for KoboToolbox exports write key = "_uuid")'
    )


def _toml(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _copy_form(path: Path, surveys: Path) -> Path:
    parts = split_form_files(path) or {"survey": path}
    if path not in parts.values():  # not named like a split sheet: copied alone
        parts = {"survey": path}
    for part in parts.values():
        shutil.copyfile(part, surveys / part.name)
    return surveys / path.name


def study_toml(name: str, forms: Sequence[tuple[FormArg, str, Instrument]]) -> str:
    """The text of a new study's ``study.toml`` (``forms``: argument, form path, instrument)."""
    languages = list(dict.fromkeys(lang for _, _, i in forms for lang in i.languages))
    default = "zh" if "zh" in languages or not languages else languages[0]
    lines = [
        "# A study made by `baicun init`. Every key is described in docs/study-toml.md;",
        "# a key study.toml does not know, or a value of the wrong type, stops every command",
        "# with a message naming it. Paths are relative to this file's folder.",
        "",
        "[study]",
        f"name = {_toml(name)}",
        f"name_en = {_toml(name)}",
        f"default_language = {_toml(default)}",
        f"languages = {json.dumps(languages or ['zh'], ensure_ascii=False)}",
        "",
        "[paths]",
        *(f"{kind} = {_toml(DEFAULT_PATHS[kind])}" for kind in _FOLDERS),
        "",
        "# ---------------------------------------------------------------- instruments",
    ]
    for arg, form, instrument in forms:
        key, reason = infer_key(arg.path, instrument)
        title = instrument.title or arg.name
        lines += [
            "",
            f"[instruments.{arg.name}]",
            f"form = {_toml(form)}",
            f"# key: {reason}",
            f"key = {_toml(key)}",
            f"label = {{ zh = {_toml(title)}, en = {_toml(title)} }}",
        ]
    lines += [
        "",
        "[waves]",
        "# Waves in order; `baicun new-wave NAME` makes data/raw/NAME/ (found without listing it).",
        "list = []",
        "",
        "# ---------------------------------------------------------------- designs",
        "# Until the team declares its sample, each instrument is a simple random sample",
        "# (equal weights, no strata, no clusters). Declare the design with the columns of the",
        "# data, for example:",
        '#   weights = "weight"        # sampling weights',
        '#   strata = "county"         # strata',
        '#   psu = "village_id"        # primary sampling units (clusters)',
        '#   fpc = "n_villages"        # population size or sampling fraction',
        '#   lonely_psu = "adjust"     # strata with one PSU: fail, remove, certainty, adjust, average',
    ]
    for arg, _, _ in forms:
        lines += ["", f"[design.{arg.name}]"]
    lines += [
        "",
        "# ---------------------------------------------------------------- outputs",
        "[outputs]",
        "# Data files written for each wave in data/processed/<wave>/.",
        'formats = ["parquet", "sav", "dta"]',
        "",
        "# Estimate tables of each wave (data/processed/<wave>/estimates/<name>.csv), e.g.:",
        "# [[estimates]]",
        '# name = "my_table"',
        f'# instrument = "{forms[0][0].name if forms else "household"}"',
        '# stat = "proportion"          # mean, proportion, total, ratio, quantile',
        '# variables = ["question_name"]',
    ]
    return "\n".join(lines) + "\n"


_README = """# {name}

一个用 baicun 工具包管理的调查研究。A survey study run with the baicun toolkit.

| 文件夹 Folder | 内容 What it holds |
|---|---|
| `study.toml` | 研究设置：问卷、抽样设计、输出 Settings: instruments, sample designs, outputs |
| `surveys/` | XLSForm 问卷 The XLSForms ({forms}) |
| `data/raw/<wave>/` | 每轮原始导出文件，原样保存 Each wave's field exports, exactly as received |
| `data/processed/<wave>/` | 清理后的数据（自动生成）Cleaned data (generated) |
| `reports/<wave>/` | 报告（自动生成）Reports (generated) |
| `notebooks/` | 分析笔记本（每份问卷一个起始笔记本）Analysis notebooks (a starter per form) |

开始 Getting started:

1. `baicun new-wave 2026`：建立本轮文件夹 make the wave's folder `data/raw/2026/`;
2. 把导出文件复制进去，以问卷名命名 copy the exports in, named after their instrument
   ({exports});
3. `baicun run --wave 2026`：读取、清理、检验、写出数据 read, correct, validate, write;
4. `baicun status`：各轮状态 what each wave has.

在 `study.toml` 的 `[design.<问卷>]` 中声明抽样设计（权重、分层、初级抽样单元）；
在此之前按简单随机抽样估计。
Declare the sample design under `[design.<instrument>]` in `study.toml` (weights, strata,
PSUs); until then estimates assume a simple random sample.
"""


_NOTEBOOKS = """# Notebooks

每个笔记本是报告的一节：markdown 单元格写文字，代码单元格计算并登记数字（见 docs/notebooks.md）。
`baicun init` 为每份问卷写了一个起始笔记本（01_<问卷>.ipynb）：每个题组一个小节。
`baicun run` 按文件名顺序运行这些笔记本并汇编成报告。

Each notebook is one section of the report: markdown cells hold the text, code cells
compute and register the numbers (docs/notebooks.md). `baicun init` wrote a starter
notebook per form (01_<instrument>.ipynb): one subsection per group of the form.
`baicun run` runs the notebooks in file-name order and assembles the report.
"""


def init_study(folder: Path | str, forms: Sequence[str], *, name: str | None = None) -> Study:
    """Make a study folder at ``folder`` from the XLSForms ``forms`` (``PATH`` or ``NAME=PATH``).

    Raises
    ------
    StudyError
        ``STU050`` the folder already holds a study.toml; ``STU051``/``STU052`` (see
        :func:`parse_form_args`); the form's own errors (``INS0xx``) when a form does
        not load.
    """
    folder = Path(folder)
    target = folder / STUDY_FILE
    if target.exists():
        raise StudyError(
            "STU050",
            "the folder already holds a study: study.toml is not overwritten",
            file=target,
            hint="Choose a new folder for the study, or edit the existing study.toml.",
        )
    if not forms:
        raise StudyError(
            "STU051",
            "no form given",
            expected="one XLSForm per instrument",
            hint="baicun init DIR household.xlsx village.xlsx (or NAME=PATH).",
        )
    args = parse_form_args(forms)
    loaded = [(arg, load_instrument(arg.path)) for arg in args]  # INS0xx before any write
    for kind in _FOLDERS:
        (folder / DEFAULT_PATHS[kind]).mkdir(parents=True, exist_ok=True)
    surveys = folder / DEFAULT_PATHS["surveys"]
    declared = []
    for arg, instrument in loaded:
        copied = _copy_form(arg.path, surveys)
        declared.append((arg, copied.relative_to(folder).as_posix(), instrument))
    title = name or folder.resolve().name
    (folder / DEFAULT_PATHS["notebooks"] / "README.md").write_text(_NOTEBOOKS, encoding="utf-8")
    for kind in ("raw", "processed", "reports"):
        keep = folder / DEFAULT_PATHS[kind] / ".gitkeep"
        if not any(keep.parent.iterdir()):
            keep.write_text("", encoding="utf-8")
    readme = folder / "README.md"
    readme.exists() or readme.write_text(
        _README.format(
            name=title,
            forms=", ".join(Path(f).name for _, f, _ in declared),
            exports=", ".join(f"`{a.name}.csv`" for a, _, _ in declared),
        ),
        encoding="utf-8",
    )
    target.write_text(study_toml(title, declared), encoding="utf-8")
    study = Study.load(folder)
    write_starter_notebooks(
        study.notebooks_dir, [(a.name, i) for a, _, i in declared], study.default_language
    )
    return study
