"""The real, installed ``composer`` command in a subprocess, and the argument lists most tests
give it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


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


def child_env(home: Path, key: str) -> dict[str, str]:
    """The environment of a ``composer`` child with its own home and the API key to use."""
    return {
        **os.environ,
        "COMPOSER_HOME": str(home),
        "COMPOSER_API_KEY": key,
        "PYTHONUNBUFFERED": "1",
    }


def message_args(
    body: Path,
    *,
    sender: str = "ann@example.com",
    to: str = "bob@example.com",
    subject: str = "Hi",
    kind: str = "--markdown",
) -> list[str]:
    """``--from … --to … --subject … --markdown BODY``: the message part of ``composer send``."""
    return ["--from", sender, "--to", to, "--subject", subject, kind, str(body)]


class _Server(Protocol):
    host: str
    port: int


def connection_args(server: _Server, *, ca_file: Path | None = None) -> list[str]:
    """Flags aiming ``composer send`` at a loopback server, with short waits: over STARTTLS
    trusting ``ca_file`` when given, else plain (``--no-tls``, allowed on loopback only)."""
    tls = ["--ca-file", str(ca_file)] if ca_file is not None else ["--no-tls"]
    return [
        "--provider", "custom", "--host", server.host, "--port", str(server.port), *tls,
        "--retry-delay", "0.01", "--timeout", "5", "--final-timeout", "5",
    ]  # fmt: skip
