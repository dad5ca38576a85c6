"""Issue 15 item 8: no keyboard traps. From the first field, Tab visits every visible control
that takes the keyboard and comes back to the first; Shift+Tab likewise, the other way round.
The preview (QtWebEngine, whose keys go to a focus-proxy child) and a table holding rows (Qt's
tables move between cells on Tab) used to keep the focus for ever."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QTabBar, QWidget
from support.gui import WAIT

from composer.core.draft import Attachment


def _target(w: QWidget) -> QWidget:
    while w.focusProxy() is not None:
        w = w.focusProxy()
    return w


def focusable(window: QWidget) -> set[QWidget]:
    """Every control a person can reach with Tab: shown, enabled, taking Tab focus."""
    found = set()
    for w in window.findChildren(QWidget):
        if not w.isVisible() or not w.isEnabled() or w.window() is not window:
            continue
        if not (w.focusPolicy() & Qt.FocusPolicy.TabFocus):
            continue
        if isinstance(w.parent(), QTabBar):
            continue  # a tab bar's scroll arrows: the bar itself takes the arrow keys
        found.add(_target(w))
    return found


def _walk(window: QWidget, start: QWidget, key: Qt.Key, steps: int) -> list[QWidget]:
    start.setFocus(Qt.FocusReason.TabFocusReason)
    seen = [QApplication.focusWidget()]
    for _ in range(steps):
        QTest.keyClick(QApplication.focusWidget(), key)
        QApplication.processEvents()
        now = QApplication.focusWidget()
        seen.append(now)
        if now is seen[0]:
            break
    return seen


def _describe(ws) -> list[str]:
    return sorted(f"{type(w).__name__}:{w.objectName() or w.accessibleName()}" for w in ws)


def _check_cycle(window: QWidget) -> None:
    window.activateWindow()
    QApplication.processEvents()
    targets = focusable(window)
    first = window.header.profile
    steps = 3 * len(targets) + 10
    for key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
        seen = _walk(window, first, key, steps)
        stuck = [w for w in seen if w is not None]
        assert seen[-1] is first, (
            f"{key.name} never came back to the first field; the last ones: "
            f"{_describe(stuck[-4:])}"
        )
        missing = (targets & focusable(window)) - set(seen)  # a send may have been disabled
        assert not missing, f"{key.name} never reached {_describe(missing)}"


def test_tab_and_shift_tab_cycle_through_every_control(window, qtbot, tmp_path: Path) -> None:
    qtbot.waitUntil(lambda: window.preview.web is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: _target(window.preview.web) is not window.preview.web, timeout=WAIT)
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4\n")
    window.model.update(attachments=[Attachment(str(report))])
    qtbot.waitUntil(lambda: window.attachments.table.rowCount() == 1, timeout=WAIT)
    _check_cycle(window)  # the panels folded
    for key in ("recipients", "options", "attachments"):  # and each opened in place
        window.drawer.open(key)
    qtbot.waitUntil(window.attachments.table.isVisible, timeout=WAIT)
    _check_cycle(window)


def test_tab_leaves_the_attachments_table_once_it_holds_a_file(
    window, qtbot, tmp_path: Path
) -> None:
    files = [tmp_path / "a.pdf", tmp_path / "b.pdf"]
    for f in files:
        f.write_bytes(b"%PDF-1.4\n")
    window.model.update(attachments=[Attachment(str(f)) for f in files])
    table = window.attachments.table
    qtbot.waitUntil(lambda: table.rowCount() == 2, timeout=WAIT)
    window.drawer.open("attachments")
    qtbot.waitUntil(table.isVisible, timeout=WAIT)
    window.activateWindow()
    table.setFocus(Qt.FocusReason.TabFocusReason)
    table.setCurrentCell(0, 0)
    qtbot.waitUntil(table.hasFocus, timeout=WAIT)
    QTest.keyClick(table, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not table
    table.setFocus(Qt.FocusReason.BacktabFocusReason)
    QTest.keyClick(table, Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is not table


def test_tab_leaves_the_dialogs_tables(context, qtbot) -> None:
    from support.gui import on_screen

    from composer.gui.dialogs.profiles import ProfilesDialog

    dialog = on_screen(qtbot, ProfilesDialog(context, None))
    table = dialog.table
    qtbot.waitUntil(lambda: table.rowCount() >= 1, timeout=WAIT)
    dialog.activateWindow()
    table.setFocus(Qt.FocusReason.TabFocusReason)
    table.setCurrentCell(0, 0)
    qtbot.waitUntil(table.hasFocus, timeout=WAIT)
    QTest.keyClick(table, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not table
    qtbot.waitUntil(lambda: dialog.tasks.pending == 0, timeout=WAIT)
