"""Fuzz: mutated copies of the demo exports never crash read_raw nor garble Chinese silently.

Each case takes a small real-shaped slice of a demo export (``village.csv``,
``cadre.csv``, the household zip), mutates it deterministically (seeded): bytes flipped,
junk bytes inserted or appended, truncation, re-encoding (GBK, GB18030, Big5-free
UTF-16 with and without BOM, UTF-8 with BOM), header lines repeated, zip members
duplicated as ``x (1).csv``, renamed, dropped, or joined by macOS metadata. The read
must either raise a :class:`~analysis.errors.BaicunError` or return data in which every
Chinese cell of the unmutated read is unchanged, unless it lies in the record whose bytes
were mutated or an issue names its row (or a row-structure issue an earlier row).
"""

from __future__ import annotations

import csv
import io
import os
import random
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from exports_support import demo_slice, write_zip

from analysis.errors import BaicunError
from analysis.readers import read_raw

CJK = re.compile(r"[\u4e00-\u9fff]")
STRUCTURE = {"RD140", "RD141", "RD142", "RD143", "RD148"}
ENCODINGS = ("gbk", "gb18030", "utf-16", "utf-16-le", "utf-8-sig")


def _record_of(data: bytes, offset: int, encoding: str) -> int:
    """The source row (header = 1) holding byte ``offset`` of ``data``."""
    text = data[:offset].decode(
        encoding.replace("utf-16", "utf-16-le") if encoding == "utf-16" else encoding, "replace"
    )
    rows = list(
        csv.reader(
            io.StringIO(text, newline=""),
            delimiter=";" if text[:300].count(";") > text[:300].count(",") else ",",
        )
    )
    return max(1, len(rows))


def _mutate_bytes(rng: random.Random, data: bytes, encoding: str) -> tuple[bytes, int | None, str]:
    """(bytes, mutated row or None, kind)."""
    kind = rng.choice(
        ("flip", "insert", "truncate", "append", "reencode", "header", "reencode+flip")
    )
    if kind.startswith("reencode"):
        target = rng.choice(ENCODINGS)
        try:
            data = data.decode(encoding).encode(target)
        except UnicodeError:
            return data, None, "none"
        encoding = "utf-16" if target == "utf-16" else target
        if kind == "reencode":
            return data, None, kind
        kind = "flip"
    if kind == "header":
        lines = data.split(b"\n")
        at = rng.randrange(2, max(3, len(lines)))
        return b"\n".join([*lines[:at], lines[0].lstrip(b"\xef\xbb\xbf"), *lines[at:]]), None, kind
    position = rng.randrange(len(data))
    if kind == "flip":
        mutated = (
            data[:position]
            + bytes([data[position] ^ (1 << rng.randrange(8))])
            + data[position + 1 :]
        )
    elif kind == "insert":
        junk = bytes(rng.randrange(0x80, 0x100) for _ in range(rng.randint(1, 3)))
        mutated = data[:position] + junk + data[position:]
    elif kind == "append":
        position = len(data)
        mutated = data + bytes(rng.randrange(0x80, 0x100) for _ in range(3))
    else:
        return data[: max(1, position)], None, kind
    return mutated, _record_of(data, position, encoding), kind


def _case(rng: random.Random, slices: dict[str, bytes], folder: Path):
    """Write one mutated export; returns (path, base path, {table: mutated row})."""
    name = rng.choice(["village.csv", "cadre.csv", "zip", "zip"])
    if name != "zip":
        data = slices[name]
        encoding = "gbk" if name == "cadre.csv" else "utf-8"
        mutated, row, _ = _mutate_bytes(rng, data, encoding)
        path = folder / name
        path.write_bytes(mutated)
        return path, {"main": row}
    members = {k: v for k, v in slices.items() if not k.endswith((".csv",)) or "household" in k}
    main = next(k for k in members if "-" not in k)
    repeat = next(k for k in members if "-" in k)
    kind = rng.choice(("member", "member", "copy", "rename", "macos", "drop", "zipflip"))
    rows: dict[str, int | None] = {}
    if kind == "member":
        target = rng.choice((main, repeat))
        members[target], row, _ = _mutate_bytes(rng, members[target], "utf-8")
        rows["main" if target == main else "members"] = row
    elif kind == "copy":
        target = rng.choice((main, repeat))
        members[target.replace(".csv", " (1).csv")] = members[target]
    elif kind == "rename":
        target = rng.choice((main, repeat))
        members = {
            (k.replace(".csv", " (1).csv") if k == target else k): v for k, v in members.items()
        }
    elif kind == "macos":
        members[f"__MACOSX/._{repeat}"] = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        "
    elif kind == "drop":
        del members[repeat]
    path = write_zip(folder / "household.zip", members)
    if kind == "zipflip":
        data = bytearray(path.read_bytes())
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(data))
    return path, rows


def _tables(raw) -> dict[str, pd.DataFrame]:
    return {"main": raw.data, **dict(raw.repeats)}


def _silent_changes(base, raw, mutated_rows: dict[str, int | None]) -> list[str]:
    """Chinese cells of ``base`` changed in ``raw`` with no issue naming their place."""
    issues = raw.issues
    problems = []
    for table, before in _tables(base).items():
        after = _tables(raw).get(table)
        if after is None:
            continue
        named = issues[issues["table"] == table]
        rows_named = set(named["row"].dropna().astype(int))
        structure = named[named["code"].isin(STRUCTURE)]["row"].dropna().astype(int)
        first_structure = int(structure.min()) if len(structure) else None
        by_row = after.set_index("_source_row")
        mutated = mutated_rows.get(table)
        for column in before.columns:
            if column.startswith("_") or column not in after.columns:
                continue
            for row, value in zip(before["_source_row"], before[column], strict=True):
                if not isinstance(value, str) or not CJK.search(value) or row not in by_row.index:
                    continue
                now = by_row.at[row, column]
                if isinstance(now, pd.Series) or now == value:
                    continue
                if row == mutated or row in rows_named:
                    continue
                if first_structure is not None and first_structure <= row:
                    continue
                problems.append(f"{table} row {row} {column}: {value!r} -> {now!r}")
    return problems


def _run(cases: int, seed: int, tmp_path: Path) -> Counter:
    slices = demo_slice("demo-2025", records=8)
    bases = {}
    folder = tmp_path / "base"
    folder.mkdir()
    for name in ("village.csv", "cadre.csv"):
        (folder / name).write_bytes(slices[name])
        bases[name] = read_raw(folder / name)
    zipped = {k: v for k, v in slices.items() if "household" in k}
    bases["household.zip"] = read_raw(write_zip(folder / "household.zip", zipped))
    rng = random.Random(seed)
    counts: Counter = Counter()
    failures: list[str] = []
    for index in range(cases):
        case = tmp_path / f"case{index}"
        case.mkdir()
        path, rows = _case(rng, slices, case)
        try:
            raw = read_raw(path)
        except BaicunError:
            counts["refused"] += 1
            continue
        except Exception as exc:
            failures.append(f"case {index} ({path.name}): uncaught {type(exc).__name__}: {exc}")
            counts["uncaught"] += 1
            continue
        counts["read"] += 1
        changed = _silent_changes(bases[path.name], raw, rows)
        if changed:
            counts["silent"] += 1
            failures.append(f"case {index} ({path.name}): {changed[:3]}")
    assert not failures, "\n".join(failures[:10])
    return counts


def test_fuzz_small(tmp_path):
    counts = _run(25, seed=7, tmp_path=tmp_path)
    assert counts["read"] > 10


@pytest.mark.skipif(
    not os.environ.get("BAICUN_FUZZ"),
    reason="the 520-case fuzz run takes minutes: `make fuzz` runs it (BAICUN_FUZZ=1)",
)
def test_fuzz_500(tmp_path):
    counts = _run(520, seed=2025, tmp_path=tmp_path)
    print(dict(counts))
    assert counts["uncaught"] == 0 and counts["silent"] == 0
