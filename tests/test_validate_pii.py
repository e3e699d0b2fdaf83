"""Personal data left in free text: mobile numbers, ID numbers with a valid check digit."""

from __future__ import annotations

import pytest
from validate_support import form, good_household, issues_of, raw

from analysis.validate import validate
from analysis.validate.pii import find_pii, id_checksum_ok


@pytest.fixture(scope="module")
def household(tmp_path_factory):
    return form(tmp_path_factory.mktemp("forms"))


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("11010519491231002X", True),
        ("110105194912310021", False),
        ("632120197407222556", True),
        ("632120197407222557", False),
    ],
)
def test_gb11643_check_character(number, valid):
    assert id_checksum_ok(number) is valid


def test_phone_and_id_numbers_found_in_free_text_and_masked(household):
    records = [
        good_household(0, notes="有事打我电话13373044609"),
        good_household(1, notes="户主身份证号632120197407222556，已核对"),
        good_household(2, notes="编号632120197407222557不是身份证"),  # bad check digit
        good_household(3, notes="电话 133-7304-4609，工号12345678901234"),
        good_household(4, notes="手机１３３７３０４４６０９"),  # full-width digits
    ]
    result = validate(raw(records), household, name="household", lang="en")
    found = issues_of(result, check="pii")
    assert found[["source_row", "code", "value"]].values.tolist() == [
        [2, "VAL195", "133****4609"],
        [5, "VAL195", "133****4609"],
        [6, "VAL195", "133****4609"],
        [3, "VAL196", "632120********2556"],
    ]
    assert "4460" not in " ".join(found["message"])  # the report does not spread the number


def test_questions_marked_pii_are_not_reported(household):
    # phone is marked pii = yes in the form: a number there is expected
    result = validate(raw([good_household(0, phone="13373044609")]), household, name="household")
    assert issues_of(result, check="pii").empty


def test_find_pii_does_not_report_an_id_number_as_a_phone():
    assert find_pii("身份证11010519491231002X") == [("VAL196", "110105********002X")]
