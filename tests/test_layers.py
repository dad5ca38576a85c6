"""The layer rule (DESIGN.md): nothing outside composer.gui imports Qt.

Checked two ways: import-linter over the import graph, and for real — every non-GUI module
imported in a fresh interpreter where importing PySide6 fails."""

from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import composer

ROOT = Path(__file__).resolve().parents[1]

BLOCKER = r"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6"):
            raise ImportError(f"layer rule: {name} imported outside composer.gui")
sys.meta_path.insert(0, Block())
import importlib
for name in sys.argv[1:]:
    importlib.import_module(name)
print("imported", len(sys.argv) - 1)
"""


def non_gui_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(composer.__path__, "composer."):
        if not info.name.startswith("composer.gui") and info.name != "composer.__main__":
            names.append(info.name)
    return names


def test_non_gui_modules_import_without_qt() -> None:
    modules = non_gui_modules()
    assert "composer.core.build" in modules and "composer.cli.send" in modules
    result = subprocess.run(
        [sys.executable, "-c", BLOCKER, *modules],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"imported {len(modules)}" in result.stdout


def test_import_linter_contract() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is part of the test extras"
    result = subprocess.run(
        [lint, "--no-cache"], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
