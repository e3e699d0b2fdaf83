"""The counts appended to every declared estimate table: ``n_domain``, ``n_level``, ``weighted_n``.

The estimators' own column ``n`` is the number of records used in the domain: the records
of the domain (``by`` group, ``where`` restriction) that answered the variable. The
pipeline adds, without changing the estimators' output:

* ``n_domain``: the records of the domain, answered or not (``n_domain - n`` records
  did not answer);
* ``n_level`` (tables with a ``level`` column only): the records of the domain at that
  level, i.e. the unweighted count of the category or of the choice;
* ``weighted_n``: the weighted count of what the row counts: the level's records in a
  table with levels (the estimated number of population units in the category), else the
  domain's records that answered (the estimated population the estimate is about).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from analysis.design.survey import SurveyDesign
>>> frame = pd.DataFrame({"w": [1.0, 2.0, 3.0, 4.0], "tv": ["no", "yes", "yes", None]})
>>> design = SurveyDesign(frame, weights="w")
>>> counts = level_counts(design, (), None, frame["tv"].notna(), np.array([0, 1, 1, -1]), 2)
>>> counts["n_domain"].tolist(), counts["n_level"].tolist(), counts["weighted_n"].tolist()
([4, 4], [1, 2], [1.0, 5.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..design.domains import domains
from ..design.survey import SurveyDesign

__all__ = ["COUNT_COLUMNS", "domain_counts", "level_counts"]

#: The columns appended after ``n`` (``n_level`` only in tables with levels).
COUNT_COLUMNS = ("n_domain", "n_level", "weighted_n")


def _per_domain(codes: np.ndarray, weights: np.ndarray | None, size: int) -> np.ndarray:
    keep = codes >= 0
    return np.bincount(
        codes[keep], weights=None if weights is None else weights[keep], minlength=size
    )


def domain_counts(
    design: SurveyDesign, by: Sequence[str], where: Any, answered: Any, repeat: int = 1
) -> pd.DataFrame:
    """``n_domain`` and ``weighted_n`` of a table with one row per domain (then ``repeat``
    rows per domain, e.g. one per quantile).

    Parameters
    ----------
    design : SurveyDesign
    by, where
        The domains, as passed to the estimator.
    answered : array_like of bool
        ``(n,)`` True where the record has a value of the variable.
    repeat : int
        Rows of the table per domain.

    Examples
    --------
    >>> from analysis.design.survey import SurveyDesign
    >>> frame = pd.DataFrame({"w": [1.0, 2.0, 3.0], "s": ["a", "a", "b"]})
    >>> domain_counts(SurveyDesign(frame, weights="w"), ["s"], None, [True, False, True])
       n_domain  weighted_n
    0         2         1.0
    1         1         3.0
    """
    dom = domains(design, list(by) or None, where)
    g = dom.n_domains
    answered_codes = np.where(np.asarray(answered, dtype=bool), dom.codes, -1)
    return pd.DataFrame(
        {
            "n_domain": np.repeat(_per_domain(dom.codes, None, g).astype(np.int64), repeat),
            "weighted_n": np.repeat(_per_domain(answered_codes, design.weights, g), repeat),
        }
    )


def level_counts(
    design: SurveyDesign,
    by: Sequence[str],
    where: Any,
    answered: Any,
    levels: np.ndarray,
    n_levels: int,
) -> pd.DataFrame:
    """``n_domain``, ``n_level`` and ``weighted_n`` of a table with one row per domain and
    level (domains outer, levels inner, as the estimators order them).

    Parameters
    ----------
    design : SurveyDesign
    by, where
        The domains, as passed to the estimator.
    answered : array_like of bool
        ``(n,)`` True where the record has a value of the variable.
    levels : numpy.ndarray
        ``(n,)`` the level code (0 .. ``n_levels - 1``) of each record (any value where
        not answered).
    n_levels : int
    """
    dom = domains(design, list(by) or None, where)
    g = dom.n_domains
    answered = np.asarray(answered, dtype=bool)
    cell = np.where(answered & (dom.codes >= 0), dom.codes * n_levels + levels, -1)
    return pd.DataFrame(
        {
            "n_domain": np.repeat(_per_domain(dom.codes, None, g).astype(np.int64), n_levels),
            "n_level": _per_domain(cell, None, g * n_levels).astype(np.int64),
            "weighted_n": _per_domain(cell, design.weights, g * n_levels),
        }
    )
