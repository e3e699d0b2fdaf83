"""Write the toolkit's HTML API reference from its numpydoc docstrings (``make docs``).

The reference covers the package ``analysis``, each of its subpackages and its top-level
modules (never a ``__main__``), and is written by pdoc into ``docs/api/`` (git-ignored).
pdoc renders offline: no script or style is fetched from the network.

Usage::

    python scripts/api_docs.py [OUTPUT_DIR] [MODULE ...]

Without modules, the whole public API is documented.

>>> "analysis.design" in public_modules() and "analysis.study" in public_modules()
True
>>> any(name.endswith("__main__") for name in public_modules())
False
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "analysis"


def public_modules(root: Path = ROOT) -> list[str]:
    """The package, its subpackages and its top-level modules, by dotted name."""
    package = root / PACKAGE
    names = [PACKAGE]
    names += [f"{PACKAGE}.{p.parent.name}" for p in sorted(package.glob("*/__init__.py"))]
    names += [
        f"{PACKAGE}.{p.stem}" for p in sorted(package.glob("*.py")) if not p.stem.startswith("_")
    ]
    return names


def build(modules: list[str], output: Path) -> Path:
    """Render ``modules`` (and the submodules each one exports) as HTML into ``output``."""
    import pdoc
    import pdoc.render

    pdoc.render.configure(docformat="numpy", footer_text="baicun API", math=False, mermaid=False)
    with warnings.catch_warnings():
        # A subpackage that the package also exports is listed twice: pdoc renders it once.
        warnings.filterwarnings("ignore", message=r"The module specification .* already been added")
        pdoc.pdoc(*modules, output_directory=output)
    return output


def main(argv: list[str]) -> int:
    output = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "api"
    modules = argv[2:] or public_modules()
    sys.path.insert(0, str(ROOT))
    build(modules, output)
    print(f"API reference: {output / 'index.html'} ({len(modules)} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
