"""The compose window, used as a person would: type, paste, toggle, preview, send."""

from __future__ import annotations

import mailbox
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QApplication, QCheckBox, QLineEdit, QPushButton, QToolButton
from support.gui import WAIT

from composer.core.draft import BodyFormat, Draft, Recipient, loads_draft
from composer.gui.main_window import MainWindow


def preview_caught_up(w: MainWindow) -> bool:
    return w.schedule.generation == w.model.generation


def type_into(qtbot, w: MainWindow, name: str, text: str) -> None:
    field = w.findChild(QLineEdit, name)
    assert field is not None, name
    field.setFocus()
    qtbot.keyClicks(field, text)


def fill_basic(qtbot, w: MainWindow) -> None:
    type_into(qtbot, w, "fromField", "Ann <ann@example.com>")
    type_into(qtbot, w, "toField", "bob@example.com")
    type_into(qtbot, w, "subjectField", "Spring sale")
    w.body.body.setFocus()
    for i, line in enumerate(["# Hello", "", "Visit https://example.com today."]):
        if i:
            qtbot.keyClick(w.body.body, Qt.Key.Key_Return)
        if line:
            qtbot.keyClicks(w.body.body, line)


def test_the_named_widgets_exist(qtbot, window: MainWindow) -> None:
    from PySide6.QtWidgets import QWidget

    # The rendered preview ("preview") is made after the window's first paint.
    qtbot.waitUntil(lambda: window.preview.web is not None, timeout=WAIT)

    for name in [
        "fromField",
        "toField",
        "subjectField",
        "campaignField",
        "ipPoolField",
        "bodyEditor",
        "preview",
        "ccPanel",
        "bccPanel",
        "archivePanel",
        "optionsPane",
        "openTracking",
        "clickTracking",
        "transactional",
        "sendButton",
    ]:
        widget = window.findChild(QWidget, name)
        assert widget is not None, name
        assert widget.accessibleName(), f"{name} has no accessible name"
    assert window.findChild(QCheckBox, "openTracking").isTristate()


def test_send_is_disabled_with_reasons_until_the_draft_is_valid(qtbot, window) -> None:
    qtbot.waitUntil(lambda: preview_caught_up(window), timeout=WAIT)
    send = window.findChild(QPushButton, "sendButton")
    assert not send.isEnabled()
    assert "From" in send.toolTip() and "To" in send.toolTip()
    type_into(qtbot, window, "toField", "bob@")
    qtbot.waitUntil(
        lambda: "something after the @" in window.header.problems["to"].text(), timeout=WAIT
    )
    assert window.header.problems["to"].isVisible()
    window.findChild(QLineEdit, "toField").clear()
    fill_basic(qtbot, window)
    qtbot.waitUntil(lambda: send.isEnabled(), timeout=WAIT)


def test_preview_shows_the_exact_bytes_and_each_copy(qtbot, window) -> None:
    fill_basic(qtbot, window)
    window.model.update(
        cc=[Recipient("cy@example.com", "Cy")],
        bcc=[Recipient("dee@example.com")],
        campaign_id="spring",
    )
    qtbot.waitUntil(lambda: preview_caught_up(window), timeout=WAIT)
    result = window.preview.result
    assert result is not None and result.message is not None
    window.preview.tabs.setCurrentWidget(window.preview.raw)
    raw = window.preview.raw.toPlainText()
    assert raw.startswith("MAIL FROM:<ann@example.com>\nRCPT TO:<bob@example.com>\nDATA")
    assert "X-MSYS-API: " in raw and "\nCc:" not in raw
    assert raw.endswith(result.message.data.decode().replace("\r\n", "\n"))
    window.preview.tabs.setCurrentWidget(window.preview.copies)
    copies = window.preview.copies.toPlainText()
    assert "dee@example.com (bcc)" in copies and "Bcc: dee@example.com" in copies
    assert "Generated" not in copies
    window.body.setCurrentIndex(2)  # the Plain text tab fills in when it is opened
    assert "Visit https://example.com today." in window.body.plain.toPlainText()


def test_stale_previews_are_dropped(qtbot, window) -> None:
    fill_basic(qtbot, window)
    for i in range(30):  # a burst of edits while renders are in flight
        window.model.update(subject=f"Subject {i}")
    qtbot.waitUntil(lambda: preview_caught_up(window), timeout=WAIT)
    assert b"Subject: Subject 29" in window.preview.result.message.data


def test_options_reach_the_header(qtbot, window) -> None:
    fill_basic(qtbot, window)
    qtbot.mouseClick(window.findChild(QToolButton, "optionsToggle"), Qt.MouseButton.LeftButton)
    open_tracking = window.findChild(QCheckBox, "openTracking")
    qtbot.mouseClick(open_tracking, Qt.MouseButton.LeftButton)
    type_into(qtbot, window, "campaignField", "spring-2026")
    type_into(qtbot, window, "ipPoolField", "sp_shared")
    qtbot.waitUntil(
        lambda: preview_caught_up(window) and window.preview.result.message is not None,
        timeout=WAIT,
    )
    obj = window.preview.result.message.msys
    assert obj["campaign_id"] == "spring-2026"
    assert obj["options"]["ip_pool"] == "sp_shared"
    assert "open_tracking" in obj["options"]


def test_send_to_the_local_relay_lands_in_the_sandbox(qtbot, window, composer_home: Path) -> None:
    fill_basic(qtbot, window)
    qtbot.mouseClick(window.findChild(QToolButton, "recipientsToggle"), Qt.MouseButton.LeftButton)
    QApplication.clipboard().setText("cy@example.com, Dee <dee@example.com>")
    window.recipients.findChild(QPushButton, "ccPaste").click()
    send = window.findChild(QPushButton, "sendButton")
    qtbot.waitUntil(lambda: send.isEnabled() and preview_caught_up(window), timeout=WAIT)
    with qtbot.waitSignal(window.send_controller.finished, timeout=WAIT) as sent:
        qtbot.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    report = sent.args[0]
    assert report.count("sent") == 1
    box = mailbox.Maildir(composer_home / "sandbox", create=False)
    delivered = sorted(m["Delivered-To"] for m in box)
    assert delivered == ["bob@example.com", "cy@example.com", "dee@example.com"]
    assert "sent" in window.send_panel.label.text()


def test_save_and_autosave(qtbot, window, tmp_path: Path, composer_home: Path) -> None:
    fill_basic(qtbot, window)
    target = tmp_path / "spring.json"
    assert window.drafts.write(target)
    assert loads_draft(target.read_text()).subject == "Spring sale"
    assert not window.model.dirty and "spring.json" in window.windowTitle()
    window.model.update(subject="Changed")
    window.drafts.autosave()
    drafts = composer_home / "drafts"
    qtbot.waitUntil(lambda: any(drafts.glob("*.json")), timeout=WAIT)


def test_hostile_body_makes_no_request_from_the_preview(qtbot, window) -> None:
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        hostile = (
            f"<html><head><link rel=stylesheet href='{base}/x.css'>"
            f"<style>@import url('{base}/i.css'); body{{background:url({base}/bg)}}"
            f"</style><meta http-equiv=refresh content='0;url={base}/r'></head><body>"
            f"<img src='{base}/pixel.gif'><iframe src='{base}/frame'></iframe>"
            f"<script>fetch('{base}/js')</script></body></html>"
        )
        qtbot.waitUntil(lambda: window.preview.web is not None, timeout=WAIT)
        view = window.preview.web
        with qtbot.waitSignal(view.rendered, timeout=WAIT):
            window.model.replace_draft(
                Draft(
                    from_addr=Recipient("ann@example.com"),
                    to=[Recipient("bob@example.com")],
                    subject="x",
                    body=hostile,
                    body_format=BodyFormat.HTML,
                )
            )
        qtbot.waitUntil(lambda: preview_caught_up(window), timeout=WAIT)
        # One more document through the same view: anything late from the first is in by now.
        with qtbot.waitSignal(view.rendered, timeout=WAIT):
            view.show_html("<p>done</p>")
        assert hits == []
    finally:
        server.shutdown()
        server.server_close()


def test_closing_with_unsaved_changes_asks(context, qtbot) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    w = MainWindow(context)
    qtbot.addWidget(w)
    w.show()
    w.model.update(subject="not saved yet")
    asked: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            asked.append(box.text())
            box.button(QMessageBox.StandardButton.Cancel).click()
        else:
            QTimer.singleShot(20, answer)

    QTimer.singleShot(0, answer)
    assert not w.close()  # cancelled: the window stays
    assert asked and "Save the changes" in asked[0]
    w.model.mark_saved()
    assert w.close()


def test_a_crashed_draft_is_offered_at_start(context, qtbot, monkeypatch) -> None:
    from PySide6.QtCore import QTimer

    lost = Draft(from_addr=Recipient("ann@example.com"), subject="Lost in a crash", body="x")
    context.drafts().autosave("crashed1", lost, None)  # what a killed session leaves behind

    def accept() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is not None and dialog.objectName() == "recoveryDialog":
            dialog.findChild(QPushButton, "continueButton").click()
        else:
            QTimer.singleShot(20, accept)

    QTimer.singleShot(0, accept)
    w = MainWindow(context, recover=True)
    monkeypatch.setattr(w.drafts, "confirm_discard", lambda: True)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.model.draft.subject == "Lost in a crash", timeout=WAIT)
    assert w.model.dirty and w.drafts.draft_id == "crashed1"


def test_web_views_come_after_the_first_paint_and_the_second_when_its_tab_opens(
    qtbot, window
) -> None:
    """The window is usable before QtWebEngine starts: the Rendered view is made after its
    first paint, the "No <style>" view only when that tab is first opened, and both
    show the current message."""
    qtbot.waitUntil(lambda: window.preview.web is not None, timeout=WAIT)
    assert window.preview.web_no_style is None
    fill_basic(qtbot, window)
    qtbot.waitUntil(lambda: preview_caught_up(window), timeout=WAIT)
    tabs = window.preview.tabs
    assert tabs.widget(0) is window.preview.web
    tabs.setCurrentIndex(1)
    view = window.preview.web_no_style
    assert view is not None and tabs.widget(1) is view and tabs.currentIndex() == 1
    qtbot.waitUntil(lambda: view.last_load_ok, timeout=WAIT)
    html = window.preview.result.no_style_html
    assert html is not None and "<style" not in html.lower()


# --- closing while background tasks still run --------------------------------------------------


@pytest.mark.parametrize("moment", ["closed", "deleted", "deleted-unclosed"])
def test_closing_while_tasks_run_leaves_no_traceback_and_a_second_window_works(
    context, qtbot, capfd, monkeypatch, moment: str
) -> None:
    """A preview render and a key-status probe are held in the worker (a gate, released after
    the window is closed, or closed and deleted): their results arrive at a window that is
    gone. Nothing may be printed, raised or crash; a second window then works as usual."""
    from composer.gui.preview import schedule as schedule_module
    from composer.transport.profiles.store import ProfileStore

    gate = threading.Event()
    held: list[str] = []
    real_compute, real_get = schedule_module._compute, ProfileStore.get

    def slow_compute(draft, generation):
        held.append("render")
        assert gate.wait(WAIT / 1000), "the gate was never opened"
        return real_compute(draft, generation)

    def slow_get(self, name):
        held.append("key status")
        assert gate.wait(WAIT / 1000), "the gate was never opened"
        return real_get(self, name)

    monkeypatch.setattr(schedule_module, "_compute", slow_compute)
    monkeypatch.setattr(ProfileStore, "get", slow_get)
    capfd.readouterr()
    try:
        w = MainWindow(context)
        w.model.update(subject="unsaved", body="# A long letter\n\n" + "Line.\n" * 2000)
        monkeypatch.setattr(w.drafts, "confirm_discard", lambda: True)
        w.show()
        qtbot.waitUntil(lambda: {"render", "key status"} <= set(held), timeout=WAIT)
        if moment != "deleted-unclosed":
            assert w.close()
        if moment == "closed":  # an edit, or a paint's timer, arriving just after the close
            w.model.update(subject="typed as it closed")
            for _ in range(2):
                QApplication.processEvents()
        if moment.startswith("deleted"):
            gone: list[bool] = []
            w.destroyed.connect(lambda: gone.append(True))
            w.deleteLater()
            qtbot.waitUntil(lambda: bool(gone), timeout=WAIT)
    finally:
        gate.set()
    assert QThreadPool.globalInstance().waitForDone(WAIT)
    # The results were queued to the UI thread: deliver whatever is left, twice over (a
    # callback may queue one more step), then look at what was printed.
    for _ in range(2):
        QApplication.sendPostedEvents()
        QApplication.processEvents()
    out, err = capfd.readouterr()
    assert "Traceback" not in err and "RuntimeError" not in err, err
    assert "Traceback" not in out, out
    if moment == "closed":  # closed but alive: nothing ran on its behalf after the close
        assert w.preview.result is None

    monkeypatch.setattr(schedule_module, "_compute", real_compute)
    monkeypatch.setattr(ProfileStore, "get", real_get)
    second = MainWindow(context)
    monkeypatch.setattr(second.drafts, "confirm_discard", lambda: True)
    qtbot.addWidget(second)
    second.show()
    fill_basic(qtbot, second)
    qtbot.waitUntil(lambda: preview_caught_up(second), timeout=WAIT)
    qtbot.waitUntil(lambda: "sandbox relay" in second.header.key_status.text(), timeout=WAIT)
    assert second.preview.result is not None and "Spring sale" in second.preview.result.raw_text()
    assert second.close()
    assert QThreadPool.globalInstance().waitForDone(WAIT)
    assert "Traceback" not in capfd.readouterr().err


def test_closing_a_sandbox_copy_while_it_is_read_leaves_no_traceback(
    qtbot, capfd, monkeypatch, tmp_path: Path
) -> None:
    from composer.gui.preview import copy_viewer

    gate = threading.Event()
    reading = threading.Event()
    real = copy_viewer.read_copy

    def slow(path: Path) -> tuple[str, str]:
        reading.set()
        assert gate.wait(WAIT / 1000), "the gate was never opened"
        return real(path)

    monkeypatch.setattr(copy_viewer, "read_copy", slow)
    path = tmp_path / "copy.eml"
    path.write_bytes(b"Subject: x\r\nContent-Type: text/html\r\n\r\n<p>hello</p>\r\n")
    capfd.readouterr()
    dialog = copy_viewer.CopyViewer(path)  # deleted on close
    gone: list[bool] = []
    dialog.destroyed.connect(lambda: gone.append(True))
    dialog.show()
    try:
        assert reading.wait(WAIT / 1000)
        dialog.close()
        qtbot.waitUntil(lambda: bool(gone), timeout=WAIT)
    finally:
        gate.set()
    assert QThreadPool.globalInstance().waitForDone(WAIT)
    for _ in range(2):
        QApplication.sendPostedEvents()
        QApplication.processEvents()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "RuntimeError" not in err, err


def test_closing_while_the_preview_loads_leaves_no_traceback(
    context, qtbot, capfd, monkeypatch
) -> None:
    """The web view is disposed of on close, here in the middle of loading a 3 MB document."""
    w = MainWindow(context)
    monkeypatch.setattr(w.drafts, "confirm_discard", lambda: True)
    w.show()
    qtbot.waitUntil(lambda: w.preview.web is not None, timeout=WAIT)
    view = w.preview.web
    started: list[bool] = []
    view.loadStarted.connect(lambda: started.append(True))
    capfd.readouterr()
    view.show_html("<p>" + "x" * 3_000_000 + "</p>", keep_scroll=False)
    qtbot.waitUntil(lambda: bool(started), timeout=WAIT)
    assert w.close()
    assert w.preview.web is None
    gone: list[bool] = []
    w.destroyed.connect(lambda: gone.append(True))
    w.deleteLater()
    qtbot.waitUntil(lambda: bool(gone), timeout=WAIT)
    assert QThreadPool.globalInstance().waitForDone(WAIT)
    for _ in range(2):
        QApplication.sendPostedEvents()
        QApplication.processEvents()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "RuntimeError" not in err, err


def test_the_window_fits_the_screen_it_opens_on(qtbot, window) -> None:
    """A 1366×768 laptop must see the Send button: the window is never made larger than the
    screen's free area (the offscreen screen here is smaller than the preferred size)."""
    free = window.screen().availableGeometry()  # offscreen: 800×800, under the preferred 820
    assert window.height() <= free.height() - 40  # room for the title bar
    assert window.width() <= max(free.width(), window.minimumSizeHint().width())
    assert window.send_button.isVisible()
