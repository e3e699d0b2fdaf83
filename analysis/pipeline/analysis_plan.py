"""A REACH / IMPACT list of analyses (LOA) imported as ``[[estimates]]`` entries.

The LOA of REACH's ``analysistools`` is a CSV with one analysis per row: ``analysis_type``,
``analysis_var``, ``group_var`` (empty, or group columns separated by commas) and
``level`` (the confidence level). Each row becomes one ``[[estimates]]`` entry:

================================  ==============================================
``analysis_type``                 ``[[estimates]]`` entry
================================  ==============================================
``prop_select_one``               ``stat = "proportion"``, ``method = "wald"``
``prop_select_multiple``          ``stat = "choices"``, ``method = "wald"``
``mean``                          ``stat = "mean"``
``median``                        ``stat = "quantile"``, ``quantiles = [0.5]``
================================  ==============================================

``group_var`` becomes ``by`` and ``level`` becomes ``ci_level``. Every entry gets
``df = "design"``: analysistools computes with srvyr, whose intervals use the degrees of
freedom of the design (restricted to the records that answered), not those of each group;
its shares use srvyr's ``survey_mean`` interval (estimate +- t SE, ``method = "wald"``).
Another ``analysis_type`` (e.g. ``ratio``) is reported: an error ``STU028`` naming the
rows, or, with ``unknown="skip"``, a warning naming them.

Examples
--------
>>> import io
>>> loa = io.StringIO('analysis_type,analysis_var,group_var,level\\n'
...                   'mean,income,,0.95\\nprop_select_one,water,"admin1, admin2",0.9\\n')
>>> entries = import_analysis_plan(loa, instrument="household")
>>> entries[0]
{'name': 'mean_income', 'instrument': 'household', 'stat': 'mean', 'variables': ['income'], \
'ci_level': 0.95, 'df': 'design'}
>>> entries[1]["name"], entries[1]["by"], entries[1]["method"]
('prop_select_one_water_by_admin1_admin2', ['admin1', 'admin2'], 'wald')
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from pathlib import Path
from typing import Any, TextIO

from ..errors import BaicunError, StudyError
from ..study import STUDY_FILE, Study
from .estimates import estimate_specs

__all__ = ["LOA_TYPES", "import_analysis_plan"]

#: analysistools ``analysis_type`` -> the ``[[estimates]]`` keys it sets.
LOA_TYPES: dict[str, dict[str, Any]] = {
    "prop_select_one": {"stat": "proportion", "method": "wald"},
    "prop_select_multiple": {"stat": "choices", "method": "wald"},
    "mean": {"stat": "mean"},
    "median": {"stat": "quantile", "quantiles": [0.5]},
}

_REQUIRED = ("analysis_type", "analysis_var")
_MISSING = ("", "NA")


def import_analysis_plan(
    loa: str | Path | TextIO,
    *,
    instrument: str = "main",
    df: str = "design",
    unknown: str = "error",
) -> list[dict[str, Any]]:
    """The ``[[estimates]]`` entries of a REACH analysistools list of analyses.

    Parameters
    ----------
    loa : str, pathlib.Path or file-like
        The LOA CSV (columns ``analysis_type``, ``analysis_var``, ``group_var``, ``level``).
    instrument : str
        The instrument every entry estimates.
    df : {"design", "domain"}
        The entries' degrees of freedom (``"design"``: analysistools' srvyr convention).
    unknown : {"error", "skip"}
        An ``analysis_type`` baicun does not import: raise ``STU028`` (default), or warn
        naming the rows and leave them out.

    Returns
    -------
    list of dict
        One entry per LOA row, in order, with unique names
        ``<analysis_type>_<analysis_var>[_by_<group_var>...]``.

    Raises
    ------
    StudyError
        ``STU027`` if the file lacks a column or a level is not a number in (0, 1);
        ``STU028`` for unknown analysis types (``unknown="error"``).
    """
    where = loa if isinstance(loa, (str, Path)) else getattr(loa, "name", "list of analyses")
    rows = _read(loa, where)
    entries: list[dict[str, Any]] = []
    skipped: list[str] = []
    names: set[str] = set()
    for number, row in enumerate(rows, start=2):
        kind = (row.get("analysis_type") or "").strip()
        variable = (row.get("analysis_var") or "").strip()
        if kind not in LOA_TYPES:
            skipped.append(f"row {number}: {kind or '(empty)'} {variable}".rstrip())
            continue
        by = _groups(row.get("group_var"))
        entry: dict[str, Any] = {"name": _unique(kind, variable, by, names)}
        entry["instrument"] = instrument
        entry.update(LOA_TYPES[kind])
        entry["variables"] = [variable]
        if by:
            entry["by"] = by
        entry["ci_level"] = _level(row.get("level"), where, number)
        entry["df"] = df
        entries.append(entry)
    if skipped:
        message = f"the list of analyses has analysis types baicun does not import: {skipped}"
        if unknown != "skip":
            raise StudyError(
                "STU028",
                message,
                file=where,
                column="analysis_type",
                expected=", ".join(LOA_TYPES),
                found="; ".join(skipped),
                hint='Declare these tables by hand in study.toml (e.g. stat = "ratio" with a '
                'denominator), or pass unknown="skip" to import the others.',
            )
        warnings.warn(message, stacklevel=2)
    return entries


def _read(loa: str | Path | TextIO, where: Any) -> list[dict[str, str]]:
    try:
        if isinstance(loa, (str, Path)):
            text = Path(loa).read_text(encoding="utf-8-sig")
        else:
            text = loa.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyError(
            "STU027",
            f"cannot read the list of analyses: {exc}",
            file=where,
            hint="Give the LOA as a UTF-8 CSV file.",
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in _REQUIRED if c not in columns]
    if missing:
        raise StudyError(
            "STU027",
            "the list of analyses lacks required columns",
            file=where,
            expected="analysis_type, analysis_var, group_var, level",
            found=", ".join(columns) or "no header",
            hint="Export the LOA sheet as CSV with its header row.",
        )
    return [{(k or "").strip(): v for k, v in row.items()} for row in reader]


def _groups(value: str | None) -> list[str]:
    text = (value or "").strip()
    if text in _MISSING:
        return []
    return [g.strip() for g in text.split(",") if g.strip()]


def _level(value: str | None, where: Any, number: int) -> float:
    text = (value or "").strip()
    if text in _MISSING:
        return 0.95
    try:
        level = float(text)
    except ValueError:
        level = float("nan")
    if not 0 < level < 1:
        raise StudyError(
            "STU027",
            "a confidence level of the list of analyses is not a number between 0 and 1",
            file=where,
            row=number,
            column="level",
            expected="e.g. 0.95",
            found=repr(text),
            hint="Write the level as a share, e.g. 0.95 (not 95).",
        )
    return level


def _unique(kind: str, variable: str, by: list[str], names: set[str]) -> str:
    base = "_".join([kind, variable, *(["by", *by] if by else [])])
    base = re.sub(r"[^0-9A-Za-z_]+", "_", base)
    name, k = base, 2
    while name in names:
        name, k = f"{base}_{k}", k + 1
    names.add(name)
    return name


def estimates_toml(entries: list[dict[str, Any]]) -> str:
    """``[[estimates]]`` tables as TOML text, one per entry, in order.

    Examples
    --------
    >>> print(estimates_toml([{"name": "mean_income", "instrument": "hh", "stat": "mean",
    ...                        "variables": ["income"], "ci_level": 0.95}]))
    [[estimates]]
    name = "mean_income"
    instrument = "hh"
    stat = "mean"
    variables = ["income"]
    ci_level = 0.95
    <BLANKLINE>
    """

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(str(v), ensure_ascii=False)  # a TOML basic string

    blocks = [
        "[[estimates]]\n" + "".join(f"{key} = {value(v)}\n" for key, v in entry.items())
        for entry in entries
    ]
    return "\n".join(blocks)


def add_to_study(study: Study, entries: list[dict[str, Any]], *, source: str) -> Study:
    """Append ``entries`` to the study's ``study.toml`` as ``[[estimates]]`` tables.

    The file is only appended to; when the result does not load (an entry's name is already
    used, a key the schema refuses), the file is put back as it was and the error raised.
    """
    path = study.root / STUDY_FILE
    before = path.read_text(encoding="utf-8")
    header = f"\n# ---------------------------------------------------------------- imported\n# from {source}\n"
    path.write_text(before.rstrip("\n") + "\n" + header + estimates_toml(entries), encoding="utf-8")
    try:
        loaded = Study.load(study.root)
        estimate_specs(loaded)
    except BaicunError:
        path.write_text(before, encoding="utf-8")
        raise
    return loaded
