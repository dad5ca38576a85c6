"""``composer --self-test``: prove that this installation works, without a person or a network.

Written for installers: a PyInstaller bundle that lacks a data file, a keyring backend or the
QtWebEngine helper process imports fine and fails only in a user's hands. This runs the parts
that break when packaging goes wrong, headless, and exits 0 only if all of them passed:

1. build a message the way the window does (Markdown, the bundled template, premailer's and
   cssutils' CSS inlining), send it over SMTP to the in-process local relay, and read it back
   from the sandbox Maildir; all in a throw-away folder (a Context of its own: the person's
   profiles and history are never touched, and the environment is never rewritten);
2. the TLS trust store holds CA certificates (system store, else certifi's bundle);
3. keyring finds its backends (entry-point metadata present); no secret is read or written;
4. the GUI (skipped with ``COMPOSER_SELFTEST_GUI=0``): the main window is built offscreen,
   and a QWebEngineView renders a page, which needs the QtWebEngineProcess helper and its
   resources.

The send part needs no Qt, so this module imports Qt only inside ``_check_gui``. It never sets
``QTWEBENGINE_DISABLE_SANDBOX``: running as root (CI containers) is the caller's business.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from composer.app.context import Context
from composer.core.outcome import Status

__all__ = ["run_self_test"]


def _check_send(context: Context) -> str:
    from composer.app.connect import open_session
    from composer.core.build import build_messages
    from composer.core.draft import BodyFormat, Draft, Recipient
    from composer.relay.maildir import list_sandbox
    from composer.transport.batch import SendOptions, send_batch
    from composer.transport.profiles.store import Profile

    token = uuid.uuid4().hex[:12]
    draft = Draft(
        from_addr=Recipient("selftest@example.com", "Composer self-test"),
        to=[Recipient("inbox@example.com")],
        subject=f"Composer self-test {token}",
        body="# Self-test\n\n<style>p { color: #333333; }</style>\n\nA *paragraph*.",
        body_format=BodyFormat.MARKDOWN,
        inline_locally=True,  # premailer + cssutils: their data files must be in the bundle
    )
    messages = build_messages(draft)
    if not messages or b"Content-Type: text/html" not in messages[0].data:
        raise AssertionError("the built message has no HTML part")
    profile = Profile.new("local", "local")  # the preset port: the relay starts in-process
    with open_session(context, profile, timeout=20.0, final_timeout=30.0) as (_where, session):
        report = send_batch(messages, None, options=SendOptions(retries=0), session=session)
    if report.count(Status.SENT) != len(messages):
        errors = "; ".join(str(r.error) for r in report.results if r.status is not Status.SENT)
        raise AssertionError(f"the local relay did not accept the message: {errors}")
    found = [c for c in list_sandbox(context.sandbox) if token in c.subject]
    if not found:
        raise AssertionError(f"the message is not in the sandbox Maildir {context.sandbox}")
    data = found[0].path.read_bytes()
    if b"color:#333333" not in data.replace(b" ", b"") and b"color:#333" not in data:
        raise AssertionError("the CSS was not inlined into the delivered message")
    return f"{len(found)} message(s) sent to the local relay and read back from the Maildir"


def _check_tls(context: Context) -> str:
    import ssl

    ctx = ssl.create_default_context()
    n = ctx.cert_store_stats().get("x509_ca", 0)
    if n == 0:
        # capath-only stores load lazily and report 0: count what the folder holds instead
        paths = ssl.get_default_verify_paths()
        capath = paths.capath
        if capath and Path(capath).is_dir() and any(Path(capath).iterdir()):
            return f"system CA folder {capath}"
        raise AssertionError(
            "no CA certificates: TLS to a real relay would fail "
            f"(cafile={paths.cafile}, capath={paths.capath})"
        )
    where = os.environ.get("SSL_CERT_FILE") or ssl.get_default_verify_paths().cafile
    return f"{n} CA certificates ({where})"


def _check_keyring(context: Context) -> str:
    from importlib import metadata

    import keyring
    import keyring.backend

    eps = metadata.entry_points(group="keyring.backends")
    if not eps:
        raise AssertionError("keyring's entry-point metadata is missing: no backend can load")
    names = sorted({type(k).__module__ for k in keyring.backend.get_all_keyring()})
    chosen = type(keyring.get_keyring())
    return (
        f"keyring {metadata.version('keyring')}: {len(list(eps))} backend entry points, "
        f"viable: {', '.join(names) or 'none'}; chosen: {chosen.__module__}.{chosen.__name__}"
    )


def _check_resources(context: Context) -> str:
    from composer.core.resources import resource_path

    path = resource_path("email_template.html")
    return f"template at {path}"


def _check_gui(context: Context) -> str:
    from composer.gui.selftest_gui import check_gui

    return check_gui(context)


def run_self_test(context: Context | None = None, args: argparse.Namespace | None = None) -> int:
    """Run every check; print one line each; 0 if all passed, 1 otherwise.

    ``context`` (the person's) is not used: every check runs on a Context of its own, in a
    temporary folder, so nothing of theirs is read or written."""
    from composer import __version__

    frozen = "bundle" if getattr(sys, "frozen", False) else "source"
    print(f"composer {__version__} self-test ({frozen}, Python {sys.version.split()[0]})")
    checks: list[tuple[str, Callable[[Context], str]]] = [
        ("resources", _check_resources),
        ("send", _check_send),
        ("tls", _check_tls),
        ("keyring", _check_keyring),
    ]
    if os.environ.get("COMPOSER_SELFTEST_GUI", "1") != "0":
        checks.append(("gui", _check_gui))
    failed = 0
    with tempfile.TemporaryDirectory(prefix="composer-selftest-") as home:
        own = Context.at(home)  # never the person's own profiles or history
        for name, check in checks:
            start = time.monotonic()
            try:
                detail = check(own)
            except Exception as exc:
                failed += 1
                print(f"FAIL {name}: {type(exc).__name__}: {exc}", flush=True)
            else:
                ms = (time.monotonic() - start) * 1000
                print(f"ok   {name}: {detail} [{ms:.0f} ms]", flush=True)
    print("self-test passed" if not failed else f"self-test FAILED ({failed} check(s))")
    return 0 if not failed else 1
