"""``baicun entry``: serve the entry app, manage accounts, export resolved questionnaires.

``baicun entry serve --wave W [--host 127.0.0.1] [--port 8765] [--lan]``
    serve every instrument of the study for entry (bound to this machine only unless
    ``--host`` says otherwise; ``--lan``: this machine's LAN address, over HTTPS).
``baicun entry cert [--host ADDR]``
    make the self-signed certificate ``serve --lan`` uses and print its fingerprint.
``baicun entry add-user NAME --role clerk|supervisor``
    add an account (the password is asked for, or read from stdin with
    ``--password-stdin``).
``baicun entry set-password NAME``
    change a password (ends the user's sessions).
``baicun entry disable-user NAME`` / ``baicun entry enable-user NAME``
    stop an account from logging in (ends its sessions), or let it in again.
``baicun entry export --wave W``
    write the resolved questionnaires of the wave to ``data/raw/<wave>/``.

The wave must be a plain folder name (the rule of ``baicun new-wave``, ``STU010``) and
``--form`` an instrument of the study (``ENT007``). ``serve`` closes a connection idle
for :data:`CHANNEL_TIMEOUT` seconds.

The database is ``data/entry/entry.sqlite`` in the study (``[paths] entry`` in
study.toml moves the folder; ``--db`` overrides it).
"""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EntryError
from ..instrument import load_instrument
from ..study import Study

if TYPE_CHECKING:
    from .app import EntrySite
    from .store import EntryStore

__all__ = ["add_actions", "build_site", "database_path", "register", "tls_folder"]

DEFAULT_PORT = 8765

#: Seconds a connection may stay idle (or half-sent) before the server closes it, so that
#: connections left open by a broken client or an attack do not block new ones.
CHANNEL_TIMEOUT = 20
#: Seconds between the server's checks for connections past :data:`CHANNEL_TIMEOUT`.
CLEANUP_INTERVAL = 5
#: Connections open at once (each browser tab of a clerk holds one or two).
CONNECTION_LIMIT = 200


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``baicun entry ...`` to the command line."""
    parser = subparsers.add_parser(
        "entry", help="data entry of paper questionnaires (local web app, double entry)"
    )
    add_actions(parser)


def add_actions(parser: argparse.ArgumentParser) -> None:
    """Add ``--db`` and the actions (serve, add-user, disable-user, enable-user,
    set-password, export) to ``parser``."""
    parser.add_argument(
        "--db", type=Path, default=None, help="entry database (default: data/entry/entry.sqlite)"
    )
    sub = parser.add_subparsers(dest="entry_command", metavar="ACTION", required=True)

    serve = sub.add_parser("serve", help="start the entry web app")
    serve.add_argument("--wave", required=True, help="the wave being entered, e.g. 2025")
    serve.add_argument(
        "--host", default=None, help="address to listen on (default: 127.0.0.1, this machine only)"
    )
    serve.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    serve.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    serve.add_argument(
        "--lan",
        action="store_true",
        help="serve the office network over HTTPS (this machine's address unless --host; "
        "certificate made by 'baicun entry cert')",
    )
    serve.add_argument(
        "--form", action="append", default=None, help="serve only this instrument (repeatable)"
    )
    serve.set_defaults(func=_cmd_serve)

    cert = sub.add_parser(
        "cert",
        help="make the self-signed HTTPS certificate of 'serve --lan'; print its fingerprint",
    )
    cert.add_argument(
        "--host",
        action="append",
        default=None,
        help="an address or name the clerks use for this machine (repeatable; default: its LAN address)",
    )
    cert.add_argument(
        "--force", action="store_true", help="replace an existing certificate (new fingerprint)"
    )
    cert.set_defaults(func=_cmd_cert)

    add = sub.add_parser("add-user", help="add a clerk or supervisor account")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("clerk", "supervisor"))
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(func=_cmd_add_user)

    for action, verb in (("disable-user", "disable"), ("enable-user", "enable")):
        toggle = sub.add_parser(action, help=f"{verb} an account (disabling ends its sessions)")
        toggle.add_argument("name")
        toggle.set_defaults(func=_cmd_set_active, active=verb == "enable")

    passwd = sub.add_parser("set-password", help="change a user's password")
    passwd.add_argument("name")
    passwd.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    passwd.set_defaults(func=_cmd_set_password)

    export = sub.add_parser("export", help="export resolved questionnaires to data/raw/<wave>/")
    export.add_argument("--wave", required=True)
    export.add_argument(
        "--form", action="append", default=None, help="export only this instrument (repeatable)"
    )
    export.set_defaults(func=_cmd_export)


def tls_folder(study: Study, override: Path | None = None) -> Path:
    """Where ``baicun entry cert`` puts the certificate: ``tls/`` beside the database."""
    return database_path(study, override).parent / "tls"


def database_path(study: Study, override: Path | None = None) -> Path:
    """Where the study's entry database lives."""
    if override is not None:
        return override
    return study.entry_dir / "entry.sqlite"


def build_site(
    study: Study,
    wave: str,
    store: EntryStore,
    forms: list[str] | None = None,
    *,
    host: str = "127.0.0.1",
    secure: bool = False,
) -> EntrySite:
    """The :class:`~analysis.entry.app.EntrySite` of a study's instruments for ``wave``.

    Every form is loaded and each of its expressions evaluated once, so a broken form
    fails here (coded error) rather than while a clerk types. Served on a loopback
    address, the app accepts only loopback host names (against DNS rebinding); served
    over HTTPS (``secure``), its cookies are Secure.
    """
    from .app import EntrySite, FormSpec
    from .verdicts import probe_form

    check_wave_name(wave)
    names = _form_names(study, forms)
    specs = {}
    for name in names:
        spec = study.instrument(name)
        instrument = load_instrument(spec.form)
        key = spec.key
        if not key or key not in instrument or instrument[key].repeat is not None:
            raise EntryError(
                "ENT006",
                f"instrument {name!r} has no key question to identify its paper questionnaires",
                file=spec.form,
                expected=f"a question outside repeats named by key = ... under [instruments.{name}] in study.toml",
                found=key or "(no key declared)",
                hint="Declare the key (e.g. hh_id) in study.toml and put that question in the form.",
            )
        probe_form(instrument, key)
        specs[name] = FormSpec(name, instrument, key, dict(spec.label))
    trusted = None
    if _is_loopback(host):
        trusted = ("127.0.0.1", "localhost", "[::1]")
    names = {"zh": study.name, "en": str(study.setting("study", "name_en", default=study.name))}
    advance = frozenset(
        name for name in specs if study.setting("instruments", name, "auto_advance") is True
    )
    return EntrySite(
        store=store,
        wave=wave,
        forms=specs,
        trusted_hosts=trusted,
        study_names=names,
        secure_cookies=secure,
        auto_advance=advance,
    )


def check_wave_name(wave: str) -> str:
    """``wave`` when it is a plain folder name (``STU010`` otherwise): the rule of
    ``baicun new-wave``, imported only when needed (it brings pandas)."""
    from ..pipeline.folders import check_wave_name as rule

    return rule(wave)


def _form_names(study: Study, forms: list[str] | None) -> list[str]:
    """The instruments asked for (all of the study's by default); ``ENT007`` for a name
    that is not an instrument of the study."""
    known = list(study.instrument_names)
    for name in forms or ():
        if name not in known:
            raise EntryError(
                "ENT007",
                f"{name!r} is not an instrument of the study",
                expected=", ".join(known) or "(none declared)",
                found=name,
                hint="Use --form with one of the instruments declared in study.toml.",
            )
    return list(dict.fromkeys(forms)) if forms else known


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _store(args: argparse.Namespace):
    from .store import EntryStore

    study = Study.load(args.study)
    return study, EntryStore(database_path(study, args.db))


def _cmd_serve(args: argparse.Namespace) -> int:
    import time

    from .app import create_app
    from .auth import MAX_SECONDS

    check_wave_name(args.wave)
    study, store = _store(args)
    certificate = None
    if args.lan:
        from .tls import lan_address, load_certificate

        certificate = load_certificate(tls_folder(study, args.db))
    host = args.host or (lan_address() if args.lan else "127.0.0.1")
    store.drop_stale_sessions(time.time() - MAX_SECONDS)
    site = build_site(study, args.wave, store, args.form, host=host, secure=args.lan)
    if not store.users():
        print(
            "baicun entry: no accounts yet; add one with\n"
            "  baicun entry add-user NAME --role clerk   (and one --role supervisor)",
            file=sys.stderr,
        )
    app = create_app(site)
    shown = f"[{host}]" if ":" in host else host
    print(f"baicun entry: wave {args.wave}, forms {', '.join(site.forms)}", flush=True)
    if certificate is not None:
        return _serve_tls(app, host, shown, args.port, certificate, store)
    from waitress import create_server

    server = create_server(
        app,
        host=host,
        port=args.port,
        threads=max(1, args.threads),
        ident="baicun-entry",
        channel_timeout=CHANNEL_TIMEOUT,
        cleanup_interval=CLEANUP_INTERVAL,
        connection_limit=CONNECTION_LIMIT,
    )
    port = server.effective_port  # type: ignore[attr-defined]
    print(f"serving on http://{shown}:{port}/ (database {store.path})", flush=True)
    if not _is_loopback(host):
        print(
            "warning: listening beyond this machine over plain HTTP; use --lan (HTTPS) instead",
            file=sys.stderr,
            flush=True,
        )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


def _serve_tls(app, host: str, shown: str, port: int, certificate, store) -> int:
    """Serve ``app`` over HTTPS (``serve --lan``) until interrupted."""
    from .tls import tls_server

    server = tls_server(
        app,
        host,
        port,
        certificate,
        timeout=CHANNEL_TIMEOUT,
        connection_limit=CONNECTION_LIMIT,
    )
    print(f"serving on https://{shown}:{server.port}/ (database {store.path})", flush=True)
    print(f"certificate SHA-256 fingerprint: {certificate.fingerprint}", flush=True)
    if certificate.names and host not in certificate.names and host != "0.0.0.0":
        print(
            f"warning: the certificate does not name {host} (it names "
            f"{', '.join(certificate.names)}); browsers will say so. "
            "Make a new one with: baicun entry cert --force",
            file=sys.stderr,
            flush=True,
        )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _cmd_cert(args: argparse.Namespace) -> int:
    from .tls import load_certificate, make_certificate

    study = Study.load(args.study)
    folder = tls_folder(study, args.db)
    if (folder / "cert.pem").exists() and not args.force:
        certificate = load_certificate(folder)
        print(f"certificate exists: {certificate.cert} (--force makes a new one)")
    else:
        certificate = make_certificate(folder, args.host)
        print(f"wrote {certificate.cert} and {certificate.key.name} (key readable by you only)")
    if certificate.names:
        print(f"  for: {', '.join(certificate.names)}")
    print(f"  SHA-256 fingerprint: {certificate.fingerprint}")
    print("  Clerks: accept the certificate in the browser only if it shows this fingerprint.")
    return 0


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    again = getpass.getpass("password again: ")
    if first != again:
        raise EntryError("ENT005", "the two passwords differ", hint="Type the same password twice.")
    return first


def _cmd_add_user(args: argparse.Namespace) -> int:
    from .auth import hash_password

    _, store = _store(args)
    user = store.add_user(args.name, args.role, hash_password(_password(args)))
    print(f"added {user.role} {user.name}")
    return 0


def _cmd_set_password(args: argparse.Namespace) -> int:
    from .auth import hash_password

    _, store = _store(args)
    store.set_password(args.name, hash_password(_password(args)))
    print(f"password of {args.name} changed")
    return 0


def _cmd_set_active(args: argparse.Namespace) -> int:
    _, store = _store(args)
    store.set_active(args.name, args.active)
    print(f"{args.name} {'enabled' if args.active else 'disabled (sessions ended)'}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from .export import export_wave

    wave = check_wave_name(args.wave)
    study, store = _store(args)
    names = _form_names(study, args.form)
    instruments = {name: load_instrument(study.form_path(name)) for name in names}
    summary = export_wave(store, wave, instruments, study.raw_dir(wave))
    for name in names:
        print(
            f"  {name:<10} {summary.exported.get(name, 0)} exported, "
            f"{summary.waiting.get(name, 0)} waiting (typed once or differing)"
        )
    for path in summary.files:
        print(f"  wrote {path}")
    return 0
