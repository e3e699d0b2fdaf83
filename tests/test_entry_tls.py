"""An entry office on a LAN: ``baicun entry cert`` and ``baicun entry serve --lan`` (HTTPS).

The certificate is made with the openssl program (skipped without it); the server is
started as ``serve --lan --host 127.0.0.1`` and asked over real HTTPS, the client
trusting only that certificate.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from entry_support import ROOT, WAVE, make_store, make_study

from analysis.entry.__main__ import main
from analysis.entry.tls import certificate_names, fingerprint_of, load_certificate
from analysis.errors import EntryError

pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is not installed")


@pytest.fixture
def study(tmp_path):
    folder = make_study(tmp_path / "study")
    make_store(folder / "entry.sqlite", clerks=1, supervisors=0).close()
    return folder


def _cert(study, capsys, *extra: str) -> str:
    argv = ["--study", str(study), "--db", str(study / "entry.sqlite"), "cert", *extra]
    assert main(argv) == 0
    return capsys.readouterr().out


def test_cert_writes_a_private_key_and_prints_the_fingerprint(study, capsys):
    out = _cert(study, capsys, "--host", "192.168.7.20")
    folder = study / "tls"
    assert oct((folder / "key.pem").stat().st_mode & 0o777) == "0o600"
    printed = re.search(r"SHA-256 fingerprint: ([0-9A-F:]{95})", out)[1]
    assert printed == fingerprint_of((folder / "cert.pem").read_text(encoding="ascii"))
    certificate = load_certificate(folder)
    assert "192.168.7.20" in certificate.names and "127.0.0.1" in certificate.names
    # Run again: the certificate is kept (the clerks' browsers know its fingerprint).
    again = _cert(study, capsys)
    assert "certificate exists" in again and printed in again
    # --force makes a new one, with a new fingerprint.
    assert printed not in _cert(study, capsys, "--force")


def test_serve_lan_without_a_certificate_is_ent041(study, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    db = str(study / "entry.sqlite")
    code = main(["--study", str(study), "--db", db, "serve", "--wave", WAVE, "--lan"])
    assert code != 0
    assert "[ENT041]" in capsys.readouterr().err
    with pytest.raises(EntryError) as info:
        load_certificate(study / "tls")
    assert "baicun entry cert" in info.value.hint


def test_certificate_names_cover_loopback_and_the_host():
    names = certificate_names(["10.1.2.3"])
    assert names[0] == "10.1.2.3" and "localhost" in names and "0.0.0.0" not in names


def test_serve_lan_answers_over_https_only(study, capsys):
    _cert(study, capsys)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "analysis.entry", "--study", str(study),
         "--db", str(study / "entry.sqlite"), "serve", "--wave", WAVE, "--lan",
         "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        base = re.search(r"serving on (https://[^/ ]+)", "".join(lines))
        assert base, (lines, process.stderr.read() if process.poll() is not None else "")
        base = base[1]
        printed = re.search(r"fingerprint: ([0-9A-F:]+)", "".join(lines))[1]
        context = ssl.create_default_context(cafile=str(study / "tls" / "cert.pem"))
        with urllib.request.urlopen(base + "/login", context=context, timeout=10) as reply:
            assert reply.status == 200
            assert "Secure" in reply.headers.get("Set-Cookie", "")
            assert "csrf_token" in reply.read().decode("utf-8")
        # The certificate the server shows is the one whose fingerprint was printed.
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                der = tls.getpeercert(binary_form=True)
        assert fingerprint_of(ssl.DER_cert_to_PEM_cert(der)) == printed
        # A client that does not trust the certificate is refused by its own TLS check.
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(
                base + "/login", context=ssl.create_default_context(), timeout=10
            )
        # Plain HTTP gets no page.
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            urllib.request.urlopen(base.replace("https", "http") + "/login", timeout=10)
        # A connection that never starts the handshake does not block the others.
        idle = socket.create_connection(("127.0.0.1", port), timeout=10)
        with urllib.request.urlopen(base + "/login", context=context, timeout=10) as reply:
            assert reply.status == 200
        idle.close()
    finally:
        process.terminate()
        process.wait(10)
