"""When the preview renders and which result it shows: one render at a time on the task
runner, the latest edit next, a stale result dropped (but never more than a second behind),
the first render only after the window's first paint, and the long-lived objects frozen out of
the garbage collector's sight.

The window hands every edit to ``edited()``; it hears back through ``current(result)`` for a
result of the draft as it is now (its problems, the generated plain text) and does nothing for
the others, which only the preview panel shows.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from composer.core.draft import Draft
from composer.gui.model import DraftModel
from composer.gui.tasks import cancel_tasks, run_task

if TYPE_CHECKING:
    from composer.gui.preview.panel import PreviewPanel
    from composer.gui.preview.pipeline import PreviewResult

__all__ = ["PreviewSchedule"]

# No fixed delay: an edit renders on the next event-loop turn (coalescing that turn's edits),
# and while a render runs, later edits wait for it and then get one render for all of them
# (busy/again). A 200 ms debounce was most of the keystroke-to-preview time.
PREVIEW_DEBOUNCE_MS = 0
# The preview renders on a worker thread while the UI thread runs. Every Qt call releases the
# GIL, and a busy worker then keeps it for up to the switch interval (5 ms by default) before
# the UI thread gets it back: a handful of Qt calls per keystroke became 30-60 ms stalls while
# typing (tests/bench/bench_preview.py, cProfile: QThreadPool.start 5 ms per call). 0.5 ms
# bounds each wait; the worker loses little (its C parts - lxml, css-inline - run unaffected).
GIL_SWITCH_INTERVAL_S = 0.0005
# A result already behind the latest edit is dropped (the next render is for that edit): each
# shown result costs the UI thread 3-12 ms (the document handed to the page, the panes told of
# its problems), so showing every intermediate result while someone types faster than the
# renderer made typing stutter (tests/bench: 93 gaps over 16 ms in a 200-key burst, against 2).
# The preview is never left more than this far behind: in a long burst it moves once a second.
STALE_PREVIEW_AT_MOST_S = 1.0


def _compute(draft: Draft, generation: int) -> PreviewResult:
    # Imported on the worker: the pipeline (render, build, the relay's fan-out) is not needed
    # for the window's first paint.
    from composer.gui.preview.pipeline import compute

    return compute(draft, generation)


Checker = Callable[[Draft, "PreviewResult"], "PreviewResult"]


def _compute_and_check(draft: Draft, generation: int, checker: Checker | None) -> PreviewResult:
    """The render, then the pre-send checks on that very render (checks_tab.py), one task."""
    result = _compute(draft, generation)
    return checker(draft, result) if checker is not None else result


class PreviewSchedule(QObject):
    current = Signal(object)  # a PreviewResult of the model's latest generation, just shown

    def __init__(self, model: DraftModel, panel: PreviewPanel, window: QWidget) -> None:
        super().__init__(window)
        if sys.getswitchinterval() > GIL_SWITCH_INTERVAL_S:
            sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        self.model = model
        self.panel = panel
        self._window = window
        self._busy = False
        self._again = False
        self._shown_at = 0.0
        self._modules_at_freeze = 0
        self._started = False
        self._closed = False  # between stop() and reopen(): start no render
        # Made on the UI thread per render (plain data for the worker): checks_tab.install
        self.checker: Callable[[], Checker] | None = None
        self._timer = QTimer(self, singleShot=True, interval=PREVIEW_DEBOUNCE_MS)
        self._timer.timeout.connect(self.render)

    @property
    def busy(self) -> bool:
        """A render is running (its result, or a newer one, is on the way)."""
        return self._busy

    @property
    def generation(self) -> int | None:
        """The model generation the preview shows; None before the first result."""
        r = self.panel.result
        return r.generation if r is not None else None

    # --- the first render waits for the window's first paint -----------------------------------

    def start_after_first_paint(self, painted: QWidget) -> None:
        """The web view and the first render wait until ``painted`` has been painted, so the
        window is on screen and usable first. A window never shown starts at once."""
        self._painted = painted
        painted.installEventFilter(self)
        QTimer.singleShot(0, self._start_if_hidden)

    def eventFilter(self, obj: Any, event: Any) -> bool:
        if not self._started and event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self._start)
        return False

    def _start_if_hidden(self) -> None:
        if not self._window.isVisible():  # never shown (a test, a headless use): no paint
            self._start()

    def _start(self) -> None:
        if self._started or self._closed:  # a paint's timer can fire after the close
            return
        self._started = True
        self._painted.removeEventFilter(self)
        self.render()
        self.panel.start_views()

    # --- rendering ------------------------------------------------------------------------------

    def edited(self) -> None:
        self._timer.start()

    def render(self) -> None:
        if self._closed:
            return
        if self._busy:  # one render at a time; the latest edit gets the next one
            self._again = True
            return
        self._busy = True
        draft, generation = self.model.snapshot(), self.model.generation
        checker = self.checker() if self.checker is not None else None
        run_task(
            lambda: _compute_and_check(draft, generation, checker),
            self._rendered,
            self._failed,
            owner=self,
        )

    def _rendered(self, result: PreviewResult) -> None:
        self._busy = False
        if self._again or result.generation != self.model.generation:
            self._again = False
            self.render()  # an edit came in meanwhile: render the latest next
        if result.generation != self.model.generation:
            shown = self.panel.result
            recent = time.monotonic() - self._shown_at < STALE_PREVIEW_AT_MOST_S
            if recent or (shown is not None and shown.generation >= result.generation):
                return
            # ...but a screen more than a second old shows this newer one meanwhile (the
            # preview only: its problems are already out of date, the next result brings them).
            self._shown_at = time.monotonic()
            self.panel.show_result(result)
            return
        self._freeze_long_lived()
        self._shown_at = time.monotonic()
        self.panel.show_result(result)
        self.current.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.panel.status.setText(f"The preview failed: {exc}")
        if self._again:
            self._again = False
            self.render()

    def _freeze_long_lived(self) -> None:
        """A full garbage collection walks every object the process holds (~20 ms per 40 000;
        Qt, premailer and cssutils bring far more) with the GIL held, so whichever thread
        triggers it stalls the UI thread. What is alive after start-up, and after an engine's
        first import, lives as long as the window: gc.freeze() takes it out of the collector's
        sight. Checked per result because the first render is what imports the engines."""
        if len(sys.modules) != self._modules_at_freeze:
            self._modules_at_freeze = len(sys.modules)
            gc.freeze()

    # --- closing --------------------------------------------------------------------------------

    def stop(self) -> None:
        """The window is closing: renders still running finish on the pool, and their results
        must not reach it (its web views are about to go). Shown again, it starts over."""
        self._timer.stop()
        cancel_tasks(self)
        self._busy = self._again = False
        self._closed = True

    def reopen(self) -> None:
        self._closed = False
