"""The Send history, open beside the window, follows the window's sends: a send made while it
is open shows as a new row without Refresh, and its recipients' delivery is then followed from
the local relay's events (the built-in sandbox relay: real SMTP on loopback, real HTTP events).
View → Send history a second time raises the one dialog instead of opening another."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from support.gui import WAIT

from composer.gui.dialogs.history import HistoryDialog


def _menu_action(window, menu: str, text: str):  # type: ignore[no-untyped-def]
    for top in window.menuBar().actions():
        if top.text().replace("&", "") == menu:
            for action in top.menu().actions():
                if action.text().replace("&", "") == text:
                    return action
    raise AssertionError(f"no {menu} → {text}")


def _write(qtbot, window, to: str, subject: str) -> None:  # type: ignore[no-untyped-def]
    h = window.header
    for field, text in ((h.from_field, "Ann <ann@example.com>"), (h.to_field, to),
                        (h.subject, subject)):  # fmt: skip
        field.setFocus()
        field.selectAll()
        qtbot.keyClicks(field, text)
    window.body.body.setFocus()
    qtbot.keyClicks(window.body.body, "Hello")
    qtbot.waitUntil(
        lambda: window.send_button.isEnabled()
        and window.schedule.generation == window.model.generation,
        timeout=WAIT,
    )


def _send(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)
    with qtbot.waitSignal(window.send_controller.finished, timeout=WAIT):
        qtbot.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def _delivery(dialog: HistoryDialog, row: int) -> str:
    item = dialog.table.item(row, dialog.DELIVERY)
    return item.text() if item is not None else ""


def test_an_open_history_shows_a_new_send_and_follows_its_delivery(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.profile_name == "local", timeout=WAIT)
    _menu_action(window, "View", "Send history").trigger()
    dialog = window.findChild(HistoryDialog)
    qtbot.waitUntil(lambda: "Nothing sent yet." in dialog.status.text(), timeout=WAIT)

    _write(qtbot, window, "bob@example.org, gone@bounce.example.com", "First")
    _send(qtbot, window)
    # no Refresh pressed: the row comes, then what became of each recipient
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: "gone@bounce.example.com: bounced" in _delivery(dialog, 0),
                    timeout=WAIT)  # fmt: skip
    assert "bob@example.org: delivered" in _delivery(dialog, 0)

    # the same again from the menu: the one dialog, raised, not a second one
    _menu_action(window, "View", "Send history").trigger()
    assert len(window.findChildren(HistoryDialog)) == 1
    qtbot.waitUntil(lambda: dialog.tasks.pending == 0, timeout=WAIT)
    qtbot.waitUntil(lambda: not dialog.poller.active, timeout=WAIT)
    # all final: it no longer says it is asking (it did, for good, once all were final)
    qtbot.waitUntil(lambda: "Asking" not in dialog.status.text(), timeout=WAIT)
    assert dialog.status.text() == "1 send, newest first."

    # the next send, while the poller is idle, is picked up too, newest first
    _write(qtbot, window, "cy@example.org", "Second")
    _send(qtbot, window)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2, timeout=WAIT)
    assert dialog.table.item(0, 4).text() == "Second"
    qtbot.waitUntil(lambda: "cy@example.org: delivered" in _delivery(dialog, 0), timeout=WAIT)
    qtbot.waitUntil(lambda: dialog.status.text() == "2 sends, newest first.", timeout=WAIT)
    qtbot.waitUntil(lambda: dialog.tasks.pending == 0, timeout=WAIT)
    dialog.close()


def test_a_closed_history_does_not_read_on_each_send_and_reads_when_reopened(
    qtbot, window
) -> None:
    window.show_history()
    dialog = window.findChild(HistoryDialog)
    qtbot.waitUntil(lambda: "Nothing sent yet." in dialog.status.text(), timeout=WAIT)
    dialog.close()
    _write(qtbot, window, "bob@example.org", "While closed")
    _send(qtbot, window)
    assert dialog.tasks.pending == 0 and dialog.table.rowCount() == 0  # nothing read for it
    window.show_history()
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: dialog.tasks.pending == 0 and not dialog.poller.active,
                    timeout=WAIT)  # fmt: skip
    dialog.close()
