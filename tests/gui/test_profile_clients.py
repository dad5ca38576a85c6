"""Issue 14: the target clients per profile, in the window. The profile form has a field for
them (typed, validated, a tooltip listing the known ids) and the Checks tab checks against the
chosen profile's clients, following a change of profile and an edit of the profile."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from support.gui import WAIT, main_window, on_screen

from composer.core.checks import DEFAULT_CLIENTS
from composer.core.draft import BodyFormat, Options, Recipient
from composer.gui.dialogs.profiles import ProfilesDialog
from composer.gui.main_window import MainWindow
from composer.gui.preview.checks_tab import ChecksTab
from composer.transport.profiles.store import Profile

MINE = ("gmail.ios", "outlook.windows")
# display:flex and a media query: the default clients differ on both, so findings name clients
PAGE = (
    '<!doctype html><html lang="en"><head><title>T</title>'
    "<style>@media (max-width:600px){p{color:red}}</style></head><body>\n"
    '<div style="display:flex;gap:8px"><p>Hello</p></div>\n'
    '<p><a href="https://x.example/u" data-msys-unsubscribe="1">Unsubscribe</a></p>\n'
    "</body></html>"
)


def click(qtbot, button: QWidget) -> None:
    assert button.isEnabled(), button.objectName()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def open_form(qtbot, dialog: ProfilesDialog, name: str) -> None:
    qtbot.waitUntil(lambda: name in [p.name for p in dialog.profiles], timeout=WAIT)
    dialog.select(name)
    click(qtbot, dialog.edit_button)
    assert dialog.form.isVisible()


def type_clients(qtbot, dialog: ProfilesDialog, text: str) -> None:
    edit = dialog.form.clients_edit
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def test_the_form_saves_the_clients_and_keeps_what_it_does_not_show(context, qtbot) -> None:
    context.profiles().add(Profile.new("dev", "local", connections=8))
    dialog = on_screen(qtbot, ProfilesDialog(context, None))
    form = dialog.form
    # the tooltip lists every known id once the data is read (off the UI thread)
    qtbot.waitUntil(lambda: "outlook.windows-mail" in form.clients_edit.toolTip(), timeout=WAIT)
    assert "Empty: the default set" in form.clients_edit.toolTip()
    open_form(qtbot, dialog, "dev")
    assert form.clients_edit.text() == ""

    type_clients(qtbot, dialog, "gmail.ios, hotmail.msn")
    click(qtbot, form.save_button)
    assert form.error_label.text().startswith("clients: unknown client id 'hotmail.msn'")
    assert form.clients_edit.hasFocus()
    assert context.profiles().get("dev").clients == ()  # nothing saved

    type_clients(qtbot, dialog, "gmail.ios, outlook.windows")
    with qtbot.waitSignal(dialog.profiles_changed, timeout=WAIT):
        click(qtbot, form.save_button)
    saved = context.profiles().get("dev")
    assert saved.clients == MINE
    assert saved.connections == 8  # the form has no field for it, and used to reset it to 4
    qtbot.waitUntil(lambda: dialog.tasks.pending == 0, timeout=WAIT)
    open_form(qtbot, dialog, "dev")
    assert form.clients_edit.text() == "gmail.ios, outlook.windows"
    qtbot.waitUntil(lambda: dialog.tasks.pending == 0, timeout=WAIT)


def _tab(w: MainWindow) -> ChecksTab:
    tab = w.findChild(ChecksTab, "checksTab")
    assert tab is not None
    return tab


def _named(w: MainWindow) -> set[str]:
    return {c for f in _tab(w).all_findings for c in f.clients}


def test_the_checks_tab_follows_the_chosen_profiles_clients(context, qtbot, monkeypatch) -> None:
    store = context.profiles()
    store.add(Profile.new("two", "local", clients=list(MINE)))
    with main_window(qtbot, monkeypatch, context) as w:
        w.model.update(from_addr=Recipient("ann@example.com"), to=[Recipient("bob@example.com")],
                       subject="Spring", body_format=BodyFormat.HTML, body=PAGE,
                       options=Options(open_tracking=False, click_tracking=False))  # fmt: skip
        qtbot.waitUntil(lambda: bool(_named(w) - set(MINE)), timeout=WAIT)  # the default set
        assert _named(w) <= set(DEFAULT_CLIENTS)

        w.header.profile.setCurrentText("two")
        qtbot.waitUntil(lambda: bool(_named(w)) and _named(w) <= set(MINE), timeout=WAIT)

        # an edit of the chosen profile in the Profiles dialog: the tab follows at once
        w.show_profiles()
        dialog = w.findChild(ProfilesDialog)
        assert dialog is not None
        open_form(qtbot, dialog, "two")
        type_clients(qtbot, dialog, "outlook.windows")
        click(qtbot, dialog.form.save_button)
        qtbot.waitUntil(lambda: _named(w) == {"outlook.windows"}, timeout=WAIT)
        qtbot.waitUntil(lambda: dialog.tasks.pending == 0, timeout=WAIT)
        dialog.close()
