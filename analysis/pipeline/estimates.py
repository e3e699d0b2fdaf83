"""The estimate tables a study declares in ``study.toml``, computed for one wave.

``[design.<instrument>]`` gives each instrument's design (weights, strata, psu, fpc,
lonely_psu); ``[[estimates]]`` entries name a table, the instrument, the statistic and
its variables; ``[estimate]`` holds study-wide defaults an entry may override::

    [design.household]
    weights = "weight"
    strata = "county"
    psu = "village_id"

    [estimate]
    method = "logit"                   # interval of proportions and choices
    ci_level = 0.95

    [[estimates]]
    name = "hh_participation"          # file name of the table
    instrument = "household"
    stat = "proportion"                # mean | proportion | total | ratio | quantile | choices
    variables = ["watched_film", "attended_lecture"]
    by = ["county"]                    # optional domains
    where = "consent == '1'"           # optional domain restriction (pandas query)
    method = "beta"                    # optional: overrides [estimate] method
    df = "design"                      # optional: overrides [estimate] df

    [[estimates]]
    name = "hh_subsidies"
    instrument = "household"
    stat = "choices"                   # select_multiple: the share choosing each choice
    variables = ["subsidies"]

``stat = "choices"`` gives one row per choice of a select_multiple question (``level`` the
choice code, ``label`` its label): the share of the records that answered the question and
chose it, computed from the choice's 0/1 column. ``proportion`` (or ``total``) of a
select_multiple question is refused (``STU025``): it would count every combination of
answers as a category.

The questions of a repeat (e.g. a household roster's ``member_age``) are estimated on the
repeat's rows: each row carries the design columns of its parent record (weights, strata,
psu, fpc of ``[design.<instrument>]``) and the parent's ``by`` columns, so ``mean`` of
``member_age`` by ``county`` is the mean age of the household members. ``table =
"members"`` says so explicitly (optional: the variables' repeat is found from the form).
The variables (and ``denominator``) of one entry are all of the main record or all of one
repeat; ``by`` may also name questions of the records a repeat row belongs to
(:func:`spec_table`, ``STU029`` otherwise)::

    [[estimates]]
    name = "member_age"
    instrument = "household"
    stat = "mean"
    variables = ["member_age"]
    by = ["county"]                    # a household question: each member takes its household's

``df`` chooses the degrees of freedom of the intervals: ``"domain"`` (the default, R's
``degf`` of each domain's rows, as :mod:`analysis.estimate` reports it) or ``"design"``
(one df for every ``by`` group: ``degf`` of the design restricted to the records used,
i.e. the ``where`` records that answered), which is srvyr's convention and reproduces
REACH analysistools results tables.

Every table ends with the counts of :mod:`analysis.pipeline.estimate_counts`:
``n_domain``, ``n_level`` (tables with levels) and ``weighted_n``.

Examples
--------
>>> import pandas as pd
>>> from analysis.design.from_study import build_design
>>> frame = pd.DataFrame({"w": [1.0, 2.0, 3.0, 4.0], "s": ["a", "a", "b", "b"],
...                       "p": ["1", "2", "3", "4"], "y": [1.0, 0.0, 1.0, 1.0]})
>>> spec = EstimateSpec(name="t", instrument="x", stat="mean", variables=("y",))
>>> design = build_design(frame, {"weights": "w", "strata": "s", "psu": "p"}, name="x")
>>> table = compute(spec, design)
>>> round(table["estimate"].item(), 3), table[["n", "n_domain", "weighted_n"]].values.tolist()
(0.8, [[4.0, 4.0, 10.0]])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import estimate as est
from ..design.survey import SurveyDesign
from ..errors import BaicunError, StudyError
from ..estimate.levels import is_categorical, level_codes
from ..study import Study
from .estimate_counts import domain_counts, level_counts

__all__ = [
    "DF_RULES",
    "METHODS",
    "STATS",
    "ChoiceColumn",
    "EstimateSpec",
    "choice_columns",
    "compute",
    "compute_many",
    "estimate_specs",
    "spec_table",
]

STATS = ("mean", "proportion", "total", "ratio", "quantile", "choices")

#: Confidence intervals of proportions and choices (``analysis.estimate.proportion(method=)``).
METHODS = ("logit", "wald", "beta", "xlogit", "asin")

#: Degrees of freedom of the intervals: each domain's own, or the design's (srvyr's).
DF_RULES = ("domain", "design")


@dataclass(frozen=True)
class EstimateSpec:
    """One ``[[estimates]]`` entry of study.toml (with the ``[estimate]`` defaults applied)."""

    name: str
    instrument: str
    stat: str
    variables: tuple[str, ...]
    by: tuple[str, ...] = ()
    where: str | None = None
    denominator: str | None = None
    quantiles: tuple[float, ...] = (0.5,)
    label: Mapping[str, str] | None = None
    method: str = "logit"
    ci_level: float = 0.95
    df: str = "domain"
    #: The repeat whose rows are estimated (``None``: the main record, or found from the form).
    table: str | None = None


@dataclass(frozen=True)
class ChoiceColumn:
    """The 0/1 column of one choice of a select_multiple question, and the choice's label."""

    code: str
    column: str
    label: str


def choice_columns(
    data: Any, instrument: Any = None, lang: str | None = None, table: str = "main"
) -> dict[str, tuple[ChoiceColumn, ...]]:
    """The select_multiple questions of a read export: question -> its choices' 0/1 columns.

    Parameters
    ----------
    data : analysis.readers.RawData
        The (cleaned) export; its metadata names each choice column (kind ``choice``).
    instrument : analysis.instrument.Instrument, optional
        The form, for the choices' labels (else the code is the label).
    lang : str, optional
        Language of the labels.
    table : str, default "main"
        The table: ``"main"`` or a repeat's name.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> info = {"q_1": NS(kind="choice", question="q", choice="1"),
    ...         "q": NS(kind="question", question="q", choice=None)}
    >>> data = NS(metadata=NS(column_info=lambda table: info))
    >>> choice_columns(data)
    {'q': (ChoiceColumn(code='1', column='q_1', label='1'),)}
    """
    found: dict[str, list[ChoiceColumn]] = {}
    for column, info in data.metadata.column_info(table).items():
        if info.kind != "choice" or info.question is None:
            continue
        label = None
        if instrument is not None:
            choices = instrument.choices(info.question)
            label = choices.label_of(info.choice, lang) if choices is not None else None
        found.setdefault(info.question, []).append(
            ChoiceColumn(str(info.choice), column, label or str(info.choice))
        )
    return {q: tuple(c) for q, c in found.items()}


# ---------------------------------------------------------------------- study.toml
def estimate_specs(study: Study) -> tuple[EstimateSpec, ...]:
    """The estimate tables declared in study.toml, checked."""
    defaults = study.config.get("estimate", {}) or {}
    specs = []
    seen: set[str] = set()
    for number, entry in enumerate(study.config.get("estimates", []), start=1):
        where = f"estimates entry {number}"
        name = entry.get("name")
        if not name or name in seen:
            raise StudyError(
                "STU020",
                f"{where}: every estimate table needs a unique name",
                file=study.root / "study.toml",
                found=name,
                hint='Give each [[estimates]] entry its own name = "...".',
            )
        seen.add(name)
        stat = entry.get("stat")
        if stat not in STATS:
            raise StudyError(
                "STU021",
                f"estimate table '{name}': unknown statistic",
                file=study.root / "study.toml",
                expected=", ".join(STATS),
                found=stat,
                hint="Use one of the statistics listed.",
            )
        instrument = entry.get("instrument")
        study.instrument(instrument)  # raises STU005 naming the known instruments
        variables = entry.get("variables") or ([entry["variable"]] if entry.get("variable") else [])
        if not variables:
            raise StudyError(
                "STU022",
                f"estimate table '{name}' names no variables",
                file=study.root / "study.toml",
                hint='Add variables = ["..."] (question names of the instrument).',
            )
        if stat == "ratio" and not entry.get("denominator"):
            raise StudyError(
                "STU023",
                f"estimate table '{name}': a ratio needs a denominator",
                file=study.root / "study.toml",
                hint='Add denominator = "..." (the question to divide by).',
            )
        method = entry.get("method", defaults.get("method", "logit"))
        ci_level = entry.get("ci_level", defaults.get("ci_level", 0.95))
        _check_setting(study, name, "method", method, entry, METHODS)
        df = entry.get("df", defaults.get("df", "domain"))
        _check_setting(study, name, "ci_level", ci_level, entry)
        _check_setting(study, name, "df", df, entry, DF_RULES)
        specs.append(
            EstimateSpec(
                name=name,
                instrument=instrument,
                stat=stat,
                variables=tuple(variables),
                by=tuple(entry.get("by", [])),
                where=entry.get("where"),
                denominator=entry.get("denominator"),
                quantiles=tuple(entry.get("quantiles", [0.5])),
                label=entry.get("label"),
                method=method,
                ci_level=float(ci_level),
                df=df,
                table=entry.get("table"),
            )
        )
    return tuple(specs)


def spec_table(spec: EstimateSpec, instrument: Any) -> str | None:
    """The repeat whose rows an estimate table is computed on (``None``: the main record).

    The variables and ``denominator`` must all be questions of the main record (or names the
    form does not know, e.g. added columns) or all of one repeat; ``by`` may name questions
    of that repeat or of the records it belongs to. An explicit ``table`` must agree.

    Raises
    ------
    StudyError
        ``STU029`` a mix of main and repeat questions, questions of two repeats, a ``by`` of a
        repeat the variables are not in, or a ``table`` that is no repeat of the form or
        disagrees with the variables.

    Examples
    --------
    >>> from analysis.instrument.model import Group, Instrument, Question
    >>> form = Instrument(None, "f", "F", None, None, ("zh",), (
    ...     Question("county", "text"), Question("age", "integer", repeat="members")),
    ...     (Group("members", "repeat"),), {})
    >>> spec = EstimateSpec(name="t", instrument="f", stat="mean", variables=("age",),
    ...                     by=("county",))
    >>> spec_table(spec, form)
    'members'
    >>> spec_table(EstimateSpec("t", "f", "mean", ("county", "age")), form)
    Traceback (most recent call last):
    ...
    analysis.errors.StudyError: [STU029] ...
    """
    repeats = {g.name: g for g in instrument.repeats}

    def table_of(name: str) -> str | None:
        try:
            return instrument.question(name).repeat
        except KeyError:
            return None

    names = [*spec.variables, *([spec.denominator] if spec.denominator else [])]
    tables = {name: table_of(name) for name in names}
    found = set(tables.values())
    table = next(iter(found)) if len(found) == 1 else None
    problem = None
    if len(found) > 1:
        problem = "mixes questions of " + ", ".join(
            sorted(f"{t or 'the main record'} ({n})" for t, n in _by_table(tables).items())
        )
    elif spec.table is not None and spec.table not in repeats:
        problem = f"names table = {spec.table!r}, which is no repeat of the form"
    elif spec.table is not None and table != spec.table:
        problem = f"names table = {spec.table!r}, but its variables are of {table or 'main'!r}"
    else:
        allowed = _ancestors(table, repeats)
        for name in spec.by:
            if table_of(name) not in allowed:
                problem = (
                    f"groups by {name!r} of repeat {table_of(name)!r}, which the variables' "
                    f"table ({table or 'the main record'}) does not belong to"
                )
                break
    if problem is None:
        return table
    raise StudyError(
        "STU029",
        f"estimate table '{spec.name}' {problem}",
        column=spec.name,
        expected="variables of the main record or of one repeat",
        found=", ".join(f"{n}: {t or 'main'}" for n, t in tables.items()),
        hint="Declare one table per repeat (its rows are the repeat's, e.g. household "
        "members) and one for the main record's questions; `by` may name questions of the "
        "records a repeat row belongs to.",
    )


def _by_table(tables: Mapping[str, str | None]) -> dict[str | None, str]:
    out: dict[str | None, list[str]] = {}
    for name, table in tables.items():
        out.setdefault(table, []).append(name)
    return {t: ", ".join(n) for t, n in out.items()}


def _ancestors(table: str | None, repeats: Mapping[str, Any]) -> set[str | None]:
    """``table``, its enclosing repeats and the main record (``None``)."""
    out: set[str | None] = {None}
    while table is not None:
        out.add(table)
        table = repeats[table].repeat if table in repeats else None
    return out


def _check_setting(
    study: Study,
    name: str,
    key: str,
    value: Any,
    entry: Mapping[str, Any],
    choices: Sequence[str] = (),
) -> None:
    """``STU041`` for a method not in ``choices`` or a ci_level not strictly within (0, 1)
    (study.toml's schema checks types; this checks what it cannot, e.g. ``ci_level = 95``).
    """
    if choices:
        good = value in choices
        expected = ", ".join(choices)
    else:
        good = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 1
        expected = "a number between 0 and 1, e.g. 0.95"
    if good:
        return
    table = f"[[estimates]] '{name}'" if key in entry else "[estimate]"
    raise StudyError(
        "STU041",
        f"{table}: {key} = {value!r} is not allowed",
        file=study.root / "study.toml",
        column=f"estimates.{key}" if key in entry else f"estimate.{key}",
        expected=expected,
        found=repr(value),
        hint=f"Use one of: {expected}; docs/study-toml.md lists every key.",
    )


# ---------------------------------------------------------------------- tables
def compute(
    spec: EstimateSpec,
    design: SurveyDesign,
    *,
    choices: Mapping[str, Sequence[ChoiceColumn]] | None = None,
) -> pd.DataFrame:
    """One declared estimate table on ``design``, with the counts appended.

    Parameters
    ----------
    spec : EstimateSpec
    design : SurveyDesign
    choices : mapping, optional
        The select_multiple questions of the instrument and their 0/1 columns
        (:func:`choice_columns`): ``stat = "choices"`` needs them, and ``proportion`` and
        ``total`` refuse these questions (``STU025``).
    """
    choices = choices or {}
    if spec.df == "design":
        design = design.with_df_rule("design")
    by = list(spec.by)
    where = _where(design, spec.where)
    tables = []
    for name in spec.variables:
        if spec.stat == "choices":
            tables.append(_choices(spec, design, name, by, where, choices))
            continue
        if spec.stat in ("proportion", "total") and name in choices:
            _refuse_multiple(spec, name)
        table = _estimate(spec, design, name, by or None, where)
        tables.append(pd.concat([table, _counts(spec, design, name, by, where)], axis=1))
    return pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]


def compute_many(
    specs: Sequence[EstimateSpec],
    design: SurveyDesign,
    *,
    choices: Mapping[str, Sequence[ChoiceColumn]] | None = None,
) -> list[pd.DataFrame]:
    """Several declared tables on one design, their estimates requested together.

    The same tables as :func:`compute` for each spec, in order; the means, totals and
    proportions of all the specs come from one reduction of the rows per domain coding
    (:func:`analysis.estimate.estimate_many`). A spec that fails raises as
    :func:`compute` would (the specs are then computed one by one).

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.design.from_study import build_design
    >>> frame = pd.DataFrame({"w": [1.0, 2.0, 3.0, 4.0], "s": ["a", "a", "b", "b"],
    ...                       "p": ["1", "2", "3", "4"], "y": [1.0, 0.0, 1.0, 1.0]})
    >>> design = build_design(frame, {"weights": "w", "strata": "s", "psu": "p"}, name="x")
    >>> specs = [EstimateSpec(name="m", instrument="x", stat="mean", variables=("y",)),
    ...          EstimateSpec(name="t", instrument="x", stat="total", variables=("y",))]
    >>> [round(t["estimate"].item(), 3) for t in compute_many(specs, design)]
    [0.8, 8.0]
    """
    choices = choices or {}
    try:
        return _compute_batch(specs, design, choices)
    except BaicunError:
        return [compute(spec, design, choices=choices) for spec in specs]


def _compute_batch(
    specs: Sequence[EstimateSpec],
    design: SurveyDesign,
    choices: Mapping[str, Sequence[ChoiceColumn]],
) -> list[pd.DataFrame]:
    variants: dict[str, SurveyDesign] = {"domain": design}
    wheres: dict[str | None, Any] = {}
    requests: dict[str, list[dict[str, Any]]] = {}
    parts: list[list[Any]] = []  # per spec: (rule, request number, name) or a finished table
    for spec in specs:
        if spec.df not in variants:
            variants[spec.df] = design.with_df_rule(spec.df)
        if spec.where not in wheres:
            wheres[spec.where] = _where(design, spec.where)
        by, where = list(spec.by), wheres[spec.where]
        mine: list[Any] = []
        for name in spec.variables:
            if spec.stat == "choices":
                mine.append(_choices(spec, variants[spec.df], name, by, where, choices))
                continue
            if spec.stat in ("proportion", "total") and name in choices:
                _refuse_multiple(spec, name)
            batch = requests.setdefault(spec.df, [])
            mine.append((spec.df, len(batch), name))
            batch.append(_request(spec, name, by or None, where))
        parts.append(mine)
    tables = {rule: est.estimate_many(variants[rule], reqs) for rule, reqs in requests.items()}
    out = []
    for spec, mine in zip(specs, parts):
        by, where = list(spec.by), wheres[spec.where]
        pieces = []
        for part in mine:
            if isinstance(part, pd.DataFrame):
                pieces.append(part)
                continue
            rule, number, name = part
            counts = _counts(spec, variants[rule], name, by, where)
            pieces.append(pd.concat([tables[rule][number], counts], axis=1))
        out.append(pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0])
    return out


def _request(spec: EstimateSpec, name: str, by: list[str] | None, where: Any) -> dict[str, Any]:
    """The :func:`analysis.estimate.estimate_many` request of one variable of a spec."""
    request: dict[str, Any] = {
        "stat": spec.stat,
        "variables": name,
        "by": by,
        "where": where,
        "ci_level": spec.ci_level,
    }
    if spec.stat == "proportion":
        request["method"] = spec.method
    elif spec.stat == "ratio":
        request["denominator"] = spec.denominator
    elif spec.stat == "quantile":
        request["q"] = list(spec.quantiles)
    return request


def _estimate(
    spec: EstimateSpec, design: SurveyDesign, name: str, by: list[str] | None, where: Any
) -> pd.DataFrame:
    level = spec.ci_level
    if spec.stat == "mean":
        return est.mean(design, name, by=by, where=where, ci_level=level)
    if spec.stat == "proportion":
        return est.proportion(design, name, by=by, where=where, method=spec.method, ci_level=level)
    if spec.stat == "total":
        return est.total(design, name, by=by, where=where, ci_level=level)
    if spec.stat == "ratio":
        return est.ratio(design, name, spec.denominator, by=by, where=where, ci_level=level)
    return est.quantile(design, name, list(spec.quantiles), by=by, where=where, ci_level=level)


def _counts(
    spec: EstimateSpec, design: SurveyDesign, name: str, by: list[str], where: Any
) -> pd.DataFrame:
    data = design.data
    categorical = spec.stat == "proportion" or (spec.stat == "total" and is_categorical(data[name]))
    if categorical:
        codes, levels = level_codes(design, name)
        return level_counts(design, by, where, codes >= 0, codes, len(levels))
    answered = data[name].notna().to_numpy()
    if spec.stat == "ratio":
        answered = answered & data[spec.denominator].notna().to_numpy()  # (read-only views)
    repeat = len(spec.quantiles) if spec.stat == "quantile" else 1
    return domain_counts(design, by, where, answered, repeat)


def _choices(
    spec: EstimateSpec,
    design: SurveyDesign,
    name: str,
    by: list[str],
    where: Any,
    choices: Mapping[str, Sequence[ChoiceColumn]],
) -> pd.DataFrame:
    """One row per domain and choice: the share of the answering records choosing it."""
    if name not in choices:
        known = ", ".join(sorted(choices)) or "none"
        raise StudyError(
            "STU026",
            f"estimate table '{spec.name}': {name!r} is not a select_multiple question "
            "with 0/1 choice columns",
            column=name,
            expected=f"a select_multiple question of '{spec.instrument}' ({known})",
            found=repr(name),
            hint='Use stat = "proportion" for a select_one question, or name a '
            "select_multiple question.",
        )
    parts = []
    for position, choice in enumerate(choices[name]):
        shares = est.proportion(
            design,
            choice.column,
            by=by or None,
            where=where,
            method=spec.method,
            ci_level=spec.ci_level,
        )
        chosen = _chosen_rows(shares)
        values = pd.to_numeric(design.data[choice.column], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        counts = level_counts(
            design, by, where, ~np.isnan(values), (values == 1).astype(np.intp), 2
        ).iloc[1::2]
        part = pd.concat([chosen, counts.reset_index(drop=True)], axis=1)
        part["variable"] = name
        part.insert(part.columns.get_loc("level") + 1, "label", choice.label)
        part["level"] = choice.code
        part["_domain"] = np.arange(len(part))
        part["_position"] = position
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    table = table.sort_values(["_domain", "_position"], kind="stable", ignore_index=True)
    return table.drop(columns=["_domain", "_position"])


def _chosen_rows(shares: pd.DataFrame) -> pd.DataFrame:
    """The rows of level 1 of a 0/1 column's proportions (one per domain), or, when no
    record chose it, the complement of level 0 (an estimate of 0)."""
    levels = pd.to_numeric(shares["level"], errors="coerce")
    if (levels == 1).any():
        return shares[(levels == 1).to_numpy()].reset_index(drop=True)
    out = shares[(levels == 0).to_numpy()].reset_index(drop=True)
    low, high = out["ci_low"], out["ci_high"]
    return out.assign(estimate=1 - out["estimate"], ci_low=1 - high, ci_high=1 - low)


def _refuse_multiple(spec: EstimateSpec, name: str) -> None:
    raise StudyError(
        "STU025",
        f"estimate table '{spec.name}': {name!r} is a select_multiple question; its "
        f"{spec.stat} would count every combination of answers as a category",
        column=name,
        expected='stat = "choices" for select_multiple questions',
        found=f'stat = "{spec.stat}"',
        hint=f'Declare the table with stat = "choices": one row per choice of {name!r}, '
        "the share of the answering records that chose it (weighted_n: their weighted count).",
    )


def _where(design: SurveyDesign, query: str | None) -> Any:
    if not query:
        return None
    try:
        return design.data.eval(query).to_numpy(dtype=bool)
    except Exception as exc:
        raise StudyError(
            "STU024",
            f"cannot evaluate the estimate restriction {query!r}: {exc}",
            hint="Write `where` as a pandas query on question names, e.g. \"consent == '1'\".",
        ) from None
