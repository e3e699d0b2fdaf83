"""A wave's outputs are replaced whole: a run completes, or the last complete run stays.

Before a run, each output folder (``data/processed/<wave>/``, ``reports/<wave>/``) is set
aside as ``.<wave>.previous`` and a copy of it is worked on, so unchanged steps can still
be skipped. When the run completes, files that no step of this run wrote (outputs of an
older run) are removed and the set-aside copy is deleted; when it fails, the folder it
worked on is deleted and the set-aside copy put back, untouched. A run that was killed
half-way leaves the set-aside copy behind: the next run puts it back first and says so.

Examples
--------
>>> import tempfile, pathlib, io
>>> out = pathlib.Path(tempfile.mkdtemp()) / "2026"
>>> out.mkdir(); _ = (out / "old.csv").write_text("1")
>>> try:
...     with complete_or_restore([out], stream=io.StringIO()):
...         _ = (out / "old.csv").write_text("half-written")
...         raise RuntimeError("the run failed")
... except RuntimeError:
...     pass
>>> (out / "old.csv").read_text()
'1'
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

__all__ = ["complete_or_restore", "remove_stale", "set_aside_path"]

#: Folders inside an output folder that hold caches, not outputs.
CACHE_FOLDERS = (".work",)


def set_aside_path(folder: Path) -> Path:
    """Where ``folder`` is kept while a run works on a copy of it."""
    return folder.with_name(f".{folder.name}.previous")


def _restore(folder: Path) -> bool:
    """Put a set-aside copy back in place of ``folder``; True if there was one."""
    aside = set_aside_path(folder)
    if not aside.is_dir():
        return False
    if folder.exists():
        shutil.rmtree(folder)
    aside.rename(folder)
    return True


@contextmanager
def complete_or_restore(folders: Sequence[Path], *, stream: TextIO | None = None) -> Iterator[None]:
    """Work on copies of ``folders``; keep them if the block completes, else restore.

    Parameters
    ----------
    folders : sequence of Path
        The output folders of one run (they need not exist yet).
    stream : text stream, optional
        Where a restore is reported (default: standard error).
    """
    stream = stream or sys.stderr
    for folder in folders:
        if _restore(folder):
            print(
                f"note: the last run of {folder.name} was interrupted; its previous complete "
                f"outputs were put back in {folder}",
                file=stream,
            )
    for folder in folders:
        if folder.is_dir():
            aside = set_aside_path(folder)
            folder.rename(aside)
            shutil.copytree(aside, folder)
    try:
        yield
    except BaseException:
        restored = [f for f in folders if _restore(f) or _drop(f)]
        if restored:
            print(
                "note: the run did not complete; the outputs of the last complete run are "
                "unchanged (" + ", ".join(str(f) for f in restored) + ")",
                file=stream,
            )
        raise
    for folder in folders:
        aside = set_aside_path(folder)
        if aside.is_dir():
            shutil.rmtree(aside)


def _drop(folder: Path) -> bool:
    """Remove a folder a failed first run created (there is nothing to put back)."""
    if folder.is_dir():
        shutil.rmtree(folder)
        return True
    return False


def remove_stale(folder: Path, keep: Iterable[Path]) -> list[Path]:
    """Delete the files of ``folder`` that are not in ``keep`` (outside cache folders).

    Returns the files removed. Empty folders left behind are removed too.
    """
    if not folder.is_dir():
        return []
    kept = {Path(p).resolve() for p in keep}
    removed = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if rel.parts[0] in CACHE_FOLDERS or not path.is_file():
            continue
        if path.resolve() not in kept:
            path.unlink()
            removed.append(path)
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and path.relative_to(folder).parts[0] not in CACHE_FOLDERS:
            if not any(path.iterdir()):
                path.rmdir()
    return removed
