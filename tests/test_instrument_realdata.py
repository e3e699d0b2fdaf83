"""Real-world XLSForms nobody on the team wrote, and the demo instruments.

For every form that loads, every question, group, choice list, choice and label of
pyxform's JSON must be in the Instrument. Every form that does not load must give a
coded InstrumentError, never a crash, and pyxform itself must reject it too.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import REALDATA, ROOT

from analysis.errors import InstrumentError
from analysis.instrument import Instrument, load_instrument

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _real_forms() -> list[Path]:
    if not REALDATA.is_dir():
        return []
    forms = [p for p in sorted((REALDATA / "xlsform").rglob("*")) if p.is_file()]
    forms = [p for p in forms if p.suffix in (".xlsx", ".xls", ".csv")]
    forms += sorted((REALDATA / "exports").rglob("*.xlsx"))
    return forms


def _demo_forms() -> list[Path]:
    return sorted((ROOT / "surveys").glob("*.xlsx"))


def _id(path: Path) -> str:
    return "/".join(path.parts[-2:])


def _json_elements(
    children: list, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, tuple, Mapping]]:
    for child in children:
        if child.get("type") in ("group", "repeat", "loop"):
            yield "group", path, child
            yield from _json_elements(child.get("children") or [], (*path, child["name"]))
        else:
            yield "question", path, child


def _texts(value: Any, form: Instrument) -> dict[str, str]:
    """pyxform's text (a string or {language: text}) keyed by the Instrument's language codes."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {
            form.language_names[lang]: str(text)
            for lang, text in value.items()
            if not isinstance(text, Mapping) and str(text) != ""
        }
    return {"default": str(value)} if str(value) else {}


def assert_complete(form: Instrument) -> None:
    """Everything pyxform's JSON holds is in the Instrument."""
    data = form.pyxform_json
    questions = {(q.group_path, q.name): q for q in form.questions}
    groups = {(g.path, g.name): g for g in form.groups}
    assert len(questions) == len(form.questions), "two questions share a group path and name"
    seen = 0
    for kind, path, node in _json_elements(data.get("children") or []):
        key = (path, node["name"])
        if kind == "group":
            assert key in groups, f"group {key} missing"
            assert dict(groups[key].labels) == _texts(node.get("label"), form)
            continue
        seen += 1
        assert key in questions, f"question {key} missing"
        q = questions[key]
        assert dict(q.labels) == _texts(node.get("label"), form), q.name
        assert dict(q.hints) == _texts(node.get("hint"), form), q.name
        bind = node.get("bind") or {}
        assert q.relevant == (bind.get("relevant") or None)
        assert q.constraint == (bind.get("constraint") or None)
        assert dict(q.constraint_message) == _texts(bind.get("jr:constraintMsg"), form)
        if node.get("list_name") and not q.itemset_file:
            assert q.list_name == node["list_name"]
    assert seen == len(form.questions)
    lists = data.get("choices") or {}
    assert set(lists) == set(form.choice_lists)
    for list_name, items in lists.items():
        ours = form.choice_lists[list_name]
        assert ours.codes == tuple(str(item["name"]) for item in items)
        for item, choice in zip(items, ours):
            assert dict(choice.labels) == _texts(item.get("label"), form), (list_name, item["name"])


@pytest.mark.realdata
@pytest.mark.parametrize("path", _real_forms(), ids=_id)
def test_real_form_loads_completely_or_gives_a_coded_error(path):
    try:
        form = load_instrument(path)
    except InstrumentError as err:
        assert re.fullmatch(r"INS\d{3}", err.code)
        assert err.file and err.message and err.hint
        if path.suffix in (".xlsx", ".xls"):
            from pyxform.xls2xform import convert

            with warnings.catch_warnings(), pytest.raises(Exception):  # noqa: B017
                warnings.simplefilter("ignore")
                convert(xlsform=str(path))
        return
    assert_complete(form)
    # every question of the survey sheet has its row (pyxform adds meta/, _count, _other)
    sheet_questions = [
        q
        for q in form.questions
        if "meta" not in q.group_path and not q.name.endswith(("_count", "_other"))
    ]
    assert all(q.row for q in sheet_questions)


def test_realdata_is_present_or_the_skip_says_why(realdata):
    assert len(_real_forms()) >= 20


@pytest.mark.parametrize("path", _demo_forms(), ids=_id)
def test_demo_instruments_load_completely(path):
    form = load_instrument(path)
    assert_complete(form)
    assert set(form.languages) == {"zh", "en"}


@pytest.mark.realdata
def test_split_reach_tool_matches_its_workbook(realdata):
    folder = realdata / "xlsform" / "reach_impact"
    split = load_instrument(folder / "cleaningtools_survey.csv")
    book = load_instrument(folder / "cleaningtools_reach_kobo_tool.xlsx")
    assert split.names == book.names
    assert [q.labels for q in split.questions] == [q.labels for q in book.questions]
    assert [q.row for q in split.questions] == [q.row for q in book.questions]


@pytest.mark.realdata
def test_rejected_real_forms_name_the_row(realdata):
    with pytest.raises(InstrumentError) as info:
        load_instrument(realdata / "xlsform" / "hotosm" / "buildings.xls")
    assert (info.value.code, info.value.sheet, info.value.row, info.value.column) == (
        "INS013",
        "survey",
        34,
        "type",
    )
    assert info.value.found == "yes_no"
