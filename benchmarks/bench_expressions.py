"""Benchmark of the expression engine on the demo household form.

Three measurements, on synthetic exports of ``surveys/household.xlsx`` (text columns as
ODK Central writes them; ``rows`` households and ``rows`` roster members):

1. every expression of the form (relevant, constraint, calculation, required, repeat_count,
   choice_filter) evaluated by the vectorised engine, one call per expression;
2. the same expressions on a sample through the scalar reference interpreter
   (tests/expressions/scalar_reference.py, row by row), its time per row extrapolated to
   ``rows`` (the interpreter is linear in the rows); goal: the engine is >= 100x faster;
3. ten typical expressions against hand-written pandas code for the same logic, both on
   the same typed frame (numbers as float64); goal: the engine within 2x of pandas;
4. five expressions of the form on the **raw text** frame (every column text, as the
   reader hands over an ODK Central export), against hand-written pandas that converts
   the text itself (a pyarrow cast, blanks and malformed values as missing). The engine
   is timed with a fresh session (reading the numbers and dates is part of the job) and
   with a warm one (columns already read); the tools alternate their order from round to
   round, and the table gives each expression's median ratio and its range over the
   rounds, and the scalar interpreter's time on the same expression. Goal (issue 18):
   fresh engine within 1.5x of pandas (median over the five), still >= 100x the scalar
   interpreter.

Run ``python benchmarks/bench_expressions.py [rows] [--rounds R] [--raw-only]`` (default
1,000,000 rows, or the ``BAICUN_BENCH_ROWS`` environment variable; ``--raw-only`` runs
part 4 alone) or ``python -m benchmarks expressions``. Results are also written to
``benchmarks/results/expressions.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "expressions"))

from household_data import synthetic  # noqa: E402
from scalar_reference import Reference  # noqa: E402

from analysis.expressions import EvaluationContext, FormData, Repeat, evaluate, parse, session_for  # noqa: E402
from analysis.expressions.evaluate import Env  # noqa: E402
from analysis.expressions.forms import form_expressions  # noqa: E402
from analysis.expressions.values import constant  # noqa: E402

NOW = dt.datetime(2024, 6, 1, 12, 0)
CONTEXT = EvaluationContext(timezone="Asia/Shanghai", now=NOW)


def _best(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    best, out = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _jobs(instrument: Any) -> list[dict[str, Any]]:
    """Every expression of the form with the scope and current question it runs in."""
    jobs = []
    groups = {g.name: g for g in instrument.groups}
    for owner, column, text in form_expressions(instrument):
        if owner in groups:
            g = groups[owner]
            scope = g.name if (g.kind == "repeat" and column == "relevant") else g.repeat
            jobs.append(
                {"owner": owner, "column": column, "text": text, "scope": scope, "current": None}
            )
        else:
            q = instrument[owner]
            item = None
            if column == "choice_filter":
                first = instrument.choices(q).choices[0]
                item = {"name": first.name, **{str(k): str(v) for k, v in first.extra.items()}}
            jobs.append(
                {
                    "owner": owner,
                    "column": column,
                    "text": text,
                    "scope": q.repeat,
                    "current": owner,
                    "item": item,
                }
            )
    return jobs


def _engine(job: dict[str, Any], data: FormData, instrument: Any) -> Any:
    session = session_for(data, instrument, CONTEXT)
    item = {k: constant(v) for k, v in job["item"].items()} if job.get("item") else None
    env = Env(session, job["scope"], job["text"], current=job["current"], item=item)
    return env.value(parse(job["text"]).tree)


def _reference(job: dict[str, Any], ref: Reference) -> list[Any]:
    if job.get("item"):
        # the reference has no choice items: substitute them as literals
        text = job["text"]
        for k, v in job["item"].items():
            text = text.replace(k, f"'{v}'") if f"${{{k}}}" not in text else text
        job = {**job, "text": text.replace("'name'", "name") if "name" not in job["item"] else text}
    return ref.evaluate(job["text"], current=job["current"], repeat=job["scope"] or None)


def _sample(data: FormData, n: int) -> FormData:
    main = data.main.iloc[:n]
    keys = set(main["KEY"])
    repeats = {}
    for name, rep in data.repeats.items():
        frame = rep.frame[rep.frame[rep.parent_key].isin(keys)].reset_index(drop=True)
        repeats[name] = Repeat(frame, rep.parent_key)
    return FormData(main.reset_index(drop=True), repeats, key=data.key)


def _typed(frame: pd.DataFrame, instrument: Any) -> pd.DataFrame:
    out = {}
    for name in frame.columns:
        q = instrument[name] if name in instrument else None
        if q is not None and q.type in ("integer", "decimal", "range"):
            out[name] = pd.to_numeric(frame[name], errors="coerce")
        else:
            out[name] = frame[name]
    return pd.DataFrame(out)


def round_half_up_decimal(x: pd.Series, places: int) -> pd.Series:
    """ODK's round() by hand: half up on the decimal text (1.005 -> 1.01), as the engine.

    ``Series.round`` rounds half to even on the binary value, which is not the same logic.
    """
    scale = 10.0**places
    k = np.floor(x * scale)
    return (k + (x >= (k + 0.5) / scale)) / scale


def _hand_written(
    main: pd.DataFrame, members: pd.DataFrame, today: pd.Timestamp
) -> list[tuple[str, str, str | None, Callable[[], Any]]]:
    """(label, expression, scope/current, pandas code) for ten typical rules."""
    token_count = r"[^ ]+"

    def sum_children() -> pd.Series:
        flag = pd.Series(np.where(members["member_age"] < 16, 1.0, 0.0))
        totals = flag.groupby(members["PARENT_KEY"].to_numpy()).sum()
        return totals.reindex(main["KEY"].to_numpy(), fill_value=0.0)

    return [
        ("relevant: consent", "${consent} = '1'", None, lambda: main["consent"] == "1"),
        (
            "constraint: range",
            ". >= 101 and . <= 999",
            "enumerator",
            lambda: (main["enumerator"] >= 101) & (main["enumerator"] <= 999),
        ),
        (
            "constraint: special codes",
            "(. >= 16 and . <= 110) or . = 998 or . = 999",
            "head_age",
            lambda: (
                ((main["head_age"] >= 16) & (main["head_age"] <= 110))
                | main["head_age"].isin([998, 999])
            ),
        ),
        (
            "constraint: regex",
            "regex(., '^1[3-9][0-9]{9}$')",
            "head_phone",
            lambda: main["head_phone"].str.fullmatch(r"1[3-9][0-9]{9}"),
        ),
        (
            "constraint: multi-select",
            "not(selected(., '96') and count-selected(.) > 1)",
            "subsidies",
            lambda: (
                ~(
                    main["subsidies"].str.contains(r"(?:^| )96(?: |$)")
                    & (main["subsidies"].str.count(token_count) > 1)
                )
            ),
        ),
        (
            "relevant: selected",
            "selected(${subsidies}, '97')",
            None,
            lambda: main["subsidies"].str.contains(r"(?:^| )97(?: |$)"),
        ),
        (
            "calculation: weight",
            "round(${village_weight} * ${village_hh_total} div ${hh_sampled}, 4)",
            None,
            lambda: round_half_up_decimal(
                main["village_weight"] * main["village_hh_total"] / main["hh_sampled"], 4
            ),
        ),
        (
            "calculation: id",
            "concat(${village_id}, if(${hh_no} < 10, concat('0', ${hh_no}), string(${hh_no})))",
            None,
            lambda: (
                main["village_id"]
                + pd.Series(np.where(main["hh_no"] < 10, "0", ""), index=main.index)
                + main["hh_no"].astype("Int64").astype("str").fillna("")
            ),
        ),
        (
            "constraint: date",
            ". <= today() and . >= date('2024-01-01')",
            "visit_date",
            lambda: (lambda d: (d <= today) & (d >= pd.Timestamp("2024-01-01")))(
                pd.to_datetime(main["visit_date"], format="%Y-%m-%d", errors="coerce")
            ),
        ),
        ("calculation: sum over repeat", "sum(${member_child_flag})", None, sum_children),
    ]


# ---------------------------------------------------------------------------- 4: raw text

#: The five expressions of part 4: (form cell, expression, current question, repeat).
RAW_EXPRESSIONS: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("head_age constraint", "(. >= 16 and . <= 110) or . = 998 or . = 999", "head_age", None),
    ("subsidies_other relevant", "selected(${subsidies}, '97')", None, None),
    (
        "member_elderly_flag calculation",
        "if(${member_age} >= 60 and ${member_age} < 998, 1, 0)",
        None,
        "members",
    ),
    (
        "hardships constraint",
        "count-selected(.) <= 3 and not(selected(., '96') and count-selected(.) > 1)",
        "hardships",
        None,
    ),
    ("visit_date constraint", ". <= today() and . >= date('2024-01-01')", "visit_date", None),
)

#: The columns part 4 reads (with the keys).
RAW_FIELDS = {"KEY", "head_age", "subsidies", "member_age", "hardships", "visit_date"}


def _numbers_by_hand(text: pd.Series) -> np.ndarray:
    """Numbers from raw text as a careful pandas user writes it: one pyarrow cast with the
    blanks as nulls; a column with a malformed value goes through ``pd.to_numeric``
    (malformed -> NaN), as the engine reads it (blank or malformed: not a number)."""
    arr = pa.array(text.array)
    try:
        out = pc.cast(pc.if_else(pc.equal(arr, ""), None, arr), pa.float64())
    except pa.ArrowInvalid:
        return pd.to_numeric(text.where(text != ""), errors="coerce").to_numpy(dtype=float)
    return out.to_numpy(zero_copy_only=False)


def _dates_by_hand(text: pd.Series) -> np.ndarray:
    """``yyyy-mm-dd`` text as datetime64[D] by hand: a pyarrow cast (blank -> NaT), else
    ``pd.to_datetime`` (malformed -> NaT)."""
    arr = pa.array(text.array)
    try:
        out = pc.cast(pc.if_else(pc.equal(arr, ""), None, arr), pa.date32())
    except pa.ArrowInvalid:
        stamps = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        return stamps.to_numpy().astype("datetime64[D]")
    return out.to_numpy(zero_copy_only=False)


def _raw_by_hand(
    main: pd.DataFrame, members: pd.DataFrame, today: np.datetime64
) -> list[Callable[[], Any]]:
    """Hand-written pandas for :data:`RAW_EXPRESSIONS`, from the raw text columns.

    Choices are ODK's space-separated codes (one space between codes, none around).
    """

    def head_age() -> np.ndarray:
        x = _numbers_by_hand(main["head_age"])
        return ((x >= 16) & (x <= 110)) | (x == 998) | (x == 999)

    def subsidies_97() -> pd.Series:
        return main["subsidies"].str.contains(r"(?:^| )97(?: |$)")

    def elderly() -> np.ndarray:
        x = _numbers_by_hand(members["member_age"])
        return np.where((x >= 60) & (x < 998), 1.0, 0.0)

    def hardships() -> np.ndarray:
        text = main["hardships"]
        count = np.where(text == "", 0, text.str.count(" ") + 1)
        has_96 = text.str.contains(r"(?:^| )96(?: |$)").to_numpy(dtype=bool)
        return (count <= 3) & ~(has_96 & (count > 1))

    def visit_date() -> np.ndarray:
        d = _dates_by_hand(main["visit_date"])
        return (d <= today) & (d >= np.datetime64("2024-01-01"))

    return [head_age, subsidies_97, elderly, hardships, visit_date]


def _timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, float, Any]:
    """Best wall and best CPU seconds of ``repeat`` runs, and the last result."""
    wall, cpu, out = math.inf, math.inf, None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, out


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f})"


def raw_text(
    data: FormData, instrument: Any, rounds: int = 5, scalar_rows: int = 2000
) -> dict[str, Any]:
    """Part 4: the engine on the raw text frame vs hand-written pandas (see the module)."""
    from analysis.expressions.forms import form_expressions

    in_form = {f"{owner} {column}": text for owner, column, text in form_expressions(instrument)}
    for cell, text, _, _ in RAW_EXPRESSIONS:
        assert in_form.get(cell) == text, f"{cell} is not {text!r} in household.xlsx"
    main_text = data.main
    members = data.repeats["members"].frame
    assert all(pd.api.types.is_string_dtype(t) for t in main_text.dtypes), "not raw text"
    hand = _raw_by_hand(main_text, members, np.datetime64(NOW.date(), "D"))

    def engine(i: int, session: Any = None) -> Callable[[], Any]:
        _, text, current, scope = RAW_EXPRESSIONS[i]
        where = {"repeat": scope} if scope else {}
        return lambda: evaluate(
            text,
            data,
            instrument=instrument,
            current=current,
            context=CONTEXT,
            session=session,
            **where,
        )

    warm = session_for(data, instrument, CONTEXT)
    for i in range(len(RAW_EXPRESSIONS)):
        engine(i, warm)()  # read every column once into the warm session
    load = [os.getloadavg()[0]]
    print(
        f"\n4. five expressions of household.xlsx on the raw text frame ({data.size(None):,} "
        f"households, {len(members):,} members), {rounds} rounds, load {load[0]:.1f}:"
    )
    tools = ("fresh", "warm", "pandas")
    times: dict[str, list[list[tuple[float, float]]]] = {
        t: [[] for _ in RAW_EXPRESSIONS] for t in tools
    }
    same = [True] * len(RAW_EXPRESSIONS)
    for r in range(rounds):
        for i in range(len(RAW_EXPRESSIONS)):
            order = tools[(r + i) % 3 :] + tools[: (r + i) % 3]
            results = {}
            for tool in order:
                fn = {"fresh": engine(i), "warm": engine(i, warm), "pandas": hand[i]}[tool]
                wall, cpu, results[tool] = _timed(fn)
                times[tool][i].append((wall, cpu))
            same[i] &= _agree(results["fresh"], results["pandas"])
            same[i] &= _agree(results["warm"], results["pandas"])
        load.append(os.getloadavg()[0])

    # the scalar interpreter on a sample, per row, extrapolated to the scope's rows
    sample = _sample(data, scalar_rows)
    ref = Reference(sample, instrument, timezone="Asia/Shanghai", now=NOW)
    rows_out = []
    print(
        f"   {'expression (form cell)':34s} {'fresh':>8s} {'warm':>8s} {'pandas':>8s}  "
        f"{'fresh/pandas':>18s}  {'warm/pandas':>18s}  {'scalar/fresh':>12s}"
    )
    for i, (cell, text, current, scope) in enumerate(RAW_EXPRESSIONS):
        scope = scope or (None if current is None else instrument[current].repeat)
        ref._cells.clear()
        t0 = time.perf_counter()
        ref.evaluate(text, current=current, repeat=scope)
        per_row = (time.perf_counter() - t0) / max(sample.size(scope), 1)
        fresh = [w for w, _ in times["fresh"][i]]
        warm_s = [w for w, _ in times["warm"][i]]
        pandas_s = [w for w, _ in times["pandas"][i]]
        ratio_fresh = [f / p for f, p in zip(fresh, pandas_s, strict=True)]
        ratio_warm = [w / p for w, p in zip(warm_s, pandas_s, strict=True)]
        ratio_cpu = [
            f / p
            for (_, f), (_, p) in zip(times["fresh"][i], times["pandas"][i], strict=True)
            if p > 0
        ]
        scalar = per_row * data.size(scope) / statistics.median(fresh)
        rows_out.append(
            {
                "cell": cell,
                "expression": text,
                "rows": data.size(scope),
                "fresh_s": statistics.median(fresh),
                "warm_s": statistics.median(warm_s),
                "pandas_s": statistics.median(pandas_s),
                "fresh_over_pandas": ratio_fresh,
                "warm_over_pandas": ratio_warm,
                "fresh_over_pandas_cpu": ratio_cpu,
                "scalar_over_fresh": scalar,
                "same_result": same[i],
            }
        )
        print(
            f"   {cell:34s} {statistics.median(fresh) * 1000:6.1f}ms "
            f"{statistics.median(warm_s) * 1000:6.1f}ms {statistics.median(pandas_s) * 1000:6.1f}ms"
            f"  {_spread(ratio_fresh):>18s}  {_spread(ratio_warm):>18s}  {scalar:11.0f}x"
            f"{'' if same[i] else '  DIFFERENT RESULTS'}"
        )
    per_round = [
        statistics.median(row["fresh_over_pandas"][r] for row in rows_out) for r in range(rounds)
    ]
    per_round_warm = [
        statistics.median(row["warm_over_pandas"][r] for row in rows_out) for r in range(rounds)
    ]
    per_round_cpu = [
        statistics.median(row["fresh_over_pandas_cpu"][r] for row in rows_out)
        for r in range(rounds)
    ]
    worst = max(statistics.median(row["fresh_over_pandas"]) for row in rows_out)
    scalar_min = min(row["scalar_over_fresh"] for row in rows_out)
    print(
        f"   median over the five, per round: fresh/pandas {_spread(per_round)} "
        f"(CPU {_spread(per_round_cpu)}), warm/pandas {_spread(per_round_warm)}; "
        f"slowest expression {worst:.2f}x  (goal <= 1.5x)"
    )
    print(
        f"   scalar interpreter / fresh engine: min {scalar_min:.0f}x (goal >= 100x); "
        f"load {min(load):.1f}-{max(load):.1f}"
    )
    return {
        "rounds": rounds,
        "load": load,
        "median_fresh_over_pandas": statistics.median(per_round),
        "range_fresh_over_pandas": [min(per_round), max(per_round)],
        "median_fresh_over_pandas_cpu": statistics.median(per_round_cpu),
        "median_warm_over_pandas": statistics.median(per_round_warm),
        "scalar_over_fresh_min": scalar_min,
        "expressions": rows_out,
    }


def main(
    rows: int | None = None, scalar_rows: int = 2000, rounds: int = 5, raw_only: bool = False
) -> dict[str, Any]:
    """Run the benchmark; print a report; return the figures."""
    from analysis.instrument import load_instrument

    rows = rows or int(os.environ.get("BAICUN_BENCH_ROWS", "1000000"))
    instrument = load_instrument(ROOT / "surveys" / "household.xlsx")
    jobs = _jobs(instrument)
    needed = {q.name for q in instrument.questions if q.name == "KEY"} | RAW_FIELDS
    if not raw_only:
        for job in jobs:
            needed |= parse(job["text"]).fields | {job["owner"]}
        needed |= {"member_age", "hh_no", "village_id"}
    start = time.perf_counter()
    data = synthetic(instrument, rows, members=rows, seed=7, only=needed)
    print(
        f"expressions benchmark: {len(jobs)} expressions of household.xlsx, {rows:,} households + "
        f"{rows:,} members (data made in {time.perf_counter() - start:.1f} s)"
    )
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    if raw_only:
        result = {"rows": rows, "raw_text": raw_text(data, instrument, rounds, scalar_rows)}
        (out / "expressions_raw.json").write_text(
            json.dumps(result, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
        )
        return result

    # 1 + 2: every expression, engine vs scalar reference ------------------------------------
    sample = _sample(data, scalar_rows)
    ref = Reference(sample, instrument, timezone="Asia/Shanghai", now=NOW)
    table = []
    for job in jobs:
        n_scope = data.size(job["scope"])
        engine_s, _ = _best(lambda job=job: _engine(job, data, instrument), repeat=2)
        n_sample = sample.size(job["scope"])
        if job.get("item"):
            scalar_per_row = math.nan
        else:
            ref._cells.clear()
            t0 = time.perf_counter()
            _reference(job, ref)
            scalar_per_row = (time.perf_counter() - t0) / max(n_sample, 1)
        scalar_s = scalar_per_row * n_scope
        table.append(
            {
                **{k: job[k] for k in ("owner", "column", "text", "scope")},
                "rows": n_scope,
                "engine_s": engine_s,
                "scalar_s_extrapolated": scalar_s,
                "speedup": scalar_s / engine_s if engine_s else math.nan,
            }
        )
    speedups = [r["speedup"] for r in table if not math.isnan(r["speedup"])]
    total_engine = sum(r["engine_s"] for r in table)
    total_scalar = sum(
        r["scalar_s_extrapolated"] for r in table if not math.isnan(r["scalar_s_extrapolated"])
    )
    print(
        f"\n1-2. all {len(table)} expressions: engine {total_engine:.2f} s in total "
        f"(median {statistics.median(r['engine_s'] for r in table) * 1000:.1f} ms per expression); "
        f"scalar reference {total_scalar / 60:.1f} min extrapolated"
    )
    print(
        f"     speed-up vs scalar: total {total_scalar / total_engine:.0f}x, median {statistics.median(speedups):.0f}x, "
        f"min {min(speedups):.0f}x  (goal >= 100x)"
    )
    slow = sorted(table, key=lambda r: -r["engine_s"])[:5]
    for r in slow:
        print(
            f"     slowest: {r['engine_s'] * 1000:7.1f} ms  {r['owner']}.{r['column']}: {r['text']}"
        )

    # full form check on the same data, one session (what validation runs)
    from analysis.expressions.forms import check_form

    check_s, _ = _best(lambda: check_form(instrument, data, context=CONTEXT), repeat=1)
    print(
        f"     check_form (relevance, calculations, constraints, required, choices): {check_s:.1f} s"
    )

    # 3: hand-written pandas ------------------------------------------------------------------
    typed_main = _typed(data.main, instrument)
    typed_members = _typed(data.repeats["members"].frame, instrument)
    typed = FormData(typed_main, {"members": Repeat(typed_members, "PARENT_KEY")}, key="KEY")
    today = pd.Timestamp(NOW.date())
    cases = _hand_written(typed_main, typed_members, today)
    print("\n3. ten typical expressions vs hand-written pandas (same typed frame):")
    hand = []
    for label, expr, current, code in cases:
        if expr.startswith("sum("):
            expr = "sum(${member_child_flag})"
            members_flag = FormData(
                typed_main,
                {
                    "members": Repeat(
                        typed_members.assign(
                            member_child_flag=np.where(typed_members["member_age"] < 16, 1.0, 0.0)
                        ),
                        "PARENT_KEY",
                    )
                },
                key="KEY",
            )
            engine_s, got = _best(
                lambda expr=expr, members_flag=members_flag: evaluate(
                    expr, members_flag, instrument=instrument, context=CONTEXT
                )
            )
        else:
            engine_s, got = _best(
                lambda expr=expr, current=current: evaluate(
                    expr, typed, instrument=instrument, current=current, context=CONTEXT
                )
            )
        pandas_s, want = _best(code)
        same = _agree(got, want)
        hand.append(
            {
                "label": label,
                "expression": expr,
                "engine_s": engine_s,
                "pandas_s": pandas_s,
                "ratio": engine_s / pandas_s,
                "same_result": same,
            }
        )
        print(
            f"   {label:28s} engine {engine_s * 1000:7.1f} ms  pandas {pandas_s * 1000:7.1f} ms  "
            f"ratio {engine_s / pandas_s:4.2f}  {'same' if same else 'DIFFERENT'}"
        )
    ratios = [h["ratio"] for h in hand]
    print(
        f"   engine/pandas: median {statistics.median(ratios):.2f}, max {max(ratios):.2f}, "
        f"geometric mean {math.exp(statistics.fmean(math.log(r) for r in ratios)):.2f}  (goal <= 2)"
    )

    result = {
        "rows": rows,
        "expressions": len(table),
        "engine_total_s": total_engine,
        "scalar_total_s_extrapolated": total_scalar,
        "speedup_total": total_scalar / total_engine,
        "speedup_median": statistics.median(speedups),
        "speedup_min": min(speedups),
        "check_form_s": check_s,
        "hand_written": hand,
        "per_expression": table,
        "raw_text": raw_text(data, instrument, rounds, scalar_rows),
    }
    (out / "expressions.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    return result


def _agree(got: pd.Series, want: Any) -> bool:
    a = pd.Series(got).reset_index(drop=True)
    b = pd.Series(want).reset_index(drop=True)
    if pd.api.types.is_bool_dtype(b.dtype) or (
        b.dtype == object and set(b.dropna().unique()) <= {True, False}
    ):
        return bool((a.fillna(False).astype(bool) == b.fillna(False).astype(bool)).all())
    if pd.api.types.is_numeric_dtype(b.dtype):
        x = pd.to_numeric(a, errors="coerce").to_numpy(dtype=float)
        y = b.to_numpy(dtype=float)
        return bool(np.allclose(x, y, equal_nan=True))
    return bool((a.astype(str).fillna("") == b.astype(str).fillna("")).all())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int, nargs="?", default=None)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of part 4 (default 5)")
    parser.add_argument("--raw-only", action="store_true", help="run part 4 (raw text) only")
    args = parser.parse_args()
    main(args.rows, rounds=args.rounds, raw_only=args.raw_only)
