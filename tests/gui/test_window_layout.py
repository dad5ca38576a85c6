"""The window, day to day (issue 15): room to write, a laptop's screen, no accidental resend,
and the small things. Used as a person would: keys typed, buttons clicked, dialogs answered."""

from __future__ import annotations

import mailbox
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QApplication,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitterHandle,
    QToolButton,
    QWidget,
)
from support.gui import WAIT

from composer.core.draft import Recipient
from composer.gui.main_window import MainWindow


def caught_up(w: MainWindow) -> bool:
    return w.schedule.generation == w.model.generation


def click(qtbot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def toggle(qtbot, w: MainWindow, key: str) -> None:
    click(qtbot, w.findChild(QToolButton, f"{key}Toggle"))


def type_into(qtbot, w: MainWindow, name: str, text: str) -> None:
    field = w.findChild(QLineEdit, name)
    field.setFocus()
    qtbot.keyClicks(field, text)


def fill(qtbot, w: MainWindow, to: str = "bob@example.com") -> None:
    type_into(qtbot, w, "fromField", "Ann <ann@example.com>")
    type_into(qtbot, w, "toField", to)
    type_into(qtbot, w, "subjectField", "Spring sale")
    w.body.body.setFocus()
    qtbot.keyClicks(w.body.body, "Hello there")


def delivered(home: Path) -> int:
    folder = home / "sandbox"
    return len(mailbox.Maildir(folder, create=False)) if folder.exists() else 0


def ctrl_enter(qtbot, w: MainWindow) -> None:
    # The offscreen platform does not hand activation back after a dialog closes (a window
    # manager does): the shortcut belongs to the active window, so make it active first.
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=WAIT)
    qtbot.keyClick(w, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def answer_when_asked(button: str, seen: list[str]) -> None:
    """Click ``button`` in the "Send?" question when it shows (bounded: ~10 s of looking)."""
    tries = [0]

    def look() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.objectName() == "confirmSendBox":
            seen.append(box.text())
            box.findChild(QPushButton, button).click()
        elif tries[0] < 500:
            tries[0] += 1
            QTimer.singleShot(20, look)

    QTimer.singleShot(0, look)


def send_and_wait(qtbot, w: MainWindow, press: Callable[[], None]) -> object:
    with qtbot.waitSignal(w.send_controller.finished, timeout=WAIT) as sent:
        press()
    return sent.args[0]


def drag(qtbot, handle: QSplitterHandle, dy: int) -> None:
    """Press on a splitter's handle, move it by ``dy`` with the button held, release."""
    start = handle.rect().center()
    end = start + QPoint(0, dy)
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for kind, pos, button, buttons in (
        (QMouseEvent.Type.MouseButtonPress, start, left, left),
        (QMouseEvent.Type.MouseMove, end, none, left),
        (QMouseEvent.Type.MouseButtonRelease, end, left, none),
    ):
        global_pos = handle.mapToGlobal(pos)
        event = QMouseEvent(
            kind, pos.toPointF(), global_pos.toPointF(), button, buttons,
            Qt.KeyboardModifier.NoModifier,
        )  # fmt: skip
        QApplication.sendEvent(handle, event)


# --- 1. the body editor gets the room ---------------------------------------------------------


def test_panels_fold_to_summary_lines_that_open_in_place(qtbot, window: MainWindow) -> None:
    window.resize(1280, 760)
    qtbot.waitUntil(lambda: window.body.height() > 0, timeout=WAIT)
    drawer = window.drawer
    assert drawer.open_keys == set()  # a new window: everything folded, the body has the room
    folded = window.body.body.height()
    assert folded > 300, folded
    recipients = window.findChild(QToolButton, "recipientsToggle")
    assert recipients.text() == "Cc / Bcc / Archive — Cc 0 · Bcc 0 · Archive 0"
    options = window.findChild(QToolButton, "optionsToggle")
    assert "No campaign · 0 tags · tracking: account default" in options.text()
    assert window.findChild(QToolButton, "attachmentsToggle").text().endswith("No attachments")

    toggle(qtbot, window, "recipients")  # opens in place, under the body
    assert window.recipients.isVisible() and not window.options.isVisible()
    qtbot.waitUntil(lambda: window.body.body.height() < folded - 100, timeout=WAIT)
    window.recipients.panels["cc"].add_field.setFocus()
    qtbot.keyClicks(window.recipients.panels["cc"].add_field, "a@example.com, b@example.com")
    qtbot.keyClick(window.recipients.panels["cc"].add_field, Qt.Key.Key_Return)
    assert "Cc 2 · Bcc 0 · Archive 0" in recipients.text()
    window.model.update(campaign_id="spring", tags=["a", "b"])
    assert "Campaign spring · 2 tags · tracking: account default" in options.text()

    toggle(qtbot, window, "recipients")  # folded again: the body takes its room back
    qtbot.waitUntil(lambda: window.body.body.height() >= folded - 2, timeout=WAIT)
    assert not window.recipients.isVisible()


def test_a_problem_in_a_folded_panel_shows_on_its_summary_line(qtbot, window) -> None:
    fill(qtbot, window)
    window.model.update(cc=[Recipient("bob@")])
    label = window.drawer.sections["recipients"].problems
    qtbot.waitUntil(lambda: label.text() == "1 error", timeout=WAIT)
    assert "Cc #1" in label.toolTip()


def test_splitters_and_open_panels_are_remembered(qtbot, context, window, composer_home) -> None:
    window.resize(1280, 760)
    toggle(qtbot, window, "options")
    qtbot.waitUntil(lambda: window.options.isVisible(), timeout=WAIT)
    before = window.drawer.splitter.sizes()[1]
    drag(qtbot, window.drawer.splitter.handle(1), -60)  # the person gives the panel more room
    qtbot.waitUntil(lambda: window.drawer.splitter.sizes()[1] > before + 30, timeout=WAIT)
    height = window.drawer.splitter.sizes()[1]
    main = window.split.sizes()
    window.split.setSizes([main[0] - 100, main[1] + 100])
    main = window.split.sizes()
    assert window.close()
    assert (composer_home / "config" / "window.ini").stat().st_mode & 0o777 == 0o600

    again = MainWindow(context)
    qtbot.addWidget(again)
    again.resize(1280, 760)
    again.show()
    qtbot.waitExposed(again)
    assert again.drawer.open_keys == {"options"} and again.options.isVisible()
    qtbot.waitUntil(lambda: abs(again.drawer.splitter.sizes()[1] - height) <= 2, timeout=WAIT)
    assert abs(again.split.sizes()[0] - main[0]) <= 2
    again.model.mark_saved()
    assert again.close()


def test_send_results_go_beside_the_preview_not_into_the_editor(
    qtbot, window, composer_home
) -> None:
    window.resize(1280, 760)
    fill(qtbot, window)
    qtbot.waitUntil(lambda: window.send_button.isEnabled() and caught_up(window), timeout=WAIT)
    body = window.body.body.height()
    report = send_and_wait(qtbot, window, lambda: click(qtbot, window.send_button))
    assert report.count("sent") == 1
    assert window.send_panel.isVisible() and window.send_panel.height() >= 60
    assert window.results_split.isAncestorOf(window.send_panel)
    assert window.body.body.height() == body  # the editor's column did not give up a pixel
    assert "1 sent" in window.findChild(QWidget, "sendSummary").text()


# --- 2. it fits a laptop and never resizes itself ---------------------------------------------


def test_the_window_fits_a_laptop_screen(qtbot, window: MainWindow) -> None:
    hint = window.minimumSizeHint()
    assert hint.height() <= 560, hint  # well under 720, with the panels folded
    assert hint.width() <= 1280, hint
    for key in ("recipients", "options", "attachments"):
        toggle(qtbot, window, key)
    assert window.minimumSizeHint().height() <= 640  # every panel open still fits 1366×768
    for key in ("recipients", "options", "attachments"):
        toggle(qtbot, window, key)
    window.resize(1280, 720 - 40)  # a 1280×720 screen, less its title bar
    qtbot.waitUntil(lambda: window.size().height() == 680, timeout=WAIT)
    assert window.body.body.height() >= 250 and window.send_button.isVisible()
    assert window.send_button.mapTo(window, QPoint(0, 0)).y() + 20 < window.height()


def test_the_window_never_resizes_itself(qtbot, window: MainWindow, composer_home) -> None:
    window.resize(1280, 680)
    qtbot.waitUntil(lambda: window.height() == 680, timeout=WAIT)
    size = window.size()
    header = window.header.height()
    type_into(qtbot, window, "toField", "bob@, not-an-address, x@")  # error lines appear
    type_into(qtbot, window, "fromField", "ann@")
    qtbot.waitUntil(lambda: "From" in window.header.problems["from"].text(), timeout=WAIT)
    assert window.size() == size and window.header.height() == header  # nothing jumped
    for field in ("fromField", "toField"):
        window.findChild(QLineEdit, field).clear()
    fill(qtbot, window)
    qtbot.waitUntil(lambda: window.send_button.isEnabled() and caught_up(window), timeout=WAIT)
    send_and_wait(qtbot, window, lambda: ctrl_enter(qtbot, window))
    assert window.size() == size  # not after a send either
    assert delivered(composer_home) == 1


# --- 3. no accidental resend ------------------------------------------------------------------


def test_sending_the_same_draft_again_asks_first(qtbot, window, composer_home) -> None:
    fill(qtbot, window)
    qtbot.waitUntil(lambda: window.send_button.isEnabled() and caught_up(window), timeout=WAIT)
    seen: list[str] = []
    answer_when_asked("dontSend", seen)  # armed: the first send must not ask at all
    report = send_and_wait(qtbot, window, lambda: ctrl_enter(qtbot, window))
    assert report.count("sent") == 1 and seen == [] and delivered(composer_home) == 1
    qtbot.waitUntil(lambda: "asks first" in window.send_state.text(), timeout=WAIT)

    ctrl_enter(qtbot, window)  # the same again: the question, answered "Don't send"
    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT)
    assert seen == ["Send the same message again to 1 address?"]
    assert not window.send_controller.busy
    assert delivered(composer_home) == 1  # nothing went out

    answer_when_asked("confirmSend", seen)  # asked again, and this time the person says yes
    send_and_wait(qtbot, window, lambda: click(qtbot, window.send_button))
    assert len(seen) == 2 and delivered(composer_home) == 2

    type_into(qtbot, window, "subjectField", " (corrected)")  # a changed message: no question
    qtbot.waitUntil(lambda: window.send_button.isEnabled() and caught_up(window), timeout=WAIT)
    send_and_wait(qtbot, window, lambda: ctrl_enter(qtbot, window))
    assert len(seen) == 2 and delivered(composer_home) == 3


def test_a_send_to_many_asks_once_with_the_count(qtbot, window, composer_home) -> None:
    fill(qtbot, window)
    toggle(qtbot, window, "recipients")
    QApplication.clipboard().setText("\n".join(f"fan{i}@example.org" for i in range(50)))
    click(qtbot, window.recipients.findChild(QPushButton, "ccPaste"))
    qtbot.waitUntil(lambda: window.send_button.isEnabled() and caught_up(window), timeout=WAIT)
    seen: list[str] = []
    answer_when_asked("dontSend", seen)
    ctrl_enter(qtbot, window)
    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT)
    assert seen == ["Send this message to 51 addresses?"]  # 1 To + 50 Cc, over the default 50
    assert delivered(composer_home) == 0

    answer_when_asked("confirmSend", seen)
    send_and_wait(qtbot, window, lambda: ctrl_enter(qtbot, window))
    assert len(seen) == 2 and delivered(composer_home) == 51  # asked once, then sent

    answer_when_asked("dontSend", seen)  # again: one question, not two, naming both
    ctrl_enter(qtbot, window)
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=WAIT)
    assert seen[2] == "Send the same message again to 51 addresses?"
    assert delivered(composer_home) == 51


def test_the_threshold_is_a_setting(qtbot, context, window, composer_home) -> None:
    from PySide6.QtWidgets import QInputDialog

    def set_to_one() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QInputDialog):
            dialog.setIntValue(1)
            dialog.accept()
        else:
            QTimer.singleShot(20, set_to_one)

    QTimer.singleShot(0, set_to_one)
    window.send_guard.choose_limit()  # Send → Ask before sending to many…
    assert window.settings.ask_above == 1
    fill(qtbot, window, to="bob@example.com, cy@example.com")
    qtbot.waitUntil(lambda: window.send_button.isEnabled() and caught_up(window), timeout=WAIT)
    seen: list[str] = []
    answer_when_asked("dontSend", seen)
    click(qtbot, window.send_button)
    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT)
    assert seen == ["Send this message to 2 addresses?"] and delivered(composer_home) == 0
    window.model.mark_saved()
    assert window.close()
    again = MainWindow(context)  # kept for the next window
    assert again.settings.ask_above == 1
    again.deleteLater()


# --- 10. smaller things -----------------------------------------------------------------------


def test_a_new_window_shows_no_errors_until_a_field_is_left_or_send_tried(qtbot, window) -> None:
    qtbot.waitUntil(lambda: caught_up(window) and bool(window.model.errors), timeout=WAIT)
    lines = window.header.problems
    assert all(line.text() == "" for line in lines.values())  # no red on a new window
    assert window.body.body_problems.text() == "" and window.problem_line.text() == ""
    heights = {k: line.height() for k, line in lines.items()}
    form = window.header.height()
    assert all(h > 0 for h in heights.values())  # the line's room is there, empty

    window.header.from_field.setFocus()
    qtbot.keyClick(window.header.from_field, Qt.Key.Key_Tab)  # left empty
    qtbot.waitUntil(lambda: lines["from"].text() == "From: is required", timeout=WAIT)
    assert lines["to"].text() == ""  # not visited yet
    assert window.header.height() == form and lines["from"].height() == heights["from"]

    ctrl_enter(qtbot, window)  # a try to send shows the rest, each once
    qtbot.waitUntil(lambda: lines["to"].text() == "To: add at least one recipient", timeout=WAIT)
    assert window.header.height() == form
    shown = [line.text() for line in lines.values()] + [window.problem_line.text()]
    assert sum(t.count("is required") for t in shown) == 1
    assert QApplication.focusWidget() is window.header.from_field  # the first to fix


def test_duplicates_are_worded_numbered_and_removable(qtbot, window) -> None:
    fill(qtbot, window, to="fay5@example.org")
    toggle(qtbot, window, "recipients")
    panel = window.recipients.panels["cc"]
    panel.add_field.setFocus()
    qtbot.keyClicks(
        panel.add_field, "cy@example.org, fay5@example.org, cy@example.org, bob@, ok@x.org"
    )
    qtbot.keyClick(panel.add_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: caught_up(window) and len(window.model.errors) == 3, timeout=WAIT)
    messages = [str(p) for p in window.model.errors]
    assert (
        "Cc #2: fay5@example.org is also in To #1; the relay sends each address one copy, "
        "so keep it in one place" in messages
    )
    assert any(m.startswith("Cc #3: cy@example.org is already in Cc #1;") for m in messages)
    assert not any(" is again" in m for m in messages)
    header = panel.view.verticalHeader()  # "Cc #3" is the row numbered 3
    assert header.isVisible()
    assert [panel.table.headerData(r, Qt.Orientation.Vertical, Qt.ItemDataRole.DisplayRole)
            for r in range(5)] == ["1", "2", "3", "4", "5"]  # fmt: skip

    click(qtbot, panel.findChild(QPushButton, "ccRemoveDuplicates"))
    assert [r.email for r in window.model.draft.cc] == ["cy@example.org", "bob@", "ok@x.org"]
    assert panel.status_label.text() == "Removed 2 duplicate addresses."
    click(qtbot, panel.findChild(QPushButton, "ccRemoveInvalid"))
    assert [r.email for r in window.model.draft.cc] == ["cy@example.org", "ok@x.org"]
    assert panel.status_label.text() == "Removed 1 invalid address."
    qtbot.waitUntil(lambda: caught_up(window) and not window.model.errors, timeout=WAIT)


def test_the_metadata_table_shows_rows_and_each_problem_once(qtbot, window) -> None:
    window.resize(1280, 760)
    fill(qtbot, window)
    toggle(qtbot, window, "options")
    editor = window.options.metadata
    qtbot.waitUntil(lambda: editor.table.isVisible(), timeout=WAIT)
    row = editor.table.verticalHeader().defaultSectionSize()
    assert editor.table.viewport().height() >= row * 3  # several rows, not about one
    click(qtbot, editor.add_button)
    qtbot.keyClicks(editor.table.focusWidget(), "count")
    qtbot.keyClick(editor.table.focusWidget(), Qt.Key.Key_Tab)
    editor.table.editItem(editor.table.item(0, 1))
    qtbot.keyClicks(editor.table.focusWidget(), "abc")
    qtbot.keyClick(editor.table.focusWidget(), Qt.Key.Key_Return)
    editor.table.cellWidget(0, 2).setCurrentText("number")
    qtbot.waitUntil(lambda: bool(editor.local_problems) and caught_up(window), timeout=WAIT)
    qtbot.waitUntil(lambda: any(p.field == "metadata" for p in window.model.errors), timeout=WAIT)
    assert editor.problems.text().count("is not a number") == 1
    assert "is not a number" not in window.problem_line.text()


def test_recover_opens_every_crashed_draft(context, qtbot, monkeypatch) -> None:
    from composer.core.draft import Draft

    for n in (1, 2):
        lost = Draft(from_addr=Recipient("ann@example.com"), subject=f"Lost {n}", body="x")
        context.drafts().autosave(f"crashed{n}", lost, None)

    def accept() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is not None and dialog.objectName() == "recoveryDialog":
            click(qtbot, dialog.findChild(QPushButton, "continueButton"))
        else:
            QTimer.singleShot(20, accept)

    QTimer.singleShot(0, accept)
    from composer.gui import main_window

    w = MainWindow(context, recover=True)
    monkeypatch.setattr(w.drafts, "confirm_discard", lambda: True)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.model.draft.subject.startswith("Lost"), timeout=WAIT)
    qtbot.waitUntil(lambda: len(main_window._WINDOWS) == 1, timeout=WAIT)
    (other,) = main_window._WINDOWS  # the second draft, in a window of its own
    monkeypatch.setattr(other.drafts, "confirm_discard", lambda: True)
    assert other.isVisible()
    assert {w.model.draft.subject, other.model.draft.subject} == {"Lost 1", "Lost 2"}
    assert other.model.dirty and other.drafts.draft_id in {"crashed1", "crashed2"}
    assert "others are open in their own windows" in w.statusBar().currentMessage()
    gone: list[bool] = []
    other.destroyed.connect(lambda: gone.append(True))
    assert other.close()
    qtbot.waitUntil(lambda: bool(gone), timeout=WAIT)  # deleted on close, and forgotten
    assert not main_window._WINDOWS


def test_a_seed_list_sent_again_asks_with_its_count(
    qtbot, window, composer_home, tmp_path, monkeypatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    seeds = tmp_path / "seeds.txt"
    seeds.write_text("".join(f"seed{i}@example.org\n" for i in range(3)), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(seeds), ""))
    fill(qtbot, window)
    qtbot.waitUntil(lambda: window.send_button.isEnabled() and caught_up(window), timeout=WAIT)
    seen: list[str] = []
    report = send_and_wait(qtbot, window, window.sending.test_send)  # Send → Test send…
    assert report.count("sent") == 3 and delivered(composer_home) == 3
    answer_when_asked("dontSend", seen)
    window.sending.test_send()  # the same file again: one message per seed, again
    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT)
    assert seen == ["Send the same message again to 3 addresses?"]
    assert delivered(composer_home) == 3


def test_a_damaged_settings_file_opens_the_usual_window(qtbot, context, composer_home) -> None:
    ini = composer_home / "config" / "window.ini"
    ini.parent.mkdir(mode=0o700)
    ini.write_bytes(
        b"[send]\nask_above=lots\n[layout]\nopen=options,nonsense,,\n"
        b"mainSplitter=@ByteArray(\\0\\xff garbage)\ndrawer_height=-5\n\xff\xfe\n"
    )
    w = MainWindow(context)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert w.settings.ask_above == 50  # the default, not a crash
    assert w.drawer.open_keys == {"options"}  # what could be read is kept
    assert w.drawer.splitter.sizes()[0] >= 120 and w.split.sizes()[0] > 0
    w.model.mark_saved()
    assert w.close()
