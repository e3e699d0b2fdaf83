"""The library names no question of the demo study: its sections are written in notebooks.

The demo's question names are read from the form sources ``surveys/*.md``; every name
with an underscore (``has_library``, ``cable_tv_coverage``, ``att_formality_r`` ...) is
looked for in the code of ``analysis/`` (string constants and identifiers; docstrings and
comments are illustrations and are not scanned). Left out of the scan:

* ``analysis/demo_study/``: it generates the demo study's data, so it must name its
  questions; ``analysis/entry/client.py`` likewise fills the demo household form to
  exercise the entry app;
* the design columns of the forms (role ``id``, ``psu``, ``strata``, ``weight``: keys such
  as ``village_id`` that every study has one of, named in hints as examples);
* ``village_type``: a default column header of ``report_table``, as ``county`` is.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = (ROOT / "analysis" / "demo_study", ROOT / "analysis" / "entry" / "client.py")
GENERIC = {"village_type"}
_NAME = re.compile(r"[a-z][a-z0-9_]*")


def demo_question_names() -> set[str]:
    names, design = set(), set()
    for path in sorted((ROOT / "surveys").glob("*.md")):
        in_survey = False
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("## "):
                in_survey = line.strip() == "## survey"
            if not (in_survey and line.startswith("|")):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) > 2 and _NAME.fullmatch(cells[2] or "-") and "_" in cells[2]:
                names.add(cells[2])
                if len(cells) > 6 and cells[6] in ("id", "psu", "strata", "weight"):
                    design.add(cells[2])
    return names - design - GENERIC


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def names_in_code(path: Path, names: set[str], root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            words = set(_NAME.findall(node.value))
        elif isinstance(node, ast.Name):
            words = {node.id}
        elif isinstance(node, ast.Attribute):
            words = {node.attr}
        else:
            continue
        found += [f"{path.relative_to(root)}:{node.lineno}: {w}" for w in sorted(words & names)]
    return found


def test_the_scan_knows_the_demo_questions():
    names = demo_question_names()
    assert {"has_library", "cable_tv_coverage", "att_formality_r", "posting_mode"} <= names
    assert "village_id" not in names


def test_the_scan_finds_a_question_name_in_code_not_in_docstrings(tmp_path):
    path = tmp_path / "x.py"
    path.write_text('"""has_library in a docstring is fine."""\nq = "has_library"\n', "utf-8")
    assert names_in_code(path, {"has_library"}, root=tmp_path) == ["x.py:2: has_library"]


def test_the_library_names_no_question_of_the_demo_study():
    names = demo_question_names()
    found = []
    for path in sorted((ROOT / "analysis").rglob("*.py")):
        if any(path == s or s in path.parents for s in SKIPPED):
            continue
        found += names_in_code(path, names)
    assert not found, "demo question names in the library (move them to a notebook):\n" + "\n".join(
        found
    )
