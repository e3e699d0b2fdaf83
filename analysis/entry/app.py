"""The entry web app (Flask): login, entry screens, double-entry comparison.

Server-rendered HTML (Jinja2, autoescaped: every label and answer is escaped, so a
label or an answer holding ``<script>`` is inert text) plus one small script
(``static/entry.js``, no build step, nothing from a CDN). The instrument's rules are
evaluated on the server by :mod:`analysis.entry.verdicts` (the toolkit's one expression
engine): the page posts the answers to ``/api/forms/<form>/check`` as the clerk types
and hides, clears and flags what the reply says; a save is checked again on the server.

Security: every page and endpoint except the login page and static files needs a
session; every POST needs the session's CSRF token; a clerk sees only their own
entries; supervisors compare and resolve but do not type. Responses carry a strict
Content-Security-Policy (scripts only from this server, no inline script).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, g, jsonify, redirect, render_template, request, url_for

from ..errors import BaicunError
from ..instrument.model import Instrument
from . import auth
from .answers import Answers
from .double import answer_paths, compare, counter, merge
from .errors import EntryError
from .layout import layout, shown, widget
from .store import EntryStore
from .verdicts import check

__all__ = ["EntrySite", "FormSpec", "create_app"]

SESSION_COOKIE = "baicun_session"
LOGIN_COOKIE = "baicun_login"
PUBLIC_ENDPOINTS = frozenset({"login", "static"})
_MAX_BODY = 4 * 1024 * 1024

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
}


@dataclass(frozen=True)
class FormSpec:
    """An instrument offered for entry: its name in the study, the form, the key question."""

    name: str
    instrument: Instrument
    key: str
    labels: Mapping[str, str] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.instrument.title or self.name


@dataclass(frozen=True)
class EntrySite:
    """Everything the app serves: the store, the wave, the forms."""

    store: EntryStore
    wave: str
    forms: Mapping[str, FormSpec]
    #: Set the cookies' Secure flag (when served behind HTTPS).
    secure_cookies: bool = False
    #: Host names accepted in the Host header (None: any); guards against DNS rebinding.
    trusted_hosts: tuple[str, ...] | None = None
    #: The study's name per language ({"zh": ..., "en": ...}).
    study_names: Mapping[str, str] = field(default_factory=dict)

    def study_name(self, lang: str) -> str:
        return self.study_names.get(lang) or self.study_names.get("zh") or ""


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
    app.jinja_env.autoescape = True
    app.jinja_env.globals.update(layout=layout, site=site)
    store = site.store
    counters = {name: counter(spec.instrument) for name, spec in site.forms.items()}

    # ------------------------------------------------------------------ helpers
    def wants_json() -> bool:
        return request.path.startswith("/api/")

    def refuse(status: int, zh: str, en: str, code: str | None = None) -> Response:
        if wants_json():
            body = {"error": {"code": code, "message": {"zh": zh, "en": en}}}
            return Response(
                json.dumps(body, ensure_ascii=False), status, mimetype="application/json"
            )
        html = render_template("error.html", status=status, zh=zh, en=en, code=code)
        return Response(html, status, mimetype="text/html")

    def role(*roles: str):
        def wrap(view):
            @wraps(view)
            def inner(*args, **kwargs):
                if g.session.user.role not in roles:
                    return refuse(403, "没有权限。", "Not allowed for your role.")
                return view(*args, **kwargs)

            return inner

        return wrap

    def form_spec(name: str) -> FormSpec:
        spec = site.forms.get(name)
        if spec is None:
            abort(404)
        return spec

    def t(zh: str, en: str) -> str:
        return en if getattr(g, "lang", "zh") == "en" else zh

    def answer_text(spec: FormSpec, question, value: str | None) -> str:
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

    def answer_rows(spec: FormSpec, answers: Answers):
        return answer_paths(spec.instrument, answers)

    app.jinja_env.filters["local"] = _local_time
    app.jinja_env.globals.update(
        t=t,
        other=_other,
        widget=widget,
        shown=shown,
        default_of=_default_of,
        answer_text=answer_text,
        answer_rows=answer_rows,
    )

    # ------------------------------------------------------------------ guards
    @app.before_request
    def guard() -> Response | None:
        g.lang = "zh"
        g.session = None
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        session = auth.session_of(store, request.cookies.get(SESSION_COOKIE))
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
                return refuse(
                    403,
                    "表单已过期，请刷新页面。",
                    "Form expired (CSRF check failed); reload the page.",
                )
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(404)
    def not_found(_error: Any) -> Response:
        return refuse(404, "没有这个页面。", "No such page.")

    @app.errorhandler(405)
    def bad_method(_error: Any) -> Response:
        return refuse(405, "不支持的请求。", "Method not allowed.")

    @app.errorhandler(413)
    def too_large(_error: Any) -> Response:
        return refuse(413, "提交的内容太大。", "Request too large.")

    @app.errorhandler(BaicunError)
    def coded(error: BaicunError) -> Response:
        status = _STATUS.get(error.code, 400)
        if wants_json():
            body = {"error": error.to_dict()}
            return Response(
                json.dumps(body, ensure_ascii=False), status, mimetype="application/json"
            )
        return refuse(status, error.message, error.message, error.code)

    # ------------------------------------------------------------------ login
    @app.route("/login", methods=["GET", "POST"])
    def login() -> Response | str:
        token = request.cookies.get(LOGIN_COOKIE)
        fresh = False
        if not token or len(token) > 128:
            token, fresh = auth.new_token(), True
        error = None
        lang = request.args.get("lang") if request.args.get("lang") in ("zh", "en") else "zh"
        g.lang = lang
        if request.method == "POST":
            if not auth.same_token(token, request.form.get("csrf_token")) or fresh:
                return refuse(
                    403,
                    "表单已过期，请刷新页面。",
                    "Form expired (CSRF check failed); reload the page.",
                )
            user = auth.authenticate(
                store, request.form.get("name", "").strip(), request.form.get("password", "")
            )
            if user is not None:
                session = auth.open_session(store, user, lang)
                response = redirect(_safe_next(request.args.get("next")))
                response.set_cookie(
                    SESSION_COOKIE,
                    session.token,
                    httponly=True,
                    samesite="Strict",
                    secure=site.secure_cookies,
                    path="/",
                )
                response.delete_cookie(LOGIN_COOKIE, path="/login")
                return response
            error = t("用户名或密码不对。", "Wrong name or password.")
        page = render_template("login.html", csrf=token, error=error, lang=lang)
        response = Response(page, 401 if error else 200, mimetype="text/html")
        if fresh:
            response.set_cookie(
                LOGIN_COOKIE,
                token,
                httponly=True,
                samesite="Strict",
                secure=site.secure_cookies,
                path="/login",
            )
        return response

    @app.post("/logout")
    def logout() -> Response:
        auth.end_session(store, g.session.token)
        response = redirect(url_for("login"))
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.post("/language")
    def language() -> Response:
        lang = request.form.get("lang")
        if lang in ("zh", "en"):
            auth.set_language(store, g.session.token, lang)
        return redirect(_safe_next(request.form.get("next")))

    # ------------------------------------------------------------------ home
    @app.get("/")
    def home() -> str:
        user = g.session.user
        if user.role == "clerk":
            entries = store.entries_of_clerk(user.id, site.wave)
            return render_template(
                "home_clerk.html", entries=entries, saved=request.args.get("saved")
            )
        rows = store.questionnaires(site.wave)
        by_status: dict[str, int] = {}
        for row in rows:
            by_status[row.status] = by_status.get(row.status, 0) + 1
        return render_template(
            "home_supervisor.html", rows=rows, by_status=by_status, saved=request.args.get("saved")
        )

    # ------------------------------------------------------------------ entry screens
    @app.get("/forms/<form>/new")
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

    @app.get("/entries/<int:entry_id>")
    @role("clerk")
    def edit_entry(entry_id: int) -> str | Response:
        entry = store.entry(entry_id)
        if entry is None or entry.clerk_id != g.session.user.id or entry.wave != site.wave:
            return refuse(403, "这不是您录入的问卷。", "This is not one of your entries.", "ENT014")
        spec = form_spec(entry.form)
        return render_template(
            "entry.html",
            spec=spec,
            answers=entry.answers,
            entry=entry,
            submission=entry.submission,
            saved=None,
        )

    def posted_answers(spec: FormSpec) -> tuple[dict[str, Any], Answers]:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise EntryError("ENT020", "the request is not JSON", hint="Reload the entry page.")
        return body, Answers.from_json(body.get("answers"), spec.instrument)

    @app.post("/api/forms/<form>/check")
    @role("clerk", "supervisor")
    def check_answers(form: str) -> Response:
        spec = form_spec(form)
        _, answers = posted_answers(spec)
        result = check(spec.instrument, answers, key=spec.key)
        return jsonify(result.to_json())

    def save(spec: FormSpec, entry_id: int | None) -> Response:
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
            return Response(
                json.dumps(payload, ensure_ascii=False), 422, mimetype="application/json"
            )
        version = body.get("version")
        outcome = store.save_entry(
            wave=site.wave,
            form=spec.name,
            key=result.answers.get(spec.key),
            clerk_id=g.session.user.id,
            answers=result.answers,
            differences=counters[spec.name],
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

    @app.post("/api/forms/<form>/entries")
    @role("clerk")
    def save_new(form: str) -> Response:
        return save(form_spec(form), None)

    @app.post("/api/entries/<int:entry_id>")
    @role("clerk")
    def save_edit(entry_id: int) -> Response:
        entry = store.entry(entry_id)
        if entry is None or entry.clerk_id != g.session.user.id or entry.wave != site.wave:
            return refuse(403, "这不是您录入的问卷。", "This is not one of your entries.", "ENT014")
        return save(form_spec(entry.form), entry_id)

    # ------------------------------------------------------------------ supervisor
    def questionnaire_or_404(qid: int):
        row = store.questionnaire(qid)
        if row is None or row.wave != site.wave or row.form not in site.forms:
            abort(404)
        return row

    @app.get("/questionnaires/<int:qid>")
    @role("supervisor")
    def questionnaire(qid: int) -> str:
        row = questionnaire_or_404(qid)
        return compare_page(row)

    def compare_page(row, errors=None, chosen=None, status=200):
        spec = site.forms[row.form]
        typed = store.entries_of(row.id)
        differences = (
            compare(spec.instrument, typed[0].answers, typed[1].answers) if len(typed) == 2 else ()
        )
        page = render_template(
            "compare.html",
            spec=spec,
            row=row,
            typed=typed,
            differences=differences,
            resolution=store.resolution(row.id),
            errors=errors or {},
            chosen=chosen or {},
        )
        return Response(page, status, mimetype="text/html")

    @app.post("/questionnaires/<int:qid>/resolve")
    @role("supervisor")
    def resolve(qid: int) -> Response:
        row = questionnaire_or_404(qid)
        spec = site.forms[row.form]
        typed = store.entries_of(row.id)
        if len(typed) != 2:
            raise EntryError(
                "ENT018", "a questionnaire is resolved only once it has been typed twice"
            )
        differences = compare(spec.instrument, typed[0].answers, typed[1].answers)
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
        if errors:
            return compare_page(row, errors, chosen, 422)
        merged = merge(spec.instrument, typed[0].answers, typed[1].answers, decisions)
        result = check(spec.instrument, merged, key=spec.key, final=True)
        if not result.ok or result.answers.get(spec.key) != row.key:
            problems = result.problems()
            if result.answers.get(spec.key) != row.key:
                problems[spec.key] = {
                    "zh": "问卷编号不能改。",
                    "en": "The questionnaire key cannot change.",
                }
            return compare_page(row, problems, chosen, 422)
        versions = tuple(int(v) for v in request.form.get("versions", "").split(",") if v.isdigit())
        store.resolve(
            row.id,
            result.answers,
            supervisor_id=g.session.user.id,
            decisions=json.dumps(decisions, ensure_ascii=False, sort_keys=True),
            versions=versions,
        )
        return redirect(url_for("home", saved=row.key))

    @app.get("/questionnaires/<int:qid>/history")
    @role("supervisor")
    def history(qid: int) -> str:
        row = questionnaire_or_404(qid)
        spec = site.forms[row.form]
        typings = []
        for entry in store.entries_of(row.id):
            versions = store.history(entry.id)
            steps = []
            before = Answers()
            for version, action, user, saved_at, answers in versions:
                steps.append(
                    (version, action, user, saved_at, compare(spec.instrument, before, answers))
                )
                before = answers
            typings.append((entry, steps))
        return render_template("history.html", spec=spec, row=row, typings=typings)

    return app


def _local_time(stamp: str | None) -> str:
    """A stored UTC time shown in this machine's time zone, to the second."""
    if not stamp:
        return ""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return stamp


def _default_of(question) -> str:
    """The default shown on a new entry screen (static defaults only; expressions are not run)."""
    default = question.default or ""
    if any(c in default for c in "$()/"):
        return ""
    return default


def _safe_next(target: str | None) -> str:
    """A local path to go to after login (never another site)."""
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
