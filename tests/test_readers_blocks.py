"""Reading in blocks (analysis.readers.blocks): the same records and notes as the whole file."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest

from analysis.corrections.blocks import correct_blocks
from analysis.errors import CorrectionError, ReadError
from analysis.instrument.model import Group, Instrument, Question
from analysis.pipeline.blockmode import concat_blocks
from analysis.readers import read_raw
from analysis.readers.blocks import block_support, read_blocks

FORM = Instrument(None, "hh", "HH", None, None, ("default",), (
    Question("hh_id", "text", role="id"),
    Question("size", "integer"),
    Question("age", "integer", repeat="member"),
), (Group("member", "repeat"),), {})  # fmt: skip


def _same(whole, blocks):
    joined = concat_blocks(iter(blocks))
    for table in whole.tables:
        pd.testing.assert_frame_equal(whole.table(table), joined.table(table))

    def norm(frame):
        return frame.astype(str).sort_values(list(frame.columns)).reset_index(drop=True)

    pd.testing.assert_frame_equal(norm(whole.issues), norm(joined.issues))


def _odk_zip(path, main_rows, member_rows):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hh.csv", "SubmissionDate,hh_id,size,KEY\n" + "".join(main_rows))
        z.writestr("hh-member.csv", "age,PARENT_KEY,KEY\n" + "".join(member_rows))
    return path


def test_repeats_follow_their_main_record_across_chunks(tmp_path):
    main = [f"2024-05-01,H{i},{i % 4 + 1},uuid:{i}\n" for i in range(7)]
    main.append("2024-05-01,H3,x,uuid:3\n")  # a key seen in another block, a bad integer
    members = [
        f"{20 + j},uuid:{i},uuid:{i}/member[{j + 1}]\n" for i in range(7) for j in range(i % 3)
    ]
    members.insert(3, "44,uuid:99,uuid:99/member[1]\n")  # an orphan
    path = _odk_zip(tmp_path / "hh.zip", main, members)
    whole = read_raw(path, FORM)
    blocks = read_blocks(path, FORM, block_records=2, folder=tmp_path / "parts")
    assert len(blocks) == 4
    _same(whole, list(blocks))
    assert set(whole.issues["code"]) >= {"RD130", "RD133", "RD110"}
    for block in blocks:  # every repeat row in the block of its main record
        parents = set(block.data["_key"])
        rows = block.table("member")
        assert rows["_parent_key"].isin(parents).all() or "uuid:99" in set(rows["_parent_key"])


def test_a_gbk_csv_with_quoted_line_breaks_and_blank_rows(tmp_path):
    text = "户主,人口,备注\n" + "".join(
        f'{name},{n},"第一行\n第二行"\n' if n % 2 else f"{name},{n},无\n\n"
        for n, name in enumerate(["张三", "李四", "王五", "赵六", "钱七"], start=2)
    )
    path = tmp_path / "hh.csv"
    path.write_bytes(text.encode("gbk"))
    whole = read_raw(path)
    blocks = list(read_blocks(path, block_records=2, folder=tmp_path / "parts"))
    assert whole.metadata.encoding == "gbk" and blocks[1].metadata.encoding == "gbk"
    assert len(blocks) > 1
    _same(whole, blocks)


def test_files_that_are_read_whole(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"a,b\r1,2\r")
    assert "\\r" in block_support(path)
    with pytest.raises(ReadError) as err:
        read_blocks(path, folder=tmp_path / "parts")
    assert err.value.code == "RD060"


def test_corrections_apply_in_the_block_of_their_record(tmp_path):
    main = [f"2024-05-01,H{i},{i + 1},uuid:{i}\n" for i in range(5)]
    path = _odk_zip(tmp_path / "hh.zip", main, ["30,uuid:4,uuid:4/member[1]\n"])
    blocks = read_blocks(path, FORM, block_records=2, folder=tmp_path / "parts")
    row = {"instrument": "hh", "reason": "r", "who": "w", "date": "2024-01-01"}
    log = pd.DataFrame([
        {**row, "csv_row": 2, "key": "H4", "variable": "size", "old_value": "5",
         "new_value": "6", "action": "replace"},
        {**row, "csv_row": 3, "key": "H1", "variable": "", "old_value": "", "new_value": "",
         "action": "drop"},
    ])  # fmt: skip
    kept = {}
    done = correct_blocks(blocks, log, instrument=FORM, name="hh", keep=kept.__setitem__)
    assert done.log["key"].tolist() == ["H4", "H1"]
    assert kept[2].data["size"].tolist() == [6]
    assert done.quarantine["main"]["hh_id"].tolist() == ["H1"]
    assert done.raw_counts == {"main": 5, "member": 1}
    log.loc[0, "key"] = "H9"
    with pytest.raises(CorrectionError) as err:
        correct_blocks(blocks, log, instrument=FORM, name="hh", keep=lambda i, d: None)
    assert err.value.code == "COR013" and "H9" in str(err.value)


def test_a_row_with_too_many_fields_gives_every_block_the_extra_column(tmp_path):
    path = tmp_path / "hh.csv"
    path.write_text("a,b\n1,2\n3,4\n5,6,7\n8,9\n10,11\n", encoding="utf-8")
    whole = read_raw(path)
    blocks = list(read_blocks(path, block_records=2, folder=tmp_path / "parts"))
    assert all("_extra" in b.data.columns for b in blocks)
    assert all(list(b.metadata.column_info()) == list(whole.metadata.column_info()) for b in blocks)
    _same(whole, blocks)


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_spss_and_stata_files_in_blocks_of_cases(tmp_path, suffix):
    import pyreadstat

    frame = pd.DataFrame(
        {"hh": [f"H{i}" for i in range(7)], "tv": [1.0, 2.0, 1.0, 9.0, 2.0, 1.0, 2.0]}
    )
    path = tmp_path / f"hh{suffix}"
    labels = {"tv": {1.0: "有", 2.0: "没有"}}
    if suffix == ".sav":
        pyreadstat.write_sav(
            frame, path, variable_value_labels=labels, missing_ranges={"tv": [9.0]}
        )
    else:
        pyreadstat.write_dta(frame, path, variable_value_labels=labels)
    whole = read_raw(path)
    blocks = list(read_blocks(path, block_records=3, folder=tmp_path / "parts"))
    assert [len(b.data) for b in blocks] == [3, 3, 1]
    assert blocks[2].data["_source_row"].tolist() == [7]
    _same(whole, blocks)
