"""The estimate tables a study declares in ``study.toml``, computed for one wave.

``[design.<instrument>]`` gives each instrument's design (weights, strata, psu, fpc,
lonely_psu); ``[[estimates]]`` entries name a table, the instrument, the statistic and
its variables::

    [design.household]
    weights = "weight"
    strata = "county"
    psu = "village_id"

    [[estimates]]
    name = "hh_participation"          # file name of the table
    instrument = "household"
    stat = "proportion"                # mean | proportion | total | ratio | quantile
    variables = ["watched_film", "attended_lecture"]
    by = ["county"]                    # optional domains
    where = "consent == '1'"           # optional domain restriction (pandas query)

Examples
--------
>>> import pandas as pd
>>> from analysis.design.from_study import build_design
>>> frame = pd.DataFrame({"w": [1.0, 2.0, 3.0, 4.0], "s": ["a", "a", "b", "b"],
...                       "p": ["1", "2", "3", "4"], "y": [1.0, 0.0, 1.0, 1.0]})
>>> spec = EstimateSpec(name="t", instrument="x", stat="mean", variables=("y",))
>>> design = build_design(frame, {"weights": "w", "strata": "s", "psu": "p"}, name="x")
>>> round(compute(spec, design)["estimate"].item(), 3)
0.8
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import estimate as est
from ..design.survey import SurveyDesign
from ..errors import StudyError
from ..study import Study

__all__ = ["STATS", "EstimateSpec", "compute", "estimate_specs"]

STATS = ("mean", "proportion", "total", "ratio", "quantile")


@dataclass(frozen=True)
class EstimateSpec:
    """One ``[[estimates]]`` entry of study.toml."""

    name: str
    instrument: str
    stat: str
    variables: tuple[str, ...]
    by: tuple[str, ...] = ()
    where: str | None = None
    denominator: str | None = None
    quantiles: tuple[float, ...] = (0.5,)
    label: Mapping[str, str] | None = None


def estimate_specs(study: Study) -> tuple[EstimateSpec, ...]:
    """The estimate tables declared in study.toml, checked."""
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
            )
        )
    return tuple(specs)


def compute(spec: EstimateSpec, design: SurveyDesign) -> pd.DataFrame:
    """One declared estimate table on ``design``."""
    by = list(spec.by) or None
    where = _where(design, spec.where)
    variables: str | Sequence[str] = list(spec.variables)
    if spec.stat == "mean":
        return est.mean(design, variables, by=by, where=where)
    if spec.stat == "proportion":
        return est.proportion(design, variables, by=by, where=where)
    if spec.stat == "total":
        return est.total(design, variables, by=by, where=where)
    if spec.stat == "ratio":
        return est.ratio(design, variables, spec.denominator, by=by, where=where)
    return est.quantile(design, variables, list(spec.quantiles), by=by, where=where)


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
