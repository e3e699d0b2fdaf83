"""HTTPS for an entry office on a LAN: a self-signed certificate and a TLS server.

``baicun entry cert`` makes a self-signed certificate (with the ``openssl`` program, so no
Python package is needed) for this machine's addresses and names, and prints its SHA-256
fingerprint: each clerk's browser shows the fingerprint when it first meets the
certificate, and the clerk accepts it only when it matches the one printed.

``baicun entry serve --lan`` serves the app over HTTPS with that certificate. waitress
has no TLS, so :func:`tls_server` serves with Werkzeug's threaded WSGI server, the TLS
handshake moved off the accepting thread: each connection is wrapped in its own thread
under the per-connection timeout, so a client that opens a connection and never
completes the handshake holds only that thread, never the door.

Examples
--------
>>> pem = "-----BEGIN CERTIFICATE-----\\nAAEC\\n-----END CERTIFICATE-----\\n"
>>> fingerprint_of(pem)[:8]
'AE:4B:32'
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import EntryError

__all__ = [
    "Certificate",
    "certificate_names",
    "fingerprint_of",
    "lan_address",
    "load_certificate",
    "make_certificate",
    "tls_server",
]

#: Days a new certificate is valid (about two years: what browsers accept for a leaf).
DAYS = 825
CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"


@dataclass(frozen=True)
class Certificate:
    """A certificate and key on disk, with the certificate's SHA-256 fingerprint."""

    cert: Path
    key: Path
    fingerprint: str
    names: tuple[str, ...]


def fingerprint_of(pem: str) -> str:
    """The SHA-256 fingerprint of a PEM certificate, as browsers show it (``AB:CD:...``)."""
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def lan_address() -> str:
    """This machine's address on the local network (the one its default route leaves by).

    No packet is sent: connecting a UDP socket only picks the outgoing interface. Falls
    back to ``0.0.0.0`` (every interface) when the machine has no route at all.
    """
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.254.254.254", 1))
        address = probe.getsockname()[0]
    except OSError:
        address = "0.0.0.0"
    finally:
        probe.close()
    return address


def certificate_names(hosts: list[str] | None = None) -> tuple[str, ...]:
    """Names and addresses a new certificate covers: ``hosts`` (default: this machine's LAN
    address), its host names, and the loopback names.

    >>> "127.0.0.1" in certificate_names(["192.168.1.20"])
    True
    """
    names = list(hosts) if hosts else [lan_address()]
    host = socket.gethostname()
    names += [host, f"{host}.local", "localhost", "127.0.0.1"]
    return tuple(dict.fromkeys(n for n in names if n and n != "0.0.0.0"))


def _subject_alt_names(names: tuple[str, ...]) -> str:
    parts = []
    for name in names:
        try:
            ipaddress.ip_address(name)
            parts.append(f"IP:{name}")
        except ValueError:
            parts.append(f"DNS:{name}")
    return ",".join(parts)


def _openssl() -> str:
    found = shutil.which("openssl")
    if not found:
        raise EntryError(
            "ENT040",
            "the openssl program is not installed: no certificate can be made",
            expected="openssl on the PATH",
            found="(none)",
            hint="Install it (Debian: apt-get install openssl; scripts/install-system-deps.sh does).",
        )
    return found


def make_certificate(
    folder: Path, hosts: list[str] | None = None, *, days: int = DAYS
) -> Certificate:
    """Write a new self-signed certificate and its key (mode 0600) into ``folder``.

    The key is an ECDSA P-256 key; the certificate covers :func:`certificate_names` of
    ``hosts``. An existing certificate in ``folder`` is replaced (the clerks' browsers
    must then accept the new fingerprint).

    Raises
    ------
    EntryError
        ``ENT040`` when openssl is missing or fails.
    """
    names = certificate_names(hosts)
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / CERT_FILE, folder / KEY_FILE
    new_key = folder / (KEY_FILE + ".new")
    new_key.unlink(missing_ok=True)
    os.close(os.open(new_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    command = [
        _openssl(), "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-sha256", "-days", str(days), "-subj", "/CN=baicun entry/O=baicun",
        "-addext", f"subjectAltName={_subject_alt_names(names)}",
        "-addext", "basicConstraints=critical,CA:FALSE",
        "-addext", "extendedKeyUsage=serverAuth",
        "-keyout", str(new_key), "-out", str(folder / (CERT_FILE + ".new")),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        new_key.unlink(missing_ok=True)
        raise EntryError(
            "ENT040",
            "openssl could not make the certificate",
            found=done.stderr.strip()[-300:],
            hint="Check that openssl works (openssl version) and the folder is writable.",
        )
    os.chmod(new_key, 0o600)
    os.replace(new_key, key)
    os.replace(folder / (CERT_FILE + ".new"), cert)
    return Certificate(cert, key, fingerprint_of(cert.read_text(encoding="ascii")), names)


def load_certificate(folder: Path) -> Certificate:
    """The certificate made by ``baicun entry cert`` in ``folder``.

    Raises
    ------
    EntryError
        ``ENT041`` when there is none (or only half of it).
    """
    cert, key = folder / CERT_FILE, folder / KEY_FILE
    if not (cert.is_file() and key.is_file()):
        raise EntryError(
            "ENT041",
            "no certificate for serving on the LAN",
            file=folder,
            expected=f"{CERT_FILE} and {KEY_FILE}",
            found="(missing)",
            hint="Make one with: baicun entry cert (then give its fingerprint to the clerks).",
        )
    pem = cert.read_text(encoding="ascii")
    return Certificate(cert, key, fingerprint_of(pem), _names_in(cert))


def _names_in(cert: Path) -> tuple[str, ...]:
    """The subjectAltName entries of a certificate (empty when they cannot be read)."""
    try:
        decoded = ssl._ssl._test_decode_cert(str(cert))  # type: ignore[attr-defined]
    except (AttributeError, ssl.SSLError, OSError):
        return ()
    return tuple(value for _kind, value in decoded.get("subjectAltName", ()))


def _server_classes() -> tuple[type, type]:
    """The server and handler classes (Werkzeug imported only when serving)."""
    from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        """Werkzeug's handler without a log line per request (errors are still logged)."""

        timeout = None  # the connection's own timeout (set before the handshake) applies

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            return None

    class Server(ThreadedWSGIServer):
        """Werkzeug's threaded server, TLS handshake in each connection's thread."""

        def __init__(self, host: str, port: int, app: Any, context: ssl.SSLContext, **kw: Any):
            self.timeout_seconds = kw.pop("timeout")
            self.slots = threading.BoundedSemaphore(kw.pop("connection_limit"))
            super().__init__(host, port, app, handler=QuietHandler)
            # Set after the listening socket is made, so Werkzeug does not wrap it: the
            # handshake happens per connection below. Werkzeug reads it for the
            # "https" scheme of the requests.
            self.ssl_context = context

        def process_request(self, request: Any, client_address: Any) -> None:
            if not self.slots.acquire(blocking=False):
                self.shutdown_request(request)  # too many connections at once
                return
            try:
                super().process_request(request, client_address)
            except BaseException:
                self.slots.release()
                raise

        def process_request_thread(self, request: Any, client_address: Any) -> None:
            try:
                request.settimeout(self.timeout_seconds)
                try:
                    request = self.ssl_context.wrap_socket(request, server_side=True)
                except (OSError, ssl.SSLError):
                    request.close()  # not TLS, too slow, or gone
                    return
                super().process_request_thread(request, client_address)
            finally:
                self.slots.release()

        def handle_error(self, request: Any, client_address: Any) -> None:
            return None  # a client that vanished mid-request is not the server's problem

    return Server, QuietHandler


def tls_server(
    app: Any,
    host: str,
    port: int,
    certificate: Certificate,
    *,
    timeout: float,
    connection_limit: int,
) -> Any:
    """A threaded HTTPS server of ``app`` on ``host:port`` (``port`` 0 picks a free one).

    Call ``serve_forever()`` to run it and ``server_close()`` to stop. Only TLS 1.2 and
    newer are accepted; a connection idle (or mid-handshake) for ``timeout`` seconds is
    closed; at most ``connection_limit`` connections are served at once.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certificate.cert, certificate.key)
    server_class, _ = _server_classes()
    return server_class(
        host, port, app, context, timeout=timeout, connection_limit=connection_limit
    )
