"""``baicun entry`` commands: accounts, export, and refusing forms without a key."""

from __future__ import annotations

import io

import pytest
from entry_support import FAST_HASH, FIXTURES, make_study, questionnaire

from analysis.entry.__main__ import main
from analysis.entry.answers import Answers
from analysis.entry.commands import build_site, register
from analysis.entry.double import counter
from analysis.entry.store import EntryStore
from analysis.entry.verdicts import check
from analysis.errors import EntryError
from analysis.instrument import load_instrument
from analysis.study import Study


@pytest.fixture
def study(tmp_path):
    return make_study(tmp_path / "study")


def run(monkeypatch, *argv, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(list(argv))


def test_add_user_and_set_password(study, monkeypatch, capsys):
    db = study / "entry.sqlite"
    assert (
        run(
            monkeypatch,
            "--study",
            str(study),
            "--db",
            str(db),
            "add-user",
            "li",
            "--role",
            "clerk",
            "--password-stdin",
            stdin="a-good-password\n",
        )
        == 0
    )
    assert "added clerk li" in capsys.readouterr().out
    assert (
        run(
            monkeypatch,
            "--study",
            str(study),
            "--db",
            str(db),
            "add-user",
            "li",
            "--role",
            "clerk",
            "--password-stdin",
            stdin="a-good-password\n",
        )
        == 2
    )
    assert "[ENT003]" in capsys.readouterr().err
    assert (
        run(
            monkeypatch,
            "--study",
            str(study),
            "--db",
            str(db),
            "add-user",
            "wang",
            "--role",
            "clerk",
            "--password-stdin",
            stdin="short\n",
        )
        == 2
    )
    assert "[ENT005]" in capsys.readouterr().err
    assert (
        run(
            monkeypatch,
            "--study",
            str(study),
            "--db",
            str(db),
            "set-password",
            "li",
            "--password-stdin",
            stdin="another-password\n",
        )
        == 0
    )


def test_default_database_lives_in_the_study(study, monkeypatch):
    assert (
        run(
            monkeypatch,
            "--study",
            str(study),
            "add-user",
            "li",
            "--role",
            "supervisor",
            "--password-stdin",
            stdin="a-good-password\n",
        )
        == 0
    )
    assert (study / "data" / "entry" / "entry.sqlite").is_file()


def test_export_command_writes_the_wave(study, monkeypatch, capsys):
    db = study / "entry.sqlite"
    store = EntryStore(db)
    store.add_user("li", "clerk", FAST_HASH)
    store.add_user("wang", "clerk", FAST_HASH)
    form = load_instrument(FIXTURES / "household.md")
    answers = check(
        form, Answers.from_json(questionnaire(1), form), key="hh_id", final=True
    ).answers
    for clerk in ("li", "wang"):
        store.save_entry(wave="2025", form="household", key="H001", clerk_id=store.user_by_name(clerk).id,
                         answers=answers, differences=counter(form), submission=clerk)  # fmt: skip
    store.close()
    assert run(monkeypatch, "--study", str(study), "--db", str(db), "export", "--wave", "2025") == 0
    out = capsys.readouterr().out
    assert "household  1 exported, 0 waiting" in out
    assert (study / "data" / "raw" / "2025" / "household.zip").is_file()


def test_a_form_without_its_key_question_is_not_served(tmp_path):
    folder = make_study(tmp_path / "s")
    text = (
        (folder / "study.toml")
        .read_text(encoding="utf-8")
        .replace('key = "hh_id"', 'key = "no_such"')
    )
    (folder / "study.toml").write_text(text, encoding="utf-8")
    with pytest.raises(EntryError) as info:
        build_site(Study.load(folder), "w1", EntryStore(tmp_path / "e.sqlite"))
    assert info.value.code == "ENT006"


def test_register_adds_the_entry_command():
    import argparse

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["entry", "serve", "--wave", "2025"])
    # no --host: 127.0.0.1 (the LAN address with --lan)
    assert args.host is None and not args.lan and args.port == 8765 and callable(args.func)
