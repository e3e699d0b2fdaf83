"""The entry web app (Flask): login, entry screens, double-entry comparison.

Server-rendered HTML (Jinja2 templates in ``templates/``, autoescaped: every label and
answer is escaped, so a label or an answer holding ``<script>`` is inert text) plus one
small script (``static/entry.js``, no build step, nothing from a CDN). The instrument's
rules are evaluated on the server by :mod:`analysis.entry.verdicts` (the toolkit's one
expression engine): the page posts the answers to ``/api/forms/<form>/check`` as the
clerk types and hides, clears and flags what the reply says; a save is checked again on
the server.

The app is put together here from small modules: :mod:`~analysis.entry.guards` (session
and CSRF guard, security headers, error pages), :mod:`~analysis.entry.views_account`
(login, logout, language), :mod:`~analysis.entry.views_clerk` (home, entry screens,
checks, saves), :mod:`~analysis.entry.views_supervisor` (comparison, resolution,
history), with :mod:`~analysis.entry.web` holding what they share.

Security: every page and endpoint except the login page and static files needs a
session; every POST needs the session's CSRF token; a clerk sees only their own
entries; supervisors compare and resolve but do not type. Responses carry a strict
Content-Security-Policy (scripts only from this server, no inline script).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from . import guards, views_account, views_clerk, views_supervisor, web
from .advance import code_width
from .layout import layout, shown, widget
from .site import EntrySite, FormSpec

__all__ = ["EntrySite", "FormSpec", "create_app"]

_MAX_BODY = 4 * 1024 * 1024

#: Every route of the app: (rule, view, methods); a view's name is its endpoint.
ROUTES = views_account.ROUTES + views_clerk.ROUTES + views_supervisor.ROUTES


class RowId(IntegerConverter):
    """``<int:...>`` in the app's routes: a row id SQLite can hold (below 2**63), else 404."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def _other(lang: str) -> str:
    return "en" if lang == "zh" else "zh"


def create_app(site: EntrySite) -> Flask:
    """The Flask application serving ``site``."""
    app = Flask(
        __name__,
        template_folder=str(Path(__file__).with_name("templates")),
        static_folder=str(Path(__file__).with_name("static")),
    )
    app.config.update(
        MAX_CONTENT_LENGTH=_MAX_BODY,
        TRUSTED_HOSTS=list(site.trusted_hosts) if site.trusted_hosts else None,
        SEND_FILE_MAX_AGE_DEFAULT=0,
    )
    app.url_map.converters["int"] = RowId
    web.attach(app, site)
    app.jinja_env.autoescape = True
    app.jinja_env.filters["local"] = web.local_time
    app.jinja_env.globals.update(
        layout=layout,
        site=site,
        t=web.t,
        other=_other,
        widget=widget,
        code_width=code_width,
        shown=shown,
        default_of=web.default_of,
        answer_text=web.answer_text,
        answer_rows=web.answer_rows,
    )
    guards.install(app)
    for rule, view, methods in ROUTES:
        app.add_url_rule(rule, view.__name__, view, methods=list(methods))
    return app
