"""Keystroke → preview painted, next to a bare QWebEngineView repainting the same HTML; the
UI-thread stall during a typing burst; and how preview latency grows with template size.

    cd tests && ../.venv/bin/python -m bench.bench_preview [--keys 12] [--burst 200] [--json F]

One process, headless Qt (offscreen unless QT_QPA_PLATFORM says otherwise). For each real
template and each engine (premailer, css-inline) the window shows the template as an HTML body
with "Relay inlines CSS" on, so every edit runs the inliner. One character is typed into the
body; the time runs from the key press to the preview's document being laid out (an
ApplicationWorld script reading offsetHeight answers). Interleaved with each keystroke, a bare
QWebEngineView loads that keystroke's final HTML with setHtml and is timed to the same point.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bench import bench_common as bc

bc.qt_env()
bc.keep_none_alive()
import os  # noqa: E402

os.environ.setdefault("COMPOSER_HOME", tempfile.mkdtemp(prefix="composer-bench-home-"))

from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer, QUrl  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWebEngineCore import (  # noqa: E402
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineScript,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)
from PySide6.QtWebEngineWidgets import QWebEngineView  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from composer.gui.app import drop_feature_import_hook  # noqa: E402

drop_feature_import_hook()  # as the `composer` entry point does before the window's imports
from composer.gui.preview.scheme import register_preview_scheme  # noqa: E402

ENGINES = ("premailer", "css-inline")
APP_WORLD = QWebEngineScript.ScriptWorldId.ApplicationWorld
LAYOUT_JS = "document.documentElement.offsetHeight"


class _Offline(QWebEngineUrlRequestInterceptor):
    """The baseline gets the preview's network rule: no request leaves the page.

    The preview blocks remote images and fonts by default; a baseline that fetched them would
    time the network (or, offline, DNS failures), not rendering.
    """

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        if info.requestUrl().scheme() not in ("data", "about"):
            info.block(True)


def offline_view() -> QWebEngineView:
    """A bare QWebEngineView on an off-the-record profile that blocks every network request."""
    view = QWebEngineView()
    profile = QWebEngineProfile()  # no storage name: off the record, like the preview's
    profile.setUrlRequestInterceptor(_Offline(profile))
    view.setPage(QWebEnginePage(profile, view))
    profile.setParent(view)  # after the page, so Qt deletes the page first (as the preview does)
    return view


def wait(pred, timeout: float = 30.0) -> bool:
    """Run the event loop until pred() is true (checked every ms)."""
    if pred():
        return True
    loop = QEventLoop()
    timer = QTimer(interval=1, timerType=Qt.TimerType.PreciseTimer)
    deadline = time.perf_counter() + timeout

    def check() -> None:
        if pred() or time.perf_counter() > deadline:
            loop.quit()

    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    return pred()


def laid_out(page, done: dict) -> None:
    """Ask the page for its layout; record the time the answer comes back."""
    page.runJavaScript(LAYOUT_JS, APP_WORLD, lambda _r: done.__setitem__("t1", time.perf_counter()))


class Bench:
    def __init__(self) -> None:
        from composer.app.context import Context
        from composer.gui.main_window import MainWindow

        self.w = MainWindow(Context.from_environment())
        self.w.drafts.confirm_discard = lambda: True  # type: ignore[method-assign]
        self.w.show()
        self.bare = offline_view()
        self.bare.resize(620, 700)
        self.bare.show()
        self.bare_loaded = False
        self.bare.loadFinished.connect(lambda _ok: setattr(self, "bare_loaded", True))
        self._pending: dict | None = None
        # The window makes its web view after its first paint.
        assert wait(lambda: self.w.preview.web is not None, 60), "no web view"
        self.web = self.w.preview.web
        assert self.web is not None, "the rendered preview is not available"
        self.web.rendered.connect(self._on_rendered)

    def caught_up(self) -> bool:
        return self.w.schedule.generation == self.w.model.generation and not self.w.schedule.busy

    def _on_rendered(self) -> None:
        p = self._pending
        if p is not None and "t1" not in p and "asked" not in p and self.caught_up():
            p["asked"] = True
            laid_out(self.web.page(), p)

    def load(self, html: str, engine: str) -> int:
        """Show a template; returns the editor position where characters are typed."""
        self.w.drafts.load(bc.make_draft(html, engine), None)
        assert wait(lambda: self.caught_up() and self.web.last_load_ok, 120), "no first preview"
        wait(lambda: False, 0.3)  # settle
        lower = html.lower()
        b = lower.find("<body")
        # inside the first text: after the first '>' that is followed by a letter in the body
        pos = lower.find(">", b) + 1
        editor = self.w.body.body
        cursor = editor.textCursor()
        cursor.setPosition(pos)
        editor.setTextCursor(cursor)
        editor.setFocus()
        return pos

    def keystroke(self, char: str = "x") -> tuple[float, str]:
        """(ms from key press to the preview laid out, the HTML shown)."""
        done: dict = {}
        self._pending = done
        t0 = time.perf_counter()
        QTest.keyClick(self.w.body.body, char)
        assert wait(lambda: "t1" in done, 60), "the preview never caught up"
        self._pending = None
        html = self.w.preview.result.recipient_html  # type: ignore[union-attr]
        return (done["t1"] - t0) * 1000, html

    def bare_repaint(self, html: str) -> float:
        done: dict = {}
        self.bare_loaded = False
        t0 = time.perf_counter()
        self.bare.setHtml(html, QUrl(bc.BARE_BASE_URL))
        assert wait(lambda: self.bare_loaded, 60)
        laid_out(self.bare.page(), done)
        assert wait(lambda: "t1" in done, 60)
        return (done["t1"] - t0) * 1000

    def latency(self, html: str, engine: str, keys: int) -> dict:
        self.load(html, engine)
        self.keystroke()  # warm-up: the first edit of a template fills caches
        self.bare_repaint(self.w.preview.result.recipient_html)  # type: ignore[union-attr]
        comp, bare = [], []
        for _ in range(keys):
            ms, final = self.keystroke()
            comp.append(ms)
            bare.append(self.bare_repaint(final))
            wait(lambda: False, 0.05)
        c, b = bc.summary(comp), bc.summary(bare)
        return {
            "bytes": len(html.encode()),
            "composer_ms": c,
            "bare_ms": b,
            "ratio_p50": round(c["p50"] / b["p50"], 2),
            "ratio_p95": round(c["p95"] / b["p95"], 2),
        }

    def burst(self, html: str, engine: str, n: int, every_ms: int) -> dict:
        self.load(html, engine)
        self.keystroke()
        gaps: list[float] = []
        clock = QElapsedTimer()
        last = [0.0]
        monitor = QTimer(interval=1, timerType=Qt.TimerType.PreciseTimer)

        def tick() -> None:
            now = clock.nsecsElapsed() / 1e6
            gaps.append(now - last[0])
            last[0] = now

        monitor.timeout.connect(tick)
        typed = [0]
        key_timer = QTimer(interval=every_ms, timerType=Qt.TimerType.PreciseTimer)

        def type_one() -> None:
            QTest.keyClick(self.w.body.body, "abcdefghij"[typed[0] % 10])
            typed[0] += 1
            if typed[0] >= n:
                key_timer.stop()

        key_timer.timeout.connect(type_one)
        clock.start()
        monitor.start()
        key_timer.start()
        t0 = time.perf_counter()
        cpu0, ui0 = time.process_time(), time.thread_time()  # this is the UI thread
        wait(lambda: typed[0] >= n, 120)
        t_typed = time.perf_counter()
        cpu1, ui1 = time.process_time(), time.thread_time()
        wait(lambda: self.caught_up() and not self.web._loading, 120)
        t_done = time.perf_counter()
        monitor.stop()
        gaps = gaps[1:]
        return {
            "bytes": len(html.encode()),
            "keys": n,
            "every_ms": every_ms,
            "max_gap_ms": round(max(gaps), 2),
            "p99_gap_ms": round(bc.pct(gaps, 99), 2),
            "gaps_over_16ms": sum(g > 16 for g in gaps),
            "typing_s": round(t_typed - t0, 2),
            "caught_up_after_last_key_ms": round((t_done - t_typed) * 1000, 1),
            # CPU while typing, per key: what the wall-clock gaps cost on a quiet machine,
            # readable on a busy one (the 1 ms gap monitor itself is in the UI figure).
            "ui_thread_cpu_ms_per_key": round((ui1 - ui0) * 1000 / n, 2),
            "process_cpu_ms_per_key": round((cpu1 - cpu0) * 1000 / n, 2),
        }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=12, help="timed keystrokes per template")
    ap.add_argument("--scale-keys", type=int, default=6)
    ap.add_argument("--burst", type=int, default=200)
    ap.add_argument("--every-ms", type=int, default=30, help="typing speed in the burst")
    ap.add_argument("--scales", default="1,2,4,8")
    ap.add_argument("--scale-template", default="02_postmark_basic-full_example.html")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--skip", default="", help="comma list of: latency,burst,scaling")
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    engines = args.engines.split(",")
    skip = set(filter(None, args.skip.split(",")))

    register_preview_scheme()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    bench = Bench()
    out: dict = {"platform": os.environ.get("QT_QPA_PLATFORM"), "latency": [], "burst": [],
                 "scaling": []}  # fmt: skip
    paths = bc.templates()
    if "latency" not in skip:
        for path in paths:
            html = path.read_text(encoding="utf-8")
            for engine in engines:
                r = {"template": path.name, "engine": engine,
                     **bench.latency(html, engine, args.keys)}  # fmt: skip
                out["latency"].append(r)
                print(f"latency {path.name:44} {engine:10} composer p50 {r['composer_ms']['p50']:7}"
                      f" p95 {r['composer_ms']['p95']:7} | bare p50 {r['bare_ms']['p50']:7}"
                      f" p95 {r['bare_ms']['p95']:7} | x{r['ratio_p50']} / x{r['ratio_p95']}",
                      flush=True)  # fmt: skip
    if "burst" not in skip:
        largest = max(paths, key=lambda p: p.stat().st_size)
        html = largest.read_text(encoding="utf-8")
        for engine in engines:
            r = {"template": largest.name, "engine": engine,
                 **bench.burst(html, engine, args.burst, args.every_ms)}  # fmt: skip
            out["burst"].append(r)
            print(f"burst   {largest.name:44} {engine:10} max gap {r['max_gap_ms']} ms, "
                  f"p99 {r['p99_gap_ms']} ms, {r['gaps_over_16ms']} gaps > 16 ms, preview "
                  f"caught up {r['caught_up_after_last_key_ms']} ms after the last key; CPU "
                  f"per key {r['ui_thread_cpu_ms_per_key']} ms UI thread, "
                  f"{r['process_cpu_ms_per_key']} ms process", flush=True)  # fmt: skip
    if "scaling" not in skip:
        base = (bc.TEMPLATES / args.scale_template).read_text(encoding="utf-8")
        for engine in engines:
            for factor in map(int, args.scales.split(",")):
                html = bc.scale_template(base, factor)
                r = {"template": args.scale_template, "engine": engine, "factor": factor,
                     **bench.latency(html, engine, args.scale_keys)}  # fmt: skip
                out["scaling"].append(r)
                print(f"scaling {factor}x {r['bytes']:8} B {engine:10} composer p50 "
                      f"{r['composer_ms']['p50']:8} | bare p50 {r['bare_ms']['p50']:8}",
                      flush=True)  # fmt: skip
    bench.web.rendered.disconnect(bench._on_rendered)
    bench.w.close()
    bench.bare.close()
    bench.bare.deleteLater()
    app.processEvents()
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)  # skip Qt teardown at exit (QtWebEngine may crash there)
