"""Run a wave's steps in order, skipping the ones whose inputs have not changed.

A :class:`Step` declares the files it reads and a function that does the work and
returns the files it wrote. The runner hashes the inputs (content, not timestamps) and
the package version; when they match the last successful run and the outputs are
still there unchanged, the step is skipped. Every run writes a manifest of what made
each output.

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> src = root / "in.txt"; _ = src.write_text("1", encoding="utf-8")
>>> def copy(ctx):
...     out = root / "out.txt"; out.write_text(src.read_text() * 2, encoding="utf-8")
...     return StepOutcome(outputs=[out], summary="copied")
>>> step = Step("copy", inputs=lambda ctx: [src], run=copy)
>>> import io
>>> r1 = run_steps([step], state_dir=root / ".state", context=None, stream=io.StringIO())
>>> r2 = run_steps([step], state_dir=root / ".state", context=None, stream=io.StringIO())
>>> r1[0].skipped, r2[0].skipped
(False, True)
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TextIO

from .. import __version__

__all__ = ["Step", "StepOutcome", "StepRecord", "hash_files", "run_steps"]


@dataclass(frozen=True)
class StepOutcome:
    """What a step's function returns: the files it wrote, a one-line summary, facts."""

    outputs: Sequence[Path] = ()
    summary: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    #: True when the step found problems that block the wave (exit status 1).
    blocking: bool = False


@dataclass(frozen=True)
class Step:
    """One step of a wave pipeline."""

    name: str
    inputs: Callable[[Any], Iterable[Path]]
    run: Callable[[Any], StepOutcome]
    #: Extra text that changes the step's cache key (e.g. settings it depends on).
    key: Callable[[Any], str] = lambda ctx: ""


@dataclass(frozen=True)
class StepRecord:
    """What happened to one step in one run."""

    name: str
    skipped: bool
    seconds: float
    input_hash: str
    outputs: dict[str, str]
    summary: str
    facts: dict[str, Any]
    blocking: bool


def hash_files(paths: Iterable[Path], *, base: Path | None = None) -> dict[str, str]:
    """SHA-256 of each file's content, keyed by its path (relative to ``base`` if given).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.txt").write_bytes(b"abc")
    >>> hash_files([folder / "a.txt"], base=folder)["a.txt"][:12]
    'ba7816bf8f01'
    """
    out: dict[str, str] = {}
    for path in sorted({Path(p) for p in paths}):
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
        else:
            files = [path] if path.exists() else []
        for f in files:
            name = (
                f.relative_to(base).as_posix() if base and f.is_relative_to(base) else f.as_posix()
            )
            with f.open("rb") as handle:  # in chunks: an output can be larger than memory
                out[name] = hashlib.file_digest(handle, "sha256").hexdigest()
    return out


@lru_cache(maxsize=1)
def _code_hash() -> str:
    """Hash of the toolkit's own source: a changed toolkit re-runs every step."""
    package = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(__version__.encode())
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _digest(files: dict[str, str], extra: str) -> str:
    h = hashlib.sha256()
    h.update(_code_hash().encode())
    h.update(extra.encode("utf-8"))
    for name, digest in sorted(files.items()):
        h.update(name.encode("utf-8") + b"\0" + digest.encode())
    return h.hexdigest()


def run_steps(
    steps: Sequence[Step],
    *,
    state_dir: Path,
    context: Any,
    force: bool = False,
    stream: TextIO | None = None,
    base: Path | None = None,
) -> list[StepRecord]:
    """Run ``steps`` in order; skip unchanged ones; print progress with per-step timing.

    Parameters
    ----------
    steps : sequence of Step
        The steps, in the order they must run.
    state_dir : Path
        Folder keeping the cache of the last successful run of each step.
    context : object
        Passed to every step's ``inputs``, ``key`` and ``run``.
    force : bool
        Run every step even when nothing changed.
    stream : text stream
        Where progress goes (default: standard error).
    base : Path, optional
        Paths in the cache and records are written relative to this folder.
    """
    stream = stream or sys.stderr
    state_dir.mkdir(parents=True, exist_ok=True)
    cache_file = state_dir / "steps.json"
    cache = json.loads(cache_file.read_text(encoding="utf-8")) if cache_file.exists() else {}
    records: list[StepRecord] = []
    upstream_changed = False
    for number, step in enumerate(steps, start=1):
        label = f"[{number}/{len(steps)}] {step.name}"
        print(f"{label:<28}", end="", file=stream, flush=True)
        started = time.perf_counter()
        inputs = hash_files(step.inputs(context), base=base)
        digest = _digest(inputs, step.key(context))
        previous = cache.get(step.name)
        unchanged = (
            not force
            and not upstream_changed
            and previous is not None
            and previous["input_hash"] == digest
            and hash_files([_abs(p, base) for p in previous["outputs"]], base=base)
            == previous["outputs"]
        )
        if unchanged:
            record = StepRecord(
                step.name,
                True,
                time.perf_counter() - started,
                digest,
                previous["outputs"],
                previous["summary"],
                previous.get("facts", {}),
                previous.get("blocking", False),
            )
            print(f"skipped (unchanged)  {record.seconds:6.2f}s", file=stream, flush=True)
        else:
            upstream_changed = True
            outcome = step.run(context)
            outputs = hash_files(outcome.outputs, base=base)
            record = StepRecord(
                step.name,
                False,
                time.perf_counter() - started,
                digest,
                outputs,
                outcome.summary,
                outcome.facts,
                outcome.blocking,
            )
            cache[step.name] = {
                "input_hash": digest,
                "outputs": outputs,
                "summary": outcome.summary,
                "facts": outcome.facts,
                "blocking": outcome.blocking,
            }
            cache_file.write_text(
                json.dumps(cache, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
            )
            print(f"done {record.seconds:6.2f}s  {outcome.summary}", file=stream, flush=True)
        records.append(record)
    return records


def _abs(name: str, base: Path | None) -> Path:
    path = Path(name)
    return path if path.is_absolute() or base is None else base / path
