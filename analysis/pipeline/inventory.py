"""The raw folder of a wave as an inventory: every file is matched, known, or reported.

A file in ``data/raw/<wave>/`` is

* the **export of an instrument** when its name without the extension is the instrument's
  name, or starts with it followed by ``_``, ``-``, ``.`` or a space (``village.csv``,
  ``village_2026.csv``, ``household-final.zip``; the longest matching instrument name
  wins), or when ``study.toml`` names it for that wave::

      [waves.files.2026]
      village = "村级调查表2026.csv"

* **part of the wave's paperwork**: ``corrections.csv`` (and the report
  ``baicun corrections import`` writes beside it), a ``README`` and hidden files
  (``.gitkeep``, ``.DS_Store``);
* **ignored** on purpose when it matches a pattern of ``[waves] ignore`` (e.g.
  ``ignore = ["*.pdf", "photos/*"]``);
* otherwise **unknown**: the run stops with ``STU033``, naming the file and the names it
  expected. Nothing in the folder is skipped without a word.

An instrument with no export stops the run with ``STU034`` unless the study marks it
optional for the wave (``[waves.optional] 2026 = ["cadre"]``).

Examples
--------
>>> match_instrument("village_2026.csv", ("village", "household"))
'village'
>>> match_instrument("household-members.csv", ("household", "household-members"))
'household-members'
>>> match_instrument("村级调查表.csv", ("village",)) is None
True
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import StudyError
from ..study import Study

__all__ = [
    "RAW_SUFFIXES",
    "RawInventory",
    "match_instrument",
    "raw_inventory",
]

#: Raw export types, in the order they are preferred when several files match.
RAW_SUFFIXES = (".zip", ".csv", ".xlsx", ".xls", ".sav", ".zsav", ".dta", ".txt", ".tsv")
_SEPARATORS = ("_", "-", ".", " ")
_PAPERWORK = ("corrections.csv", "corrections-import-report.csv")


@dataclass(frozen=True)
class RawInventory:
    """What a wave's raw folder holds.

    Attributes
    ----------
    exports : dict
        Instrument name -> its export, in the order study.toml declares the instruments.
    paperwork : tuple of Path
        ``corrections.csv``, READMEs and hidden files.
    ignored : tuple of Path
        Files matching ``[waves] ignore``.
    optional_missing : tuple of str
        Optional instruments (``[waves.optional]``) with no export in this wave.
    """

    exports: dict[str, Path]
    paperwork: tuple[Path, ...] = ()
    ignored: tuple[Path, ...] = ()
    optional_missing: tuple[str, ...] = ()


def _stem(name: str) -> str:
    lower = name.lower()
    for suffix in RAW_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def match_instrument(file_name: str, instruments: Sequence[str]) -> str | None:
    """The instrument a raw file's name belongs to, or ``None``.

    Parameters
    ----------
    file_name : str
        The file's name (with its extension, which must be a raw export type).
    instruments : sequence of str
        The study's instrument names.
    """
    if not file_name.lower().endswith(RAW_SUFFIXES):
        return None
    stem = _stem(file_name).lower()
    best = None
    for name in instruments:
        low = name.lower()
        if stem == low or (stem.startswith(low) and stem[len(low)] in _SEPARATORS):
            if best is None or len(name) > len(best):
                best = name
    return best


def _expected(study: Study) -> str:
    return ", ".join(f"{n}.csv/.zip/.xlsx/.sav/.dta" for n in study.instrument_names)


def _declared_files(study: Study, wave: str, folder: Path) -> dict[str, Path]:
    declared = study.setting("waves", "files", wave, default={}) or {}
    out = {}
    for instrument, name in declared.items():
        study.instrument(instrument)  # STU005 for an unknown instrument name
        path = folder / str(name)
        if not path.is_file():
            raise StudyError(
                "STU035",
                f"study.toml names '{name}' as the {instrument} export of wave '{wave}', "
                "but the raw folder has no such file",
                file=folder,
                found=", ".join(sorted(p.name for p in folder.iterdir())) or "(empty folder)",
                hint=f"Correct [waves.files.{wave}] in study.toml or copy the file in.",
            )
        out[instrument] = path
    return out


def _is_paperwork(path: Path) -> bool:
    name = path.name.lower()
    return name in _PAPERWORK or name.startswith(("readme", "."))


def raw_inventory(study: Study, wave: str) -> RawInventory:
    """Match every file of ``data/raw/<wave>/`` to an instrument, or say why it cannot.

    Raises
    ------
    StudyError
        ``STU030`` no raw folder; ``STU031`` two exports of one instrument; ``STU032`` no
        export at all; ``STU033`` a file that is no instrument's export; ``STU034`` an
        instrument with no export that is not optional for the wave; ``STU035`` a file
        named in ``[waves.files]`` that is not there.
    """
    folder = study.raw_dir(wave)
    if not folder.is_dir():
        raise StudyError(
            "STU030",
            f"wave '{wave}' has no raw folder",
            file=folder,
            expected=", ".join(study.waves) or "(no waves yet)",
            found=wave,
            hint=f"Create it with `baicun new-wave {wave}` and copy the field exports into it.",
        )
    names = study.instrument_names
    declared = _declared_files(study, wave, folder)
    taken = {p.name for p in declared.values()}
    ignore = [str(p) for p in study.setting("waves", "ignore", default=[]) or []]
    candidates: dict[str, list[Path]] = {}
    paperwork, ignored, unknown = [], [], []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name in taken:
            continue
        rel = path.relative_to(folder).as_posix()
        if any(fnmatch.fnmatch(rel, pattern) for pattern in ignore):
            ignored.append(path)
        elif path.parent == folder and _is_paperwork(path):
            paperwork.append(path)
        elif path.parent == folder and (name := match_instrument(path.name, names)):
            candidates.setdefault(name, []).append(path)
        elif any(part.startswith(".") for part in path.relative_to(folder).parts):
            paperwork.append(path)
        else:
            unknown.append(rel)
    if unknown:
        raise StudyError(
            "STU033",
            f"wave '{wave}' has {len(unknown)} file(s) that are no instrument's export: "
            + ", ".join(unknown),
            file=folder,
            expected=_expected(study),
            found=", ".join(unknown),
            hint="Rename each export after its instrument (e.g. village_2026.csv), or name it "
            f'under [waves.files.{wave}] in study.toml (village = "{unknown[0]}"), or list '
            'files to leave alone under [waves] ignore = ["*.pdf"].',
        )
    exports = dict(declared)
    for name, paths in candidates.items():
        if name in exports or len(paths) > 1:
            found = [p.name for p in paths] + ([exports[name].name] if name in exports else [])
            raise StudyError(
                "STU031",
                f"wave '{wave}' has several exports of instrument '{name}'",
                file=folder,
                found=", ".join(found),
                hint="Keep one export per instrument in the raw folder (move older exports "
                "elsewhere).",
            )
        exports[name] = paths[0]
    if not exports:
        raise StudyError(
            "STU032",
            f"wave '{wave}' has no export of any instrument",
            file=folder,
            expected=_expected(study),
            hint="Name each export after its instrument (e.g. household.zip) and put it in the "
            "wave's raw folder.",
        )
    optional = set(study.setting("waves", "optional", wave, default=[]) or [])
    missing = [n for n in names if n not in exports and n not in optional]
    if missing:
        raise StudyError(
            "STU034",
            f"wave '{wave}' has no export of instrument(s) {', '.join(missing)}",
            file=folder,
            expected=_expected(study),
            found=", ".join(p.name for p in exports.values()),
            hint="Copy the missing export into the raw folder, name a differently named file "
            f"under [waves.files.{wave}], or, if the instrument was not fielded in this wave, "
            f'declare it under [waves.optional]: "{wave}" = {missing!r}.'.replace("'", '"'),
        )
    return RawInventory(
        exports={n: exports[n] for n in names if n in exports},
        paperwork=tuple(paperwork),
        ignored=tuple(ignored),
        optional_missing=tuple(n for n in names if n not in exports),
    )
