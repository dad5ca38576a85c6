"""Campaign, tags, metadata and relay options, used as a person would, checked on screen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QStyle,
    QStyleOptionButton,
)
from support.gui import on_screen

from composer.core.draft import Draft, Options
from composer.core.validate import validate
from composer.gui.attachments import ERROR_COLOUR, WARNING_COLOUR
from composer.gui.model import DraftModel
from composer.gui.options import OptionsPane

ROLE = Qt.ItemDataRole
CS = Qt.CheckState
NO_MOD = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def pane(qtbot, model: DraftModel) -> OptionsPane:
    return on_screen(qtbot, OptionsPane(model), (800, 700))


def validate_now(model: DraftModel) -> None:
    model.set_problems(validate(model.draft))


def colour(label) -> object:
    return label.palette().color(QPalette.ColorRole.WindowText)


def click_box(qtbot, box: QCheckBox) -> None:
    """Click on the check box's square, as a person aims for it."""
    option = QStyleOptionButton()
    option.initFrom(box)
    square = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=square.center())


def type_accented(widget, text: str) -> None:
    """QTest types ASCII only; a French keyboard sends key events whose text is "é"."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_Eacute, NO_MOD, ch))


def edit_cell(qtbot, pane: OptionsPane, row: int, column: int, text: str) -> None:
    """Select the cell, press F2, type, press Enter."""
    table = pane.metadata.table
    table.setCurrentCell(row, column)
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editor = table.indexWidget(table.model().index(row, column))
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    close_editor(qtbot, table, editor)


def close_editor(qtbot, table, editor: QLineEdit) -> None:
    """Enter commits; the delegate does it on the next turn of the event loop."""
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.state() != table.State.EditingState)


def choose_type(qtbot, pane: OptionsPane, row: int, kind: str) -> None:
    combo = pane.metadata.table.cellWidget(row, 2)
    assert isinstance(combo, QComboBox)
    qtbot.keyClicks(combo, kind)  # a closed combo box selects the item typed
    assert combo.currentText() == kind


def add_row(qtbot, pane: OptionsPane, key: str, value: str, kind: str) -> int:
    qtbot.mouseClick(pane.metadata.add_button, Qt.MouseButton.LeftButton)
    row = pane.metadata.table.rowCount() - 1
    editor = pane.metadata.table.indexWidget(pane.metadata.table.model().index(row, 0))
    assert isinstance(editor, QLineEdit), "Add row starts editing the new key"
    qtbot.keyClicks(editor, key)
    close_editor(qtbot, pane.metadata.table, editor)
    choose_type(qtbot, pane, row, kind)
    edit_cell(qtbot, pane, row, 1, value)
    return row


def test_every_widget_is_named(pane: OptionsPane) -> None:
    names = ["campaignField", "ipPoolField", "tagsField", "metadataTable", "openTracking"]
    names += ["clickTracking", "transactional", "sandbox", "skipSuppression", "inlineCss"]
    names += ["inlineLocally", "campaignCounter", "tagsCounter", "metadataCounter"]
    for name in names:
        widget = pane.findChild(object, name)
        assert widget is not None and widget.accessibleName(), name
    assert pane.findChild(QLineEdit, "ipPoolField") is pane.ip_pool_field
    assert pane.objectName() == "optionsPane"


def test_campaign_byte_counter(qtbot, pane: OptionsPane, model: DraftModel) -> None:
    pane.campaign_field.setFocus()
    type_accented(pane.campaign_field, "é" * 40)
    assert model.draft.campaign_id == "é" * 40
    assert pane.campaign_counter.text() == "80 / 64 bytes"
    assert colour(pane.campaign_counter) == ERROR_COLOUR
    validate_now(model)
    problems = pane.problem_labels["campaign_id"]
    assert "80 bytes" in problems.text() and not problems.isHidden()
    for _ in range(8):
        qtbot.keyClick(pane.campaign_field, Qt.Key.Key_Backspace)
    assert pane.campaign_counter.text() == "64 / 64 bytes"
    assert colour(pane.campaign_counter) != ERROR_COLOUR
    validate_now(model)
    assert problems.isHidden()


def test_tags_keep_a_trailing_comma_and_count(qtbot, pane: OptionsPane, model) -> None:
    qtbot.keyClicks(pane.tags_field, "news, spring,")
    assert model.draft.tags == ["news", "spring"]
    assert pane.tags_field.text() == "news, spring,"  # the redraw did not eat the comma
    assert pane.tags_counter.text() == "2 / 10"
    qtbot.keyClicks(pane.tags_field, ",".join(f"t{i}" for i in range(9)))
    assert pane.tags_counter.text() == "11 / 10" and colour(pane.tags_counter) == ERROR_COLOUR
    validate_now(model)
    assert "at most 10" in pane.problem_labels["tags"].text()


def test_metadata_values_are_typed(qtbot, pane: OptionsPane, model: DraftModel) -> None:
    add_row(qtbot, pane, "count", "3", "number")
    add_row(qtbot, pane, "vip", "true", "true-false")
    add_row(qtbot, pane, "prefs", '{"lang": "fr", "ids": [1, 2]}', "JSON")
    add_row(qtbot, pane, "note", "3", "text")
    meta = model.draft.metadata
    assert meta == {"count": 3, "vip": True, "prefs": {"lang": "fr", "ids": [1, 2]}, "note": "3"}
    assert type(meta["count"]) is int and meta["vip"] is True
    expected = len('{"count":3,"vip":true,"prefs":{"lang":"fr","ids":[1,2]},"note":"3"}')
    assert pane.metadata.counter.text() == f"{expected} / 1000 bytes"


def test_a_value_that_does_not_parse_is_marked_and_kept_out(qtbot, pane, model) -> None:
    add_row(qtbot, pane, "count", "3", "number")
    with qtbot.waitSignal(pane.metadata.local_problems_changed) as blocker:
        edit_cell(qtbot, pane, 0, 1, "three")
    (problem,) = blocker.args[0]
    assert problem.message == "Row 1: value is not a number (like 3 or 2.5)"
    value_cell = pane.metadata.table.item(0, 1)
    assert value_cell.toolTip() == "value is not a number (like 3 or 2.5)"
    assert value_cell.data(ROLE.ForegroundRole) == ERROR_COLOUR
    assert "Row 1: value is not a number" in pane.metadata.problems.text()
    assert model.draft.metadata == {}  # the Draft holds only what parses
    assert pane.metadata.table.item(0, 1).text() == "three"  # the typing is not lost
    edit_cell(qtbot, pane, 0, 1, "4")
    assert model.draft.metadata == {"count": 4}
    assert value_cell.toolTip() == "" and pane.metadata.local_problems == []
    assert pane.metadata.problems.isHidden()


def test_json_true_after_1_is_not_lost(qtbot, pane, model) -> None:
    # DraftModel.update compares with ==, and in Python True == 1.
    add_row(qtbot, pane, "flag", "1", "JSON")
    assert model.draft.metadata == {"flag": 1}
    edit_cell(qtbot, pane, 0, 1, "true")
    assert model.draft.metadata["flag"] is True


def test_remove_a_metadata_row(qtbot, pane, model) -> None:
    add_row(qtbot, pane, "a", "x", "text")
    add_row(qtbot, pane, "b", "y", "text")
    pane.metadata.table.setCurrentCell(0, 0)
    qtbot.mouseClick(pane.metadata.remove_button, Qt.MouseButton.LeftButton)
    assert model.draft.metadata == {"b": "y"} and pane.metadata.table.rowCount() == 1


def test_metadata_over_1000_bytes_is_a_warning(pane, model) -> None:
    model.update(metadata={"a": "x" * 600, "b": "y" * 600})
    assert pane.metadata.table.item(1, 1).text() == "y" * 600
    assert colour(pane.metadata.counter) == WARNING_COLOUR
    validate_now(model)
    assert "only the first 1000 bytes" in pane.metadata.problems.text()
    assert colour(pane.metadata.problems) == WARNING_COLOUR


def test_tracking_cycles_through_three_states(qtbot, pane: OptionsPane, model) -> None:
    box = pane.findChild(QCheckBox, "openTracking")
    assert box.checkState() == CS.PartiallyChecked and box.text().endswith("(account default)")
    seen = []
    for _ in range(3):
        click_box(qtbot, box)
        seen.append((box.checkState(), model.draft.options.open_tracking, box.text()))
    assert seen == [
        (CS.Checked, True, "Open tracking (on)"),
        (CS.Unchecked, False, "Open tracking (off)"),
        (CS.PartiallyChecked, None, "Open tracking (account default)"),
    ]
    # The window's tests click the middle of a check box: that must land on it too.
    other = pane.findChild(QCheckBox, "clickTracking")
    middle = QPoint(other.width() // 2, other.height() // 2)
    qtbot.mouseClick(other, Qt.MouseButton.LeftButton, pos=middle)
    assert model.draft.options.click_tracking is True


def test_plain_checkboxes_set_true_or_leave_the_default(qtbot, pane, model) -> None:
    for name, option in [
        ("transactional", "transactional"),
        ("sandbox", "sandbox"),
        ("skipSuppression", "skip_suppression"),
        ("inlineCss", "inline_css"),
    ]:
        box = pane.findChild(QCheckBox, name)
        click_box(qtbot, box)
        assert getattr(model.draft.options, option) is True
        click_box(qtbot, box)
        assert getattr(model.draft.options, option) is None  # not False: the key is left out
    click_box(qtbot, pane.findChild(QCheckBox, "inlineLocally"))
    assert model.draft.inline_locally is True


def test_ip_pool_offers_sp_shared(qtbot, pane: OptionsPane, model) -> None:
    field = pane.findChild(QLineEdit, "ipPoolField")
    assert "sp_shared" in field.toolTip()
    pane.activateWindow()
    qtbot.waitUntil(pane.isActiveWindow)
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(field, "sp")
    popup = field.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert field.text() == "sp_shared" and model.draft.options.ip_pool == "sp_shared"


def test_ip_pool_problem_is_shown_under_it(qtbot, pane, model) -> None:
    qtbot.keyClicks(pane.ip_pool_field, "my pool")
    validate_now(model)
    label = pane.problem_labels["options.ip_pool"]
    assert label.text() == "must not contain spaces" and not label.isHidden()
    assert colour(label) == ERROR_COLOUR


def test_replace_draft_updates_every_widget_without_echo(pane: OptionsPane, model) -> None:
    options = Options(
        open_tracking=False,
        click_tracking=True,
        transactional=True,
        sandbox=True,
        skip_suppression=True,
        ip_pool="sp_shared",
        inline_css=True,
    )
    draft = Draft(
        campaign_id="spring",
        tags=["a", "b"],
        metadata={"n": 2.5, "ok": False},
        options=options,
        inline_locally=True,
    )
    generation = model.generation
    model.replace_draft(draft, dirty=False)
    assert not model.dirty and model.generation == generation + 1  # nothing written back
    assert model.draft.metadata == {"n": 2.5, "ok": False} and model.draft.options == options
    assert pane.campaign_field.text() == "spring" and pane.campaign_counter.text() == "6 / 64 bytes"
    assert pane.tags_field.text() == "a, b" and pane.tags_counter.text() == "2 / 10"
    assert pane.ip_pool_field.text() == "sp_shared"
    table = pane.metadata.table
    shown = [
        (table.item(r, 0).text(), table.item(r, 1).text(), table.cellWidget(r, 2).currentText())
        for r in range(table.rowCount())
    ]
    assert shown == [("n", "2.5", "number"), ("ok", "false", "true-false")]
    states = {name: box.checkState() for name, box in pane.checks.items()}
    assert states == {
        "open_tracking": CS.Unchecked,
        "click_tracking": CS.Checked,
        "transactional": CS.Checked,
        "sandbox": CS.Checked,
        "skip_suppression": CS.Checked,
        "inline_css": CS.Checked,
        "inline_locally": CS.Checked,
    }
    assert pane.checks["open_tracking"].text() == "Open tracking (off)"
    model.replace_draft(Draft(), dirty=False)
    assert pane.campaign_field.text() == "" and table.rowCount() == 0
    assert pane.checks["open_tracking"].checkState() == CS.PartiallyChecked and not model.dirty
