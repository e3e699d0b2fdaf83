"""The project's own files install what it needs and agree with each other."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import tomllib

import pytest
from conftest import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_names() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {_name(r) for r in project["dependencies"]}
    names |= {_name(r) for r in project["optional-dependencies"]["dev"]}
    return names


def _environment_names() -> set[str]:
    names = set()
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    dependencies = text.split("dependencies:", 1)[1]
    for line in dependencies.splitlines():
        match = re.match(r"^\s*-\s+([A-Za-z0-9_.\-]+)", line)
        if match and not line.strip().startswith("- -e"):
            names.add(_name(match.group(1)))
    return names - {"python", "pip"}


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    missing_in_conda = _pyproject_names() - _environment_names()
    missing_in_pip = _environment_names() - _pyproject_names()
    assert not missing_in_conda, f"add to environment.yml: {sorted(missing_in_conda)}"
    assert not missing_in_pip, f"add to pyproject.toml: {sorted(missing_in_pip)}"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in readme
    assert re.search(r"^make test\s*$", ci, re.MULTILINE)


def test_make_help_lists_every_target():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-zA-Z][a-zA-Z_-]*):", makefile, re.MULTILINE))
    out = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    listed = {line.split()[0] for line in out.splitlines() if line.strip()}
    assert targets <= listed, f"targets without a '## description': {sorted(targets - listed)}"
    assert {"demo", "test", "lint"} <= listed


def test_public_api_is_explicit_and_importable():
    import analysis

    assert set(analysis.__all__) - {"__version__"} == set(analysis._EXPORTS)
    for name in analysis.__all__:
        assert hasattr(analysis, name), name


def test_no_literal_study_paths_outside_the_study_module():
    """Paths of a study are resolved by analysis.study only (DESIGN.md section 4)."""
    offenders = []
    for path in (ROOT / "analysis").rglob("*.py"):
        if path.relative_to(ROOT / "analysis").parts[0] == "study":
            continue
        text = path.read_text(encoding="utf-8")
        for literal in (
            '"data/raw',
            '"data/processed',
            "'data/raw",
            "'data/processed",
            '"surveys/',
            '"reports/',
        ):
            if literal in text:
                offenders.append(f"{path.relative_to(ROOT)}: {literal}")
    assert not offenders, offenders


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ci_lints_before_it_tests():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in ci.splitlines() if line.strip().startswith("make ")]
    assert commands == ["make lint", "make test"]


def test_make_help_lists_the_docs_and_lowest_versions_targets():
    out = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    listed = {line.split()[0] for line in out.splitlines() if line.strip()}
    assert {"docs", "test-lowest"} <= listed


def test_lowest_constraints_pin_every_lower_bound_of_pyproject():
    lowest = _script("lowest_constraints")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["dev"]
    pins = dict(pin.split("==") for pin in lowest.lowest(requirements))
    bounded = {_name(r) for r in requirements if ">=" in r}
    assert {_name(name) for name in pins} == bounded
    pandas = next(r for r in requirements if _name(r) == "pandas")
    assert pins["pandas"] == pandas.split(">=")[1].strip()


def test_the_api_reference_renders_a_module(tmp_path):
    pytest.importorskip("pdoc")
    api_docs = _script("api_docs")
    assert "analysis.design" in api_docs.public_modules()
    api_docs.build(["analysis.format"], tmp_path)
    page = (tmp_path / "analysis" / "format.html").read_text(encoding="utf-8")
    assert "Parameters" in page or "Examples" in page
