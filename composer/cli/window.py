"""Opening the window from ``composer``: the one place the CLI reaches into the GUI layer."""

from __future__ import annotations

import argparse

from composer.app.context import Context


def open_window(context: Context, args: argparse.Namespace) -> int:
    # Imported here so that `composer send` never loads Qt (start-up time, headless servers).
    from composer.gui.app import run_app

    return run_app(context, [])
