"""Where `composer`'s start-up goes, in figures a busy machine does not blur (not a benchmark:
no baseline, no budget; bench_startup.py has those).

    cd tests && ../.venv/bin/python -m bench.startup_profile [--bare] [--ready]

Prints, at each phase up to the window's first paint (``--ready``: up to the preview's first
render), the UI thread's CPU time, the process's CPU time and how many Python enum types
PySide6 has created by then (it makes a class's enums when the class is first used). ``--bare``:
the same for a bare QMainWindow with a one-menu bar. For instruction counts, which a loaded
machine does not change, run it under callgrind (the process exits at the milestone):

    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg ../.venv/bin/python \\
        -m bench.startup_profile
"""

from __future__ import annotations

import argparse
import enum
import os
import sys
import time
from typing import Any

from bench import bench_common as bc

_enums = [0]
_create = enum.EnumType._create_  # type: ignore[attr-defined]


def _counting_create(*args: Any, **kwargs: Any) -> Any:
    _enums[0] += 1
    return _create(*args, **kwargs)


enum.EnumType._create_ = _counting_create  # type: ignore[attr-defined]
marks: list[tuple[str, float, float, int]] = []


def mark(name: str) -> None:
    marks.append((name, time.thread_time() * 1000, time.process_time() * 1000, _enums[0]))


def done() -> None:
    mark("done")
    print(f"{'phase':14} {'UI thread CPU':>14} {'process CPU':>12} {'enum types':>11}")
    for name, ui, proc, n in marks:
        print(f"{name:14} {ui:11.1f} ms {proc:9.1f} ms {n:11d}")
    sys.stdout.flush()
    os._exit(0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bare", action="store_true")
    ap.add_argument("--ready", action="store_true")
    args = ap.parse_args()
    bc.qt_env()
    if not args.bare:
        bc.keep_none_alive()
        from composer.cli import main as composer_main  # before PySide6, as the script does
    mark("python up")
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QMainWindow

    mark("PySide6 in")

    class Watch(QObject):
        def eventFilter(self, obj: Any, event: Any) -> bool:
            if event.type() == QEvent.Type.Paint and not any(m[0] == "painted" for m in marks):
                mark("painted")
                if not args.ready:
                    done()
            return False

    watch = Watch()
    if args.bare:
        app = QApplication([sys.argv[0]])
        win = QMainWindow()
        win.menuBar().addMenu("&File")
        win.menuBar().installEventFilter(watch)
        win.resize(1280, 820)
        win.show()
        mark("shown")
        app.exec()
        return
    original_exec = QApplication.exec

    def hooked_exec(*_a: Any) -> int:
        mark("window built")
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        win: Any = next(w for w in app.topLevelWidgets() if isinstance(w, QMainWindow))
        win.menuBar().installEventFilter(watch)
        win.drafts.confirm_discard = lambda: True
        preview = win.preview
        preview.views_ready.connect(lambda: mark("web view made"))
        preview.views_ready.connect(lambda: preview.web.rendered.connect(done))
        return int(original_exec())

    QApplication.exec = hooked_exec  # type: ignore[method-assign]
    sys.argv = ["composer"]
    composer_main([])


if __name__ == "__main__":
    main()
