"""The Checks tab, used as a person would: a crafted draft shows its count on the tab, clicking
a finding puts the editor's cursor on its line, and an error-level finding asks once before a
send ("Send anyway" / "Cancel")."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QTreeWidgetItem
from support.gui import WAIT

from composer.core.checks import Severity
from composer.core.draft import BodyFormat, Options, Recipient
from composer.gui.main_window import MainWindow
from composer.gui.preview.checks_tab import ChecksTab

HEAD = '<!doctype html><html lang="en"><head><title>T</title>'
UNSUB = '<p><a href="https://x.example/u" data-msys-unsubscribe="1">Unsubscribe</a></p>'
STYLE = "<style>.a{color:red}</style>"
BODY_STYLE = f"{HEAD}</head><body>\n<p>Hello</p>\n{UNSUB}\n  {STYLE}\n</body></html>"
HEAD_STYLE = f"{HEAD}{STYLE}</head><body>\n<p>Hello</p>\n{UNSUB}\n</body></html>"


def tab_of(w: MainWindow) -> ChecksTab:
    tab = w.findChild(ChecksTab, "checksTab")
    assert tab is not None
    return tab


def label(w: MainWindow) -> str:
    tabs = w.preview.tabs
    return tabs.tabText(tabs.indexOf(tab_of(w)))


def caught_up(w: MainWindow) -> bool:
    return w.schedule.generation == w.model.generation and not w.schedule.busy


def fill(w: MainWindow, body: str, **kw: object) -> None:
    w.model.update(
        from_addr=Recipient("ann@example.com"),
        to=[Recipient("bob@example.com")],
        subject="Spring",
        body_format=BodyFormat.HTML,
        body=body,
        **kw,
    )


def ids(w: MainWindow) -> list[str]:
    return [f.id for f in tab_of(w).all_findings]


def open_checks(qtbot, w: MainWindow) -> ChecksTab:
    """Click the Checks tab's label."""
    tabs = w.preview.tabs
    index = tabs.indexOf(tab_of(w))
    bar = tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert tabs.currentIndex() == index
    return tab_of(w)


def item_for(tab: ChecksTab, fid: str) -> QTreeWidgetItem:
    for i in range(tab.tree.topLevelItemCount()):
        head = tab.tree.topLevelItem(i)
        for j in range(head.childCount()):
            child = head.child(j)
            if child.data(0, Qt.ItemDataRole.UserRole).id == fid:
                return child
    raise AssertionError(f"{fid} is not listed")


def click(qtbot, tab: ChecksTab, item: QTreeWidgetItem) -> None:
    tab.tree.scrollToItem(item)
    rect = tab.tree.visualItemRect(item)
    qtbot.mouseClick(tab.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_the_tab_counts_errors_and_warnings_of_the_draft(qtbot, window: MainWindow) -> None:
    fill(window, BODY_STYLE, options=Options(inline_css=True, open_tracking=False,
                                             click_tracking=False))  # fmt: skip
    qtbot.waitUntil(lambda: caught_up(window) and "relay.inline-body-style" in ids(window),
                    timeout=WAIT)  # fmt: skip
    tab = tab_of(window)
    counted = sum(f.severity is not Severity.INFO for f in window.preview.result.findings)
    assert counted >= 1 and tab.count == counted
    assert label(window) == f"Checks ({counted})"
    assert f"{counted - len(tab.errors)} warning(s)" in tab.summary.text()
    # the style moved into the head: one warning less, on the tab at once
    window.model.update(body=HEAD_STYLE)
    qtbot.waitUntil(lambda: caught_up(window) and "relay.inline-body-style" not in ids(window),
                    timeout=WAIT)  # fmt: skip
    assert label(window) == (f"Checks ({counted - 1})" if counted > 1 else "Checks")


def test_clicking_a_finding_puts_the_cursor_on_its_line(qtbot, window: MainWindow) -> None:
    fill(window, BODY_STYLE, options=Options(inline_css=True))
    qtbot.waitUntil(lambda: caught_up(window) and "relay.inline-body-style" in ids(window),
                    timeout=WAIT)  # fmt: skip
    window.body.setCurrentIndex(2)  # another editor is showing: the click must switch back
    tab = open_checks(qtbot, window)
    click(qtbot, tab, item_for(tab, "relay.inline-body-style"))
    editor = window.body.body
    assert window.body.currentIndex() == 0
    cursor = editor.textCursor()
    assert (cursor.blockNumber() + 1, cursor.positionInBlock() + 1) == (4, 3)
    assert editor.hasFocus() or QApplication.focusWidget() is editor
    # an option's finding shows the relay options
    click(qtbot, tab, item_for(tab, "relay.tracking-default"))
    assert "options" in window.drawer.open_keys
    assert window.options.isVisible()


def test_an_amp_finding_opens_the_amp_editor(qtbot, window: MainWindow) -> None:
    amp = "<!doctype html>\n<html ⚡4email>\n<head></head>\n<body>x</body></html>"
    fill(window, HEAD_STYLE, amp_html=amp, options=Options(inline_css=True))
    qtbot.waitUntil(lambda: caught_up(window) and "relay.inline-amp" in ids(window),
                    timeout=WAIT)  # fmt: skip
    tab = open_checks(qtbot, window)
    click(qtbot, tab, item_for(tab, "relay.inline-amp"))
    assert window.body.currentWidget() is window.body.amp


# --- an error asks once before sending -----------------------------------------------------------


def answer_check_box(button_name: str | None, asked: list[str]) -> None:
    """Click ``button_name`` ("sendAnyway", or None for Cancel) in the next check-errors box."""

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.objectName() == "checkErrorsBox":
            asked.append(box.text())
            if button_name is None:
                box.button(QMessageBox.StandardButton.Cancel).click()
            else:
                box.findChild(QPushButton, button_name).click()
        else:
            QTimer.singleShot(10, answer)

    QTimer.singleShot(0, answer)


@pytest.fixture
def enterprise(context, listener, monkeypatch):
    """The default profile: an Enterprise (custom) relay on a loopback port that counts
    connections and answers none (the sandbox is not available there: an error finding)."""
    from composer.transport.profiles.store import Profile

    store = context.profiles()
    store.add(Profile.new("ent", "custom", host="127.0.0.1", port=listener.port, tls=False,
                          fallback_port=0))  # fmt: skip
    store.set_default("ent")
    monkeypatch.setenv("COMPOSER_API_KEY", "test-key-1234")
    return listener


def test_an_error_finding_asks_once_before_sending(qtbot, enterprise, window: MainWindow):
    qtbot.waitUntil(lambda: window.profile_name == "ent", timeout=WAIT)
    fill(window, HEAD_STYLE, options=Options(sandbox=True))
    send = window.findChild(QPushButton, "sendButton")
    qtbot.waitUntil(lambda: send.isEnabled() and caught_up(window)
                    and "relay.sandbox-enterprise" in ids(window), timeout=WAIT)  # fmt: skip
    assert label(window).startswith("Checks (")
    asked: list[str] = []
    answer_check_box(None, asked)  # Cancel: nothing happens
    qtbot.mouseClick(send, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and "error(s)" in asked[0]
    assert not window.send_controller.busy and enterprise.settled() == []
    answer_check_box("sendAnyway", asked)  # Send anyway: the send starts, asked once more
    others = DismissOtherBoxes()  # what a cancelled or failed send may ask is not ours
    with qtbot.waitSignal(window.send_controller.finished, timeout=WAIT):
        qtbot.mouseClick(send, Qt.MouseButton.LeftButton)
        assert len(asked) == 2
        qtbot.waitUntil(lambda: len(enterprise.settled()) >= 1, timeout=WAIT)
        qtbot.mouseClick(window.send_panel.cancel, Qt.MouseButton.LeftButton)
    others.stop()
    assert len(asked) == 2


class DismissOtherBoxes:
    """Close every modal message box but the checks' one until ``stop()``."""

    def __init__(self) -> None:
        self.running = True
        QTimer.singleShot(0, self._tick)

    def _tick(self) -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.objectName() != "checkErrorsBox":
            box.reject()
        if self.running:
            QTimer.singleShot(20, self._tick)

    def stop(self) -> None:
        self.running = False


def test_warnings_alone_do_not_ask(qtbot, window: MainWindow, composer_home) -> None:
    fill(window, BODY_STYLE, options=Options(inline_css=True))
    send = window.findChild(QPushButton, "sendButton")
    qtbot.waitUntil(lambda: send.isEnabled() and caught_up(window)
                    and "relay.inline-body-style" in ids(window), timeout=WAIT)  # fmt: skip
    assert tab_of(window).errors == []
    with qtbot.waitSignal(window.send_controller.finished, timeout=WAIT) as sent:
        qtbot.mouseClick(send, Qt.MouseButton.LeftButton)
    assert sent.args[0].count("sent") == 1


def test_links_are_asked_online_only_when_ticked(qtbot, window: MainWindow, listener) -> None:
    """Unticked, nothing is asked; ticked, the check runs on its own task and comes back, and
    still never asks this computer (the listener on loopback counts every connection)."""
    link = f'<p><a href="http://127.0.0.1:{listener.port}/page">page</a></p>'
    fill(window, HEAD_STYLE.replace("<p>Hello</p>", link))
    qtbot.waitUntil(lambda: caught_up(window) and bool(ids(window)), timeout=WAIT)
    tab = open_checks(qtbot, window)
    assert not tab.online.isChecked() and listener.settled() == []
    qtbot.mouseClick(tab.online, Qt.MouseButton.LeftButton)
    assert tab.online.isChecked()
    qtbot.waitUntil(lambda: not tab.online_busy, timeout=WAIT)
    assert "error(s)" in tab.summary.text()
    assert listener.settled() == []
