"""Validation in blocks of records equals validation of the whole data (issue 20)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import ValidationError
from analysis.instrument import load_instrument
from analysis.readers import RawData, read_raw, split_records
from analysis.study import Study
from analysis.validate import validate, validate_blocks

ROOT = Path(__file__).resolve().parents[1]
REACH = ROOT / ".." / "shared" / "realdata"
REACH_FORM = REACH / "xlsform" / "reach_impact" / "cleaningtools_reach_kobo_tool.xlsx"
REACH_DATA = REACH / "exports" / "reach_msna" / "cleaningtools_raw_data.csv"
FILES = {"village": "village.csv", "household": "household.zip", "cadre": "cadre.csv"}


@pytest.fixture(scope="module")
def demo():
    study = Study.load(ROOT)
    if not (study.raw_dir("demo-2024") / "household.zip").is_file():
        pytest.skip(
            "the demo waves are not generated (baicun demo generate writes data/raw/demo-*)"
        )
    out = {}
    for wave in ("demo-2024", "demo-2025"):
        forms = {name: load_instrument(study.form_path(name, wave)) for name in FILES}
        data = {name: read_raw(study.raw_dir(wave) / f, forms[name]) for name, f in FILES.items()}
        out[wave] = (forms, data)
    return study, out


def _joined(blocks: list[RawData]) -> RawData:
    """The blocks as one RawData (what validate() is compared on)."""
    tables = {
        name: pd.concat([b.table(name) for b in blocks], ignore_index=True)
        for name in blocks[0].tables
    }
    issues = pd.concat([b.issues for b in blocks], ignore_index=True)
    from dataclasses import replace

    main = tables.pop("main")
    return RawData(main, tables, replace(blocks[0].metadata, issues=issues))


def _same(whole, blocked) -> None:
    # the same rows and values; a category column's categories may come in another order
    pd.testing.assert_frame_equal(blocked.issues, whole.issues, check_categorical=False)
    pd.testing.assert_frame_equal(
        blocked.issues.astype("str"), whole.issues.astype("str"), check_dtype=False
    )
    pd.testing.assert_frame_equal(blocked.summary(), whole.summary(), check_categorical=False)
    pd.testing.assert_frame_equal(
        blocked.summary().astype("str"), whole.summary().astype("str"), check_dtype=False
    )
    pd.testing.assert_frame_equal(blocked.enumerators, whole.enumerators)
    assert dict(blocked.counts) == dict(whole.counts)


@pytest.mark.parametrize("size", [1, 7, 1000])
@pytest.mark.parametrize("name", ["household", "village", "cadre"])
def test_blocks_equal_the_whole_data_on_the_demo(demo, name, size):
    study, waves = demo
    forms, data = waves["demo-2024"]
    previous = waves["demo-2025"][1][name]
    if size < 1000:  # the first records only (small blocks cost a second each at most)
        data = {**data, name: split_records(data[name], 8 if size == 1 else 35)[0]}
    blocks = split_records(data[name], size)
    whole = validate(
        _joined(blocks), forms[name], study=study, others=data, previous=previous, name=name
    )
    blocked = validate_blocks(
        lambda: iter(blocks), forms[name], study=study, others=data, previous=previous, name=name
    )
    _same(whole, blocked)


def test_split_keeps_the_data_in_order(demo):
    _, waves = demo
    raw = waves["demo-2024"][1]["household"]
    joined = _joined(split_records(raw, 7))
    pd.testing.assert_frame_equal(joined.data, raw.data)
    for name, frame in raw.repeats.items():
        pd.testing.assert_frame_equal(joined.repeats[name], frame)
    assert len(joined.issues) == len(raw.issues)


@pytest.mark.skipif(not REACH_DATA.is_file(), reason="the REACH export (shared/realdata) is absent")
@pytest.mark.parametrize("size", [1, 7, 1000])
def test_blocks_equal_the_whole_data_on_a_reach_export(size):
    form = load_instrument(REACH_FORM)
    raw = read_raw(REACH_DATA, form)
    if size < 1000:
        raw = split_records(raw, 8 if size == 1 else 35)[0]
    blocks = split_records(raw, size)
    whole = validate(_joined(blocks), form, name="msna", lang="en")
    blocked = validate_blocks(lambda: iter(blocks), form, name="msna", lang="en")
    _same(whole, blocked)


def test_wrong_blocks_are_refused(demo):
    _, waves = demo
    forms, data = waves["demo-2024"]
    with pytest.raises(ValidationError) as info:
        validate_blocks(split_records(data["cadre"], 10), forms["cadre"], name="cadre")
    assert info.value.code == "VAL331" and "function that returns the blocks" in str(info.value)
    with pytest.raises(ValidationError) as info:
        validate_blocks(lambda: iter([data["cadre"].data]), forms["cadre"], name="cadre")
    assert info.value.code == "VAL332"
    with pytest.raises(ValidationError) as info:
        validate_blocks(lambda: iter([]), forms["cadre"], name="cadre")
    assert info.value.code == "VAL333"
    with pytest.raises(ValidationError) as info:
        split_records(data["cadre"], 0)
    assert info.value.code == "VAL330"


def test_the_projection_waits_on_disk_and_is_removed(demo, tmp_path, monkeypatch):
    import tempfile

    _, waves = demo
    forms, data = waves["demo-2024"]
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    blocked = validate_blocks(
        lambda: iter(split_records(data["cadre"], 50)), forms["cadre"], name="cadre"
    )
    assert list(tmp_path.iterdir()) == []  # nothing left behind
    _same(validate(data["cadre"], forms["cadre"], name="cadre"), blocked)


def test_a_temporary_folder_without_room_is_a_coded_error(demo, tmp_path, monkeypatch):
    import tempfile

    _, waves = demo
    forms, data = waves["demo-2024"]
    full = tmp_path / "full"
    full.write_text("")  # a file where the folder would be: nothing can be written in it

    class NoRoom:
        name = str(full / "folder")

        def cleanup(self) -> None:
            pass

    monkeypatch.setattr(tempfile, "TemporaryDirectory", lambda **_: NoRoom())
    with pytest.raises(ValidationError) as info:
        validate_blocks(
            lambda: iter(split_records(data["cadre"], 50)), forms["cadre"], name="cadre"
        )
    assert info.value.code == "VAL335"
    assert "temporary folder" in str(info.value) and "TMPDIR" in str(info.value)
