"""Model formulas over a design's data (formulaic, which statsmodels installs), with coded errors.

``"joined ~ has_culture_room + C(county)"`` reads as in R and statsmodels:
``C(x)`` makes a categorical term, ``I(...)`` evaluates Python, ``np.log(x)``
works, and a column whose name is not a Python identifier is written
``Q('api.stu')`` or with backticks. Text columns are categorical; True/False
columns enter as 0/1. Chinese column names are identifiers and need no quoting.
Terms keep the formula's order, as in R. Only the data's columns (and ``np``)
are visible to a formula, never the caller's variables.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "county": ["甲", "乙", "甲", "乙"]})
>>> y, X = model_frame(df, "y ~ C(county)", error=ValueError, code="X", role="model")
>>> X.columns.tolist()
['Intercept', 'C(county)[T.甲]']
>>> r_style_name("C(county)[T.甲]"), r_style_name("Intercept"), r_style_name("Q('avg.ed')")
('county甲', '(Intercept)', 'avg.ed')
"""

from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd
from formulaic import model_matrix
from formulaic.errors import FormulaicError

__all__ = ["model_frame", "r_style_name", "response_vector"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m|[⧛⧚]")


def r_style_name(name: str) -> str:
    """The name R's ``model.matrix`` gives a model-matrix column (``stype[T.H]`` -> ``stypeH``).

    Examples
    --------
    >>> r_style_name("Q('sch.wide')[T.Yes]")
    'sch.wideYes'
    """
    if name == "Intercept":
        return "(Intercept)"
    name = re.sub(r"\[T\.(.*)\]$", r"\1", name)
    name = re.sub(r"^C\(([^,()]+)\)", r"\1", name)
    name = re.sub(r"Q\((['\"])(.*?)\1\)", r"\2", name)
    return name.replace("`", "")


def model_frame(
    data: pd.DataFrame,
    formula: str,
    *,
    error: type[Exception],
    code: str,
    role: str,
    missing: str = "drop",
) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Response and model matrix of ``formula`` on ``data`` (row index kept).

    Parameters
    ----------
    data : pandas.DataFrame
        With a unique index (rows dropped for missing values are absent from the result).
    formula : str
        ``"y ~ x1 + C(x2)"``, or a right-hand side only (``"~ x1 + x2"`` or ``"x1 + x2"``).
    error : type
        The error class to raise (a :class:`~analysis.errors.BaicunError` subclass).
    code : str
        The error code for a formula that cannot be evaluated.
    role : str
        For messages (``"model"``, ``"calibration"``).
    missing : {"drop", "raise"}
        Rows with a missing value in a formula variable are dropped (as R's
        ``na.omit``) or raise the error.

    Returns
    -------
    (y, X) : tuple of DataFrame
        ``y`` is None for a right-hand-side-only formula; ``X`` carries
        ``X.model_spec`` to build the matrix for new data.
    """
    if not isinstance(formula, str) or not formula.strip():
        raise error(
            code,
            f"the {role} formula must be a non-empty string",
            expected="e.g. 'joined ~ has_room + C(county)'",
            found=repr(formula),
            hint="Write the formula as text, response on the left of '~'.",
        )
    two_sided = "~" in formula and formula.split("~", 1)[0].strip() != ""
    rhs = formula if "~" in formula else f"~ {formula}"
    try:
        mm = model_matrix(
            formula if two_sided else rhs, data, na_action=missing, context={"np": np}
        )
    except (FormulaicError, ValueError, TypeError, KeyError, NameError, SyntaxError) as exc:
        raise _formula_error(exc, data, formula, error, code, role) from None
    if two_sided:
        return mm.lhs, mm.rhs
    return None, mm


def _formula_error(
    exc: Exception, data: pd.DataFrame, formula: str, error: type[Exception], code: str, role: str
) -> Exception:
    text = _ANSI.sub("", str(exc))
    first = text.splitlines()[0] if text else repr(exc)
    name = re.search(r"`([^`]+)` is not present in the dataset", text)
    columns = [str(c) for c in data.columns]
    if name:
        unknown = name.group(1)
        close = difflib.get_close_matches(unknown, columns, n=3)
        dotted = [c for c in columns if c.startswith(unknown + ".") or c.startswith(unknown + "-")]
        hint = f"Did you mean {', '.join(map(repr, close))}? " if close else ""
        if dotted:
            hint += f"A column name that is not a Python name is written Q('{dotted[0]}'). "
        return error(
            code,
            f"the {role} formula names {unknown!r}, which is not a column of the data",
            column=unknown,
            expected="column names of the design's data",
            found=f"columns {columns[:12]}" + (" ..." if len(columns) > 12 else ""),
            hint=hint + "Column names are case-sensitive.",
        )
    if "null values" in text:
        bad = re.search(r"nulls in `([^`]+)`", text)
        return error(
            code,
            f"a variable of the {role} formula has missing values"
            + (f": {bad.group(1)!r}" if bad else ""),
            column=bad.group(1) if bad else None,
            expected="no missing values in the formula's variables",
            found=first,
            hint="Impute or recode the missing values before weighting (or leave those rows "
            "out of the data).",
        )
    return error(
        code,
        f"the {role} formula {formula!r} cannot be evaluated: {first}",
        expected="a formula such as 'y ~ x1 + C(x2)'",
        found=text.replace("\n", " | "),
        hint="Check the formula's syntax; write C(x) for a categorical term, I(x == 'a') for "
        "an expression and Q('a.b') for a column name that is not a Python name.",
    )


def response_vector(y: pd.DataFrame) -> tuple[np.ndarray, str] | None:
    """The response as one float column, or None when it is categorical (several columns)."""
    cols = list(y.columns)
    if len(cols) == 1:
        return np.asarray(y.iloc[:, 0], dtype=np.float64), str(cols[0])
    return None
