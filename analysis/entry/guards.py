"""What the entry app does around every request: the session and CSRF guard, security
headers, and error pages (JSON under /api/).

Every page and endpoint except the login page and static files needs a session; every
POST needs the session's CSRF token. A request for a host name the server does not
answer to is refused (400). Responses carry a strict Content-Security-Policy
(scripts only from this server, no inline script).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, g, redirect, request, url_for
from werkzeug.exceptions import BadRequest

from ..errors import BaicunError
from . import auth
from .messages import coded_hint, coded_message
from .web import FORM_EXPIRED, SESSION_COOKIE, refuse, site, wants_json

__all__ = ["install"]

PUBLIC_ENDPOINTS = frozenset({"login", "static"})

_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

#: HTTP status per error code of the entry area (others: 400).
_STATUS = {
    "ENT010": 404,
    "ENT011": 409,
    "ENT012": 409,
    "ENT013": 409,
    "ENT014": 403,
    "ENT015": 409,
    "ENT016": 409,
    "ENT017": 409,
    "ENT018": 409,
    "ENT023": 409,
}


def guard() -> Response | None:
    """Before each request: the user's session (else login) and, on a POST, its CSRF token."""
    g.lang = "zh"
    g.session = None
    if isinstance(request.routing_exception, BadRequest):
        # A Host header this server does not answer to (DNS rebinding): no URL can be
        # built for it, so the refusal is plain text.
        return Response("400 Bad Request: unknown host name\n", 400, mimetype="text/plain")
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    session = auth.session_of(site().store, request.cookies.get(SESSION_COOKIE))
    if session is None:
        if wants_json() or request.method != "GET":
            return refuse(401, "请先登录。", "Please log in.")
        target = request.full_path if request.query_string else request.path
        return redirect(url_for("login", next=target))
    g.session = session
    g.lang = session.lang
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        given = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")
        if not auth.same_token(session.csrf, given):
            return refuse(403, *FORM_EXPIRED)
    return None


def headers(response: Response) -> Response:
    """After each request: the security headers (and no caching of pages)."""
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


def not_found(_error: Any) -> Response:
    return refuse(404, "没有这个页面。", "No such page.")


def bad_method(_error: Any) -> Response:
    return refuse(405, "不支持的请求。", "Method not allowed.")


def too_large(_error: Any) -> Response:
    return refuse(413, "提交的内容太大。", "Request too large.")


def coded(error: BaicunError) -> Response:
    """A coded error of the toolkit: its status, its message (JSON: the whole error)."""
    status = _STATUS.get(error.code, 400)
    text = coded_message(error)
    if wants_json():
        # The message and hint in both languages: the page shows the one of its language.
        body = {"error": {**error.to_dict(), "message": text, "hint": coded_hint(error)}}
        return Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json")
    return refuse(status, text["zh"], text["en"], error.code)


def install(app: Flask) -> None:
    """Register the guard, the headers and the error handlers on ``app``."""
    app.before_request(guard)
    app.after_request(headers)
    app.register_error_handler(404, not_found)
    app.register_error_handler(405, bad_method)
    app.register_error_handler(413, too_large)
    app.register_error_handler(BaicunError, coded)
