"""Tidy estimate tables, and the argument checks every estimator shares.

Every estimate table has the ``by`` columns, ``variable``, an optional ``level``
or ``quantile`` column, then :data:`ESTIMATE_COLUMNS`; a comparison of two waves
(:mod:`analysis.estimate.waves`) has :data:`CHANGE_COLUMNS` instead. Charts and
report text only read these columns, and take their names from here.

Examples
--------
>>> ESTIMATE_COLUMNS
('estimate', 'se', 'ci_low', 'ci_high', 'df', 'deff', 'n')
>>> CHANGE_COLUMNS[:3]
('estimate_old', 'estimate_new', 'change')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..design.domains import DomainRows, Domains, domain_rows
from ..design.survey import SurveyDesign
from ..errors import EstimationError

__all__ = [
    "CHANGE_COLUMNS",
    "ESTIMATE_COLUMNS",
    "check_choice",
    "check_denominator",
    "check_design",
    "check_fraction",
    "check_level",
    "label_frame",
    "numeric_values",
    "tidy_table",
    "variable_rows",
]

#: The fixed columns of every estimate table, after the by/variable/level columns.
ESTIMATE_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "df", "deff", "n")

#: The fixed columns of a comparison of two waves, after the by/variable/level columns.
CHANGE_COLUMNS = (
    "estimate_old",
    "estimate_new",
    "change",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "p_value",
    "significant",
)


def check_design(design: Any) -> SurveyDesign:
    """The design, or ``EST014`` when something else was passed."""
    if not isinstance(design, SurveyDesign):
        raise EstimationError(
            "EST014",
            "estimators take a SurveyDesign as their first argument",
            expected="analysis.SurveyDesign",
            found=type(design).__name__,
            hint="Build the design first: SurveyDesign(data, weights=..., strata=..., psu=...).",
        )
    return design


def check_choice(value: Any, allowed: Sequence[str], code: str, what: str, *, hint: str) -> str:
    """``value`` when it is one of ``allowed``, or the error ``code`` ("unknown {what}").

    Examples
    --------
    >>> check_choice("F", ("F", "Chisq"), "EST104", "test statistic", hint="")
    'F'
    """
    if value not in allowed:
        raise EstimationError(
            code,
            f"unknown {what} {value!r}",
            expected=" / ".join(allowed),
            found=repr(value),
            hint=hint,
        )
    return value


def check_fraction(value: Any, code: str, what: str, *, example: str, hint: str) -> float:
    """``value`` as a float strictly between 0 and 1, or the error ``code``.

    Examples
    --------
    >>> check_fraction("0.9", "EST010", "the confidence level", example="0.95", hint="")
    0.9
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not 0 < number < 1:
        raise EstimationError(
            code,
            f"{what} must be between 0 and 1",
            expected=f"e.g. {example}",
            found=repr(value),
            hint=hint,
        )
    return number


def check_level(ci_level: Any) -> float:
    """The confidence level as a float in (0, 1), or ``EST010``."""
    return check_fraction(
        ci_level,
        "EST010",
        "the confidence level",
        example="0.95",
        hint="Pass ci_level=0.95 for 95% intervals (not 95).",
    )


def numeric_values(design: SurveyDesign, name: str, estimator: str) -> np.ndarray:
    """A numeric (or True/False) column as float64 with NaN for missing values."""
    col = design.data[name]
    if pd.api.types.is_bool_dtype(col.dtype):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    if isinstance(col.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(col.dtype):
        hint = (
            "Use proportion() for the shares of a categorical variable"
            if estimator == "mean"
            else "Convert the column to numbers first"
        )
        example = col.dropna()
        raise EstimationError(
            "EST002",
            f"{estimator}() needs a numeric variable, but {name!r} is {col.dtype}",
            column=name,
            expected="numbers (or True/False)",
            found=f"{col.dtype}, e.g. {example.iloc[0]!r}" if len(example) else str(col.dtype),
            hint=hint + " (e.g. pandas.to_numeric(..., errors='coerce') after checking the "
            "values that do not convert).",
        )
    y = col.to_numpy(dtype=np.float64, na_value=np.nan)
    inf = np.isinf(y)
    if inf.any():
        raise EstimationError(
            "EST011",
            f"{name!r} has {int(inf.sum())} infinite value(s)",
            column=name,
            record=_first_records(design, inf),
            expected="finite numbers",
            found="inf",
            hint="Infinite values usually come from a division by zero upstream; recode them "
            "as missing (NaN) or correct them.",
        )
    return y


def _first_records(design: SurveyDesign, mask: np.ndarray) -> str:
    """The index labels of the first five rows where ``mask`` holds, for messages."""
    return ", ".join(str(design.data.index[i]) for i in np.flatnonzero(mask)[:5])


def variable_rows(
    design: SurveyDesign, dom: Domains, missing: np.ndarray, na_rm: bool, name: str
) -> DomainRows:
    """The domain rows with a value of ``name`` (R's ``na.rm=TRUE`` keeps the design).

    Parameters
    ----------
    design : SurveyDesign
    dom : Domains
    missing : numpy.ndarray
        ``(n,)`` True where the variable is missing.
    na_rm : bool
        Leave missing values out (else ``EST003``).
    name : str
        The variable, for messages.
    """
    codes = dom.codes
    missing = missing & (codes >= 0)
    if missing.any():
        if not na_rm:
            raise EstimationError(
                "EST003",
                f"{name!r} has {int(missing.sum())} missing value(s) in the analysed rows",
                column=name,
                record=_first_records(design, missing),
                expected="no missing values (na_rm=False)",
                found="missing values",
                hint="Use na_rm=True (the default) to leave them out while keeping the "
                "design, or impute them first.",
            )
        codes = np.where(missing, -1, codes)
        if not (codes >= 0).any():
            raise EstimationError(
                "EST005",
                f"no row has a value of {name!r} in the selected domain",
                column=name,
                expected="at least one non-missing value",
                found="0 rows",
                hint="Check the variable (is it all missing?) and the where= condition.",
            )
    return domain_rows(design, dom, codes)


def label_frame(
    dom: Domains, variable: str, extra: tuple[str, Sequence[Any]] | None = None
) -> pd.DataFrame:
    """The label columns of a tidy table: ``[*by, variable, (level or quantile)]``.

    One row per domain, or per domain and extra value (domains outer).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from analysis.design.domains import Domains
    >>> dom = Domains(np.zeros(3, dtype=np.intp), pd.DataFrame({"county": ["A"]}), ("county",))
    >>> label_frame(dom, "tv", ("level", ["yes", "no"])).values.tolist()
    [['A', 'tv', 'yes'], ['A', 'tv', 'no']]
    """
    g = dom.n_domains
    m = 1 if extra is None else len(extra[1])
    out = dom.table.loc[np.repeat(np.arange(g), m)].reset_index(drop=True)
    out["variable"] = variable
    if extra is not None:
        kind = object if extra[0] == "level" else float
        out[extra[0]] = pd.Series(list(extra[1]) * g, dtype=kind)
    return out


def tidy_table(
    dom: Domains,
    variable: str,
    stats: dict[str, np.ndarray],
    *,
    extra: tuple[str, Sequence[Any]] | None = None,
) -> pd.DataFrame:
    """One variable's estimates, one row per domain (then per level or quantile).

    Parameters
    ----------
    dom : Domains
    variable : str
    stats : dict
        ``estimate, se, ci_low, ci_high, deff`` shaped ``(G,)`` or ``(G, m)``;
        ``df`` and ``n`` shaped ``(G,)``.
    extra : (str, sequence), optional
        The name (``"level"`` or ``"quantile"``) and the ``m`` values of the extra column.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from analysis.design.domains import Domains
    >>> dom = Domains(np.zeros(3, dtype=np.intp), pd.DataFrame(index=range(1)), ())
    >>> one = np.array([1.0])
    >>> tidy_table(dom, "y", dict(estimate=one, se=one, ci_low=one, ci_high=one,
    ...                           df=[2], deff=one, n=[3])).columns.tolist()
    ['variable', 'estimate', 'se', 'ci_low', 'ci_high', 'df', 'deff', 'n']
    """
    g = dom.n_domains
    m = 1 if extra is None else len(extra[1])
    rows = pd.RangeIndex(g * m)
    # One frame built from whole columns: inserting them one by one costs ~0.1 ms each.
    columns: dict[Any, Any] = {}
    if dom.by:
        table = dom.table if m == 1 else dom.table.take(np.repeat(np.arange(g), m))
        for name in dom.by:
            columns[name] = table[name].set_axis(rows)
    if isinstance(variable, str):
        columns["variable"] = pd.array([variable] * len(rows), dtype=_TEXT)
    else:
        columns["variable"] = pd.Series(variable, index=rows)
    if extra is not None:
        kind = object if extra[0] == "level" else float
        columns[extra[0]] = pd.Series(list(extra[1]) * g, index=rows, dtype=kind)
    for col in ("estimate", "se", "ci_low", "ci_high"):
        columns[col] = np.asarray(stats[col], dtype=np.float64).reshape(-1)
    columns["df"] = np.repeat(np.asarray(stats["df"], dtype=np.int64), m)
    columns["deff"] = np.asarray(stats["deff"], dtype=np.float64).reshape(-1)
    columns["n"] = np.repeat(np.asarray(stats["n"], dtype=np.int64), m)
    return pd.DataFrame(columns, index=rows)


#: The dtype pandas gives a column of text (``str`` in pandas 3, ``object`` before).
_TEXT = pd.Series(["text"]).dtype


def concat(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack per-variable tables."""
    return pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]


def safe_div(a, b) -> np.ndarray:
    """``a / b`` without warnings (inf/NaN where ``b`` is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(a, dtype=np.float64) / b


def srs_deff(v: np.ndarray, ss: np.ndarray, size: np.ndarray, n: np.ndarray, scale) -> np.ndarray:
    """R's ``deff=TRUE``: ``v / (svyvar * scale * (N - n) / (N * n))``, NaN when N < n.

    ``ss`` is the weighted sum of squared deviations (``svyvar = ss / N * n / (n - 1)``),
    ``N`` the domain's weighted size and ``scale`` 1 for means, ``N**2`` for totals.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        svyvar = ss / size * n / (n - 1)
        vsrs = svyvar * scale * (size - n) / (size * n)
        out = v / vsrs
    return np.where(size < n, np.nan, out)


def constant_domains(rows: DomainRows, we: np.ndarray, ss: np.ndarray) -> np.ndarray:
    """``(G,)`` True where the variable is constant in the domain.

    ``we`` are the centred weighted values ``w (y - ybar)`` and ``ss`` their weighted
    sum of squares. In a constant domain every deviation is the same rounding error
    ``d`` of the mean, so ``(sum w e)^2 = W ss``; anywhere else ``sum w e`` is a
    rounding error far below ``sqrt(W ss)``. The estimators give such domains an SE
    of exactly 0 and a NaN design effect (R reports rounding noise, ~1e-17 and ~0.1).

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.design.domains import DomainRows
    >>> rows = DomainRows(np.zeros(3, dtype=np.intp), 1, None, np.array([3.0]),
    ...                   np.array([3]), np.array([2]))
    >>> e = np.full(3, 1e-17)  # constant: every deviation is the same rounding error
    >>> constant_domains(rows, e, np.array([3e-34])).tolist()
    [True]
    >>> constant_domains(rows, np.array([-1.0, 0.0, 1.0]), np.array([2.0])).tolist()
    [False]
    """
    s1 = rows.sum(we)
    return (ss == 0) | (s1 * s1 > 0.25 * rows.size * ss)


def describe_domain(dom: Domains, g: int) -> str:
    """`` in domain county='A'`` (empty without ``by``), for messages."""
    if not dom.by:
        return ""
    values = ", ".join(f"{b}={dom.table[b].iloc[g]!r}" for b in dom.by)
    return f" in domain {values}"


def check_denominator(tx: np.ndarray, n: np.ndarray, dom: Domains, den: str) -> None:
    """Refuse a ratio whose denominator totals zero in a domain that has rows (EST006).

    Examples
    --------
    >>> check_denominator(np.array([2.0, 0.0]), np.array([3, 0]), None, "x")  # empty: fine
    """
    zero = (tx == 0) & (n > 0)
    if zero.any():
        where_ = describe_domain(dom, int(np.flatnonzero(zero)[0]))
        raise EstimationError(
            "EST006",
            f"the denominator {den!r} totals zero{where_}: the ratio is undefined",
            column=den,
            expected="a non-zero denominator total in every domain",
            found="total 0",
            hint="Choose a denominator that is positive in every domain, or leave the "
            "domain out with where=.",
        )
