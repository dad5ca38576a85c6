"""The main window (the full compose window arrives with its own issue)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow

from composer import __version__


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(f"Composer {__version__}")
        label = QLabel(
            "Composer\n\nThe compose window is on its way.\n"
            "Meanwhile, `composer send --dry-run` builds and shows messages."
        )
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(label)
        self.resize(900, 640)
