"""Duplicate keys, duplicate submissions and near duplicates."""

from __future__ import annotations

import pytest
from validate_support import form, good_household, issues_of, raw

from analysis.validate import validate


@pytest.fixture(scope="module")
def household(tmp_path_factory):
    return form(tmp_path_factory.mktemp("forms"))


def test_duplicate_study_key_lists_every_record_and_points_to_the_other(household):
    records = [good_household(i) for i in range(4)]
    records[3]["hh_id"] = "H001"
    found = issues_of(validate(raw(records), household, name="household", lang="en"), "VAL131")
    assert found["source_row"].tolist() == [3, 5]
    assert found["message"].tolist() == [
        "hh_id 'H001' is used by 2 records (see also row 5)",
        "hh_id 'H001' is used by 2 records (see also row 3)",
    ]


def test_duplicate_record_key(household):
    data = raw([good_household(i) for i in range(3)])
    data.data.loc[2, "_key"] = "uuid:0000"
    found = issues_of(validate(data, household, name="household"), "VAL130")
    assert found["source_row"].tolist() == [2, 4]


def test_identical_submissions_under_different_keys(household):
    records = [good_household(i) for i in range(5)]
    copy = dict(records[1], hh_id="H777")  # the same interview typed under another key
    found = issues_of(validate(raw([*records, copy]), household, name="household"), "VAL132")
    assert found["source_row"].tolist() == [3, 7]
    assert found["check"].tolist() == ["duplicate", "duplicate"]


def test_near_duplicate_at_95_percent_but_not_below(tmp_path):
    md = "| survey |\n| | type | name | label |\n" + "".join(
        f"| | integer | q{i} | Q{i} |\n" for i in range(40)
    )
    instrument = form(tmp_path, md)
    base = {f"q{i}": i for i in range(40)}
    near = dict(base, q0=100, q1=101)  # 38 of 40 answers the same: 95 %
    far = dict(base, q0=100, q1=101, q2=102)  # 37 of 40: 92.5 %
    others = [{f"q{i}": i * 7 + j for i in range(40)} for j in range(1, 4)]
    result = validate(raw([base, near, far, *others]), instrument, name="f", lang="en")
    found = issues_of(result, "VAL133")
    assert sorted(found["source_row"].tolist()) == [2, 3, 4]  # far is near to 'near' (39/40)
    pairs = dict(zip(found["source_row"], found["value"], strict=True))
    assert pairs[2] == "95%"
    strict = validate(
        raw([base, far, *others]),
        instrument,
        name="f",
        settings={"near_duplicates": {"share": 0.95}},
    )
    assert issues_of(strict, "VAL133").empty


def test_records_with_few_answers_are_not_compared(tmp_path):
    md = "| survey |\n| | type | name | label |\n" + "".join(
        f"| | integer | q{i} | Q{i} |\n" for i in range(20)
    )
    instrument = form(tmp_path, md)
    sparse = [{"q0": 1, "q1": 2}, {"q0": 1, "q1": 3}]
    assert issues_of(validate(raw(sparse), instrument, name="f"), "VAL133").empty


def test_text_duplicates_are_exact_even_when_hashes_collide(monkeypatch):
    """Keys are grouped by a hash of their bytes and then compared exactly: texts
    whose hashes collide but differ are not duplicates; equal texts, Chinese or long
    (across the 8-byte words the hash reads), are; '' is no key."""
    import numpy as np
    import pandas as pd

    from analysis.validate import duplicates

    values = pd.Series(
        [
            "ab" * 600,
            "ab" * 599 + "ba",
            "户主甲",
            "户主甲",
            "",
            "",
            "x" * 5001,
            "x" * 5001,
            "y",
            None,
        ],
        dtype="str",
    )
    expected = values.where(values != "").duplicated(keep=False) & values.notna() & (values != "")
    hashes = duplicates.text_hashes(values.array.__arrow_array__().chunk(0))
    assert hashes[2] == hashes[3] and hashes[6] == hashes[7]
    assert len(set(hashes[[0, 1, 2, 6, 8]].tolist())) == 5
    for colliding in (False, True):
        if colliding:  # every text hashes alike: only the exact comparison is left
            monkeypatch.setattr(
                duplicates, "text_hashes", lambda arrow: np.zeros(len(arrow), dtype=np.uint64)
            )
        codes = duplicates._codes(values, blank_missing=True)
        assert np.array_equal(codes >= 0, expected.to_numpy())
        assert codes[2] == codes[3] and codes[6] == codes[7] and codes[2] != codes[6]


def test_text_hashes_do_not_depend_on_a_texts_neighbours():
    """Texts are hashed a block of rows at a time and one 8-byte place at a time: the
    same text hashes alike wherever it sits and whatever the lengths around it."""
    import numpy as np
    import pyarrow as pa

    from analysis.validate import duplicates

    rng = np.random.default_rng(7)
    filler = ["z" * int(k) for k in rng.integers(0, 40, duplicates._HASH_ROWS + 50)]
    probe = "村民小组-第三户-户主甲/members[12]"
    texts = [probe, *filler[:-1], probe, "", probe[:-1]]
    hashes = duplicates.text_hashes(pa.array(texts, pa.large_string()))
    first, again, short = 0, len(filler), len(texts) - 1
    assert again > duplicates._HASH_ROWS  # in another block
    assert hashes[first] == hashes[again] != hashes[short]
    alone = duplicates.text_hashes(pa.array([probe], pa.large_string()))
    assert alone[0] == hashes[first]
