"""A small HTTP client of the entry app, for scripted entry (load tests, benchmarks, imports).

It logs in like a browser (login form, session cookie, CSRF token from the page) and
posts answers to the same JSON endpoints the entry screen uses.

Examples
--------
>>> client = EntryClient("http://127.0.0.1:1")
>>> client.base
'http://127.0.0.1:1'
"""

from __future__ import annotations

import http.client
import json
import re
import uuid
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

from .answers import Answers

__all__ = ["EntryClient", "Reply", "questionnaire", "workload"]

_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class Reply:
    """Status, headers and body of one response."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


class EntryClient:
    """One user's connection to the entry app at ``base`` (``http://host:port``)."""

    def __init__(self, base: str, *, timeout: float = 60.0) -> None:
        self.base = base.rstrip("/")
        parts = urlsplit(self.base)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None
        self._connection: http.client.HTTPConnection | None = None

    # ------------------------------------------------------------------ transport
    def _conn(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                self._host, self._port, timeout=self.timeout
            )
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Send one request (cookies attached; reconnects once if the connection dropped)."""
        all_headers = dict(headers or {})
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            conn = self._conn()
            try:
                conn.request(method, path, body=body, headers=all_headers)
                response = conn.getresponse()
                data = response.read()
                break
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                cookie = SimpleCookie()
                cookie.load(value)
                for name, morsel in cookie.items():
                    if (morsel["expires"] and morsel.value == "") or morsel["max-age"] == "0":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str]) -> Reply:
        body = urlencode(fields).encode("utf-8")
        return self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )

    def post_json(self, path: str, payload: Any, *, csrf: str | None = None) -> Reply:
        headers = {"Content-Type": "application/json"}
        token = self.csrf if csrf is None else csrf
        if token:
            headers["X-CSRF-Token"] = token
        return self.request(
            "POST", path, json.dumps(payload, ensure_ascii=False).encode("utf-8"), headers
        )

    # ------------------------------------------------------------------ the app
    def login(self, name: str, password: str) -> bool:
        """Log in through the login form; True when a session was opened."""
        page = self.get("/login")
        match = _CSRF_FIELD.search(page.text)
        reply = self.post_form(
            "/login", {"csrf_token": match[1] if match else "", "name": name, "password": password}
        )
        if reply.status != 302:
            return False
        home = self.get("/")
        meta = _CSRF_META.search(home.text)
        self.csrf = meta[1] if meta else None
        return home.status == 200 and self.csrf is not None

    def save_new(self, form: str, answers: Answers | dict, submission: str | None = None) -> Reply:
        """Save a new typing of a questionnaire (``submission``: a fresh id unless retrying)."""
        payload = {
            "answers": answers.to_json() if isinstance(answers, Answers) else answers,
            "submission": submission or uuid.uuid4().hex,
        }
        return self.post_json(f"/api/forms/{form}/entries", payload)

    def save_edit(self, entry_id: int, answers: Answers | dict, version: int) -> Reply:
        """Save a corrected version of one's own entry."""
        payload = {
            "answers": answers.to_json() if isinstance(answers, Answers) else answers,
            "version": version,
        }
        return self.post_json(f"/api/entries/{entry_id}", payload)

    def check(self, form: str, answers: Answers | dict) -> Reply:
        """What the entry screen would show for these answers."""
        payload = {"answers": answers.to_json() if isinstance(answers, Answers) else answers}
        return self.post_json(f"/api/forms/{form}/check", payload)


# ---------------------------------------------------------------- scripted load
def questionnaire(number: int) -> dict:
    """A complete, valid household questionnaire (answers JSON) for paper number ``number``."""
    members = [
        {
            "values": {
                "m_name": f"成员{number}-{i}",
                "m_sex": str(1 + i % 2),
                "m_age": str(20 + (number + i) % 60),
            }
        }
        for i in range(1 + number % 4)
    ]
    return {
        "values": {
            "village_id": str(1 + number % 100),
            "hh_id": f"H{number:03d}",
            "head_name": f"户主{number}",
            "ethnicity": str(1 + number % 3),
            "hh_size": str(len(members)),
            "has_tv": "1" if number % 3 else "2",
            "tv_count": "1" if number % 3 else "",
            "info_sources": "1 3" if number % 2 else "9",
            "info_other": "" if number % 2 else "集市",
            "satisfaction": str(1 + number % 5),
            "problems": f"问题{number}",
        },
        "repeats": {"members": members},
    }


def workload(clerks: int, per_clerk: int) -> dict[str, list[int]]:
    """Which paper numbers each clerk types: half first typings, half second typings of a
    neighbour's questionnaires, interleaved, so that both typings of a paper often race.
    ``per_clerk`` must be even: every paper is typed exactly twice."""
    assert per_clerk % 2 == 0, "per_clerk must be even"
    half = per_clerk // 2
    plan: dict[str, list[int]] = {}
    for c in range(clerks):
        own = [c * half + j for j in range(half)]
        neighbour = [((c - 1) % clerks) * half + j for j in range(half)]
        order = [n for pair in zip(own, neighbour, strict=True) for n in pair]
        plan[f"clerk{c + 1}"] = order
    return plan
