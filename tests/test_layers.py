"""The package's layers: every import points down, and no two units import each other.

Every module's imports are read with :mod:`ast` (imports inside functions too, relative
imports resolved) and mapped to their top-level unit under ``analysis`` (``analysis/X.py``
or ``analysis/X/``). An import of a unit of a higher rank fails, and so does a cycle
between units (units of the same rank may import each other, but not both ways).
``analysis/__init__.py`` (the lazy public API) is exempt: it names every layer.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "analysis"

#: Rank of each unit, lowest first (docs: DESIGN.md, section 4).
RANKS: dict[str, int] = {
    "errors": 0,
    "format": 1,
    "study": 1,
    "office": 1,
    "expressions": 2,
    "instrument": 3,
    "readers": 4,
    "corrections": 5,
    "validate": 6,
    "writers": 7,
    "design": 8,
    "estimate": 9,
    "models": 10,
    "text": 10,
    "sampling": 11,
    "weighting": 11,
    "charts": 12,
    "report": 13,
    "sections": 14,
    "pipeline": 15,
    "entry": 16,
    "demo_study": 16,
    "cli": 17,
    "__main__": 17,
}

#: Imports allowed to point the wrong way while a move is under way:
#: (importing module, imported module) -> why it is still there and what removes it.
#: Empty today: every import points down.
KNOWN: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    """One import of a module of the package, resolved to a unit of the package."""

    module: str  # the importing file, relative to the repository: analysis/x/y.py
    line: int
    target: str  # the imported module (dotted), as resolved
    unit: str  # the importing module's unit
    target_unit: str  # the imported module's unit

    def __str__(self) -> str:
        return (
            f"{self.module}:{self.line} ({self.unit}, rank {RANKS.get(self.unit)}) imports "
            f"{self.target} ({self.target_unit}, rank {RANKS.get(self.target_unit)})"
        )


def _units() -> set[str]:
    return {
        p.stem if p.is_file() else p.name
        for p in PACKAGE.iterdir()
        if (p.is_file() and p.suffix == ".py" and p.name != "__init__.py")
        or (p.is_dir() and (p / "__init__.py").is_file())
    }


def _lazy_exports() -> dict[str, str]:
    """Public name -> defining module, from the ``_EXPORTS`` table of analysis/__init__.py."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in targets):
                return ast.literal_eval(node.value)
    return {}


def _imported(node: ast.AST, package: list[str]) -> list[str]:
    """The dotted modules (or ``analysis.<name>``) an import statement names."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = package[: len(package) - (node.level - 1)]
        module = ".".join([*base, *([node.module] if node.module else [])])
    else:
        module = node.module or ""
    if module == "analysis":  # from analysis import estimate / SurveyDesign / __version__
        return [f"analysis.{alias.name}" for alias in node.names]
    return [module]


def _target_unit(target: str, units: set[str], exports: dict[str, str]) -> str | None:
    """The unit of an imported module; None outside the package or for the package root."""
    parts = target.split(".")
    if parts[0] != "analysis" or len(parts) < 2:
        return None
    if parts[1] in units:
        return parts[1]
    if parts[1] in exports:  # a name of the lazy public API
        return _target_unit(exports[parts[1]], units, exports)
    return None  # the root itself (__version__): exempt


def package_imports() -> list[Import]:
    """Every import between two units of the package."""
    units, exports = _units(), _lazy_exports()
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent)
        if relative.as_posix() == "analysis/__init__.py":
            continue
        parts = list(relative.with_suffix("").parts)
        unit = parts[1]
        package = parts[:-1]  # a module's package; for __init__.py the package itself
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(relative))
        for node in ast.walk(tree):
            for target in _imported(node, package):
                target_unit = _target_unit(target, units, exports)
                if target_unit is not None and target_unit != unit:
                    found.append(
                        Import(relative.as_posix(), node.lineno, target, unit, target_unit)
                    )
    return found


def _upward(imports: list[Import]) -> list[Import]:
    return [i for i in imports if RANKS.get(i.target_unit, 99) > RANKS.get(i.unit, -1)]


def _cycles(imports: list[Import]) -> list[list[str]]:
    """The groups of units that import each other (strongly connected, more than one)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for i in imports:
        graph[i.unit].add(i.target_unit)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def _known(i: Import) -> bool:
    return (i.module, i.target) in KNOWN


def test_every_unit_has_a_rank():
    assert sorted(_units() - RANKS.keys()) == [], "give the new unit a rank in RANKS"


def test_imports_point_down():
    wrong = [i for i in _upward(package_imports()) if not _known(i)]
    if wrong:
        pytest.fail("imports of a higher layer:\n" + "\n".join(map(str, wrong)), pytrace=False)


def test_no_cycles_between_units():
    imports = [i for i in package_imports() if not _known(i)]
    cycles = _cycles(imports)
    lines = []
    for group in cycles:
        lines.append(" <-> ".join(group) + ":")
        lines += [f"  {i}" for i in imports if i.unit in group and i.target_unit in group]
    if cycles:
        pytest.fail("units that import each other:\n" + "\n".join(lines), pytrace=False)


def test_known_violations_are_still_there():
    """An allowed import that is gone (or no longer wrong) must leave KNOWN."""
    wrong = {(i.module, i.target) for i in _upward(package_imports())}
    stale = sorted(set(KNOWN) - wrong)
    if stale:
        listed = "\n".join(f"{module} -> {target}" for module, target in stale)
        pytest.fail(f"KNOWN entries that no longer occur (remove them):\n{listed}", pytrace=False)


def test_the_checks_find_what_they_must():
    """The reader and the checks on a small made-up graph (so a broken test cannot pass)."""
    fake = [
        Import("analysis/study.py", 3, "analysis.report.tables", "study", "report"),
        Import("analysis/format.py", 5, "analysis.study", "format", "study"),
        Import("analysis/study.py", 7, "analysis.format", "study", "format"),
    ]
    assert _upward(fake) == fake[:1]
    assert _cycles(fake) == [["format", "study"]]
    tree = ast.parse("from .. import estimate as est\nfrom .x import y\n")
    package = ["analysis", "pipeline"]
    assert [_imported(n, package) for n in tree.body] == [
        ["analysis.estimate"],
        ["analysis.pipeline.x"],
    ]
    units, exports = _units(), _lazy_exports()
    assert _target_unit("analysis.SurveyDesign", units, exports) == "design"
    assert _target_unit("analysis.__version__", units, exports) is None
    assert _target_unit("pandas.api", units, exports) is None
