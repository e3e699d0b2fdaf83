"""`baicun estimates import`: a list of analyses appended to study.toml, never half-written."""

from __future__ import annotations

import shutil

from analysis import Study
from analysis.cli import main

LOA = (
    "analysis_type,analysis_var,group_var,level\n"
    "mean,income_total,,0.95\n"
    "prop_select_one,tv_access,county,0.9\n"
)


def _study(repo_root, tmp_path):
    shutil.copy2(repo_root / "study.toml", tmp_path / "study.toml")
    shutil.copytree(repo_root / "surveys", tmp_path / "surveys")
    (tmp_path / "loa.csv").write_text(LOA, encoding="utf-8")
    return tmp_path


def test_a_list_of_analyses_becomes_estimate_tables(repo_root, tmp_path, capsys):
    root = _study(repo_root, tmp_path)
    before = (root / "study.toml").read_text(encoding="utf-8")
    args = ["--study", str(root), "estimates", "import", str(root / "loa.csv")]
    assert main([*args, "--instrument", "household"]) == 0
    assert "added 2 [[estimates]] tables" in capsys.readouterr().out
    after = (root / "study.toml").read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n"))  # appended to, nothing rewritten
    from analysis.pipeline.estimates import estimate_specs

    specs = {s.name: s for s in estimate_specs(Study.load(root))}
    assert specs["mean_income_total"].stat == "mean"
    assert specs["prop_select_one_tv_access_by_county"].by == ("county",)

    # importing the same list again would repeat the names: refused, the file as it was
    assert main([*args, "--instrument", "household"]) == 2
    assert "STU020" in capsys.readouterr().err
    assert (root / "study.toml").read_text(encoding="utf-8") == after


def test_an_unknown_instrument_is_refused(repo_root, tmp_path, capsys):
    root = _study(repo_root, tmp_path)
    args = ["--study", str(root), "estimates", "import", str(root / "loa.csv")]
    assert main([*args, "--instrument", "houshold"]) == 2
    assert "STU005" in capsys.readouterr().err
