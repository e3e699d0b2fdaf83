"""Line up a wave collected with an older instrument with the current one.

The study declares, per instrument, what changed between versions (see
``baicun instrument diff OLD NEW``) in ``study.toml``::

    [harmonise.household]
    rename = { uses_wechat = "uses_wechat_group" }      # old name -> new name
    [harmonise.household.recode.info_channels]           # old code -> new code,
    "3" = "9"                                            # per (new) question name

:func:`harmonisation` reads and checks that map against the study's (current) form;
:func:`harmonise` applies it to a data frame of the older wave: columns renamed old ->
new, then codes recoded in select_one columns and inside the space-separated answers
of select_multiple columns. Apply it only to data collected with the *old* instrument:
recoding a frame of the new wave would change codes that are already right.

Examples
--------
>>> import pandas as pd
>>> h = Harmonisation(
...     "household",
...     rename={"uses_wechat": "uses_wechat_group"},
...     recode={"info_channels": {"3": "9"}, "head_sex": {"2": "0"}},
...     multiple=frozenset({"info_channels"}),
... )
>>> old = pd.DataFrame({"uses_wechat": ["1", "2"], "info_channels": ["1 3", None],
...                     "head_sex": ["2", "1"]})
>>> print(harmonise(old, h))
  uses_wechat_group info_channels head_sex
0                 1           1 9        0
1                 2           NaN        1
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd

from ..errors import InstrumentError
from ..study import STUDY_FILE, Study
from .load import load_instrument

__all__ = ["Harmonisation", "harmonisation", "harmonise", "map_between", "maps_between"]


@dataclass(frozen=True)
class Harmonisation:
    """The harmonisation map of one instrument: renames and recodes (old -> new).

    Attributes
    ----------
    instrument : str
        The instrument's name in ``study.toml``.
    rename : Mapping[str, str]
        Old question name -> new question name.
    recode : Mapping[str, Mapping[str, str]]
        New question name -> {old code: new code}.
    multiple : frozenset[str]
        The recoded questions whose answers are several space-separated codes.
    """

    instrument: str
    rename: Mapping[str, str] = field(default_factory=dict)
    recode: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    multiple: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "rename", MappingProxyType(dict(self.rename)))
        recode = {q: MappingProxyType(dict(codes)) for q, codes in self.recode.items()}
        object.__setattr__(self, "recode", MappingProxyType(recode))
        object.__setattr__(self, "multiple", frozenset(self.multiple))

    @property
    def is_empty(self) -> bool:
        """True when the map renames and recodes nothing."""
        return not self.rename and not any(self.recode.values())


def harmonisation(study: Study, instrument_name: str) -> Harmonisation:
    """The harmonisation map of ``instrument_name``, checked against the study's form.

    Parameters
    ----------
    study : Study
        The study; the map is ``[harmonise.<instrument_name>]`` of its ``study.toml``
        (no such table: an empty map).
    instrument_name : str
        An instrument of the study; its form is the *new* (current) version.

    Raises
    ------
    StudyError
        ``STU005`` when the instrument is not declared in the study.
    InstrumentError
        ``INS060`` the map is malformed (unknown key, a value that is not a name or code);
        ``INS061`` a rename names a new question the form lacks, keeps an old name the
        form still has, or sends two old names to one new name; ``INS062`` a recode
        names a question the form lacks or one that is not a select question;
        ``INS063`` a recode's new code is not a choice (nor a missing code) of the list.
    """
    form = study.form_path(instrument_name)  # STU005 when unknown
    where = {"file": str(study.root / STUDY_FILE)}
    base = f"harmonise.{instrument_name}"
    raw = study.setting("harmonise", instrument_name, default={})
    if not isinstance(raw, Mapping):
        raise _malformed(where, base, "a table", raw)
    unknown = sorted(set(raw) - {"rename", "recode"})
    if unknown:
        raise InstrumentError(
            "INS060",
            f"unknown key in [{base}]: {', '.join(unknown)}",
            column=base,
            expected="rename, recode",
            found=", ".join(unknown),
            hint='Write the renames under rename = {old = "new"} and the codes under '
            f"[{base}.recode.QUESTION].",
            **where,
        )
    rename = _names(raw.get("rename", {}), where, f"{base}.rename")
    recode_raw = raw.get("recode", {})
    if not isinstance(recode_raw, Mapping):
        raise _malformed(where, f"{base}.recode", "a table of questions", recode_raw)
    recode = {str(q): _names(codes, where, f"{base}.recode.{q}") for q, codes in recode_raw.items()}

    instrument = load_instrument(form)
    targets: dict[str, str] = {}
    for old, new in rename.items():
        problem = None
        if new not in instrument:
            problem = f"the new name '{new}' is not a question of {form.name}"
            hint = "Write the name the question has in the current form (run `baicun instrument diff OLD NEW`)."
        elif old in instrument:
            problem = f"the old name '{old}' is still a question of {form.name}"
            hint = "Rename only questions the current form no longer has, or drop this entry."
        elif new in targets:
            problem = f"'{targets[new]}' and '{old}' are both renamed to '{new}'"
            hint = "Keep one of the two renames."
        if problem:
            raise InstrumentError(
                "INS061",
                f"rename {old} -> {new} does not fit the form: {problem}",
                column=f"{base}.rename.{old}",
                found=f'{old} = "{new}"',
                hint=hint,
                **where,
            )
        targets[new] = old

    multiple = set()
    for name, codes in recode.items():
        column = f"{base}.recode.{name}"
        if name not in instrument or not instrument[name].is_select:
            what = (
                "not a question"
                if name not in instrument
                else f"a {instrument[name].type} question"
            )
            raise InstrumentError(
                "INS062",
                f"recode names '{name}', which is {what} of {form.name}; only select questions are recoded",
                column=column,
                expected="a select_one or select_multiple question of the current form",
                found=name,
                hint="Use the question's name in the current form (after the renames).",
                **where,
            )
        question = instrument[name]
        choices = instrument.choices(question)
        if choices is not None:
            known = set(choices.codes) | set(question.missing_codes)
            bad = sorted({new for new in codes.values() if new not in known})
            if bad:
                raise InstrumentError(
                    "INS063",
                    f"recode of '{name}' gives codes its choice list '{question.list_name}' lacks: {', '.join(bad)}",
                    column=column,
                    expected=", ".join(choices.codes),
                    found=", ".join(bad),
                    hint="Recode to codes of the current form's list (old code -> new code).",
                    **where,
                )
        if question.is_multiple:
            multiple.add(name)
    return Harmonisation(instrument_name, rename, recode, frozenset(multiple))


def map_between(study: Study, name: str, wave: str, older: str) -> Harmonisation | None:
    """The harmonisation map that lines ``older``'s data of instrument ``name`` up with
    ``wave``'s form, or None when none applies.

    A map applies when ``wave`` uses the instrument's current form, ``older`` was
    collected with another one and the study declares a non-empty map for it (the
    report's wave-over-wave comparisons and the panel checks of validation use it).

    Raises
    ------
    InstrumentError
        As :func:`harmonisation`, for a malformed map that applies.
    """
    current = study.form_path(name)
    if study.form_path(name, wave) != current or study.form_path(name, older) == current:
        return None
    h = harmonisation(study, name)
    return None if h.is_empty else h


def maps_between(study: Study, wave: str, older: str) -> dict[str, Harmonisation]:
    """:func:`map_between` for every instrument of the study that has one."""
    maps = {name: map_between(study, name, wave, older) for name in study.instrument_names}
    return {name: h for name, h in maps.items() if h is not None}


def harmonise(frame: pd.DataFrame, h: Harmonisation) -> pd.DataFrame:
    """A copy of ``frame`` (collected with the old instrument) in the new instrument's terms.

    Columns are renamed old -> new; then, in each recoded question's column, select_one
    codes are replaced and select_multiple answers recoded code by code (a code two old
    codes map to is kept once). Columns the map does not name are left as they are, and
    names of the map that the frame lacks are skipped.

    Raises
    ------
    InstrumentError
        ``INS064`` when the frame has both the old and the new name of a renamed question.
    """
    both = [old for old, new in h.rename.items() if old in frame.columns and new in frame.columns]
    if both:
        old = both[0]
        raise InstrumentError(
            "INS064",
            f"the data has both '{old}' and '{h.rename[old]}', which the harmonisation map of "
            f"'{h.instrument}' renames one into the other",
            column=old,
            found=", ".join(f"{o} and {h.rename[o]}" for o in both),
            hint="Harmonise only data collected with the old instrument, before joining waves.",
        )
    out = frame.rename(columns=dict(h.rename))
    for name, codes in h.recode.items():
        if name not in out.columns or not codes:
            continue
        many = name in h.multiple
        out[name] = out[name].map(lambda v, c=codes, m=many: _recode(v, c, m))
    return out


def _recode(value: Any, codes: Mapping[str, str], many: bool) -> Any:
    if not isinstance(value, str):
        if value is None or pd.isna(value):
            return value
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        return codes.get(text, value)
    if not many:
        return codes.get(value.strip(), value)
    recoded = dict.fromkeys(codes.get(code, code) for code in value.split())
    return " ".join(recoded)


def _names(raw: Any, where: dict[str, str], column: str) -> dict[str, str]:
    """A TOML table of name -> name (or code -> code; whole numbers allowed for codes)."""
    if not isinstance(raw, Mapping):
        raise _malformed(where, column, "a table", raw)
    out = {}
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
            raise _malformed(where, f"{column}.{key}", "a name or code in quotes", value)
        out[str(key).strip()] = str(value).strip()
    return out


def _malformed(where: dict[str, str], column: str, expected: str, found: Any) -> InstrumentError:
    return InstrumentError(
        "INS060",
        f"[{column}] of the harmonisation map is not {expected}",
        column=column,
        expected=expected,
        found=repr(found),
        hint='Write renames as rename = { old = "new" } and recodes as "old code" = "new code".',
        **where,
    )
