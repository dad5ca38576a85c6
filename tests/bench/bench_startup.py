"""Start-up (spawn → first paint, spawn → preview ready) and memory (PSS of the process tree),
`composer` next to a bare QMainWindow and a bare QMainWindow + QWebEngineView started the same
way: each a fresh `python -m bench.bench_startup --child MODE` process, headless
(offscreen unless QT_QPA_PLATFORM says otherwise), launched alternately, several times.

    cd tests && ../.venv/bin/python -m bench.bench_startup [--runs 5] [--json out.json]

composer: the real `composer` entry point (composer.cli.main with no command). A hook on
QApplication.exec (installed before anything of ours runs) watches for the first Paint event of
the window's menu bar (the bare windows get a one-menu bar for the same milestone) and for the
preview's first `rendered`. Memory: after the preview is ready with the largest template open
(css-inline engine; the bare view loads the same final HTML), the parent sums PSS over the
process and its descendants (QtWebEngineProcess, zygotes).
"""

from __future__ import annotations

import argparse
import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import bench_common as bc

MODES = ("bare-window", "bare-web", "composer")


def _emit(name: str) -> None:
    print(f"{name} {time.time():.6f}", flush=True)


def child(mode: str, template: str | None) -> None:
    bc.qt_env()
    if mode == "composer":
        bc.keep_none_alive()  # the PySide6 6.12 highlighter bug (see bench_common)
        # The `composer` script imports the CLI before anything imports PySide6 (which then
        # taxes every later import, composer.gui.app); our hooks below need PySide6 first, so
        # take the CLI in the same order as a real start.
        from composer.cli import main
    from PySide6.QtCore import QEvent, QObject, QTimer, QUrl
    from PySide6.QtWidgets import QApplication, QMainWindow

    state = {"painted": False}

    class Watch(QObject):
        def eventFilter(self, obj, event):
            if not state["painted"] and event.type() == QEvent.Type.Paint:
                state["painted"] = True
                _emit("painted")
            return False

    watch = Watch()
    html = Path(template).read_text(encoding="utf-8") if template else None

    def wait_for_stdin_then_quit() -> None:
        # The parent measures memory now, then closes our stdin: poll it on the UI thread.
        import select

        timer = QTimer(QApplication.instance(), interval=100)

        def poll() -> None:
            if select.select([sys.stdin], [], [], 0)[0] and not sys.stdin.read(1):
                timer.stop()
                QApplication.quit()

        timer.timeout.connect(poll)
        timer.start()

    def ready() -> None:
        _emit("ready")
        wait_for_stdin_then_quit()

    if mode == "composer":
        original_exec = QApplication.exec

        def hooked_exec(*a):
            app = QApplication.instance()
            win = next(w for w in app.topLevelWidgets() if isinstance(w, QMainWindow))
            win.menuBar().installEventFilter(watch)  # first paint: the menu bar's
            win.drafts.confirm_discard = lambda: True  # quitting must not ask to save the draft
            seen = {"first": False}

            def rendered() -> None:
                if not seen["first"]:
                    seen["first"] = True
                    _emit("preview")
                    if html is None:
                        ready()
                        return
                    win.drafts.load(bc.make_draft(html, "css-inline"), None)
                elif win.schedule.generation == win.model.generation and not seen.get("done"):
                    seen["done"] = True
                    ready()

            # The window makes its web view after its first paint.
            win.preview.views_ready.connect(lambda: win.preview.web.rendered.connect(rendered))
            return original_exec()

        QApplication.exec = hooked_exec  # type: ignore[method-assign]
        sys.argv = ["composer"]
        code = main([]) if main.__code__.co_argcount else main()
        sys.stdout.flush()
        os._exit(code or 0)

    if mode == "bare-web":  # QtWebEngine must be imported before the QApplication exists
        from PySide6.QtWebEngineWidgets import QWebEngineView
    app = QApplication([sys.argv[0]])
    win = QMainWindow()
    win.menuBar().addMenu("&File")  # like composer's: its first Paint is the milestone
    win.menuBar().installEventFilter(watch)
    win.resize(1280, 820)
    if mode == "bare-web":
        view = QWebEngineView()
        win.setCentralWidget(view)
        done = {"first": False}

        def loaded(_ok: bool) -> None:
            if not done["first"]:
                done["first"] = True
                _emit("preview")
                if html is not None:
                    view.setHtml(html, QUrl(bc.BARE_BASE_URL))
                    return
            ready()

        view.loadFinished.connect(loaded)
        from composer.core.draft import Draft
        from composer.core.render import render

        # what composer shows at start
        view.setHtml(render(Draft()).html or "", QUrl(bc.BARE_BASE_URL))
    else:
        QTimer.singleShot(0, ready)
    win.show()
    app.exec()
    sys.stdout.flush()
    os._exit(0)


def run_once(mode: str, template: str | None, home: str) -> dict:
    cmd = [sys.executable, "-m", "bench.bench_startup", "--child", mode]
    if template:
        cmd += ["--template", template]
    env = {**os.environ, "COMPOSER_HOME": home}
    t0 = time.time()
    p = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if os.environ.get("BENCH_DEBUG") else subprocess.DEVNULL,
        # Unbuffered bytes: select() watches the pipe itself, so no line may sit unseen in a
        # Python buffer ("preview" and "ready" often arrive in one read).
        bufsize=0,
        env=env,
        cwd=bc.TESTS,  # where `-m bench.bench_startup` is found
    )
    marks: dict[str, float] = {}
    assert p.stdout is not None
    deadline = time.time() + 60
    ready_at = None
    while time.time() < deadline:
        if "ready" in marks and ("painted" in marks or time.time() - ready_at > 5):
            break
        if not select.select([p.stdout], [], [], 0.5)[0]:
            continue
        line = p.stdout.readline()
        if not line:
            break
        name, _, stamp = line.decode().strip().partition(" ")
        if name in ("painted", "preview", "ready"):
            marks[name] = (float(stamp) - t0) * 1000
            if name == "ready":
                ready_at = time.time()
    time.sleep(1.5)  # let the renderer settle before measuring memory
    pss, procs = bc.pss_tree_kb(p.pid)
    assert p.stdin is not None
    p.stdin.close()  # the child quits when it sees its stdin close
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    return {**marks, "pss_mb": round(pss / 1024, 1), "processes": procs}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", choices=MODES)
    ap.add_argument("--template")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.template)
        return
    largest = str(max(bc.templates(), key=lambda p: p.stat().st_size))
    final = Path(tempfile.mkdtemp(prefix="composer-bench-")) / "final.html"
    from composer.core.inline import inline_css

    final.write_text(inline_css(Path(largest).read_text(encoding="utf-8"), "css-inline"))
    start: dict[str, list[dict]] = {m: [] for m in MODES}
    memory: dict[str, list[dict]] = {m: [] for m in MODES if m != "bare-window"}
    for _ in range(args.runs):
        for mode in MODES:
            home = tempfile.mkdtemp(prefix="composer-bench-home-")
            start[mode].append(run_once(mode, None, home))
    for _ in range(max(2, args.runs // 2)):
        for mode in memory:
            home = tempfile.mkdtemp(prefix="composer-bench-home-")
            tpl = largest if mode == "composer" else str(final)
            memory[mode].append(run_once(mode, tpl, home))

    def med(rows: list[dict], key: str) -> dict | None:
        vals = [r[key] for r in rows if key in r]
        if not vals:
            return None
        return {
            "p50": round(statistics.median(vals), 1),
            "min": round(min(vals), 1),
            "max": round(max(vals), 1),
            "n": len(vals),
        }

    out = {
        "platform": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "startup": {
            m: {"painted_ms": med(start[m], "painted"), "preview_ms": med(start[m], "preview")}
            for m in MODES
        },
        "memory": {
            m: {"pss_mb": med(memory[m], "pss_mb"), "processes": memory[m][-1]["processes"]}
            for m in memory
        },
        "template": Path(largest).name,
        "runs": args.runs,
    }
    for m in MODES:
        s = out["startup"][m]
        print(f"startup {m:12} first paint {s['painted_ms']} preview {s['preview_ms']}")
    for m in memory:
        print(f"memory  {m:12} {out['memory'][m]}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
