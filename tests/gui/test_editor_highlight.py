"""Highlighting large templates must not crash the interpreter (a PySide6 6.12 refcount bug on
Python 3.11 aborted with "none_dealloc" — see composer/gui/editor.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import os
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from composer.gui.editor import CodeEditor
    row = '<tr><td class="x" style="color:red">a &amp; b</td><!-- c --><td>d</td></tr>'
    html = "<table>" + "\\n".join([row * 8] * 3000) + "</table>"
    md = "\\n".join(["# Head", "**bold** *it* `code` [l](http://x)", "- item", "> q"] * 2000)
    editor = CodeEditor("html")
    for i in range(4):
        editor.set_mode("html")
        editor.setPlainText(html + str(i))
        editor.set_mode("markdown")
        editor.setPlainText(md + str(i))
        app.processEvents()
    print("ok")
    """
)


def test_highlighting_big_documents_does_not_crash() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"
