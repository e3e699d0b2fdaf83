"""The checks of a validation as tasks for the workers, and what each returns, typed.

:func:`analysis.validate.validation.validate` runs the checks that only read the data
side by side (:func:`~analysis.validate.workers.run_tasks`). Each is a :class:`CheckTask`
whose function returns a :class:`Checked`: the findings of its check and, for some
checks, what later steps need (the empty records, the interview minutes, the cells
holding missing codes, the enumerator flags, a block's form-rule hits). A broken form
rule comes back as :attr:`Checked.failure` instead of an exception.

How a task treats memory in its worker is decided here, not by the orchestration:
:func:`in_worker` compacts the findings before they travel back (:func:`compact`),
forgets the answers the check converted, and gives the memory it freed back to the
system unless the task is one of many alike pieces (:attr:`CheckTask.alike`, the
blocks of the form rules), whose successors reuse it.

Examples
--------
>>> import pandas as pd
>>> found = Found(pd.DataFrame({"position": [0, 1], "message": ["too old", "too old"]}))
>>> checked = compact(Checked(found))
>>> checked.found.frame["message"].dtype.name, checked.found.frame["position"].tolist()
('category', [0, 1])
>>> guarded(lambda: Checked(found))().failure is None
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

import pandas as pd

from ..expressions.errors import BadExpression
from ..readers.records import Records
from .issues import Found, filled_text
from .workers import release_memory

__all__ = ["CheckTask", "Checked", "compact", "guarded", "in_worker"]


@dataclass(frozen=True)
class Checked:
    """What one check task returned.

    Attributes
    ----------
    found : Found
        The findings of the task's check.
    empty_found : Found, optional
        Findings about empty records (reported with the task's check).
    empty_rows : set of (table, position), optional
        The empty records themselves (their other issues are dropped).
    minutes : Series, optional
        Interview minutes per record (the duration check).
    missing : DataFrame, optional
        Cells holding a declared missing code (the missing-code check).
    enumerators : Found, optional
        The enumerator flags, reported as check ``enumerator``.
    hits : Hits, optional
        A block's form-rule hits (:func:`analysis.validate.form_rules.rules_from_hits`).
    failure : BadExpression, optional
        The broken rule that stopped the task.
    """

    found: Found | None = None
    empty_found: Found | None = None
    empty_rows: set[tuple[str, int]] | None = None
    minutes: pd.Series | None = None
    missing: pd.DataFrame | None = None
    enumerators: Found | None = None
    hits: Any = None
    failure: BadExpression | None = None


@dataclass(frozen=True)
class CheckTask:
    """One check to run in a worker.

    Attributes
    ----------
    check : str
        The check's name (its row in the validation's timings).
    run : callable
        Runs the check; returns a :class:`Checked`.
    alike : bool
        One of many alike pieces (the blocks of the form rules): the memory it frees is
        kept for the next piece instead of given back to the system.
    """

    check: str
    run: Callable[[], Checked]
    alike: bool = False


def compact(value: Any) -> Any:
    """Findings with their text columns as categories (a :class:`Found`, or every
    :class:`Found` of a :class:`Checked`); anything else as it is.

    Run in the worker: what comes back to the parent is codes and distinct texts, not
    millions of texts (a duplicate search repeats few messages and values many times).
    """
    if isinstance(value, Checked):
        changes = {
            f.name: compact(getattr(value, f.name))
            for f in fields(value)
            if isinstance(getattr(value, f.name), Found)
        }
        return replace(value, **changes) if changes else value
    if isinstance(value, Found) and len(value.frame):
        frame = value.frame
        names = [
            n
            for n in frame.columns
            if n != "position" and not isinstance(frame[n].dtype, pd.CategoricalDtype)
        ]
        if names:
            texts = {n: filled_text(frame[n]) for n in names if n in ("value", "message")}
            others = {n: frame[n].astype("category") for n in names if n not in texts}
            frame = frame.assign(**{n: s.astype("category") for n, s in texts.items()}, **others)
            return Found(frame)
    return value


def guarded(run: Callable[[], Checked]) -> Callable[[], Checked]:
    """``run``, returning a broken rule as :attr:`Checked.failure` instead of raising it."""

    def checked() -> Checked:
        try:
            return run()
        except BadExpression as err:
            return Checked(failure=err)

    return checked


def in_worker(task: CheckTask, records: Records) -> Callable[[], Checked]:
    """The task as a worker runs it: its findings compacted (:func:`compact`) before they
    are returned, the answers it converted forgotten (a worker does not carry one
    check's columns into the next), and, unless the task is :attr:`~CheckTask.alike`,
    the memory it freed given back to the system."""

    def run() -> Checked:
        try:
            return compact(task.run())
        finally:
            for table in records.tables.values():
                table.forget_answers()
            if not task.alike:
                release_memory()

    return run
