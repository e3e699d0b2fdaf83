"""Helpers the entry app's views share: the site being served, refusals, roles, wording.

The site and the per-form difference counters are kept in the Flask app
(``app.extensions``), so that views are plain module functions (see
:mod:`~analysis.entry.views_account`, :mod:`~analysis.entry.views_clerk`,
:mod:`~analysis.entry.views_supervisor`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, render_template, request

from ..errors import EntryError
from .answers import Answers
from .double import answer_paths, counter
from .site import EntrySite, FormSpec
from .throttle import LoginThrottle

__all__ = [
    "FORM_EXPIRED",
    "LOGIN_COOKIE",
    "SESSION_COOKIE",
    "attach",
    "counters",
    "form_spec",
    "posted_answers",
    "refuse",
    "role",
    "safe_next",
    "site",
    "t",
    "throttle",
    "wants_json",
]

SESSION_COOKIE = "baicun_session"
LOGIN_COOKIE = "baicun_login"
_EXTENSION = "baicun_entry"

#: The refusal of a POST without the right CSRF token: (zh, en).
FORM_EXPIRED = ("表单已过期，请刷新页面。", "Form expired (CSRF check failed); reload the page.")


def attach(app: Flask, served: EntrySite) -> None:
    """Keep ``served``, each form's difference counter and a login throttle in ``app``."""
    app.extensions[_EXTENSION] = (
        served,
        {name: counter(spec.instrument) for name, spec in served.forms.items()},
        LoginThrottle(),
    )


def site() -> EntrySite:
    """The site the current app serves."""
    return current_app.extensions[_EXTENSION][0]


def counters() -> dict[str, Any]:
    """Each form's difference counter (see :func:`analysis.entry.double.counter`)."""
    return current_app.extensions[_EXTENSION][1]


def throttle() -> LoginThrottle:
    """The app's count of failed logins (see :mod:`analysis.entry.throttle`)."""
    return current_app.extensions[_EXTENSION][2]


def wants_json() -> bool:
    return request.path.startswith("/api/")


def refuse(status: int, zh: str, en: str, code: str | None = None) -> Response:
    """A refusal: JSON under /api/, else the error page."""
    if wants_json():
        body = {"error": {"code": code, "message": {"zh": zh, "en": en}}}
        return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")
    html = render_template("error.html", status=status, zh=zh, en=en, code=code)
    return Response(html, status, mimetype="text/html")


def role(*roles: str) -> Callable:
    """Let only users with one of ``roles`` through to the view."""

    def wrap(view: Callable) -> Callable:
        @wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if g.session.user.role not in roles:
                return refuse(403, "没有权限。", "Not allowed for your role.")
            return view(*args, **kwargs)

        return inner

    return wrap


def form_spec(name: str) -> FormSpec:
    """The form ``name`` of the site (404 when there is none)."""
    spec = site().forms.get(name)
    if spec is None:
        abort(404)
    return spec


def t(zh: str, en: str) -> str:
    """The text in the user's language."""
    return en if getattr(g, "lang", "zh") == "en" else zh


def posted_answers(spec: FormSpec) -> tuple[dict[str, Any], Answers]:
    """The JSON body of the request and the answers it holds, checked against the form."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested too deep for the JSON parser
        body = None
    if not isinstance(body, dict):
        raise EntryError("ENT020", "the request is not JSON", hint="Reload the entry page.")
    return body, Answers.from_json(body.get("answers"), spec.instrument)


# --------------------------------------------------------------------------- for templates
def answer_text(spec: FormSpec, question: Any, value: str | None) -> str:
    """An answer as the supervisor reads it: codes with their labels, '(empty)'."""
    if value is None:
        return t("（无此行）", "(no such row)")
    if value == "":
        return t("（空）", "(empty)")
    choices = spec.instrument.choices(question) if question.is_select else None
    if choices is None:
        return value
    lang = getattr(g, "lang", "zh")
    codes = value.split() if question.is_multiple else [value]
    return "; ".join(f"{c} {choices.label_of(c, lang) or '?'}" for c in codes)


def answer_rows(spec: FormSpec, answers: Answers) -> Any:
    return answer_paths(spec.instrument, answers)


def local_time(stamp: str | None) -> str:
    """A stored UTC time shown in this machine's time zone, to the second."""
    if not stamp:
        return ""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return stamp


def default_of(question: Any) -> str:
    """The default shown on a new entry screen (static defaults only; expressions are not run)."""
    default = question.default or ""
    if any(c in default for c in "$()/"):
        return ""
    return default


def safe_next(target: str | None) -> str:
    """A local path to go to after login (never another site).

    Examples
    --------
    >>> safe_next("/forms/household/new"), safe_next("//evil.example"), safe_next(None)
    ('/forms/household/new', '/', '/')
    """
    if not target:
        return "/"
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return "/"
    return target
