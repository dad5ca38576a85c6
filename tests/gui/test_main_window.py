"""The window opens (offscreen) and shows what it is."""

from __future__ import annotations

import subprocess
import sys

from support.gui import on_screen

from composer import __version__
from composer.gui.main_window import MainWindow


def test_main_window_opens(context, qtbot) -> None:
    window = on_screen(qtbot, MainWindow(context))
    assert window.windowTitle() == f"Untitled — Composer {__version__}"


def test_python_dash_m_composer_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "composer", "--version"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and out.stdout.strip() == f"composer {__version__}"
