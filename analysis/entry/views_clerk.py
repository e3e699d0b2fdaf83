"""The entry app's views for typing: home pages, entry screens, checks and saves.

The page posts the answers to ``/api/forms/<form>/check`` as the clerk types and hides,
clears and flags what the reply says (:func:`analysis.entry.verdicts.check`); a save is
checked again on the server and refused (``ENT021``, 422) while an answer breaks a rule.
A clerk sees only their own entries.
"""

from __future__ import annotations

import json
import secrets

from flask import Response, g, jsonify, render_template, request, url_for

from .site import FormSpec
from .verdicts import check
from .web import counters, form_spec, posted_answers, refuse, role, site

__all__ = ["ROUTES"]

_NOT_YOURS = ("这不是您录入的问卷。", "This is not one of your entries.", "ENT014")


def home() -> str:
    """A clerk's entries, or the supervisor's list of questionnaires by status."""
    served = site()
    user = g.session.user
    if user.role == "clerk":
        entries = served.store.entries_of_clerk(user.id, served.wave)
        return render_template("home_clerk.html", entries=entries, saved=request.args.get("saved"))
    rows = served.store.questionnaires(served.wave)
    by_status: dict[str, int] = {}
    for row in rows:
        by_status[row.status] = by_status.get(row.status, 0) + 1
    return render_template(
        "home_supervisor.html", rows=rows, by_status=by_status, saved=request.args.get("saved")
    )


@role("clerk")
def new_entry(form: str) -> str:
    spec = form_spec(form)
    return render_template(
        "entry.html",
        spec=spec,
        answers=None,
        entry=None,
        submission=secrets.token_urlsafe(18),
        saved=request.args.get("saved"),
    )


def _own_entry(entry_id: int):
    """The clerk's entry ``entry_id`` of this wave, or None."""
    entry = site().store.entry(entry_id)
    if entry is None or entry.clerk_id != g.session.user.id or entry.wave != site().wave:
        return None
    return entry


@role("clerk")
def edit_entry(entry_id: int) -> str | Response:
    entry = _own_entry(entry_id)
    if entry is None:
        return refuse(403, *_NOT_YOURS)
    return render_template(
        "entry.html",
        spec=form_spec(entry.form),
        answers=entry.answers,
        entry=entry,
        submission=entry.submission,
        saved=None,
    )


@role("clerk", "supervisor")
def check_answers(form: str) -> Response:
    spec = form_spec(form)
    _, answers = posted_answers(spec)
    return jsonify(check(spec.instrument, answers, key=spec.key).to_json())


def _save(spec: FormSpec, entry_id: int | None) -> Response:
    """Check the posted answers and save them as a new entry or a new version of one."""
    body, answers = posted_answers(spec)
    result = check(spec.instrument, answers, key=spec.key, final=True)
    if not result.ok:
        payload = result.to_json()
        payload["error"] = {
            "code": "ENT021",
            "message": {
                "zh": "还有未通过检查的答案，未保存。",
                "en": "Some answers do not pass the form's checks; nothing was saved.",
            },
        }
        return Response(json.dumps(payload, ensure_ascii=False), 422, mimetype="application/json")
    surplus = result.surplus()
    if surplus:
        where = "、".join(f"{path}（多 {n} 行）" for path, n in surplus.items())
        where_en = ", ".join(f"{path} ({n} too many)" for path, n in surplus.items())
        payload = result.to_json()
        payload["error"] = {
            "code": "ENT024",
            "message": {
                "zh": f"有超出应有行数的行：{where}。请确认删除这些行，或改正行数所依据的答案；未保存。",
                "en": f"Rows beyond the count: {where_en}. Remove them or correct the answer "
                "giving the count; nothing was saved.",
            },
        }
        return Response(json.dumps(payload, ensure_ascii=False), 422, mimetype="application/json")
    version = body.get("version")
    outcome = site().store.save_entry(
        wave=site().wave,
        form=spec.name,
        key=result.answers.get(spec.key),
        clerk_id=g.session.user.id,
        answers=result.answers,
        differences=counters()[spec.name],
        submission=str(body.get("submission") or "")[:64] or None,
        entry_id=entry_id,
        version=int(version) if isinstance(version, int) else None,
    )
    return jsonify(
        {
            "entry_id": outcome.entry_id,
            "version": outcome.version,
            "key": outcome.key,
            "replayed": outcome.replayed,
            "next": url_for("new_entry", form=spec.name, saved=outcome.key)
            if entry_id is None
            else url_for("home", saved=outcome.key),
        }
    )


@role("clerk")
def save_new(form: str) -> Response:
    return _save(form_spec(form), None)


@role("clerk")
def save_edit(entry_id: int) -> Response:
    entry = _own_entry(entry_id)
    if entry is None:
        return refuse(403, *_NOT_YOURS)
    return _save(form_spec(entry.form), entry_id)


#: (rule, view, methods)
ROUTES = (
    ("/", home, ("GET",)),
    ("/forms/<form>/new", new_entry, ("GET",)),
    ("/entries/<int:entry_id>", edit_entry, ("GET",)),
    ("/api/forms/<form>/check", check_answers, ("POST",)),
    ("/api/forms/<form>/entries", save_new, ("POST",)),
    ("/api/entries/<int:entry_id>", save_edit, ("POST",)),
)
