"""Issue 15 item 4: the sandbox mailbox opens one viewer that follows the selection, and the
viewer shows the message (it had a 0 px message pane and one more window per arrow key)."""

from __future__ import annotations

import smtplib

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWebEngineCore import QWebEngineScript
from PySide6.QtWidgets import QApplication

from composer.core.build import build_message
from composer.core.draft import Draft, Recipient
from composer.gui.dialogs.sandbox import SandboxDialog
from composer.gui.preview.copy_viewer import CopyViewer
from composer.relay.server import LocalRelay

LOAD = 30_000


def _deliver_five(context) -> None:
    draft = Draft(
        from_addr=Recipient("ann@example.com", "Ann"),
        to=[Recipient("bob@example.com")],
        cc=[Recipient(f"cc{i}@example.com") for i in range(4)],
        subject="Five copies",
        body="Hello **there**, a message worth reading",
    )
    message = build_message(draft)
    with LocalRelay(context.paths.sandbox, idle_timeout=30) as relay,\
            smtplib.SMTP(relay.host, relay.port, timeout=15) as smtp:  # fmt: skip
        assert smtp.sendmail(message.envelope.mail_from, list(message.envelope.rcpt_to),
                             message.data) == {}  # fmt: skip


def _viewers() -> list[CopyViewer]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, CopyViewer) and w.isVisible()
    ]


def test_arrow_keys_move_one_viewer_that_shows_the_message(context, window, qtbot) -> None:
    _deliver_five(context)
    window.show_sandbox()
    dialog = window.findChild(SandboxDialog)  # the one this window opened
    qtbot.waitExposed(dialog)
    table = dialog.table
    qtbot.waitUntil(lambda: table.rowCount() == 5, timeout=10_000)
    rect = table.visualItemRect(table.item(0, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: len(_viewers()) == 1, timeout=10_000)
    table.activateWindow()
    table.setFocus()
    for _ in range(4):
        QTest.keyClick(table, Qt.Key.Key_Down)
    assert table.currentRow() == 4  # the keys stayed in the table
    viewers = _viewers()
    assert len(viewers) == 1, f"{len(viewers)} viewer windows after four presses"
    viewer = viewers[0]
    assert viewer.path == dialog.copies[4].path
    qtbot.waitUntil(lambda: "Subject: Five copies" in viewer.headers.toPlainText(), timeout=LOAD)
    rcpt = dialog.copies[4].rcpt
    assert rcpt in viewer.headers.toPlainText()
    assert viewer.message.width() > 200, f"the message pane is {viewer.message.width()} px wide"
    assert viewer.message.isVisible()
    if viewer.view is not None:  # the message itself, rendered in the private preview
        world = QWebEngineScript.ScriptWorldId.ApplicationWorld
        got: list[object] = []

        def body_read() -> bool:
            viewer.view.page().runJavaScript(
                "JSON.stringify(document.body ? document.body.textContent : '')",
                world,
                got.append,
            )
            return any("worth reading" in str(g) for g in got)

        qtbot.waitUntil(body_read, timeout=LOAD)
    qtbot.waitUntil(lambda: viewer.tasks.pending == 0 and dialog.tasks.pending == 0)
    viewer.close()
    dialog.close()


def test_a_copy_opened_on_its_own_shows_the_message_wide(context, qtbot, tmp_path) -> None:
    from support.gui import on_screen

    path = tmp_path / "copy.eml"
    path.write_bytes(b"Subject: alone\r\nFrom: a@example.com\r\n\r\nJust text\r\n")
    viewer = on_screen(qtbot, CopyViewer(path))
    qtbot.waitUntil(lambda: "Subject: alone" in viewer.headers.toPlainText(), timeout=LOAD)
    pane = viewer.view if viewer.view is not None else viewer.message
    assert pane.width() > 200, f"the message pane is {pane.width()} px wide"
    assert pane.width() > viewer.headers.width()  # the message gets most of the room
