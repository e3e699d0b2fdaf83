"""Synthetic exports of any instrument, for tests and the expression benchmark.

Answers are text, as ODK Central exports them (``5``, ``2024-03-01``, ``rice maize``), drawn
per question type from the instrument's choice lists, with some blanks and some answers
that break the constraints, so that every rule has rows on both sides. Generation is
vectorised (a million households take a few seconds).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.expressions import FormData, Repeat

_NAMES = np.array(
    ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "旦增", "阿依古丽", "马强", "赵敏", ""],
    dtype=object,
)
_WORDS = np.array(
    ["", "无", "希望多放电影", "路不好走", "农家书屋书太旧", "需要技术培训", "其他"], dtype=object
)


def _pick(rng: np.random.Generator, pool: np.ndarray, n: int) -> np.ndarray:
    return pool[rng.integers(0, len(pool), n)]


def _blank(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    return np.where(rng.random(len(values)) < share, "", values)


def _ints(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    return rng.integers(low, high + 1, n).astype(str).astype(object)


def _column(q: Any, instrument: Any, rng: np.random.Generator, n: int) -> np.ndarray | None:
    t = q.type
    name = q.name
    if t == "note":
        return None
    choices = instrument.choices(q)
    codes = np.array(choices.codes if choices is not None else ["1", "2"], dtype=object)
    if t == "select_one":
        return _blank(rng, _pick(rng, codes, n), 0.05)
    if t == "select_multiple":
        combos = []
        for _ in range(200):
            k = int(rng.integers(1, min(4, len(codes)) + 1))
            combos.append(" ".join(rng.choice(codes, size=k, replace=False)))
        return _blank(rng, _pick(rng, np.array(combos, dtype=object), n), 0.05)
    if t in ("integer", "decimal", "range"):
        if "age" in name:
            values = _ints(rng, 0, 95, n)
        elif name == "enumerator":
            values = _ints(rng, 95, 999, n)
        elif name in ("hh_size",):
            values = _ints(rng, 1, 8, n)
        elif t == "decimal":
            values = np.round(rng.gamma(2.0, 40.0, n), 1).astype(str).astype(object)
        else:
            values = _ints(rng, 0, 70, n)
        special = rng.random(n) < 0.03
        return _blank(rng, np.where(special, "998", values), 0.05)
    if t == "date" or t == "today":
        days = pd.Timestamp("2023-12-20") + pd.to_timedelta(rng.integers(0, 200, n), unit="D")
        return _blank(rng, days.strftime("%Y-%m-%d").to_numpy(dtype=object), 0.02)
    if t in ("start", "end", "datetime"):
        stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(
            rng.integers(0, 150 * 86400, n), unit="s"
        )
        return stamps.strftime("%Y-%m-%dT%H:%M:%S.000+08:00").to_numpy(dtype=object)
    if t == "geopoint":
        lat = np.round(rng.uniform(28, 35, n), 5).astype(str)
        lon = np.round(rng.uniform(90, 100, n), 5).astype(str)
        return (pd.Series(lat) + " " + pd.Series(lon) + " 3500 5").to_numpy(dtype=object)
    if t == "calculate":
        return np.full(n, "", dtype=object)
    if "phone" in name:
        good = (pd.Series(rng.integers(13_000_000_000, 19_999_999_999, n).astype(str))).to_numpy(
            dtype=object
        )
        return _blank(rng, np.where(rng.random(n) < 0.05, "1234", good), 0.1)
    if "id_number" in name:
        body = pd.Series(rng.integers(10**16, 10**17 - 1, n).astype(str))
        return (
            body + pd.Series(_pick(rng, np.array(list("0123456789X"), dtype=object), n))
        ).to_numpy(dtype=object)
    if name == "village_id":
        return _ints(rng, 100000, 999999, n)
    if "name" in name:
        return _pick(rng, _NAMES, n)
    return _pick(rng, _WORDS, n)


def synthetic(
    instrument: Any,
    n: int,
    *,
    members: int | None = None,
    seed: int = 0,
    only: set[str] | None = None,
) -> FormData:
    """A FormData with ``n`` main records and ``members`` rows in each repeat.

    Each repeat row is attached to a random main record (positions follow row order).
    All columns are text (pandas ``str``), as in an ODK Central export. ``only`` limits
    the questions generated (to save memory in the benchmark).
    """
    rng = np.random.default_rng(seed)
    members = n if members is None else members
    main: dict[str, Any] = {"KEY": [f"uuid:{i}" for i in range(n)]}
    repeats: dict[str, dict[str, Any]] = {}
    parents: dict[str, np.ndarray] = {}
    for g in instrument.repeats:
        if g.repeat is None:
            parents[g.name] = np.sort(rng.integers(0, n, members))
            repeats[g.name] = {"PARENT_KEY": np.array(main["KEY"], dtype=object)[parents[g.name]]}
    for q in instrument.questions:
        if only is not None and q.name not in only:
            continue
        if q.repeat is None:
            col = _column(q, instrument, rng, n)
            if col is not None:
                main[q.name] = col
        elif q.repeat in repeats:
            col = _column(q, instrument, rng, members)
            if col is not None:
                repeats[q.repeat][q.name] = col
    frame = pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in main.items()})
    reps = {
        name: Repeat(
            pd.DataFrame({k: pd.Series(v, dtype="str") for k, v in cols.items()}), "PARENT_KEY"
        )
        for name, cols in repeats.items()
    }
    return FormData(frame, reps, key="KEY")
