"""Attachments: add by dialog, drop files from the desktop, remove, see sizes and problems."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPalette
from PySide6.QtWidgets import QApplication, QFileDialog
from support.gui import on_screen

from composer.core.draft import Attachment, Draft
from composer.core.validate import validate
from composer.gui.attachments import (
    ERROR_COLOUR,
    WARNING_COLOUR,
    AttachmentsPanel,
    encoded_size,
    human_size,
)
from composer.gui.model import DraftModel

COPY = Qt.DropAction.CopyAction
LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def panel(qtbot, model: DraftModel) -> AttachmentsPanel:
    return on_screen(qtbot, AttachmentsPanel(model), (600, 400))


def make_file(folder: Path, name: str, size: int) -> Path:
    path = folder / name
    with path.open("wb") as fh:
        fh.truncate(size)  # sparse: a big file without writing it
    return path


def shown(panel: AttachmentsPanel) -> list[tuple[str, str]]:
    t = panel.table
    return [(t.item(r, 0).text(), t.item(r, 1).text()) for r in range(t.rowCount())]


def drag_and_drop(panel: AttachmentsPanel, urls: list[QUrl]) -> tuple[bool, bool]:
    """What the desktop does: drag enter, then drop if the panel accepted. Returns both."""
    mime = QMimeData()
    mime.setUrls(urls)
    enter = QDragEnterEvent(QPointF(10, 10), COPY, mime, LEFT, NO_MOD)
    QApplication.sendEvent(panel, enter)
    if not enter.isAccepted():
        return False, False
    drop = QDropEvent(QPointF(10, 10), COPY, mime, LEFT, NO_MOD)
    QApplication.sendEvent(panel, drop)
    return True, drop.isAccepted()


def test_human_sizes() -> None:
    assert human_size(1) == "1 byte" and human_size(999) == "999 bytes"
    assert human_size(2_400_000) == "2.4 MB" and human_size(12_345) == "12.3 KB"
    assert human_size(999_960) == "1.0 MB"  # not "1000.0 KB"
    assert encoded_size(57) == 78  # 76 base64 characters and one CRLF


def test_add_with_the_dialog_shows_names_and_sizes(qtbot, panel, model, tmp_path, monkeypatch):
    report = make_file(tmp_path, "report.pdf", 2_400_000)
    logo = make_file(tmp_path, "logo.png", 12_345)
    chosen = ([str(report), str(logo)], "")
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: chosen)
    qtbot.mouseClick(panel.add_button, LEFT)
    assert [a.path for a in model.draft.attachments] == [str(report), str(logo)]
    assert shown(panel) == [("report.pdf", "2.4 MB"), ("logo.png", "12.3 KB")]
    encoded = human_size(encoded_size(2_400_000) + encoded_size(12_345))
    assert panel.total_label.text() == (f"2 files, 2.4 MB — about {encoded} once encoded for email")
    assert encoded == "3.3 MB"  # base64 adds about a third
    assert panel.table.item(0, 0).toolTip() == str(report)


def test_drag_and_drop_files_from_the_desktop(panel, model, tmp_path) -> None:
    notes = make_file(tmp_path, "notes.txt", 10)
    assert drag_and_drop(panel, [QUrl.fromLocalFile(str(notes))]) == (True, True)
    assert shown(panel) == [("notes.txt", "10 bytes")]
    # a web link is not a file: the panel does not take it
    assert drag_and_drop(panel, [QUrl("https://example.com/a.pdf")]) == (False, False)
    # a folder and the same file again are skipped, and the panel says so
    assert drag_and_drop(
        panel, [QUrl.fromLocalFile(str(tmp_path)), QUrl.fromLocalFile(str(notes))]
    ) == (True, True)
    assert len(model.draft.attachments) == 1
    assert "is a folder" in panel.status_label.text()
    assert "notes.txt is already attached" in panel.status_label.text()


def test_remove_with_delete_and_the_button(qtbot, panel, model, tmp_path) -> None:
    model.update(attachments=[Attachment(str(make_file(tmp_path, n, 5))) for n in "abc"])
    rect = panel.table.visualItemRect(panel.table.item(1, 0))
    qtbot.mouseClick(panel.table.viewport(), LEFT, NO_MOD, rect.center())
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    assert [name for name, _ in shown(panel)] == ["a", "c"]
    panel.table.selectRow(0)
    qtbot.mouseClick(panel.remove_button, LEFT)
    assert [Path(a.path).name for a in model.draft.attachments] == ["c"]


def test_a_missing_file_is_marked_from_validation(panel, model, tmp_path) -> None:
    here = make_file(tmp_path, "here.txt", 3)
    gone = tmp_path / "gone.pdf"
    model.update(attachments=[Attachment(str(here)), Attachment(str(gone))])
    model.set_problems(validate(model.draft))
    assert shown(panel) == [("here.txt", "3 bytes"), ("gone.pdf", "—")]
    missing = panel.table.item(1, 0)
    assert f"file not found: {gone}" in missing.toolTip()
    assert missing.foreground().color() == ERROR_COLOUR and not missing.icon().isNull()
    assert panel.table.item(0, 0).icon().isNull()


def test_a_large_total_is_a_warning(panel, model, tmp_path) -> None:
    model.update(attachments=[Attachment(str(make_file(tmp_path, "video.mp4", 9_000_000)))])
    text = panel.total_label.text()
    assert text.startswith("1 file, 9.0 MB — about 12.3 MB once encoded") and "large" in text
    assert panel.total_label.palette().color(QPalette.ColorRole.WindowText) == WARNING_COLOUR


def test_replace_draft_redraws_without_writing_back(panel, model, tmp_path) -> None:
    path = make_file(tmp_path, "a.csv", 1500)
    generation = model.generation
    model.replace_draft(Draft(attachments=[Attachment(str(path), filename="prices.csv")]))
    assert shown(panel) == [("prices.csv", "1.5 KB")]
    assert not model.dirty and model.generation == generation + 1
    model.replace_draft(Draft())
    assert shown(panel) == [] and panel.total_label.text() == "No attachments"


def test_over_the_size_limit_is_an_error_beside_the_total(panel, model, tmp_path) -> None:
    model.update(attachments=[Attachment(str(make_file(tmp_path, "video.mp4", 50_000_000)))])
    model.set_problems(validate(model.draft))
    text = panel.total_label.text()
    assert "the limit is 20.0 MB (Composer's limit: the relay documents none)" in text
    assert panel.total_label.palette().color(QPalette.ColorRole.WindowText) == ERROR_COLOUR


def test_a_fifo_or_proc_file_is_marked_without_blocking(panel, model, tmp_path) -> None:
    import os

    fifo = tmp_path / "report.pdf"
    os.mkfifo(fifo)
    panel.add_files([str(fifo)])
    model.update(attachments=[*model.draft.attachments, Attachment("/proc/self/environ")])
    model.set_problems(validate(model.draft))
    tips = [panel.table.item(r, 0).toolTip() for r in range(panel.table.rowCount())]
    assert "named pipe" in tips[0] and "system file under /proc" in tips[1]
    assert all(panel.table.item(r, 0).foreground().color() == ERROR_COLOUR for r in (0, 1))


# --- opening a draft file that attaches files from elsewhere ----------------------------------


def settle() -> None:
    """Let the window's background tasks (the recent-files update) finish and report before
    the test closes the window: a closed window must not get their signals."""
    from PySide6.QtCore import QThreadPool

    assert QThreadPool.globalInstance().waitForDone(20_000)
    QApplication.processEvents()  # delivers their queued "finished" signals to the live window


def answer_next_question(button) -> list[str]:
    """Click ``button`` in the next modal QMessageBox; returns the texts it showed."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    asked: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            asked.append(box.text())
            box.button(button).click()
        else:
            QTimer.singleShot(10, answer)

    QTimer.singleShot(0, answer)
    return asked


@pytest.fixture
def window_with_draft(context, qtbot, tmp_path, monkeypatch):
    """A window and a draft file in ~/Downloads naming /etc/hostname and a file beside it."""
    import json

    from composer.gui.main_window import MainWindow

    home = tmp_path / "home"
    downloads = home / "Downloads"
    downloads.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    beside = make_file(downloads, "agenda.pdf", 10)
    outside = "/etc/hostname" if Path("/etc/hostname").exists() else "/etc/passwd"
    doc = {
        "format": "composer-draft",
        "subject": "From a stranger",
        "attachments": [{"path": str(beside)}, {"path": outside, "filename": "report.pdf"}],
    }
    draft_file = downloads / "d.json"
    draft_file.write_text(json.dumps(doc), encoding="utf-8")
    w = MainWindow(context)
    monkeypatch.setattr(w.drafts, "confirm_discard", lambda: True)
    return on_screen(qtbot, w), draft_file, beside, outside


def test_opening_a_draft_with_outside_files_asks_and_no_drops_them(
    qtbot, window_with_draft
) -> None:
    from PySide6.QtWidgets import QMessageBox

    w, draft_file, beside, outside = window_with_draft
    asked = answer_next_question(QMessageBox.StandardButton.No)
    w.drafts.open_draft(str(draft_file))
    qtbot.waitUntil(lambda: w.model.draft.subject == "From a stranger", timeout=20_000)
    assert len(asked) == 1 and outside in asked[0] and str(beside) not in asked[0]
    assert [a.path for a in w.model.draft.attachments] == [str(beside)]
    assert w.model.dirty  # the file on disk still names it: saving would change that
    settle()


def test_opening_a_draft_with_outside_files_yes_keeps_them_under_their_own_name(
    qtbot, window_with_draft
) -> None:
    from PySide6.QtWidgets import QMessageBox

    w, draft_file, beside, outside = window_with_draft
    asked = answer_next_question(QMessageBox.StandardButton.Yes)
    w.drafts.open_draft(str(draft_file))
    qtbot.waitUntil(lambda: w.model.draft.subject == "From a stranger", timeout=20_000)
    assert len(asked) == 1
    kept = w.model.draft.attachments
    assert [a.path for a in kept] == [str(beside), outside]
    assert kept[1].display_name == Path(outside).name  # not "report.pdf"
    assert not w.model.dirty
    settle()
