"""XForm export through pyxform, and the ``baicun instrument`` commands."""

from __future__ import annotations

import json

import pytest
from docx_checks import cjk_runs_without_east_asian_font
from instrument_forms import ALL_TYPES, SKIPS, write_form
from test_instrument_realdata import _real_forms

from analysis.cli import main
from analysis.errors import InstrumentError
from analysis.instrument import load_instrument
from analysis.instrument.codebook import codebook
from analysis.instrument.commands import resolve_form
from analysis.instrument.paper import paper_document
from analysis.instrument.xform import to_xform, write_xform


def test_xform_holds_every_question_and_both_languages(tmp_path):
    path = write_form(tmp_path, "all", ALL_TYPES)
    xml = to_xform(path)
    for name in ("hh_size", "crops", "m_age", "score", "priorities"):
        assert f"<{name}" in xml or f'/{name}"' in xml
    assert 'lang="中文 (zh)"' in xml and 'lang="English (en)"' in xml
    assert "<h:title>全类型测试</h:title>" in xml


def test_xform_of_a_loaded_instrument_matches_the_file(tmp_path):
    path = write_form(tmp_path, "skips", SKIPS)
    assert to_xform(load_instrument(path)) == to_xform(path)


def test_write_xform_and_external_itemsets(tmp_path):
    md = """
| survey |
| | type | name | label | choice_filter |
| | select_one county | county | County | |
| | select_one_external village | village | Village | county=${county} |
| choices |
| | list_name | name | label |
| | county | 1 | A |
| external_choices |
| | list_name | name | label | county |
| | village | v1 | V1 | 1 |
"""
    out = write_xform(write_form(tmp_path, "ext", md), tmp_path / "out" / "ext.xml")
    assert out.read_text(encoding="utf-8").startswith("<?xml")
    assert (tmp_path / "out" / "itemsets.csv").read_text(encoding="utf-8").count("v1") == 1


def test_xform_errors_are_coded(tmp_path):
    with pytest.raises(InstrumentError) as info:
        to_xform(
            write_form(
                tmp_path, "bad", "| survey |\n| | type | name | label |\n| | intgr | a | A |\n"
            )
        )
    assert info.value.code == "INS011"


def test_form_by_instrument_name(repo_root):
    if not (repo_root / "surveys" / "household.xlsx").is_file():
        pytest.skip("surveys/household.xlsx not written yet")
    assert (
        resolve_form("household", repo_root) == (repo_root / "surveys" / "household.xlsx").resolve()
    )
    with pytest.raises(InstrumentError) as info:
        resolve_form("householdd", repo_root)
    assert info.value.code == "INS001" and "household" in info.value.expected


def test_check_command_exit_codes(tmp_path, capsys):
    good = write_form(tmp_path, "good", SKIPS)
    assert main(["instrument", "check", str(good)]) == 0
    bad = write_form(
        tmp_path,
        "bad",
        "| survey |\n| | type | name | label |\n| | integer | a | A |\n| | text | a | B |\n",
    )
    assert main(["instrument", "check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "error   INS014  sheet survey, row 3, column name" in out
    assert main(["instrument", "check", str(bad), "--format", "json"]) == 1
    records = json.loads(capsys.readouterr().out)
    assert records[0]["code"] == "INS014" and records[0]["row"] == 3


def test_codebook_xform_and_paper_commands(tmp_path, capsys):
    form = write_form(tmp_path, "skips", SKIPS)
    assert (
        main(
            [
                "instrument",
                "codebook",
                str(form),
                "--out",
                str(tmp_path / "cb"),
                "--format",
                "md,docx",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in (tmp_path / "cb").iterdir()) == [
        "skips_codebook.docx",
        "skips_codebook.md",
    ]
    assert main(["instrument", "xform", str(form), "--out", str(tmp_path / "skips.xml")]) == 0
    assert (tmp_path / "skips.xml").is_file()
    out = tmp_path / "paper.docx"
    assert (
        main(
            [
                "instrument",
                "paper",
                str(form),
                "--lang",
                "zh",
                "--out",
                str(out),
                "--font",
                "Noto Serif CJK SC",
            ]
        )
        == 0
    )
    assert out.is_file() and cjk_runs_without_east_asian_font(out) == []
    import zipfile

    with zipfile.ZipFile(out) as archive:
        assert 'w:eastAsia="Noto Serif CJK SC"' in archive.read("word/styles.xml").decode("utf-8")


def test_missing_form_is_an_error_not_a_traceback(tmp_path, capsys):
    assert main(["instrument", "check", str(tmp_path / "nope.xlsx")]) == 2
    assert "[INS001]" in capsys.readouterr().err


#: Real forms with a few hundred questions: a few seconds each.
_BIG = ("grains", "select_one_choices_test", "cleaningtools_reach", "cleaningtools_survey")


def _real_form_params():
    return [
        pytest.param(
            path,
            marks=[pytest.mark.slow] if path.stem.startswith(_BIG) else [],
            id="/".join(path.parts[-2:]),
        )
        for path in _real_forms()
    ]


@pytest.mark.realdata
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("path", _real_form_params())
def test_real_forms_get_a_codebook_and_a_paper_questionnaire(path):
    try:
        form = load_instrument(path)
    except InstrumentError:
        pytest.skip(
            "pyxform rejects this form (its coded error is tested in test_instrument_realdata)"
        )
    book = codebook(form)
    assert len(book) == sum(q.type not in ("note", "entity") for q in form.questions)
    document = paper_document(form, "zh")
    assert document.paragraphs[0].text == form.title
