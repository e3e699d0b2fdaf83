"""Validation settings: thresholds of every check, from ``[validate]`` in study.toml.

Every key is optional; a key the validator does not know raises ``VAL003`` (a typo in
a threshold must not switch a check off silently). The full layout:

.. code-block:: toml

    [validate]
    language = "zh"              # language of the messages: zh or en
    timezone = "Asia/Shanghai"   # where the phones were (today(), date-times)
    skip = []                    # check families not to run, e.g. ["near_duplicate"]
    enumerator = ""              # column of the enumerator (default: role = enumerator)
    day = ""                     # column of the interview day (default: start, today)
    chunk_size = 50000           # records per block of the form-rule checks
    jobs = 0                     # worker processes (fork); 0: 2 from 100,000 records, else none

    [validate.duration]          # interview length from start/end
    min_minutes = 10
    max_minutes = 240
    when = ""                    # XLSForm condition: which interviews, e.g. "${consent} = '1'"
                                 # or per instrument: { household = "${consent} = '1'" }

    [validate.outliers]          # numeric answers, declared missing codes left out
    method = "iqr"               # iqr (Q1 - k*IQR, Q3 + k*IQR), sd (mean +- k*SD) or none
    k = 3.0
    min_n = 20                   # fewer answers: no outlier check
    by = ""                      # compute the limits within groups of this column
    scale = "auto"               # auto: log(1+x) for skewed answers >= 0; linear; log

    [validate.near_duplicates]
    share = 0.95                 # same value on this share of the answered fields
    min_answered = 10            # records answering fewer fields are not compared
    exclude = []                 # fields never compared (ids, dates, ...)

    [validate.missing_codes]
    max_share = 0.10             # variable: share of answers that are missing codes
    min_answers = 20
    enumerator_factor = 2.0      # enumerator's don't-know rate > factor x overall ...
    enumerator_min_gap = 0.05    # ... and at least this much above it

    [validate.enumerators]
    max_per_day = 0              # 0: twice the median day, at least median + 4
    short_factor = 0.5           # median duration below this share of the overall median
    min_interviews = 10

    [validate.pii]
    phone = true                 # mainland mobile numbers 1[3-9]xxxxxxxxx
    id_number = true             # resident ID numbers with a valid GB 11643 check digit
    skip = []                    # free-text variables not scanned

    [validate.variables.income_total]        # or "household.income_total"
    outliers = "sd"              # method for this variable (iqr, sd, none)
    k = 4.0
    scale = "linear"
    soft_min = 0                 # soft range: outside it is a warning
    soft_max = 100
    by = "county"

    [validate.links.household]   # household against its parent (study.toml parent)
    same = { county = "county", village_hh_total = "households" }   # child = parent
    count = "hh_sampled"         # records per parent should equal this child column

    [validate.panel.village]     # a panel: baicun run checks it against the previous wave
    stable = ["county", "township", "village_name"]

Examples
--------
>>> s = ValidateSettings.from_mapping({"duration": {"min_minutes": 15}, "variables": {
...     "income_total": {"outliers": "sd", "k": 4, "soft_max": 100}}})
>>> s.duration.min_minutes, s.duration.max_minutes
(15.0, 240.0)
>>> rule = s.outlier_rule("household", "income_total")
>>> rule.method, rule.k, rule.soft_max
('sd', 4.0, 100.0)
>>> ValidateSettings.from_mapping({"duraton": {}})
Traceback (most recent call last):
...
analysis.errors.ValidationError: [VAL003] unknown setting 'validate.duraton'
  where: study.toml
  expected: chunk_size, day, duration, enumerator, enumerators, jobs, language, links, missing_codes, near_duplicates, outliers, panel, pii, skip, timezone, variables
  found: duraton
  what to do: Fix the spelling, or remove the key (see docs/errors/validate.md for every setting).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from ..errors import ValidationError

__all__ = [
    "CHECKS",
    "DurationSettings",
    "EnumeratorSettings",
    "LinkSettings",
    "MissingCodeSettings",
    "NearDuplicateSettings",
    "OutlierRule",
    "OutlierSettings",
    "PanelSettings",
    "PiiSettings",
    "ValidateSettings",
]

#: The check families, in report order (names used by ``skip``).
CHECKS = (
    "read",
    "type",
    "choice",
    "constraint",
    "required",
    "relevance",
    "calculation",
    "structure",
    "duplicate",
    "near_duplicate",
    "outlier",
    "missing_code",
    "duration",
    "enumerator",
    "consistency",
    "panel",
    "pii",
    "settings",
)

_METHODS = ("iqr", "sd", "none")
_SCALES = ("auto", "linear", "log")


def _bad(path: str, message: str, *, expected: Any, found: Any, hint: str) -> ValidationError:
    return ValidationError(
        "VAL004", message, file="study.toml", column=path, expected=expected, found=found, hint=hint
    )


def _number(path: str, value: Any, *, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(
            path,
            f"setting {path} must be a number",
            expected="a number",
            found=repr(value),
            hint="Write a number without quotes, e.g. 10 or 0.95.",
        )
    number = float(value)
    if (low is not None and number < low) or (high is not None and number > high):
        span = f"{low if low is not None else '-inf'} .. {high if high is not None else 'inf'}"
        raise _bad(
            path,
            f"setting {path} is out of range",
            expected=span,
            found=value,
            hint="Choose a value in the range shown.",
        )
    return number


def _text(path: str, value: Any, choices: tuple[str, ...] | None = None) -> str:
    if not isinstance(value, str):
        raise _bad(
            path,
            f"setting {path} must be text",
            expected="text in quotes",
            found=repr(value),
            hint='Write it in quotes, e.g. "iqr".',
        )
    if choices is not None and value not in choices:
        raise _bad(
            path,
            f"setting {path} has an unknown value",
            expected=", ".join(choices),
            found=value,
            hint="Use one of the values listed.",
        )
    return value


def _names(path: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _bad(
            path,
            f"setting {path} must be a list of names",
            expected='a list such as ["a", "b"]',
            found=repr(value),
            hint="Write the names in quotes inside [ ].",
        )
    return tuple(value)


def _boolean(path: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _bad(
            path,
            f"setting {path} must be true or false",
            expected="true or false",
            found=repr(value),
            hint="Write true or false without quotes.",
        )
    return value


def _table(path: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(
            path,
            f"setting {path} must be a table",
            expected=f"[{path}] with keys below it",
            found=repr(value),
            hint=f"Write it as a [{path}] section or an inline table {{ ... }}.",
        )
    return value


def _known(path: str, mapping: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for key in mapping:
        if key not in allowed:
            raise ValidationError(
                "VAL003",
                f"unknown setting '{path}.{key}'",
                file="study.toml",
                expected=", ".join(sorted(allowed)),
                found=key,
                hint="Fix the spelling, or remove the key (see docs/errors/validate.md for every setting).",
            )


@dataclass(frozen=True)
class DurationSettings:
    """Thresholds of the interview-duration check (minutes).

    ``when`` is an XLSForm expression choosing the interviews the thresholds apply to
    (e.g. ``${consent} = '1'``: a refusal is short by nature); empty: all of them. A
    table of instrument name -> expression gives the condition of each instrument (the
    others have none), for a question only one form has.

    >>> DurationSettings(when={"household": "${consent} = '1'"}).when_for("village")
    ''
    """

    min_minutes: float = 10.0
    max_minutes: float = 240.0
    when: str | Mapping[str, str] = ""

    def when_for(self, instrument: str) -> str:
        """The ``when`` condition of one instrument (``""``: every interview)."""
        if isinstance(self.when, str):
            return self.when
        return self.when.get(instrument, "")


@dataclass(frozen=True)
class OutlierSettings:
    """Default outlier rule of numeric questions."""

    method: str = "iqr"
    k: float = 3.0
    min_n: int = 20
    by: str = ""
    scale: str = "auto"


@dataclass(frozen=True)
class OutlierRule(OutlierSettings):
    """The outlier rule of one variable (defaults merged with its own settings)."""

    soft_min: float | None = None
    soft_max: float | None = None


@dataclass(frozen=True)
class NearDuplicateSettings:
    """When two records count as near duplicates."""

    share: float = 0.95
    min_answered: int = 10
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class MissingCodeSettings:
    """Thresholds of the missing-code (98/99) rates."""

    max_share: float = 0.10
    min_answers: int = 20
    enumerator_factor: float = 2.0
    enumerator_min_gap: float = 0.05


@dataclass(frozen=True)
class EnumeratorSettings:
    """Thresholds of the per-enumerator checks."""

    max_per_day: int = 0
    short_factor: float = 0.5
    min_interviews: int = 10


@dataclass(frozen=True)
class PiiSettings:
    """What the PII scan of free text looks for."""

    phone: bool = True
    id_number: bool = True
    skip: tuple[str, ...] = ()


@dataclass(frozen=True)
class LinkSettings:
    """Consistency of a child instrument with its parent (study.toml ``parent``)."""

    same: Mapping[str, str] = field(default_factory=dict)
    count: str = ""


@dataclass(frozen=True)
class PanelSettings:
    """Panel checks of one instrument against the previous wave."""

    stable: tuple[str, ...] = ()


@dataclass(frozen=True)
class ValidateSettings:
    """Every threshold of :func:`analysis.validate.validate` (see the module docstring)."""

    language: str = "zh"
    timezone: str = "Asia/Shanghai"
    skip: tuple[str, ...] = ()
    enumerator: str = ""
    day: str = ""
    chunk_size: int = 50_000
    jobs: int = 0
    duration: DurationSettings = DurationSettings()
    outliers: OutlierSettings = OutlierSettings()
    near_duplicates: NearDuplicateSettings = NearDuplicateSettings()
    missing_codes: MissingCodeSettings = MissingCodeSettings()
    enumerators: EnumeratorSettings = EnumeratorSettings()
    pii: PiiSettings = PiiSettings()
    variables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    links: Mapping[str, LinkSettings] = field(default_factory=dict)
    panel: Mapping[str, PanelSettings] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("variables", "links", "panel"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    # ------------------------------------------------------------------ building
    @classmethod
    def from_study(cls, study: Any) -> ValidateSettings:
        """The settings of ``study.toml``'s ``[validate]`` table (defaults when absent)."""
        if study is None:
            return cls()
        settings = cls.from_mapping(study.setting("validate", default={}) or {})
        when = settings.duration.when
        names = tuple(getattr(study, "instrument_names", ()) or ())
        if not isinstance(when, str) and names:
            for name in when:
                if name not in names:
                    raise ValidationError(
                        "VAL003",
                        f"unknown instrument '{name}' in validate.duration.when",
                        file="study.toml",
                        expected=", ".join(names),
                        found=name,
                        hint="Name the instruments as in [instruments].",
                    )
        return settings

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> ValidateSettings:
        """Parse a ``[validate]`` table; raise ``VAL003``/``VAL004`` on unknown keys or bad values."""
        mapping = _table("validate", mapping)
        top = tuple(f.name for f in fields(cls))
        _known("validate", mapping, top)
        kw: dict[str, Any] = {}
        if "language" in mapping:
            kw["language"] = _text("validate.language", mapping["language"], ("zh", "en"))
        if "timezone" in mapping:
            kw["timezone"] = _text("validate.timezone", mapping["timezone"])
        if "skip" in mapping:
            skip = _names("validate.skip", mapping["skip"])
            for name in skip:
                if name not in CHECKS:
                    raise ValidationError(
                        "VAL005",
                        f"unknown check '{name}' in validate.skip",
                        file="study.toml",
                        column="validate.skip",
                        expected=", ".join(CHECKS),
                        found=name,
                        hint="Name check families as listed.",
                    )
            kw["skip"] = skip
        for key in ("enumerator", "day"):
            if key in mapping:
                kw[key] = _text(f"validate.{key}", mapping[key])
        if "chunk_size" in mapping:
            kw["chunk_size"] = int(_number("validate.chunk_size", mapping["chunk_size"], low=1))
        if "jobs" in mapping:
            kw["jobs"] = int(_number("validate.jobs", mapping["jobs"], low=0, high=64))
        sections = {
            "duration": (DurationSettings, {"min_minutes": (0, None), "max_minutes": (0, None)}),
            "outliers": (OutlierSettings, {"k": (0, None), "min_n": (3, None)}),
            "near_duplicates": (
                NearDuplicateSettings,
                {"share": (0.5, 1), "min_answered": (1, None)},
            ),
            "missing_codes": (
                MissingCodeSettings,
                {
                    "max_share": (0, 1),
                    "min_answers": (1, None),
                    "enumerator_factor": (1, None),
                    "enumerator_min_gap": (0, 1),
                },
            ),
            "enumerators": (
                EnumeratorSettings,
                {"max_per_day": (0, None), "short_factor": (0, 1), "min_interviews": (1, None)},
            ),
            "pii": (PiiSettings, {}),
        }
        for name, (klass, ranges) in sections.items():
            if name in mapping:
                kw[name] = _section(f"validate.{name}", mapping[name], klass, ranges)
        if "variables" in mapping:
            variables = _table("validate.variables", mapping["variables"])
            parsed = {}
            for var, spec in variables.items():
                parsed[var] = _variable(f"validate.variables.{var}", spec)
            kw["variables"] = parsed
        if "links" in mapping:
            links = _table("validate.links", mapping["links"])
            kw["links"] = {
                name: _link(f"validate.links.{name}", spec) for name, spec in links.items()
            }
        if "panel" in mapping:
            panel = _table("validate.panel", mapping["panel"])
            out = {}
            for name, spec in panel.items():
                spec = _table(f"validate.panel.{name}", spec)
                _known(f"validate.panel.{name}", spec, ("stable",))
                out[name] = PanelSettings(
                    stable=_names(f"validate.panel.{name}.stable", spec.get("stable", []))
                )
            kw["panel"] = out
        return cls(**kw)

    def merged(self, overrides: Mapping[str, Any]) -> ValidateSettings:
        """These settings with some top-level values replaced (e.g. ``{"jobs": 2}``)."""
        _known("validate", overrides, tuple(f.name for f in fields(self)))
        return replace(self, **overrides)

    # ------------------------------------------------------------------ lookups
    def variable(self, instrument: str, name: str) -> Mapping[str, Any]:
        """Settings of one variable: ``"<instrument>.<name>"`` over ``"<name>"``."""
        out = dict(self.variables.get(name, {}))
        out.update(self.variables.get(f"{instrument}.{name}", {}))
        return out

    def outlier_rule(self, instrument: str, name: str) -> OutlierRule:
        """The outlier rule of one variable."""
        own = self.variable(instrument, name)
        base = self.outliers
        return OutlierRule(
            method=own.get("outliers", base.method),
            k=float(own.get("k", base.k)),
            min_n=int(own.get("min_n", base.min_n)),
            by=own.get("by", base.by),
            scale=own.get("scale", base.scale),
            soft_min=own.get("soft_min"),
            soft_max=own.get("soft_max"),
        )

    def workers(self, records: int) -> int:
        """Worker processes for ``records`` main records (``jobs = 0``: automatic)."""
        if self.jobs:
            return self.jobs
        return min(2, os.cpu_count() or 1) if records >= 100_000 else 1

    def runs(self, check: str) -> bool:
        """True unless the check family is in ``skip``."""
        return check not in self.skip


def _section(path: str, spec: Any, klass: type, ranges: Mapping[str, tuple]) -> Any:
    spec = _table(path, spec)
    names = tuple(f.name for f in fields(klass))
    _known(path, spec, names)
    kw: dict[str, Any] = {}
    defaults = klass()
    for key, value in spec.items():
        default = getattr(defaults, key)
        where = f"{path}.{key}"
        if isinstance(default, bool):
            kw[key] = _boolean(where, value)
        elif isinstance(default, int | float):
            low, high = ranges.get(key, (None, None))
            number = _number(where, value, low=low, high=high)
            kw[key] = int(number) if isinstance(default, int) else number
        elif isinstance(default, tuple):
            kw[key] = _names(where, value)
        elif key == "method":
            kw[key] = _text(where, value, _METHODS)
        elif key == "scale":
            kw[key] = _text(where, value, _SCALES)
        elif key == "when" and isinstance(value, Mapping):
            kw[key] = MappingProxyType(
                {str(k): _text(f"{where}.{k}", v) for k, v in _table(where, value).items()}
            )
        else:
            kw[key] = _text(where, value)
    return klass(**kw)


def _variable(path: str, spec: Any) -> Mapping[str, Any]:
    spec = _table(path, spec)
    _known(path, spec, ("outliers", "k", "min_n", "soft_min", "soft_max", "by", "scale"))
    out: dict[str, Any] = {}
    if "outliers" in spec:
        out["outliers"] = _text(f"{path}.outliers", spec["outliers"], _METHODS)
    if "k" in spec:
        out["k"] = _number(f"{path}.k", spec["k"], low=0)
    if "min_n" in spec:
        out["min_n"] = int(_number(f"{path}.min_n", spec["min_n"], low=3))
    for key in ("soft_min", "soft_max"):
        if key in spec:
            out[key] = _number(f"{path}.{key}", spec[key])
    if "by" in spec:
        out["by"] = _text(f"{path}.by", spec["by"])
    if "scale" in spec:
        out["scale"] = _text(f"{path}.scale", spec["scale"], _SCALES)
    if "soft_min" in out and "soft_max" in out and out["soft_min"] > out["soft_max"]:
        raise _bad(
            path,
            f"{path}: soft_min is above soft_max",
            expected="soft_min <= soft_max",
            found=f"{out['soft_min']} > {out['soft_max']}",
            hint="Swap the two limits.",
        )
    return MappingProxyType(out)


def _link(path: str, spec: Any) -> LinkSettings:
    spec = _table(path, spec)
    _known(path, spec, ("same", "count"))
    same = _table(f"{path}.same", spec.get("same", {}))
    for child, parent in same.items():
        _text(f"{path}.same.{child}", parent)
    count = _text(f"{path}.count", spec["count"]) if "count" in spec else ""
    return LinkSettings(same=MappingProxyType(dict(same)), count=count)
