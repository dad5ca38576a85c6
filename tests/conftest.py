"""Shared test set-up: headless Qt, an isolated COMPOSER_HOME for every test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# Tests only: the app itself never disables the QtWebEngine sandbox.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(autouse=True)
def composer_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "composer-home"
    home.mkdir(mode=0o700)  # as Composer makes it; tests of an open home loosen it themselves
    monkeypatch.setenv("COMPOSER_HOME", str(home))
    monkeypatch.delenv("COMPOSER_API_KEY", raising=False)
    return home


@dataclass
class Result:
    code: int
    out: str
    err: str
    out_bytes: bytes


def _composer_command() -> list[str]:
    script = shutil.which("composer", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "composer"]


@pytest.fixture
def run_composer(composer_home: Path, tmp_path: Path):
    """Run the real, installed `composer` command in a subprocess."""

    def run(
        *args: str,
        stdin: bytes | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 120,
    ) -> Result:
        full_env = {**os.environ, "COMPOSER_HOME": str(composer_home), **(env or {})}
        proc = subprocess.run(
            [*_composer_command(), *args],
            input=stdin,
            capture_output=True,
            env=full_env,
            cwd=tmp_path,
            timeout=timeout,
        )
        return Result(
            proc.returncode,
            proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"),
            proc.stdout,
        )

    return run


@pytest.fixture
def shared_templates() -> Path:
    folder = SHARED / "templates"
    if not folder.is_dir():
        pytest.skip(f"real templates not found at {folder} (the shared/ folder is absent)")
    return folder
