"""analysis.entry.export: resolved questionnaires to data/raw/<wave>/<form>.zip (ODK Central layout)."""

from __future__ import annotations

import csv
import io
import zipfile

import pandas as pd
import pytest
from entry_support import FAST_HASH, FIXTURES, questionnaire

from analysis.entry.answers import Answers
from analysis.entry.double import counter
from analysis.entry.export import DEVICE_ID, export_wave, instance_id, neutralise, unneutralise
from analysis.entry.store import EntryStore
from analysis.entry.verdicts import check
from analysis.errors import EntryError
from analysis.instrument import load_instrument


@pytest.fixture(scope="module")
def form():
    return load_instrument(FIXTURES / "household.md")


@pytest.fixture
def store(tmp_path):
    s = EntryStore(tmp_path / "entry.sqlite")
    s.add_user("li", "clerk", FAST_HASH)
    s.add_user("wang", "clerk", FAST_HASH)
    return s


def _type(store, form, answers, clerks=("li", "wang"), second=None):
    for clerk in clerks:
        typed = second if (second is not None and clerk == "wang") else answers
        store.save_entry(
            wave="w1",
            form="household",
            key=typed.get("hh_id"),
            clerk_id=store.user_by_name(clerk).id,
            answers=typed,
            differences=counter(form),
            submission=f"{clerk}-{typed.get('hh_id')}",
        )


def _clean(form, number, **changes):
    answers = Answers.from_json(questionnaire(number), form).with_values(**changes)
    return check(form, answers, key="hh_id", final=True).answers


def _csv(path, member):
    with zipfile.ZipFile(path) as archive:
        text = archive.read(member).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        "+cmd",
        "-x",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "'=x",
        "''+y",
        "-3.5",
        "+86",
        "a=b",
        "",
        "普通",
    ],
)
def test_neutralising_round_trips_and_leaves_no_formula(value):
    out = neutralise(value)
    assert unneutralise(out) == value
    number = out.lstrip("+-").replace(".", "", 1).isdigit()
    assert number or out[:1] not in ("=", "+", "-", "@", "\t", "\r")


def test_only_agreed_or_resolved_questionnaires_are_exported(tmp_path, store, form):
    _type(store, form, _clean(form, 2))
    _type(store, form, _clean(form, 1), second=_clean(form, 1, hh_size="4"))  # differs
    _type(store, form, _clean(form, 3), clerks=("li",))  # typed once
    summary = export_wave(store, "w1", {"household": form}, tmp_path / "raw")
    assert summary.exported == {"household": 1} and summary.waiting == {"household": 2}
    assert [p.name for p in summary.files] == ["household.zip"]
    rows = _csv(tmp_path / "raw" / "household.zip", "household.csv")
    assert [r["hh_id"] for r in rows] == ["H002"]
    row = rows[0]
    assert row["KEY"] == row["instanceID"] == instance_id("w1", "household", "H002")
    assert row["SubmitterName"] == "li / wang" and row["DeviceID"] == DEVICE_ID
    members = _csv(tmp_path / "raw" / "household.zip", "household-members.csv")
    assert len(members) == 3 and members[0]["PARENT_KEY"] == row["KEY"]
    assert members[0]["KEY"] == row["KEY"] + "/members[1]"


def test_formulas_are_neutralised_in_the_file(tmp_path, store, form):
    _type(store, form, _clean(form, 1, problems='=HYPERLINK("x")'))
    export_wave(store, "w1", {"household": form}, tmp_path / "raw")
    row = _csv(tmp_path / "raw" / "household.zip", "household.csv")[0]
    assert row["problems"] == '\'=HYPERLINK("x")'
    assert row["info_sources"] == "1 3"


def test_read_raw_reads_the_export_back_with_nothing_lost(tmp_path, store, form):
    readers = pytest.importorskip("analysis.readers", reason="analysis.readers is not available")
    typed = [_clean(form, n) for n in range(1, 6)]
    typed[2] = _clean(form, 3, problems="@某人 =1+1", head_name="<script>x</script>")
    for answers in typed:
        _type(store, form, answers)
    export_wave(store, "w1", {"household": form}, tmp_path / "raw")
    raw = readers.read_raw(tmp_path / "raw" / "household.zip", form)
    assert raw.issues.empty, raw.issues.to_dict("records")
    assert len(raw.data) == 5 and len(raw.repeats["members"]) == sum(
        len(a.rows("members")) for a in typed
    )

    from analysis.readers.records import as_text

    def text(value) -> str:  # numbers (a calculated count is read as a number) as typed
        return "" if pd.isna(value) else as_text(pd.Series([value])).iloc[0]

    for answers, (_, row) in zip(typed, raw.data.iterrows(), strict=True):
        for name, value in answers.values.items():
            if name in ("instanceID",):
                continue
            assert unneutralise(text(row[name])) == value, name
        members = raw.repeats["members"][raw.repeats["members"]["_parent_key"] == row["_key"]]
        assert [text(v) for v in members["m_name"]] == [
            r.get("m_name") for r in answers.rows("members")
        ]
        assert [text(v) for v in members["m_age"]] == [
            r.get("m_age") for r in answers.rows("members")
        ]


def test_export_is_deterministic_and_replaces_only_its_own_file(tmp_path, store, form):
    _type(store, form, _clean(form, 1))
    out = tmp_path / "raw"
    export_wave(store, "w1", {"household": form}, out)
    first = (out / "household.zip").read_bytes()
    export_wave(store, "w1", {"household": form}, out)
    assert (out / "household.zip").read_bytes() == first


def test_a_field_export_already_in_the_wave_is_never_replaced(tmp_path, store, form):
    out = tmp_path / "raw"
    out.mkdir()
    (out / "household.zip").write_bytes(b"an ODK Central download")
    _type(store, form, _clean(form, 1))
    with pytest.raises(EntryError) as info:
        export_wave(store, "w1", {"household": form}, out)
    assert info.value.code == "ENT030"
    assert (out / "household.zip").read_bytes() == b"an ODK Central download"


def test_nothing_typed_writes_nothing(tmp_path, store, form):
    summary = export_wave(store, "w1", {"household": form}, tmp_path / "raw")
    assert summary.files == () and summary.exported == {"household": 0}
