"""The window on the small screens a new user has (1280×720 and 1366×768, less a title bar):
nothing a person needs is out of sight or unexplained."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from support.gui import WAIT

from composer.gui.main_window import MainWindow


@pytest.mark.parametrize("size", [(1280, 680), (1366, 728)])
def test_every_preview_tab_is_in_sight_and_explained(qtbot, window: MainWindow, size) -> None:
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=WAIT)
    tabs = window.preview.tabs
    bar = tabs.tabBar()
    qtbot.waitUntil(lambda: bar.width() > 0 and tabs.count() >= 7, timeout=WAIT)
    window.body.body.setFocus()  # something the checks have a word about: a count on the tab
    qtbot.keyClicks(window.body.body, '<div style="border-radius:6px">Hi</div>')
    qtbot.waitUntil(lambda: "(" in tabs.tabText(tabs.count() - 1), timeout=WAIT)
    for index in range(tabs.count()):
        rect = bar.tabRect(index)
        # wholly inside the bar: the last tab (Checks, with its count) used to be behind
        # scroll arrows at 1280
        assert rect.left() >= 0 and rect.right() <= bar.width(), (tabs.tabText(index), rect)
        assert bar.mapTo(window, QPoint(rect.right(), 0)).x() <= window.width()
        # and whole: no label shortened at these sizes ("Checks (3)" showed as "Checks …")
        assert rect.width() >= bar.tabSizeHint(index).width(), tabs.tabText(index)
    for index in range(tabs.count()):  # a shortened label keeps its whole name in the tooltip
        assert tabs.tabToolTip(index).startswith(tabs.tabText(index).split(" (")[0]), index


def test_dialogs_fit_the_screen(qtbot, window: MainWindow) -> None:
    """The sandbox's copy viewer, the profiles and the template gallery open within the
    screen's free area, a title bar included (the viewer was 1100×700: below the bottom of
    a 1280×720 laptop). The offscreen test screen is smaller still."""
    from composer.gui.dialogs.profiles import ProfilesDialog
    from composer.gui.preview.copy_viewer import CopyViewer
    from composer.gui.templates_dialog import TemplateGallery

    TITLE_BAR = 40  # px: a window manager's title bar and frame
    free = window.screen().availableGeometry()
    assert free.height() < 700 + TITLE_BAR or free.width() < 1100, free  # the test can fail
    viewer = CopyViewer(None, window)
    qtbot.addWidget(viewer)
    profiles = ProfilesDialog(window.context, window)
    gallery = TemplateGallery(window.context, window)
    for dialog in (viewer, profiles, gallery):
        assert dialog.width() <= free.width(), type(dialog).__name__
        assert dialog.height() + TITLE_BAR <= free.height(), type(dialog).__name__
    qtbot.waitUntil(lambda: profiles.tasks.pending == 0, timeout=WAIT)



def test_every_choice_in_the_window_says_what_it_does(qtbot, window: MainWindow) -> None:
    """Each combo box and check box a new user meets, every panel open, has a tooltip (the
    relay profile, the body format, the preview width and dark mode had none), and so do
    the recipient lists' "Remove invalid" buttons beside "Remove duplicates"."""
    from PySide6.QtWidgets import QCheckBox, QComboBox, QPushButton

    for key in ("recipients", "options", "attachments"):
        window.drawer.open(key)
    silent = [
        f"{type(w).__name__} {w.objectName() or w.accessibleName() or getattr(w, 'text', str)()}"
        for cls in (QComboBox, QCheckBox)
        for w in window.findChildren(cls)
        if w.isVisibleTo(window) and not w.toolTip()
    ]
    assert silent == []
    for button in window.findChildren(QPushButton):
        if button.objectName().endswith("RemoveInvalid"):
            assert "invalid" in button.toolTip(), button.objectName()


def test_the_profile_forms_key_hint_is_read_whole(qtbot, window: MainWindow) -> None:
    """Add a profile: the API key field's grey hint fits the field (it ended "…keep the s…"
    at the dialog's size), and its tooltip says the rest."""
    from PySide6.QtCore import Qt

    from composer.gui.dialogs.profiles import ProfilesDialog

    window.show_profiles()
    dialog = window.findChild(ProfilesDialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() >= 1, timeout=WAIT)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    key = dialog.form.key_edit
    qtbot.waitUntil(key.isVisible, timeout=WAIT)
    hint = key.placeholderText()
    assert "keyring" in hint
    assert key.fontMetrics().horizontalAdvance(hint) + 16 <= key.width(), (hint, key.width())
    assert "never in a file" in key.toolTip()
    qtbot.waitUntil(lambda: dialog.tasks.pending == 0, timeout=WAIT)
    dialog.close()


def test_a_dialog_gone_leaves_the_screen_usable(qtbot, context) -> None:
    """Sizing a dialog to its screen must not tie the app's QScreen to the dialog: once
    Python deleted a dialog sized with ``widget.screen()``, every later use of the screen
    raised "Internal C++ object (QScreen) already deleted" (found taking screenshots)."""
    import gc

    from PySide6.QtGui import QGuiApplication

    from composer.gui.preview.copy_viewer import CopyViewer
    from composer.gui.templates_dialog import TemplateGallery

    screen = QGuiApplication.primaryScreen()
    for make in (lambda: CopyViewer(None), lambda: TemplateGallery(context)):
        dialog = make()
        del dialog
        gc.collect()
        assert screen.availableGeometry().width() > 0  # raised RuntimeError
        assert QGuiApplication.primaryScreen().availableGeometry().width() > 0


@pytest.mark.parametrize("size", [(1280, 680), (1366, 728)])
def test_opening_a_panel_leaves_room_to_write(qtbot, window: MainWindow, size) -> None:
    """A click on a folded panel's line opens it without squeezing the body editor to three
    lines (51 px at 1280×720): until the person drags the splitter, a panel takes at most
    half, and the body editor keeps several lines."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QToolButton

    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=WAIT)
    line = window.body.body.fontMetrics().lineSpacing()
    for key in ("recipients", "options", "attachments"):
        toggle = window.findChild(QToolButton, f"{key}Toggle")
        qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
        panel = window.drawer.sections[key]
        qtbot.waitUntil(lambda p=panel, drawer=window.drawer: p.is_open and p.content.isVisible()
                        and drawer.height() >= drawer.minimumSizeHint().height(),
                        timeout=WAIT)  # fmt: skip
        assert window.body.body.height() >= 6 * line, (key, window.body.body.height())
        qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda p=panel: not p.is_open, timeout=WAIT)
