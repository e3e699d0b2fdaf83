"""The entry app's views for supervisors: compare two typings, resolve, read the history.

Supervisors compare and resolve but do not type. A resolution is checked like a save
and may not change the questionnaire's key; a questionnaire is resolved once (a second
resolution is refused, ``ENT023``, 409).
"""

from __future__ import annotations

import json

from flask import Response, abort, g, redirect, render_template, request, url_for

from ..errors import EntryError
from .answers import Answers
from .double import compare, merge
from .verdicts import check
from .web import role, site

__all__ = ["ROUTES"]


def _questionnaire_or_404(qid: int):
    served = site()
    row = served.store.questionnaire(qid)
    if row is None or row.wave != served.wave or row.form not in served.forms:
        abort(404)
    return row


def _compare_page(row, errors=None, chosen=None, status: int = 200) -> Response:
    """The two typings of a questionnaire side by side, with the supervisor's choices."""
    served = site()
    spec = served.forms[row.form]
    typed = served.store.entries_of(row.id)
    differences = (
        compare(spec.instrument, typed[0].answers, typed[1].answers) if len(typed) == 2 else ()
    )
    page = render_template(
        "compare.html",
        spec=spec,
        row=row,
        typed=typed,
        differences=differences,
        resolution=served.store.resolution(row.id),
        errors=errors or {},
        chosen=chosen or {},
    )
    return Response(page, status, mimetype="text/html")


@role("supervisor")
def questionnaire(qid: int) -> Response:
    return _compare_page(_questionnaire_or_404(qid))


def _decisions(differences) -> tuple[dict[str, str], dict, dict[str, dict[str, str]]]:
    """The supervisor's pick for each difference: decisions, choices as posted, and
    the differences left without a pick."""
    decisions: dict[str, str] = {}
    chosen: dict[str, tuple[str, str]] = {}
    errors: dict[str, dict[str, str]] = {}
    for index, diff in enumerate(differences):
        pick = request.form.get(f"pick_{index}", "")
        other = request.form.get(f"other_{index}", "")
        chosen[diff.path] = (pick, other)
        if pick == "1":
            decisions[diff.path] = diff.first or ""
        elif pick == "2":
            decisions[diff.path] = diff.second or ""
        elif pick == "other":
            decisions[diff.path] = other
        else:
            errors[diff.path] = {"zh": "请选择。", "en": "Choose one."}
    return decisions, chosen, errors


def _number(text: str) -> bool:
    """True for a plain decimal number of at most 18 digits (a version)."""
    return text.isascii() and text.isdigit() and len(text) <= 18


@role("supervisor")
def resolve(qid: int) -> Response:
    row = _questionnaire_or_404(qid)
    served = site()
    spec = served.forms[row.form]
    if row.status in ("agreed", "resolved"):
        raise EntryError(
            "ENT023",
            "this questionnaire is already resolved",
            record=row.key,
            found=row.status,
            hint="Reload the comparison: a questionnaire is resolved only once.",
        )
    typed = served.store.entries_of(row.id)
    if len(typed) != 2:
        raise EntryError("ENT018", "a questionnaire is resolved only once it has been typed twice")
    differences = compare(spec.instrument, typed[0].answers, typed[1].answers)
    decisions, chosen, errors = _decisions(differences)
    if errors:
        return _compare_page(row, errors, chosen, 422)
    merged = merge(spec.instrument, typed[0].answers, typed[1].answers, decisions)
    result = check(spec.instrument, merged, key=spec.key, final=True)
    if not result.ok or result.answers.get(spec.key) != row.key:
        problems = result.problems()
        if result.answers.get(spec.key) != row.key:
            problems[spec.key] = {
                "zh": "问卷编号不能改。",
                "en": "The questionnaire key cannot change.",
            }
        return _compare_page(row, problems, chosen, 422)
    versions = tuple(int(v) for v in request.form.get("versions", "").split(",") if _number(v))
    served.store.resolve(
        row.id,
        result.answers,
        supervisor_id=g.session.user.id,
        decisions=json.dumps(decisions, ensure_ascii=False, sort_keys=True),
        versions=versions,
    )
    return redirect(url_for("home", saved=row.key))


@role("supervisor")
def history(qid: int) -> str:
    row = _questionnaire_or_404(qid)
    served = site()
    spec = served.forms[row.form]
    typings = []
    for entry in served.store.entries_of(row.id):
        steps = []
        before = Answers()
        for version, action, user, saved_at, answers in served.store.history(entry.id):
            steps.append(
                (version, action, user, saved_at, compare(spec.instrument, before, answers))
            )
            before = answers
        typings.append((entry, steps))
    return render_template("history.html", spec=spec, row=row, typings=typings)


#: (rule, view, methods)
ROUTES = (
    ("/questionnaires/<int:qid>", questionnaire, ("GET",)),
    ("/questionnaires/<int:qid>/resolve", resolve, ("POST",)),
    ("/questionnaires/<int:qid>/history", history, ("GET",)),
)
