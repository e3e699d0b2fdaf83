"""Shared test fixtures and paths."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REALDATA = (ROOT / ".." / "shared" / "realdata").resolve()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (the demo study)."""
    return ROOT


@pytest.fixture(scope="session")
def realdata() -> Path:
    """``../shared/realdata``: real forms and exports published by other projects."""
    if not REALDATA.is_dir():
        pytest.skip(
            "../shared/realdata is absent: real-world files are only on developer and CI machines"
        )
    return REALDATA
