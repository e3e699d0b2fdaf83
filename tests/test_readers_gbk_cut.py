"""A GBK export with one byte lost inside a Chinese character: that cell is marked and
located (RD156), every other Chinese text stays as it was."""

from __future__ import annotations

from pathlib import Path

from analysis.readers import read_raw

ROOT = Path(__file__).resolve().parents[1]


def test_a_byte_lost_inside_a_gbk_character_is_located_and_nothing_else_changes(tmp_path):
    raw = (ROOT / "data" / "raw" / "demo-2025" / "cadre.csv").read_bytes()
    lines = raw.split(b"\r\n")
    line = lines[3]  # the third record (source row 4)
    lead = next(i for i, b in enumerate(line) if b >= 0x81)
    lines[3] = line[: lead + 1] + line[lead + 2 :]  # the trail byte of one character lost
    (tmp_path / "cadre.csv").write_bytes(b"\r\n".join(lines))

    base = read_raw(ROOT / "data" / "raw" / "demo-2025" / "cadre.csv")
    cut = read_raw(tmp_path / "cadre.csv")
    assert cut.metadata.encoding == "gbk"  # not decoded whole as a Western codepage
    located = cut.issues[cut.issues["code"] == "RD156"]
    assert len(located) == 1 and int(located["row"].iloc[0]) == 4
    column = located["column"].iloc[0]
    for name in base.data.columns:
        if name.startswith("_"):
            continue
        before = base.data[name].astype("string").fillna("")
        after = cut.data[name].astype("string").fillna("")
        changed = [r for r, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        assert changed == ([2] if name == column else []), name
    assert "\ufffd" in cut.data[column].iloc[2]
