"""Nothing garbled or dropped silently: bad bytes, Big5/UTF-16, real-life ODK zips, entry export.

Every file is a mutated copy of a demo export (``data/raw/demo-2025``) made in tmp_path.
"""

from __future__ import annotations

import pandas as pd
import pytest
from exports_support import codes, demo_slice, write_zip

from analysis.errors import ReadError
from analysis.readers import read_raw

ROOT_FORM = "surveys/household.xlsx"


@pytest.fixture(scope="module")
def slices():
    return demo_slice("demo-2025", records=8)


def _village(tmp_path, data: bytes):
    path = tmp_path / "village.csv"
    path.write_bytes(data)
    return read_raw(path)


def _cell_offset(data: bytes, text: str) -> int:
    return data.index(text.encode("gbk")) + 2  # inside the first character's pair


@pytest.mark.parametrize("damage", ["byte", "junk"])
def test_one_bad_byte_in_gbk_marks_one_cell_and_keeps_the_rest(tmp_path, slices, damage):
    base = _village(tmp_path, slices["village.csv"])
    gbk = slices["village.csv"].decode("utf-8").encode("gbk")
    name = next(
        c
        for c in base.data.columns
        if base.data[c].astype(str).str.contains("[\u4e00-\u9fff]{2}").any()
    )
    target = next(
        v for v in base.data[name] if isinstance(v, str) and len(v) >= 2 and v[0] > "\u4e00"
    )
    if damage == "byte":
        at = gbk.index(target.encode("gbk"))
        data = gbk[:at] + b"\xff" + gbk[at:]
    elif damage == "junk":
        data = gbk + b"\xa3\xff\x81"
    else:
        data = gbk.rstrip(b"\r\n")
        while data[-1] < 0x80:
            data = data[:-1]
        data = data[:-1]  # a cut inside the last character
    raw = _village(tmp_path, data)
    assert raw.metadata.encoding == "gbk"
    bad = raw.issues[raw.issues["code"] == "RD156"]
    assert len(bad) >= 1 and bad["row"].notna().all() and bad["column"].notna().all()
    assert all(all(c in "0123456789abcdef " for c in v) for v in bad["value"])
    assert list(raw.data.columns) == list(base.data.columns)
    named = set(zip(bad["row"], bad["column"], strict=True))
    for column in base.data.columns:
        for row, before, after in zip(
            base.data["_source_row"], base.data[column], raw.data[column], strict=False
        ):
            if (row, column) not in named and isinstance(before, str):
                assert after == before, (row, column)
    assert not codes(raw) & {"RD150"}


def test_utf8_cut_inside_a_character(tmp_path, slices):
    data = slices["village.csv"].rstrip(b"\r\n")
    while data[-1] < 0x80:
        data = data[:-1]
    raw = _village(tmp_path, data[:-1])
    assert raw.metadata.encoding == "utf-8" and "RD156" in codes(raw)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_and_without_bom(tmp_path, slices, encoding):
    base = _village(tmp_path, slices["village.csv"])
    raw = _village(tmp_path, slices["village.csv"].decode("utf-8").encode(encoding))
    assert raw.metadata.encoding.startswith("utf-16")
    pd.testing.assert_frame_equal(raw.data, base.data)


def test_big5_is_recognised(tmp_path):
    text = "村名,戶主,備註\n紅星村,張建國,務農為主\n東風村,劉德華,外出打工\n"
    raw = _village(tmp_path, text.encode("big5"))
    assert raw.metadata.encoding in ("big5", "cp950")
    assert raw.data["戶主"].tolist() == ["張建國", "劉德華"]


def test_por_with_undecodable_text_is_refused(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    path = tmp_path / "x.por"
    pyreadstat.write_por(pd.DataFrame({"tv": [1.0, 2.0], "name": ["QQQQ", "ab"]}), path)
    path.write_bytes(path.read_bytes().replace(b"QQQQ", "张三".encode("gbk")))
    with pytest.raises(ReadError) as err:
        read_raw(path)
    assert err.value.code == "RD022" and err.value.column == "NAME" and err.value.row == 1


# ------------------------------------------------------------------ ODK Central zips
def _zip(tmp_path, members):
    return write_zip(tmp_path / "household.zip", members)


def _household(slices):
    return {k: v for k, v in slices.items() if k.startswith("baicun_household")}


def test_repeat_downloaded_again_as_copy_1(tmp_path, slices):
    members = _household(slices)
    base = read_raw(_zip(tmp_path, members))
    repeat = next(k for k in members if "-" in k)
    renamed = {(k.replace(".csv", " (1).csv") if k == repeat else k): v for k, v in members.items()}
    raw = read_raw(_zip(tmp_path, renamed))
    pd.testing.assert_frame_equal(raw.repeats["members"], base.repeats["members"])
    assert not codes(raw) & {"RD133", "RD135"}
    both = {**members, repeat.replace(".csv", " (1).csv"): members[repeat]}
    raw = read_raw(_zip(tmp_path, both))
    assert "RD165" in codes(raw) and len(raw.repeats["members"]) == len(base.repeats["members"])
    different = {**members, repeat.replace(".csv", " (1).csv"): members[repeat][:-40]}
    with pytest.raises(ReadError) as err:
        read_raw(_zip(tmp_path, different))
    assert err.value.code == "RD023" and repeat in str(err.value) and "(1)" in str(err.value)


def test_zip_recompressed_on_macos(tmp_path, slices):
    members = {f"household/{k}": v for k, v in _household(slices).items()}
    members.update(
        {f"__MACOSX/household/._{k}": b"\x00\x05\x16\x07\x00\x02" for k in _household(slices)}
    )
    raw = read_raw(_zip(tmp_path, members))
    assert "RD166" in codes(raw) and len(raw.data) == 8 and len(raw.repeats["members"]) > 0


def test_missing_repeat_file_is_an_issue_naming_it(tmp_path, slices):
    members = {k: v for k, v in _household(slices).items() if "-" not in k}
    raw = read_raw(_zip(tmp_path, members), ROOT_FORM)
    issue = raw.issues[raw.issues["code"] == "RD167"]
    assert issue["table"].tolist() == ["members"] and "members" in issue["message"].iloc[0]


def test_header_repeated_mid_file_is_dropped_with_its_line(tmp_path, slices):
    members = _household(slices)
    main = next(k for k in members if "-" not in k)
    lines = members[main].split(b"\n")
    members[main] = b"\n".join([*lines[:4], lines[0], *lines[4:]])
    raw = read_raw(_zip(tmp_path, members))
    issue = raw.issues[raw.issues["code"] == "RD148"]
    assert issue["row"].tolist() == [5] and len(raw.data) == 8


# ------------------------------------------------------------------ entry export round trip
def test_entry_export_reads_back_the_typed_text(tmp_path):
    from analysis.entry.answers import Answers
    from analysis.entry.export import Record, _zip_bytes, tables
    from analysis.instrument.model import Group, Instrument, Question

    form = Instrument(path=None, form_id="hh", title="hh", version="1", default_language=None,
                      languages=(), choice_lists={}, groups=(Group("members", "repeat"),),
                      questions=(Question("note", "text"),
                                 Question("m_name", "text", group_path=("members",), repeat="members")))  # fmt: skip
    typed = [
        '=HYPERLINK("http://x")',
        "-",
        "+86 138",
        "'=already",
        "@某人",
        "-5",
        "普通 '文字",
        "\t=1",
    ]
    records = [
        Record(
            f"H{i}",
            Answers({"note": value}, {"members": [Answers({"m_name": value})]}),
            f"uuid:{i}",
        )
        for i, value in enumerate(typed)
    ]
    path = tmp_path / "hh.zip"
    path.write_bytes(_zip_bytes(tables(form, "hh", records)))
    raw = read_raw(path, form)
    assert raw.data["note"].fillna("").tolist() == typed
    assert raw.repeats["members"]["m_name"].fillna("").tolist() == typed
    assert raw.issues.empty
