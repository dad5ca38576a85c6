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


def test_the_window_is_composer_gui_main_window_and_the_package_stays_cheap() -> None:
    """``composer.gui.MainWindow`` is the window; importing ``composer.gui`` alone (the CLI
    does) loads no Qt and no window module until the name is asked for."""
    code = (
        "import sys, composer.gui\n"
        "assert 'PySide6' not in sys.modules and 'composer.gui.main_window' not in sys.modules\n"
        "from composer.gui import MainWindow\n"
        "from composer.gui.main_window import MainWindow as W\n"
        "assert MainWindow is W\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
