"""The entry app's account views: log in, log out, switch the interface language."""

from __future__ import annotations

from flask import Response, g, redirect, render_template, request, url_for

from . import auth
from .web import FORM_EXPIRED, LOGIN_COOKIE, SESSION_COOKIE, refuse, safe_next, site, t

__all__ = ["ROUTES"]


def login() -> Response | str:
    """The login page; a POST with the login form's token and a right password opens a session."""
    served = site()
    token = request.cookies.get(LOGIN_COOKIE)
    fresh = False
    if not token or len(token) > 128:
        token, fresh = auth.new_token(), True
    error = None
    lang = request.args.get("lang") if request.args.get("lang") in ("zh", "en") else "zh"
    g.lang = lang
    if request.method == "POST":
        if not auth.same_token(token, request.form.get("csrf_token")) or fresh:
            return refuse(403, *FORM_EXPIRED)
        user = auth.authenticate(
            served.store, request.form.get("name", "").strip(), request.form.get("password", "")
        )
        if user is not None:
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
        error = t("用户名或密码不对。", "Wrong name or password.")
    page = render_template("login.html", csrf=token, error=error, lang=lang)
    response = Response(page, 401 if error else 200, mimetype="text/html")
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
