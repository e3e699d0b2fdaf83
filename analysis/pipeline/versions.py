"""The versions of Python and of the libraries that shape a wave's outputs.

The wave manifest records them, so a wave processed again later, on other versions, can
be told apart from the original run (a new pandas may read or round a value differently).

Examples
--------
>>> versions = library_versions()
>>> sorted(versions)[:3]
['numpy', 'pandas', 'pyarrow']
>>> versions["python"].count(".")
2
"""

from __future__ import annotations

import platform
from importlib import metadata

__all__ = ["RECORDED_LIBRARIES", "library_versions"]

#: Distributions whose versions a manifest records: they read, clean, write and estimate.
RECORDED_LIBRARIES = ("pandas", "numpy", "pyarrow", "pyreadstat", "statsmodels", "pyxform")


def library_versions(libraries: tuple[str, ...] = RECORDED_LIBRARIES) -> dict[str, str]:
    """``{"python": "3.11.7", "pandas": "2.2.3", ...}``; ``"not installed"`` when absent.

    Examples
    --------
    >>> library_versions(("surely-not-a-distribution",))["surely-not-a-distribution"]
    'not installed'
    """
    versions = {"python": platform.python_version()}
    for name in libraries:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
