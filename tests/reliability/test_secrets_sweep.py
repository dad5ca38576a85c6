"""Secrets: with a known key, run every command and the window's send, then search all output,
every file under COMPOSER_HOME (profiles, history, outbox, logs, sandbox), every .eml and the
log records for the key and its base64 (as AUTH LOGIN sends it): 0 hits."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from support.cli import child_env, composer_command, profile_add_args, send_args
from support.smtp_faults import GOOD_KEY
from support.smtp_gated import GatedServer


def needles() -> list[bytes]:
    key = GOOD_KEY.encode()
    return [key, base64.b64encode(key), base64.b64encode(b"\0SMTP_Injection\0" + key)]


def count_hits(texts: list[str | bytes], folders: list[Path]) -> tuple[int, int, list[str]]:
    """(hits, files searched, where)."""
    where: list[str] = []
    files = 0
    for i, t in enumerate(texts):
        b = t.encode() if isinstance(t, str) else t
        where += [f"output #{i}" for n in needles() if n in b]
    for folder in folders:
        for f in folder.rglob("*"):
            if f.is_file():
                files += 1
                data = f.read_bytes()
                where += [str(f) for n in needles() if n in data]
    return len(where), files, where


class _FakeWorker:
    """What send_job needs of a SendWorker, without a QThread."""

    def __init__(self) -> None:
        self.cancel_event = threading.Event()
        self.results: list[Any] = []
        self.progress = self

    def emit(self, result: Any) -> None:
        self.results.append(result)


def run_secrets_sweep(tmp: Path) -> dict[str, Any]:
    home = tmp / "home"
    env = child_env(home, GOOD_KEY)
    body = tmp / "body.md"
    body.write_text("# Hello\n\nA line.\n", encoding="utf-8")
    emls = tmp / "emls"
    emls.mkdir()
    outputs: list[str | bytes] = []
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    keep = Keep(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(keep)
    root.setLevel(logging.DEBUG)
    commands = 0
    try:
        with GatedServer(tmp) as server:
            conn = server.connection_args()
            send = send_args(body)
            runs = [
                profile_add_args(server, "--no-tls", "--from", "ann@example.com"),
                ["profile", "list"],
                ["profile", "show", "relay"],
                ["profile", "test", "relay"],
                ["--debug", "profile", "test", "relay"],
                [*send, "--dry-run"],
                [*send, "--dry-run", "--json", "--eml", str(emls / "dry.eml")],
                [*send, *conn, "--json", "--eml", str(emls / "sent.eml")],
                ["--debug", *send, "--profile", "relay", "--timeout", "5"],
                [
                    "--debug",
                    *send,
                    "--provider",
                    "custom",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "1",
                    "--no-tls",
                    "--retries",
                    "0",
                ],
                ["history"],
                ["history", "--json"],
                ["outbox"],
                ["outbox", "--json"],
                ["outbox", "resume", *conn],
                ["--debug", "outbox", "resume", "--profile", "relay"],
                ["relay", "--help"],
                ["--version"],
            ]
            for args in runs:
                r = subprocess.run(
                    [*composer_command(), *args], capture_output=True, env=env, timeout=120
                )
                commands += 1
                outputs += [r.stdout, r.stderr]
            # the window's send: the very job the send worker runs
            from composer.app.context import Context
            from composer.core.draft import Draft, Recipient
            from composer.gui.sending import send_job

            saved = {k: os.environ.get(k) for k in ("COMPOSER_API_KEY",)}
            os.environ.update(COMPOSER_API_KEY=GOOD_KEY)
            try:
                worker = _FakeWorker()
                draft = Draft(
                    from_addr=Recipient("ann@example.com"),
                    to=[Recipient("bob@example.com")],
                    subject="Hi",
                    body="Hello",
                )
                report = send_job(Context.at(home), draft, "relay", None)(worker)
                outputs += [repr(report), repr(worker.results)]
                window_sent = report.count("sent")
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
            deliveries = sum(server.deliveries().values())
    finally:
        root.removeHandler(keep)
        root.setLevel(old_level)
    hits, files, where = count_hits([*outputs, *records], [home, emls])
    figures = {
        "commands": commands + 1,
        "files": files,
        "outputs": len(outputs) + len(records),
        "hits": hits,
        "where": where,
        "window_sent": window_sent,
        "deliveries": deliveries,
    }
    print(
        f"\nsecrets: {commands} commands + the window's send ({deliveries} messages "
        f"delivered), {files} files and {len(outputs) + len(records)} outputs/log records "
        f"searched for the key and its base64: {hits} hits"
    )
    return figures


@pytest.mark.filterwarnings("ignore")
def test_the_key_is_nowhere(tmp_path: Path) -> None:
    figures = run_secrets_sweep(tmp_path)
    assert figures["window_sent"] == 1 and figures["deliveries"] >= 3  # it really was used
    assert figures["hits"] == 0, figures["where"]
