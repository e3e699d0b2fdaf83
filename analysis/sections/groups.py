"""Group differences and models: Rao-Scott tests of a share by group, regression tables.

:func:`group_shares` crosses a yes/no outcome (0/1) with grouping questions on the
design (:func:`analysis.estimate.crosstab.crosstab`, second-order Rao-Scott F test)
and gives, per group, the labelled shares and the test, plus one report table;
:func:`odds_ratio_table` fits a design-based logistic regression and labels its terms
(choice labels for categorical terms, with their reference category).

Examples
--------
>>> term_label("C(village_type)[T.2]", {"x": "设施"}, {"village_type": ({"1": "平原", "2": "山区"}, "1")})
'山区（对照：平原）'
>>> term_label("x", {"x": "设施"}, {})
'设施'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..design.survey import SurveyDesign
from ..format import ci_range, count, number, p_value, pct
from ..report import ReportTable, report_table

__all__ = ["GroupTest", "group_shares", "odds_ratio_table", "term_label"]

_TERM = re.compile(r"^C\((?P<var>[^)]+)\)\[T\.(?P<code>.+)\]$")


@dataclass(frozen=True)
class GroupTest:
    """One grouping question crossed with the outcome.

    Attributes
    ----------
    question : str
    label : str
        How the text names the grouping (``"村庄类型"``).
    shares : DataFrame
        ``group`` (choice label), ``estimate``, ``ci_low``, ``ci_high``, ``n``.
    test : Series
        The Rao-Scott test row: ``value`` (F), ``p_value`` ...
    significant : bool
        ``p_value < alpha``.
    """

    question: str
    label: str
    shares: pd.DataFrame
    test: pd.Series
    significant: bool


def _code(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def group_shares(
    design: SurveyDesign,
    outcome: str,
    groups: Mapping[str, tuple[str, str, Mapping[str, str]]],
    *,
    lang: str = "zh",
    alpha: float = 0.05,
) -> tuple[list[GroupTest], ReportTable]:
    """The share with ``outcome`` = 1 in each group of each grouping question, with tests.

    Parameters
    ----------
    groups : mapping
        Question -> (label in the text, short label for the table, choice labels).
        Questions the design's data lacks are skipped.
    """
    from ..estimate.crosstab import crosstab

    t = {"zh": lambda zh, en: zh, "en": lambda zh, en: en}[lang if lang == "en" else "zh"]
    tests, rows = [], []
    for var, (label, short, labels) in groups.items():
        if var not in design.data.columns:
            continue
        ct = crosstab(design, var, outcome)
        shares = ct.row_shares[ct.row_shares["level"].astype(float) == 1.0]
        shares = shares.drop(columns=["variable"]).rename(columns={var: "group"})
        shares = shares.assign(group=[labels.get(_code(c), _code(c)) for c in shares["group"]])
        test = ct.test.iloc[0]
        significant = bool(test["p_value"] < alpha)
        tests.append(GroupTest(var, label, shares.reset_index(drop=True), test, significant))
        for i, (_, r) in enumerate(shares.iterrows()):
            rows.append(
                {
                    t("分组", "Group"): short if i == 0 else "",
                    t("类别", "Category"): r["group"],
                    t("参与比例", "Took part"): pct(r["estimate"]),
                    t("95%置信区间", "95% CI"): ci_range(r["ci_low"], r["ci_high"]),
                    t("样本量", "n"): count(r["n"]),
                    "F": number(test["value"], 2) if i == 0 else "",
                    t("p值", "p-value"): p_value(test["p_value"]) if i == 0 else "",
                }
            )
    return tests, ReportTable(pd.DataFrame(rows), label_columns=2)


def term_label(
    term: str,
    labels: Mapping[str, str],
    categorical: Mapping[str, tuple[Mapping[str, str], str]],
    *,
    lang: str = "zh",
) -> str:
    """A regression term as the report names it.

    ``labels`` names numeric terms; ``categorical`` gives, per ``C(var)`` term, its
    choice labels and reference code: ``C(village_type)[T.2]`` -> ``山区（对照：平原）``.
    """
    if term in labels:
        return labels[term]
    m = _TERM.match(term)
    if m and m["var"] in categorical:
        choices, base = categorical[m["var"]]
        name, ref = choices.get(m["code"], m["code"]), choices.get(base, base)
        return f"{name} (vs {ref})" if lang == "en" else f"{name}（对照：{ref}）"
    return term


def odds_ratio_table(
    design: SurveyDesign,
    outcome: str,
    terms: Mapping[str, str],
    categorical: Mapping[str, Mapping[str, str]] = (),
    *,
    controls: Mapping[str, str] = (),
    lang: str = "zh",
) -> tuple[pd.DataFrame, ReportTable, int]:
    """A design-based logistic regression of ``outcome`` on ``terms``, categorical terms and
    ``controls``, as labelled odds ratios.

    Parameters
    ----------
    terms, controls : mapping
        Numeric (0/1 or continuous) columns -> labels, in the table's order (terms first).
    categorical : mapping
        Columns entered as ``C(column)`` -> their choice labels; the lowest code present
        is the reference.

    Returns
    -------
    (DataFrame, ReportTable, int)
        ``term`` (label), ``estimate`` (odds ratio), ``ci_low``, ``ci_high``, ``p_value``;
        the report table; the number of units in the model.
    """
    from ..models.glm import logistic_regression

    categorical = dict(categorical)
    controls = dict(controls)
    formula = f"{outcome} ~ " + " + ".join([*terms, *(f"C({c})" for c in categorical), *controls])
    model = logistic_regression(design, formula)
    ors = model.odds_ratios()
    ors = ors[ors["term"] != "Intercept"].rename(columns={"odds_ratio": "estimate"})
    bases = {
        var: (labels, sorted(design.data[var].dropna().astype(str))[0])
        for var, labels in categorical.items()
    }
    names = {**terms, **controls}
    ors = ors.assign(term=[term_label(t, names, bases, lang=lang) for t in ors["term"]])
    ors = ors.reset_index(drop=True)
    t = {"zh": lambda zh, en: zh, "en": lambda zh, en: en}[lang if lang == "en" else "zh"]
    table = report_table(
        ors,
        columns=["term", "estimate", "ci", "p_value"],
        labels={"term": t("自变量", "Term"), "estimate": t("比值比", "Odds ratio")},
        percent=False,
        decimals=2,
        lang=lang,
    )
    return ors, table, int(model.n)


def labelled_terms(table: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """The rows of an odds-ratio table whose term is one of ``labels``."""
    return table[table["term"].isin(list(labels))]
