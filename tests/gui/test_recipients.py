"""The Cc / Bcc / Archive lists, used as a person would: type, paste, import, select, delete."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QFileDialog
from support.gui import on_screen

from composer.core.draft import Draft, Recipient
from composer.core.validate import validate
from composer.gui.attachments import ERROR_COLOUR
from composer.gui.model import DraftModel
from composer.gui.recipients import MAX_IMPORT_BYTES, RecipientPanel, RecipientsPane

ROLE = Qt.ItemDataRole


@pytest.fixture
def pane(qtbot, model: DraftModel) -> RecipientsPane:
    return on_screen(qtbot, RecipientsPane(model), (700, 500))


def show_tab(pane: RecipientsPane, field: str) -> RecipientPanel:
    panel = pane.panels[field]
    pane.tabs.setCurrentWidget(panel)
    return panel


def rows(panel: RecipientPanel) -> list[tuple[str, str]]:
    """What the list shows: (address, name) per row."""
    m = panel.view.model()
    return [(m.index(r, 0).data(), m.index(r, 1).data()) for r in range(m.rowCount())]


def cell(panel: RecipientPanel, row: int, role: Qt.ItemDataRole) -> object:
    return panel.view.model().index(row, 0).data(role)


def colour(label) -> object:
    return label.palette().color(QPalette.ColorRole.WindowText)


def validate_now(model: DraftModel) -> None:
    """What the window's preview pipeline does after each edit."""
    model.set_problems(validate(model.draft))


def choose_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))


def click_row(qtbot, panel: RecipientPanel, row: int, modifier=Qt.KeyboardModifier.NoModifier):
    rect = panel.view.visualRect(panel.view.model().index(row, 0))
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def test_names_for_the_window_and_screen_readers(pane: RecipientsPane) -> None:
    for field, title in (("cc", "Cc"), ("bcc", "Bcc"), ("archive", "Archive")):
        panel = pane.findChild(RecipientPanel, f"{field}Panel")
        assert panel is pane.panels[field]
        assert panel.accessibleName() == f"{title} recipients"
    assert pane.tabs.tabText(0) == "Cc (0)"


def test_typing_then_enter_adds_several(qtbot, pane: RecipientsPane, model: DraftModel) -> None:
    panel = show_tab(pane, "cc")
    qtbot.keyClicks(panel.add_field, "a@example.com, Bob <b@example.com>; c@example.com")
    qtbot.keyClick(panel.add_field, Qt.Key.Key_Return)
    assert rows(panel) == [("a@example.com", ""), ("b@example.com", "Bob"), ("c@example.com", "")]
    assert model.draft.cc[1] == Recipient("b@example.com", "Bob")
    assert panel.add_field.text() == ""  # ready for the next one
    assert panel.count_label.text() == "3 / 1000 (cc + bcc + archive)"
    assert pane.tabs.tabText(0) == "Cc (3)"


def test_pasting_a_list_with_new_lines(qtbot, pane: RecipientsPane, model: DraftModel) -> None:
    panel = show_tab(pane, "bcc")
    QApplication.clipboard().setText("a@example.com, Bob <b@example.com>\nc@example.com")
    qtbot.mouseClick(panel.paste_button, Qt.MouseButton.LeftButton)
    assert [r.email for r in model.draft.bcc] == ["a@example.com", "b@example.com", "c@example.com"]
    assert panel.status_label.text() == "Added 3 addresses."
    # Ctrl+V in the list pastes too
    QApplication.clipboard().setText('"Doe, Jane" <jane@example.com>\r\n\r\n')
    qtbot.keyClick(panel.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert rows(panel)[-1] == ("jane@example.com", "Doe, Jane")
    assert pane.tabs.tabText(1) == "Bcc (4)"
    assert pane.panels["cc"].count_label.text() == "4 / 1000 (cc + bcc + archive)"


def test_import_a_csv_with_a_header(qtbot, pane, model, tmp_path, monkeypatch) -> None:
    panel = show_tab(pane, "cc")
    csv_file = tmp_path / "list.csv"
    csv_file.write_text(
        'Name,Email,Plan\nAnn,ann@example.com,pro\n"Doe, Jane",jane@example.com,free\n,,\n',
        encoding="utf-8-sig",  # Excel's "CSV UTF-8" starts with a BOM
    )
    choose_file(monkeypatch, csv_file)
    qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    assert rows(panel) == [("ann@example.com", "Ann"), ("jane@example.com", "Doe, Jane")]
    assert panel.status_label.text() == "Added 2 addresses from list.csv."


def test_import_a_european_csv_in_windows_1252(qtbot, pane, model, tmp_path, monkeypatch) -> None:
    panel = show_tab(pane, "archive")
    csv_file = tmp_path / "export.csv"
    csv_file.write_bytes("E-Mail;Name\njose@example.com;José\n".encode("cp1252"))
    choose_file(monkeypatch, csv_file)
    qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    assert model.draft.archive == [Recipient("jose@example.com", "José")]
    assert "Windows-1252" in panel.status_label.text()


def test_import_a_text_file_one_per_line(qtbot, pane, model, tmp_path, monkeypatch) -> None:
    panel = show_tab(pane, "bcc")
    text_file = tmp_path / "seeds.txt"
    text_file.write_text("# seed list\nAnn <ann@example.com>\n\nbob@example.com\n")
    choose_file(monkeypatch, text_file)
    qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    assert rows(panel) == [("ann@example.com", "Ann"), ("bob@example.com", "")]


def test_import_refuses_big_and_binary_files(qtbot, pane, model, tmp_path, monkeypatch) -> None:
    panel = show_tab(pane, "cc")
    big = tmp_path / "huge.csv"
    with big.open("wb") as fh:
        fh.truncate(MAX_IMPORT_BYTES + 1)
    choose_file(monkeypatch, big)
    qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    assert "5 MB" in panel.status_label.text() and colour(panel.status_label) == ERROR_COLOUR
    sheet = tmp_path / "list.xlsx"
    sheet.write_bytes(b"PK\x03\x04" + bytes(100))
    choose_file(monkeypatch, sheet)
    qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    assert "save a spreadsheet as CSV" in panel.status_label.text()
    assert model.draft.cc == [] and not model.dirty


def test_import_refuses_a_fifo_at_once(qtbot, pane, model, tmp_path, monkeypatch) -> None:
    """A FIFO with no writer, picked in the file dialog, must not freeze the window (the read
    runs on the UI thread): refused before any read, with the reason."""
    panel = show_tab(pane, "cc")
    fifo = tmp_path / "list.csv"
    os.mkfifo(fifo)
    choose_file(monkeypatch, fifo)
    # A writer that comes after 3 s unblocks a reader that did block, so a regression fails on
    # the time check below instead of hanging the suite.
    unblock = threading.Timer(3, lambda: os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)))
    started = time.monotonic()
    unblock.start()
    try:
        qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    finally:
        unblock.cancel()
    assert time.monotonic() - started < 2
    assert "not a regular file" in panel.status_label.text()
    assert colour(panel.status_label) == ERROR_COLOUR and model.draft.cc == []


def test_remove_with_the_delete_key_and_the_button(qtbot, pane, model) -> None:
    panel = show_tab(pane, "cc")
    qtbot.keyClicks(panel.add_field, "a@example.com, b@example.com, c@example.com, d@example.com")
    qtbot.keyClick(panel.add_field, Qt.Key.Key_Return)
    click_row(qtbot, panel, 1)
    qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    assert [a for a, _ in rows(panel)] == ["a@example.com", "c@example.com", "d@example.com"]
    click_row(qtbot, panel, 0)
    click_row(qtbot, panel, 2, Qt.KeyboardModifier.ControlModifier)
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    assert [r.email for r in model.draft.cc] == ["c@example.com"]
    assert panel.count_label.text() == "1 / 1000 (cc + bcc + archive)"


def test_an_invalid_address_is_marked_with_the_message(qtbot, pane, model) -> None:
    panel = show_tab(pane, "cc")
    qtbot.keyClicks(panel.add_field, "ok@example.com, bob@, cy@example.com")
    qtbot.keyClick(panel.add_field, Qt.Key.Key_Return)
    validate_now(model)
    (problem,) = [p for p in model.problems if p.field == "cc[1]"]
    assert cell(panel, 1, ROLE.ToolTipRole) == problem.message
    assert "bob@" in problem.message
    assert cell(panel, 1, ROLE.ForegroundRole) == ERROR_COLOUR
    assert not cell(panel, 1, ROLE.DecorationRole).isNull()
    assert cell(panel, 0, ROLE.ToolTipRole) is None and cell(panel, 2, ROLE.ToolTipRole) is None
    assert not pane.tabs.tabIcon(0).isNull()  # visible even from another tab
    # Remove the row above it: the mark stays on "bob@" before the pipeline runs again...
    click_row(qtbot, panel, 0)
    qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    assert cell(panel, 0, ROLE.ToolTipRole) == problem.message
    assert cell(panel, 1, ROLE.ToolTipRole) is None
    # ...and once it is fixed and validated, the mark and the tab's icon are gone.
    click_row(qtbot, panel, 0)
    qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    validate_now(model)
    assert cell(panel, 0, ROLE.ToolTipRole) is None and pane.tabs.tabIcon(0).isNull()


def test_a_duplicate_across_lists_is_marked(qtbot, pane, model) -> None:
    model.update(to=[Recipient("ann@example.com")])
    panel = show_tab(pane, "bcc")
    qtbot.keyClicks(panel.add_field, "Ann <ANN@example.com>")
    qtbot.keyClick(panel.add_field, Qt.Key.Key_Return)
    validate_now(model)
    assert "also in To #1" in cell(panel, 0, ROLE.ToolTipRole)


def test_the_1000_counter_turns_red(qtbot, pane, model, tmp_path, monkeypatch) -> None:
    many = tmp_path / "many.txt"
    many.write_text("".join(f"user{i}@example.com\n" for i in range(1001)))
    panel = show_tab(pane, "bcc")
    choose_file(monkeypatch, many)
    qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    assert len(model.draft.bcc) == 1001 and panel.view.model().rowCount() == 1001
    for each in pane.panels.values():  # the limit is for the three lists together
        assert each.count_label.text() == "1001 / 1000 (cc + bcc + archive)"
        assert colour(each.count_label) == ERROR_COLOUR
    validate_now(model)
    cc = pane.panels["cc"]
    assert "at most 1000" in cc.list_problems.text() and not cc.list_problems.isHidden()
    click_row(qtbot, panel, 0)
    qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    assert panel.count_label.text() == "1000 / 1000 (cc + bcc + archive)"
    assert colour(panel.count_label) != ERROR_COLOUR
    assert pane.tabs.tabText(1) == "Bcc (1000)"


def test_replace_draft_redraws_without_writing_back(pane, model) -> None:
    generation = model.generation
    draft = Draft(cc=[Recipient("a@example.com", "Ann")], archive=[Recipient("arch@example.com")])
    model.replace_draft(draft, dirty=False)
    assert rows(pane.panels["cc"]) == [("a@example.com", "Ann")]
    assert rows(pane.panels["archive"]) == [("arch@example.com", "")]
    assert [pane.tabs.tabText(i) for i in range(3)] == ["Cc (1)", "Bcc (0)", "Archive (1)"]
    assert pane.panels["bcc"].count_label.text() == "2 / 1000 (cc + bcc + archive)"
    assert not model.dirty and model.generation == generation + 1  # no edit echoed back
