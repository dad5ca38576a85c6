"""What start-up and the preview's first render import (issue 17). Speed itself is measured in
tests/bench, never asserted; these pin the structure that the figures depend on, each in a
fresh interpreter so that nothing this test process imported hides a regression."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_fresh(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_preview_fan_out_does_not_import_the_local_relay_servers() -> None:
    out = run_fresh(
        """
        import sys
        import composer.relay.fanout
        print(sorted({"aiosmtpd", "asyncio", "mailbox", "http.server"} & set(sys.modules)))
        """
    )
    assert out == "[]"


def test_the_relay_package_still_hands_out_its_servers() -> None:
    out = run_fresh(
        """
        from composer.relay import LocalHttpRelay, LocalRelay
        print(LocalRelay.__module__, LocalHttpRelay.__module__)
        """
    )
    assert out == "composer.relay.server composer.relay.http"


def test_markdown_does_not_scan_the_installed_distributions() -> None:
    out = run_fresh(
        """
        import sys
        from composer.core.render import markdown_to_html
        html = markdown_to_html("| a |\\n|---|\\n| 1 |\\n\\n```\\ncode\\n```\\n\\n1. one\\n")
        print("<table>" in html, "<pre><code>" in html, "<ol>" in html,
              "importlib.metadata" in sys.modules or "importlib_metadata" in sys.modules)
        """
    )
    assert out == "True True True False"


def test_the_app_hands_import_back_from_pyside6s_feature_hook() -> None:
    out = run_fresh(
        """
        import builtins
        from PySide6.QtCore import QObject, Qt
        hooked = builtins.__import__.__name__
        from composer.gui.app import drop_feature_import_hook
        dropped = drop_feature_import_hook()
        import sys
        feature = sys.modules["shibokensupport.feature"]
        import json.tool  # a module imported after: shiboken no longer reads its source
        obj = QObject()
        obj.setObjectName("still works")
        print(hooked, dropped, builtins.__import__.__name__,
              "json.tool" in feature.pyside_feature_dict, obj.objectName(),
              Qt.AlignmentFlag.AlignLeft.name, drop_feature_import_hook())
        """
    )
    assert out == "__feature_import__ True __lazy_import__ False still works AlignLeft False"


def test_the_window_module_leaves_the_checks_and_the_build_to_the_worker() -> None:
    """The window's UI thread imports only the checks' vocabulary before its first paint; the
    families (coloraide, tinycss2, caniemail's data) and the MIME build come with the first
    render, on the preview's worker (they were ~110 ms of the UI thread before paint)."""
    out = run_fresh(
        """
        import sys
        import composer.gui.main_window
        heavy = {"composer.core.checks.runner", "composer.core.build", "coloraide", "tinycss2",
                 "composer.core.related"}
        print(sorted(heavy & set(sys.modules)))
        from composer.core.checks import run_checks  # still there, on first use
        print(callable(run_checks))
        """
    )
    assert out.splitlines() == ["[]", "True"]
