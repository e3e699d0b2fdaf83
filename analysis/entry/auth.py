"""Accounts, passwords, sessions and CSRF tokens of the entry app.

* Passwords are hashed with scrypt (n=2**15, r=8, p=1) by Werkzeug's
  ``generate_password_hash``, stored in its format ``scrypt:n:r:p$salt$hash``, and
  checked with ``check_password_hash`` (constant time). Hashes stored by earlier
  versions, ``scrypt$n$r$p$salt$hash`` (base64), are still accepted.
* A session is a random 256-bit token in an HttpOnly, SameSite=Strict cookie; the
  database keeps only its SHA-256, so a copied database file opens no session. Sessions
  end after :data:`IDLE_SECONDS` without a request or :data:`MAX_SECONDS` in all.
* Every POST carries the session's CSRF token (form field ``csrf_token`` or header
  ``X-CSRF-Token``); the login form, which comes before any session, uses a
  double-submit cookie instead.

Examples
--------
>>> stored = hash_password("correct horse")
>>> stored.startswith("scrypt:32768:8:1$")
True
>>> verify_password("correct horse", stored), verify_password("wrong horse", stored)
(True, False)
>>> same_token("abc", "abc"), same_token("abc", "abd"), same_token("abc", None)
(True, False, False)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from ..errors import EntryError
from .store import EntryStore, User

__all__ = [
    "IDLE_SECONDS",
    "MAX_SECONDS",
    "MIN_PASSWORD",
    "Session",
    "authenticate",
    "end_session",
    "hash_password",
    "new_token",
    "open_session",
    "same_token",
    "session_of",
    "set_language",
    "verify_password",
]

MIN_PASSWORD = 8
IDLE_SECONDS = 4 * 3600
MAX_SECONDS = 14 * 3600

_N, _R, _P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024


def hash_password(password: str, *, n: int = _N) -> str:
    """The scrypt hash of ``password`` (``ENT005`` when shorter than 8 characters).

    ``n`` is scrypt's cost (a power of two); lower it only for throw-away test accounts.
    """
    from werkzeug.security import generate_password_hash

    if len(password) < MIN_PASSWORD:
        raise EntryError(
            "ENT005",
            f"a password needs at least {MIN_PASSWORD} characters",
            found=f"{len(password)} characters",
            hint="Choose a longer password.",
        )
    return generate_password_hash(password, method=f"scrypt:{n}:{_R}:{_P}")


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the stored hash (Werkzeug's scrypt format, or the
    ``scrypt$...`` format of earlier versions)."""
    from werkzeug.security import check_password_hash

    if stored.startswith("scrypt$"):
        return _verify_old(password, stored)
    if not stored.startswith("scrypt:"):
        return False
    try:
        return check_password_hash(stored, password)
    except (ValueError, TypeError):
        return False


def _verify_old(password: str, stored: str) -> bool:
    """Check a hash stored as ``scrypt$n$r$p$salt$hash`` (base64) by earlier versions."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAXMEM,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


#: Checked when the user name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY = hash_password("not a real password")


def authenticate(store: EntryStore, name: str, password: str) -> User | None:
    """The active user with this name and password, else None."""
    user = store.user_by_name(name)
    ok = verify_password(password, user.password if user else _DUMMY)
    return user if (user is not None and ok and user.active) else None


def new_token() -> str:
    """A random URL-safe token (256 bits)."""
    return secrets.token_urlsafe(32)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_token(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of two tokens (False when either is missing)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


@dataclass(frozen=True)
class Session:
    """A logged-in session."""

    token: str
    user: User
    csrf: str
    lang: str


def open_session(store: EntryStore, user: User, lang: str = "zh") -> Session:
    """Start a session for ``user``; the returned token goes into the cookie."""
    token, csrf = new_token(), new_token()
    store.add_session(_digest(token), user.id, csrf, lang)
    return Session(token, user, csrf, lang)


def session_of(store: EntryStore, token: str | None, *, touch: bool = True) -> Session | None:
    """The live session of a cookie token, or None (unknown, expired or user disabled)."""
    if not token or len(token) > 128:
        return None
    digest = _digest(token)
    row = store.session(digest)
    if row is None:
        return None
    user_id, csrf, lang, created, seen = row
    stamp = time.time()
    if stamp - seen > IDLE_SECONDS or stamp - created > MAX_SECONDS:
        store.drop_session(digest)
        return None
    user = store.user_by_id(user_id)
    if user is None or not user.active:
        return None
    if touch and stamp - seen > 60:
        store.touch_session(digest)
    return Session(token, user, csrf, lang)


def set_language(store: EntryStore, token: str, lang: str) -> None:
    """Remember the label language of a session."""
    store.touch_session(_digest(token), lang=lang)


def end_session(store: EntryStore, token: str | None) -> None:
    """Log out: forget the session."""
    if token:
        store.drop_session(_digest(token))
