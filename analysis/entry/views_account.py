"""The entry app's account views: log in, log out, switch the interface language.

Failed logins are counted per account and per client address; past the limit the login
page answers 429 at once, without checking the password (:mod:`analysis.entry.throttle`).
"""

from __future__ import annotations

import math

from flask import Response, g, redirect, render_template, request, url_for

from . import auth
from .store import User
from .web import (
    FORM_EXPIRED,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    refuse,
    safe_next,
    site,
    t,
    throttle,
)

__all__ = ["ROUTES"]

#: Longer names are cut before counting (no account name is longer than 64 characters).
MAX_NAME = 65


def login() -> Response | str:
    """The login page; a POST with the login form's token and a right password opens a session."""
    served = site()
    token = request.cookies.get(LOGIN_COOKIE)
    fresh = False
    if not token or len(token) > 128:
        token, fresh = auth.new_token(), True
    error, status, retry = None, 200, 0
    lang = request.args.get("lang") if request.args.get("lang") in ("zh", "en") else "zh"
    g.lang = lang
    if request.method == "POST":
        if not auth.same_token(token, request.form.get("csrf_token")) or fresh:
            return refuse(403, *FORM_EXPIRED)
        name = request.form.get("name", "").strip()[:MAX_NAME]
        address = request.remote_addr
        retry = throttle().wait(name, address)
        if retry:
            # Refused without checking the password: a flood of guesses costs nothing.
            error, status = _too_many(retry), 429
        else:
            user = auth.authenticate(served.store, name, request.form.get("password", ""))
            if user is not None:
                throttle().succeeded(name)
                return _logged_in(user, lang)
            throttle().failed(name, address)
            error, status = t("用户名或密码不对。", "Wrong name or password."), 401
    page = render_template("login.html", csrf=token, error=error, lang=lang)
    response = Response(page, status, mimetype="text/html")
    if retry:
        response.headers["Retry-After"] = str(retry)
    if fresh:
        response.set_cookie(
            LOGIN_COOKIE,
            token,
            httponly=True,
            samesite="Strict",
            secure=served.secure_cookies,
            path="/login",
        )
    return response


def _too_many(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    if seconds < 120:
        return t(
            f"登录失败次数太多，请 {seconds} 秒后再试。",
            f"Too many failed logins; try again in {seconds} seconds.",
        )
    return t(
        f"登录失败次数太多，请 {minutes} 分钟后再试。",
        f"Too many failed logins; try again in {minutes} minutes.",
    )


def _logged_in(user: User, lang: str) -> Response:
    """Open a session for ``user`` and go where the login page was asked to go."""
    served = site()
    session = auth.open_session(served.store, user, lang)
    response = redirect(safe_next(request.args.get("next")))
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        httponly=True,
        samesite="Strict",
        secure=served.secure_cookies,
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


def logout() -> Response:
    auth.end_session(site().store, g.session.token)
    response = redirect(url_for("login"))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def language() -> Response:
    lang = request.form.get("lang")
    if lang in ("zh", "en"):
        auth.set_language(site().store, g.session.token, lang)
    return redirect(safe_next(request.form.get("next")))


#: (rule, view, methods)
ROUTES = (
    ("/login", login, ("GET", "POST")),
    ("/logout", logout, ("POST",)),
    ("/language", language, ("POST",)),
)
