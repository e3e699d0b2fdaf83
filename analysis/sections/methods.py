"""How the survey was done: sample design, response, weights and precision, for any study.

A survey-methods section (调查方法) reports what the estimates rest on. Everything
comes from the study and the wave's own records, nothing is typed:

* the **design** of each instrument (``[design.<instrument>]`` of study.toml and the
  design built on the cleaned data): strata, primary sampling units, stages, finite
  population corrections, units analysed (:func:`design_rows`);
* the **records** of the wave run (the pipeline's step facts): records received,
  quarantined by the cleaning log and analysed, and, when the notebook gives the
  number of units selected, the response rate (:func:`response_rows`);
* the **weights**: their range, mean and the design effect due to unequal weights
  (Kish's ``1 + CV²``, :func:`weight_deff`);
* the **precision** of the headline indicators the notebook names: the margin of error
  (half the width of the 95% interval) and the design effect of each
  (:func:`precision_rows`).

:func:`survey_methods` gathers them for a wave: tidy tables (one row per instrument
or indicator) whose rows a notebook registers for its text (``w.rows(hh=...)``) and
three report tables.

Examples
--------
>>> import numpy as np
>>> round(weight_deff(np.array([1.0, 1.0, 2.0, 4.0])), 3)
1.375
>>> weight_deff(np.array([3.0, 3.0]))
1.0
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..design.from_study import design_settings
from ..design.survey import SurveyDesign
from ..errors import SectionError
from ..format import ci_range, count, number, pct
from ..report import ReportTable
from .context import SectionContext

__all__ = [
    "SurveyMethods",
    "design_rows",
    "precision_rows",
    "response_rows",
    "run_counts",
    "survey_methods",
    "weight_deff",
]


def weight_deff(weights: np.ndarray) -> float:
    """Kish's design effect due to unequal weights: ``n Σw² / (Σw)²`` (``1 + CV²``).

    It is the loss of precision from weighting alone; clustering adds to it.
    """
    w = np.asarray(weights, dtype=float)
    w = w[np.isfinite(w)]
    if w.size == 0 or w.sum() == 0:
        return float("nan")
    return float(w.size * np.square(w).sum() / np.square(w.sum()))


def _code(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None or value is pd.NA else str(value)


def _steps(study: Any, wave: str) -> Mapping[str, Any]:
    """The wave run's step records: the working ``steps.json``, else the manifest's."""
    candidates = (
        (study.work_dir(wave) / "steps.json", None),
        (study.processed_dir(wave) / "manifest.json", "steps"),
    )
    for path, key in candidates:
        if Path(path).is_file():
            try:
                data = json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise SectionError(
                    "SEC040",
                    f"cannot read the wave's run records: {exc}",
                    file=path,
                    hint=f"Re-run the wave: `baicun run {wave} --force`.",
                ) from None
            return data[key] if key else data
    raise SectionError(
        "SEC041",
        f"wave '{wave}' has no run records (steps.json or manifest.json)",
        file=study.processed_dir(wave),
        expected="the records the wave pipeline writes",
        found="none",
        hint=f"Run the wave pipeline first: `baicun run {wave}`.",
    )


def run_counts(
    study: Any, wave: str, frames: Mapping[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """Records of each instrument's main table: ``received``, ``quarantined``, ``analysed``.

    Read from the wave run's write step (raw = cleaned + quarantined, checked by the
    pipeline). When the wave has no records of that step (a wave cleaned but not
    written) and ``frames`` are given, ``analysed`` is counted from them and the other
    counts are unknown (NaN). Raises ``SEC040`` (unreadable) or ``SEC041`` (no records).
    """
    try:
        steps = _steps(study, wave)
    except SectionError as exc:
        if exc.code != "SEC041" or frames is None:
            raise
        steps = {}
    counts = (steps.get("write") or {}).get("facts", {}).get("counts", {})
    if not counts and frames is not None:
        rows = [
            {"instrument": k, "received": np.nan, "quarantined": np.nan, "analysed": len(f)}
            for k, f in frames.items()
        ]
        return pd.DataFrame(rows, columns=["instrument", "received", "quarantined", "analysed"])
    rows = []
    for instrument, tables in counts.items():
        rows.append(
            {
                "instrument": instrument,
                "received": int(tables.get("main_raw", 0)),
                "quarantined": int(tables.get("main_quarantined", 0)),
                "analysed": int(tables.get("main_cleaned", 0)),
            }
        )
    return pd.DataFrame(rows, columns=["instrument", "received", "quarantined", "analysed"])


def _label(ctx: SectionContext, instrument: str) -> str:
    """The instrument's label in the report language (study.toml ``label``), else its name."""
    try:
        label = ctx.study.setting("instruments", instrument, "label", default=None)
    except Exception:  # a study object without settings (tests)
        label = None
    if isinstance(label, Mapping):
        return str(label.get(ctx.lang) or label.get("zh") or instrument)
    return str(label or instrument)


def design_rows(
    ctx: SectionContext,
    instruments: Sequence[str],
    unit_names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per instrument: how its sample is designed and weighted.

    Columns: ``instrument``, ``item`` (its label), ``strata_by`` and ``psu_by`` (the
    question labels, empty when none), ``strata``, ``psus``, ``n`` (units analysed),
    ``stages``, ``fpc`` (bool), ``weighted`` (bool), ``w_min``, ``w_max``, ``w_mean``,
    ``population`` (sum of weights), ``deff_w`` (:func:`weight_deff`),
    ``description`` (the design in a phrase of the report language).

    ``unit_names`` names strata and PSU columns as the text should (``{"village_id":
    "村"}``); by default their question labels.
    """
    names = dict(unit_names or {})
    rows = []
    for name in instruments:
        if not ctx.has(name):
            continue
        design: SurveyDesign = ctx.designs[name]
        settings = design_settings(ctx.study, name)
        strata = settings.get("strata")
        psu = settings.get("psu")
        psu = psu[0] if isinstance(psu, list) and psu else psu
        w = np.asarray(design.weights, dtype=float)
        weighted = bool(settings.get("weights"))
        strata_by = names.get(strata) or ctx.question_label(name, strata) if strata else ""
        psu_by = names.get(psu) or ctx.question_label(name, psu) if psu else ""
        rows.append(
            {
                "instrument": name,
                "item": _label(ctx, name),
                "strata_by": strata_by,
                "psu_by": psu_by,
                "strata": int(design.n_strata) if strata else 1,
                "psus": int(design.n_psu),
                "n": int(design.n_rows),
                "stages": (2 if psu else 1) if weighted or strata or psu else 0,
                "fpc": bool(settings.get("fpc")),
                "weighted": weighted,
                "w_min": float(np.nanmin(w)),
                "w_max": float(np.nanmax(w)),
                "w_mean": float(np.nanmean(w)),
                "population": float(np.nansum(w)),
                "deff_w": weight_deff(w) if weighted else 1.0,
                "description": _describe(ctx, strata_by, psu_by, weighted, bool(strata)),
            }
        )
    return pd.DataFrame(rows)


def _describe(
    ctx: SectionContext, strata_by: str, psu_by: str, weighted: bool, strata: bool
) -> str:
    """The design in a phrase: 按县分层、以村为初级抽样单位的两阶段抽样 / a census."""
    if not weighted and not strata and not psu_by:
        return ctx.t(
            "全部调查（普查），不抽样、不加权", "a census: everyone is surveyed, unweighted"
        )
    parts_zh, parts_en = [], []
    if strata:
        parts_zh.append(f"按{strata_by}分层")
        parts_en.append(f"stratified by {strata_by}")
    if psu_by:
        parts_zh.append(f"以{psu_by}为初级抽样单位的两阶段整群抽样")
        parts_en.append(f"a two-stage cluster sample with {psu_by} as primary units")
    else:
        parts_zh.append("单阶段加权抽样" if weighted else "单阶段抽样")
        parts_en.append("a one-stage weighted sample" if weighted else "a one-stage sample")
    return ctx.t("、".join(parts_zh), ", ".join(parts_en))


def response_rows(
    counts: pd.DataFrame,
    selected: Mapping[str, int] | None = None,
    labels: Mapping[str, str] | None = None,
    replacements: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Records per instrument with the response rate where the units selected are known.

    Parameters
    ----------
    counts : DataFrame
        :func:`run_counts`.
    selected : mapping, optional
        Instrument to the number of units selected (from the sampling plan; the study
        knows it, the data do not). Instruments left out get no rate.
    labels : mapping, optional
        Instrument to its label (``item`` column).
    replacements : mapping, optional
        Instrument to the number of analysed units that replaced a selected unit
        (substitutes do not count as responses).

    Returns
    -------
    DataFrame
        ``instrument, item, selected, received, quarantined, analysed, replacements,
        estimate, n`` where ``estimate`` is the response rate ``(analysed - replacements)
        / selected`` (NaN when unknown), so that ``{row:pct}`` prints it, and ``n`` the
        units analysed.

    Examples
    --------
    >>> counts = pd.DataFrame({"instrument": ["hh"], "received": [1990], "quarantined": [4],
    ...                        "analysed": [1986]})
    >>> out = response_rows(counts, {"hh": 2000}, replacements={"hh": 30})
    >>> out[["selected", "analysed", "replacements", "estimate"]].to_dict("records")
    [{'selected': 2000.0, 'analysed': 1986, 'replacements': 30, 'estimate': 0.978}]
    """
    selected = dict(selected or {})
    labels = dict(labels or {})
    replaced = dict(replacements or {})
    out = counts.copy()
    out.insert(1, "item", [labels.get(i, i) for i in out["instrument"]])
    out.insert(2, "selected", [float(selected.get(i, np.nan)) for i in out["instrument"]])
    out["replacements"] = [int(replaced.get(i, 0)) for i in out["instrument"]]
    out["estimate"] = (out["analysed"] - out["replacements"]) / out["selected"]
    out["n"] = out["analysed"]
    return out


def precision_rows(
    estimates: pd.DataFrame, *, percent: bool | Sequence[bool] = True
) -> pd.DataFrame:
    """Margins of error of headline indicators: half the width of their 95% interval.

    Parameters
    ----------
    estimates : DataFrame
        Estimate rows (``item``, ``estimate``, ``ci_low``, ``ci_high``, ``deff``, ``n``),
        one per headline indicator, in the order the text names them.
    percent : bool or sequence of bool
        Whether each indicator is a share (margin in percentage points).

    Returns
    -------
    DataFrame
        The rows with ``moe`` (half-width) and ``percent`` added.

    Examples
    --------
    >>> rows = pd.DataFrame({"item": ["书屋"], "estimate": [0.6], "ci_low": [0.52],
    ...                      "ci_high": [0.68], "deff": [1.8], "n": [100]})
    >>> round(float(precision_rows(rows)["moe"].iloc[0]), 3)
    0.08
    """
    missing = [c for c in ("item", "estimate", "ci_low", "ci_high") if c not in estimates]
    if missing:
        raise SectionError(
            "SEC042",
            "headline indicators need estimate rows with their intervals",
            expected="columns item, estimate, ci_low, ci_high (deff, n when known)",
            found=", ".join(map(str, estimates.columns)),
            hint="Pass rows of estimate tables (yes_shares, item_means ...), one per indicator.",
        )
    out = estimates.reset_index(drop=True).copy()
    out["moe"] = (out["ci_high"] - out["ci_low"]) / 2
    flags = [percent] * len(out) if isinstance(percent, bool) else list(percent)
    if len(flags) != len(out):
        raise SectionError(
            "SEC043",
            "one percent flag per headline indicator is needed",
            expected=f"{len(out)} flags",
            found=str(len(flags)),
            hint="Pass percent=True/False, or one flag per indicator row.",
        )
    out["percent"] = flags
    if "deff" not in out:
        out["deff"] = np.nan
    if "n" not in out:
        out["n"] = np.nan
    return out


@dataclass(frozen=True, eq=False)
class SurveyMethods:
    """The survey-methods section's numbers and tables (see :func:`survey_methods`).

    Attributes
    ----------
    design : DataFrame
        :func:`design_rows`, one row per instrument.
    response : DataFrame
        :func:`response_rows`, one row per instrument.
    precision : DataFrame
        :func:`precision_rows`, one row per headline indicator.
    design_table, response_table, precision_table : ReportTable
        The same, formatted for the report.
    """

    design: pd.DataFrame
    response: pd.DataFrame
    precision: pd.DataFrame
    design_table: ReportTable
    response_table: ReportTable
    precision_table: ReportTable

    @property
    def has_records(self) -> bool:
        """Whether the counts come from the wave's run records (records received and
        quarantined known), not only from the data analysed."""
        return bool(len(self.response)) and bool(self.response["received"].notna().all())

    def row(self, what: str, instrument: str) -> pd.Series:
        """The row of ``instrument`` in the ``design`` or ``response`` table (for ``w.rows``).

        The design row's ``estimate`` is the weights' design effect and its ``n`` the
        units analysed; the response row's ``estimate`` is the response rate.
        """
        table = {"design": self.design, "response": self.response}[what]
        found = table[table["instrument"] == instrument]
        if found.empty:
            raise SectionError(
                "SEC044",
                f"no {what} row for instrument {instrument!r}",
                expected=", ".join(table["instrument"].astype(str)),
                found=repr(instrument),
                hint="Name an instrument the wave has data for.",
            )
        row = found.iloc[0]
        if what == "design":
            row = pd.concat([row, pd.Series({"estimate": row["deff_w"]})])
        return row

    def margin(self, item: str) -> pd.Series:
        """A headline indicator's margin of error as a row for the text: ``estimate`` is
        the half-width in percentage points for a share (``{m:num:个百分点}``), in the
        indicator's unit otherwise; ``deff`` and ``n`` as estimated."""
        found = self.precision[self.precision["item"].astype(str) == str(item)]
        if found.empty:
            raise SectionError(
                "SEC044",
                f"no headline indicator {item!r}",
                expected=", ".join(self.precision["item"].astype(str)),
                found=repr(item),
                hint="Name an indicator of the headline rows given to survey_methods.",
            )
        r = found.iloc[0]
        scale = 100 if r["percent"] else 1
        return pd.Series(
            {"item": r["item"], "estimate": r["moe"] * scale, "n": r["n"], "deff": r["deff"]}
        )

    def deff_bounds(self) -> tuple[pd.Series, pd.Series]:
        """The smallest and largest design effect of the headline indicators, as two rows
        (``estimate``) for the text (``{dlo:num.2}``)."""
        d = pd.to_numeric(self.precision["deff"], errors="coerce")
        d = d[np.isfinite(d)]
        low = float(d.min()) if len(d) else float("nan")
        high = float(d.max()) if len(d) else float("nan")
        return pd.Series({"estimate": low}), pd.Series({"estimate": high})


def _design_table(ctx: SectionContext, design: pd.DataFrame) -> ReportTable:
    t = ctx.t
    frame = pd.DataFrame(
        {
            t("调查对象", "Instrument"): design["item"].tolist(),
            t("抽样设计", "Design"): design["description"].tolist(),
            t("层数", "Strata"): [count(v) for v in design["strata"]],
            t("初级单位", "PSUs"): [count(v) for v in design["psus"]],
            t("分析样本", "Units"): [count(v) for v in design["n"]],
            t("权数范围", "Weights"): [
                f"{number(lo, 2)}–{number(hi, 2)}" if w else "—"
                for lo, hi, w in zip(design["w_min"], design["w_max"], design["weighted"])
            ],
            t("加权设计效应", "Weighting deff"): [number(v, 2) for v in design["deff_w"]],
        }
    )
    return ReportTable(frame, label_columns=2, source=design)


def _response_table(ctx: SectionContext, response: pd.DataFrame) -> ReportTable:
    t = ctx.t
    frame = pd.DataFrame(
        {
            t("调查对象", "Instrument"): response["item"].tolist(),
            t("抽中", "Selected"): ["—" if pd.isna(v) else count(v) for v in response["selected"]],
            t("收回", "Received"): [_finite(v, count) for v in response["received"]],
            t("剔除", "Quarantined"): [_finite(v, count) for v in response["quarantined"]],
            t("有效", "Analysed"): [count(v) for v in response["analysed"]],
            t("其中替补", "Replacements"): [count(v) for v in response["replacements"]],
            t("应答率", "Response rate"): [
                "—" if pd.isna(v) else pct(v) for v in response["estimate"]
            ],
        }
    )
    return ReportTable(frame, label_columns=1, source=response)


def _finite(value: Any, show: Any) -> str:
    """A cell for a number that may be missing or infinite (a deff of a census): ``—``."""
    v = pd.to_numeric(value, errors="coerce")
    return show(v) if pd.notna(v) and np.isfinite(v) else "—"


def _precision_table(ctx: SectionContext, precision: pd.DataFrame) -> ReportTable:
    t = ctx.t

    def value(v: float, p: bool) -> str:
        return pct(v) if p else number(v)

    def margin(m: float, p: bool) -> str:
        return "±" + (number(m * 100) + t("个百分点", " pts") if p else number(m))

    frame = pd.DataFrame(
        {
            t("指标", "Indicator"): precision["item"].astype(str).tolist(),
            t("估计值", "Estimate"): [
                value(v, p) for v, p in zip(precision["estimate"], precision["percent"])
            ],
            t("95%置信区间", "95% CI"): [
                ci_range(lo, hi, percent=p)
                for lo, hi, p in zip(
                    precision["ci_low"], precision["ci_high"], precision["percent"]
                )
            ],
            t("误差幅度", "Margin of error"): [
                margin(m, p) for m, p in zip(precision["moe"], precision["percent"])
            ],
            t("设计效应", "Deff"): [_finite(v, lambda x: number(x, 2)) for v in precision["deff"]],
            t("样本量", "n"): [_finite(v, count) for v in precision["n"]],
        }
    )
    return ReportTable(frame, label_columns=1, source=precision)


def survey_methods(
    ctx: SectionContext,
    *,
    instruments: Sequence[str] | None = None,
    selected: Mapping[str, int] | None = None,
    headline: pd.DataFrame | None = None,
    percent: bool | Sequence[bool] = True,
    replacement: Mapping[str, tuple[str, str]] | None = None,
    unit_names: Mapping[str, str] | None = None,
) -> SurveyMethods:
    """The survey-methods numbers of the context's wave.

    Parameters
    ----------
    ctx : SectionContext
    instruments : sequence of str, optional
        Instruments to describe, in order (default: the study's instruments the wave
        has data for).
    selected : mapping, optional
        Instrument to the number of units selected (the sampling plan), for response
        rates.
    headline : DataFrame, optional
        Estimate rows of the headline indicators (``item``, ``estimate``, ``ci_low``,
        ``ci_high``, ``deff``, ``n``), for their margins of error.
    percent : bool or sequence of bool
        Whether each headline indicator is a share.
    replacement : mapping, optional
        Instrument to ``(question, code)`` marking a unit that replaced a selected one
        (``{"household": ("is_replacement", "1")}``).
    unit_names : mapping, optional
        How the text names strata and PSU columns (``{"village_id": "村"}``).

    Returns
    -------
    SurveyMethods

    Raises
    ------
    SectionError
        ``SEC040``/``SEC041`` the wave's run records cannot be read or are missing;
        ``SEC042``/``SEC043`` malformed headline rows.
    """
    names = list(instruments) if instruments is not None else list(ctx.study.instrument_names)
    names = [n for n in names if ctx.has(n)]
    design = design_rows(ctx, names, unit_names)
    labels = {n: _label(ctx, n) for n in names}
    counts = run_counts(ctx.study, ctx.wave, {n: ctx.frames[n] for n in names})
    counts = counts[counts["instrument"].isin(names)]
    order = {n: i for i, n in enumerate(names)}
    counts = counts.sort_values("instrument", key=lambda s: s.map(order)).reset_index(drop=True)
    replaced = {}
    for name, (question, code) in dict(replacement or {}).items():
        if ctx.has(name) and question in ctx.frames[name]:
            codes = ctx.frames[name][question].map(_code)
            replaced[name] = int((codes == str(code)).sum())
    response = response_rows(counts, selected, labels, replaced)
    empty = pd.DataFrame(columns=["item", "estimate", "ci_low", "ci_high", "deff", "n"])
    precision = precision_rows(headline if headline is not None else empty, percent=percent)
    return SurveyMethods(
        design=design,
        response=response,
        precision=precision,
        design_table=_design_table(ctx, design),
        response_table=_response_table(ctx, response),
        precision_table=_precision_table(ctx, precision),
    )
