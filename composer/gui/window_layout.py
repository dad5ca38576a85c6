"""Where the window's parts go, and what of it is remembered.

Left: the header fields, the body with the folded panels under it (``Drawer``), and Send.
Right: the preview, with the send results under it when a send has run, so results never take
the editor's room. The splitters' positions are kept in the window's settings on close.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QVBoxLayout, QWidget

from composer.gui.dialogs.common import screen_of

if TYPE_CHECKING:
    from composer.gui.main_window import MainWindow

__all__ = ["WindowLayout"]

PREFERRED = (1280, 820)
FRAME = 40  # px of title bar and borders, which resize() does not count


class WindowLayout(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = w = window
        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(w.problem_line, 1)
        bottom.addWidget(w.send_state)
        bottom.addWidget(w.send_button)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(6, 6, 6, 6)
        column.addWidget(w.header)
        column.addWidget(w.drawer.splitter, 1)
        column.addLayout(bottom)
        self.results_split = QSplitter(Qt.Orientation.Vertical)
        self.results_split.setObjectName("resultsSplitter")
        self.results_split.setChildrenCollapsible(False)
        self.results_split.addWidget(w.preview)
        self.results_split.addWidget(w.send_panel)
        # In its own pane the list takes what room the pane has (not a fixed 120 px band).
        w.send_panel.results.setMaximumHeight(16_777_215)
        self.results_split.setStretchFactor(0, 1)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.setObjectName("mainSplitter")
        self.split.addWidget(left)
        self.split.addWidget(self.results_split)
        self.split.setSizes([620, 620])
        w.setCentralWidget(self.split)
        w.statusBar().addPermanentWidget(w.send_summary)
        self.fit_to_screen(*PREFERRED)
        self.restore()

    def fit_to_screen(self, width: int, height: int) -> None:
        """The preferred size, but never larger than the screen's free area (a 1366×768
        laptop has under 740 pixels for a window once the title bar and a panel are drawn)."""
        screen = screen_of(self.window)  # not window.screen(): see gui/dialogs/common.py
        if screen is not None:
            free = screen.availableGeometry()
            width = min(width, free.width())
            height = min(height, free.height() - FRAME)
        self.window.resize(width, height)

    def restore(self) -> None:
        """The splitters where the person left them (the open panels: Drawer)."""
        settings = self.window.settings
        for splitter in (self.split, self.results_split):
            state = settings.state(splitter.objectName())
            if state is not None:
                splitter.restoreState(state)
        self.window.send_panel.hide()  # results come with the next send, not from the last run

    def save(self) -> None:
        settings, panel = self.window.settings, self.window.send_panel
        for splitter in (self.split, self.results_split):
            settings.set_state(splitter.objectName(), splitter.saveState())
        if panel.isVisible():
            settings.set_number("layout/results_height", self.results_split.sizes()[1])
        settings.set_open_panels(self.window.drawer.open_keys)
        settings.save()

    def toggle_results(self, on: bool) -> None:
        """View → Send results."""
        self.window.send_panel.setVisible(on)
        if on:
            self.show_results()

    def show_results(self) -> None:
        """The results pane under the preview, as high as it was last (a third at first)."""
        self.window.send_panel.show()
        sizes = self.results_split.sizes()
        total = sum(sizes)
        if total and sizes[1] < 60:  # first shown, or squeezed to nothing
            want = self.window.settings.number("layout/results_height", total // 3)
            self.results_split.setSizes([total - want, want])
