"""The real, installed ``composer`` command in a subprocess, and the argument lists most tests
give it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


def composer_command() -> list[str]:
    """The console script next to this interpreter, or ``python -m composer`` without one."""
    script = shutil.which("composer", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "composer"]


@dataclass
class Result:
    code: int
    out: str
    err: str
    out_bytes: bytes


def run_composer(
    home: Path,
    cwd: Path,
    *args: str,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> Result:
    full_env = {**os.environ, "COMPOSER_HOME": str(home), **(env or {})}
    proc = subprocess.run(
        [*composer_command(), *args],
        input=stdin,
        capture_output=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )
    return Result(
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
        proc.stdout,
    )


@contextmanager
def watched(command: list[str], *, within: float, **popen: Any) -> Iterator[subprocess.Popen]:
    """A child with text pipes on stdout and stderr (``popen`` adds to them, e.g. ``env``,
    ``stdin``), SIGKILLed after ``within`` seconds whatever the test does (a hung child fails
    the test, never hangs it), and killed and reaped when the block ends."""
    pipes: dict[str, Any] = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc = subprocess.Popen(command, **pipes, **popen)
    watchdog = threading.Timer(within, proc.kill)
    watchdog.start()
    try:
        yield proc
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def child_env(home: Path, key: str) -> dict[str, str]:
    """The environment of a ``composer`` child with its own home and the API key to use."""
    return {
        **os.environ,
        "COMPOSER_HOME": str(home),
        "COMPOSER_API_KEY": key,
        "PYTHONUNBUFFERED": "1",
    }


def send_args(
    body: Path,
    *extra: str,
    sender: str = "ann@example.com",
    to: str = "bob@example.com",
    seeds: Path | None = None,
    subject: str = "Hi",
    kind: str = "--markdown",
) -> list[str]:
    """``send --from … --to … (or --seed-list FILE) --subject … --markdown BODY`` + ``extra``."""
    recipients = ["--seed-list", str(seeds)] if seeds is not None else ["--to", to]
    return ["send", "--from", sender, *recipients, "--subject", subject, kind, str(body), *extra]


class _Server(Protocol):
    host: str
    port: int


def profile_add_args(server: _Server, *extra: str, name: str = "relay") -> list[str]:
    """``profile add NAME --provider custom --host … --port …`` for a loopback server."""
    return ["profile", "add", name, "--provider", "custom", "--host", server.host,
            "--port", str(server.port), *extra]  # fmt: skip


def connection_args(server: _Server, *, ca_file: Path | None = None) -> list[str]:
    """Flags aiming ``composer send`` at a loopback server, with short waits: over STARTTLS
    trusting ``ca_file`` when given, else plain (``--no-tls``, allowed on loopback only)."""
    tls = ["--ca-file", str(ca_file)] if ca_file is not None else ["--no-tls"]
    return [
        "--provider", "custom", "--host", server.host, "--port", str(server.port), *tls,
        "--retry-delay", "0.01", "--timeout", "5", "--final-timeout", "5",
    ]  # fmt: skip
