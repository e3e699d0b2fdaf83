"""Data entry of paper questionnaires: a local web app with double entry.

``baicun entry serve --wave W`` serves every instrument of the study as a keyboard-first
entry screen; two clerks type each paper questionnaire; a supervisor resolves their
differences; ``baicun entry export --wave W`` writes the resolved questionnaires to
``data/raw/<wave>/<form>.zip`` (ODK Central's layout, read by ``read_raw``).

Modules: :mod:`~analysis.entry.app` (the Flask app), :mod:`~analysis.entry.verdicts` (the
form applied to one questionnaire by ``analysis.expressions.check_form``), :mod:`~analysis.entry.record`
(a questionnaire as the engine's one-record data), :mod:`~analysis.entry.store`
(SQLite), :mod:`~analysis.entry.auth` (accounts, sessions, CSRF),
:mod:`~analysis.entry.throttle` (failed logins), :mod:`~analysis.entry.messages` (Chinese
texts of coded errors),
:mod:`~analysis.entry.double` (comparison and resolution), :mod:`~analysis.entry.export`,
:mod:`~analysis.entry.commands` (the command line), :mod:`~analysis.entry.client` (a
scripted client). This package imports no web framework until the app is built.
"""

from ..errors import EntryError
from .answers import Answers
from .double import Difference, compare, merge
from .export import export_wave, neutralise, unneutralise
from .store import EntryStore
from .verdicts import Check, check, check_many

__all__ = [
    "Answers",
    "Check",
    "Difference",
    "EntryError",
    "EntryStore",
    "check",
    "check_many",
    "compare",
    "export_wave",
    "merge",
    "neutralise",
    "unneutralise",
]
