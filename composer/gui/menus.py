"""The window's file actions and its Edit menu (issue 15 item 5), installed on the window's menu
bar by two calls from main_window.py, so its own menus stay where they are.

File (after Save As): Open HTML / Markdown…, Import .eml as a new draft…, Export .eml…; then a
marked place (``TEMPLATE_SLOT``) where "Save as template / New from template" go.
Edit (after File): Undo, Redo, Cut, Copy, Paste, Select All (each acts on the control that has
the keyboard), Find… (Ctrl+F), Replace… (Ctrl+H), Find Next (F3), Find Previous (Shift+F3).
An Insert menu, when there is one, goes after Edit (``edit_menu`` gives its place).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu, QToolBar

from composer.gui.file_actions import FileActions
from composer.gui.find_bar import FindBar

if TYPE_CHECKING:
    from composer.gui.main_window import MainWindow

__all__ = ["TEMPLATE_SLOT", "install_edit_menu", "install_file_actions"]

TEMPLATE_SLOT = "templateSlot"  # objectName of the separator template actions go after
_KEYS = QKeySequence.StandardKey


def _add(
    menu: QMenu, window: MainWindow, text: str, slot: Callable[[], Any], key: Any = None
) -> QAction:
    action = QAction(text, window)
    if key is not None:
        action.setShortcut(QKeySequence(key))
    action.triggered.connect(lambda _checked=False: slot())
    menu.addAction(action)
    return action


def install_file_actions(window: MainWindow, file_menu: QMenu) -> FileActions:
    """Open / Import / Export at the end of ``file_menu`` (call it before Quit is added)."""
    files = FileActions(window)
    file_menu.addSeparator()
    _add(file_menu, window, "Open &HTML / Markdown…", files.open_body, "Ctrl+Shift+O")
    _add(file_menu, window, "&Import .eml as a New Draft…", files.import_eml, "Ctrl+Shift+I")
    _add(file_menu, window, "&Export .eml…", files.export_eml, "Ctrl+Shift+E")
    slot = file_menu.addSeparator()
    slot.setObjectName(TEMPLATE_SLOT)
    body = window.body.body
    body.accepts_files = True
    body.file_dropped.connect(files.open_body_path)
    return files


def _on_focus(method: str) -> Callable[[], None]:
    """Call ``method`` (undo, copy, …) on the control that has the keyboard, if it has one."""

    def run() -> None:
        target = QApplication.focusWidget()
        action = getattr(target, method, None)
        if callable(action):
            action()

    return run


def _can(method: str) -> bool:
    target = QApplication.focusWidget()
    if method in ("undo", "redo"):
        doc = getattr(target, "document", None)
        if callable(doc):
            d = doc()
            return bool(d.isUndoAvailable() if method == "undo" else d.isRedoAvailable())
        check = getattr(target, f"is{method.capitalize()}Available", None)
        return bool(check()) if callable(check) else False
    return callable(getattr(target, method, None))


def install_edit_menu(window: MainWindow) -> QMenu:
    """The Edit menu, right after File, and the find bar it opens (a tool bar at the bottom)."""
    bar = window.menuBar()
    edit = QMenu("&Edit", window)
    edit.setObjectName("editMenu")
    actions = bar.actions()
    after_file = actions[1] if len(actions) > 1 else None
    if after_file is not None:
        bar.insertMenu(after_file, edit)
    else:
        bar.addMenu(edit)
    plain = [
        ("&Undo", "undo", _KEYS.Undo),
        ("&Redo", "redo", _KEYS.Redo),
        None,
        ("Cu&t", "cut", _KEYS.Cut),
        ("&Copy", "copy", _KEYS.Copy),
        ("&Paste", "paste", _KEYS.Paste),
        ("Select &All", "selectAll", _KEYS.SelectAll),
    ]
    by_method: dict[str, QAction] = {}
    for item in plain:
        if item is None:
            edit.addSeparator()
            continue
        text, method, key = item
        action = _add(edit, window, text, _on_focus(method), key)
        # A text field takes these keys itself (its ShortcutOverride); the menu item is for the
        # mouse and for any other control.
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        by_method[method] = action

    def refresh() -> None:
        for method, action in by_method.items():
            action.setEnabled(_can(method))

    edit.aboutToShow.connect(refresh)
    edit.aboutToHide.connect(lambda: [a.setEnabled(True) for a in by_method.values()])

    editors = [window.body.body, window.body.amp, window.body.plain]
    holder = QToolBar("Find and Replace", window)
    holder.setObjectName("findToolBar")
    holder.setMovable(False)
    finder = FindBar(editors, holder)
    holder.addWidget(finder)
    window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, holder)
    holder.hide()
    window.find_bar = finder
    edit.addSeparator()
    _add(edit, window, "&Find…", lambda: finder.open_bar(replace=False), _KEYS.Find)
    _add(edit, window, "R&eplace…", lambda: finder.open_bar(replace=True), "Ctrl+H")
    _add(edit, window, "Find &Next", lambda: finder.find(True), _KEYS.FindNext)
    _add(edit, window, "Find Pre&vious", lambda: finder.find(False), _KEYS.FindPrevious)
    return edit
