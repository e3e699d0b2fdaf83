"""Reading estimate tables for charts: required columns, label columns, sort order.

Estimate tables are tidy frames with the fixed columns
:data:`~analysis.estimate.tidy.ESTIMATE_COLUMNS` after the domain (``by``) columns
and, for categorical variables, ``level``; wave comparisons carry
:data:`~analysis.estimate.tidy.CHANGE_COLUMNS`. Charts only read them.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"county": ["甲县", "乙县"], "estimate": [0.4, 0.6],
...                   "ci_low": [0.3, 0.5], "ci_high": [0.5, 0.7]})
>>> label_columns(t)
['county']
>>> sorted_labels(t, "county")
['乙县', '甲县']
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence

import pandas as pd

from ..errors import ChartError
from ..estimate.tidy import CHANGE_COLUMNS, ESTIMATE_COLUMNS

__all__ = [
    "CHANGE_COLUMNS",
    "ESTIMATE_COLUMNS",
    "label_columns",
    "require_columns",
    "sorted_labels",
    "wrap_label",
]

_FIXED = frozenset(ESTIMATE_COLUMNS) | frozenset(CHANGE_COLUMNS)


def require_columns(table: pd.DataFrame, columns: Iterable[str], *, chart: str) -> None:
    """Raise ``CHT002`` unless ``table`` is a DataFrame holding ``columns``.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"estimate": [1]}), ["estimate", "ci_low"], chart="bars")
    Traceback (most recent call last):
    ...
    analysis.errors.ChartError: [CHT002] bars needs columns the table does not have: ci_low
      expected: columns estimate, ci_low
      found: columns estimate
      what to do: Pass an estimate table from analysis.estimate.estimators (it has estimate, se, ci_low, ci_high, df, deff, n), or name the column with the chart's arguments.
    """
    if not isinstance(table, pd.DataFrame):
        raise ChartError(
            "CHT002",
            f"{chart} needs an estimate table (a DataFrame)",
            expected="pandas.DataFrame",
            found=type(table).__name__,
            hint="Pass the DataFrame returned by an analysis.estimate.estimators function.",
        )
    wanted = list(columns)
    missing = [c for c in wanted if c not in table.columns]
    if missing:
        raise ChartError(
            "CHT002",
            f"{chart} needs columns the table does not have: {', '.join(missing)}",
            expected="columns " + ", ".join(wanted),
            found="columns " + ", ".join(map(str, table.columns)),
            hint=(
                "Pass an estimate table from analysis.estimate.estimators (it has "
                f"{', '.join(ESTIMATE_COLUMNS)}), or name the column with the chart's arguments."
            ),
        )
    if len(table) == 0:
        raise ChartError(
            "CHT003",
            f"{chart} got an empty table: there is nothing to draw",
            expected="at least one row",
            found="0 rows",
            hint="Check the filter or domain that produced the table.",
        )


def label_columns(table: pd.DataFrame) -> list[str]:
    """The non-fixed columns of an estimate table (``by`` columns and ``level``)."""
    return [str(c) for c in table.columns if c not in _FIXED]


def sorted_labels(
    table: pd.DataFrame,
    label: str,
    *,
    value: str = "estimate",
    order: Sequence[str] | str = "descending",
) -> list[str]:
    """Category labels in display order.

    Parameters
    ----------
    order : {"descending", "ascending", "table"} or sequence of str
        By value (largest first by default), as in the table, or an explicit order
        (labels not listed follow in descending order of value).
    """
    labels = table[label].astype(str)
    if isinstance(order, str):
        if order == "table":
            return list(dict.fromkeys(labels))
        if order not in ("descending", "ascending"):
            raise ChartError(
                "CHT004",
                f"unknown sort order {order!r}",
                expected="'descending', 'ascending', 'table' or a list of labels",
                found=repr(order),
                hint="Pass order='descending' (default) or the labels in the order wanted.",
            )
        means = table.assign(_label=labels).groupby("_label", sort=False)[value].mean()
        # stable: ties keep table order
        return list(means.sort_values(ascending=order == "ascending", kind="mergesort").index)
    given = [str(x) for x in order]
    rest = [x for x in sorted_labels(table, label, value=value) if x not in given]
    return [x for x in given if x in set(labels)] + rest


def wrap_label(text: str, width: int = 10) -> str:
    """Break a long Chinese label into lines of at most ``width`` characters.

    Examples
    --------
    >>> wrap_label("村综合文化服务中心活动室开放情况", 8)
    '村综合文化服务中\\n心活动室开放情况'
    >>> wrap_label("Distance education station", 10)
    'Distance education\\nstation'
    """
    if width <= 0 or len(text) <= width:
        return text
    if " " in text:  # Latin script: letters are about half as wide as Chinese characters
        return textwrap.fill(text, 2 * width)
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))
