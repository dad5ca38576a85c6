"""Issue 15 item 5 in the window: File → Open HTML / Markdown (and a file dropped on the editor),
Export .eml (the bytes `composer send --eml` writes), Import .eml as a new draft, and Edit →
Find and Replace (Ctrl+F / Ctrl+H) in the body and AMP editors."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from support.gui import WAIT

from composer.core.build import build_message
from composer.core.draft import Attachment, BodyFormat, Draft, Options, Recipient, dumps_draft


def _failures(window) -> list[str]:
    seen: list[str] = []
    window.file_actions.notify_failure = seen.append  # no modal box in a test
    return seen


def test_open_markdown_into_the_body_and_undo_it(window, qtbot, tmp_path: Path) -> None:
    editor = window.body.body
    editor.setFocus()
    QTest.keyClicks(editor, "old body")
    source = tmp_path / "letter.md"
    source.write_text("# From a file\n\nWith **bold**.\n", encoding="utf-8")
    with qtbot.waitSignal(window.file_actions.body_opened, timeout=WAIT):
        window.file_actions.open_body_path(str(source))
    assert editor.toPlainText() == "# From a file\n\nWith **bold**.\n"
    assert window.model.draft.body == editor.toPlainText()
    assert window.model.draft.body_format is BodyFormat.MARKDOWN
    QTest.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.toPlainText() == "old body"


def test_a_file_dropped_on_the_editor_becomes_the_body(window, qtbot, tmp_path: Path) -> None:
    source = tmp_path / "page.html"
    source.write_text("<p>dropped</p>", encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(source))])
    target = window.body.body.viewport()
    where = QPointF(target.rect().center())
    actions, button = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton
    enter = QDragEnterEvent(where.toPoint(), actions, mime, button, Qt.KeyboardModifier(0))
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(window.file_actions.body_opened, timeout=WAIT):
        QApplication.sendEvent(target, QDropEvent(where, actions, mime, button,
                                                  Qt.KeyboardModifier(0)))  # fmt: skip
    assert window.body.body.toPlainText() == "<p>dropped</p>"
    assert window.model.draft.body_format is BodyFormat.HTML
    assert "file://" not in window.body.body.toPlainText()


def test_open_refuses_what_cannot_be_a_body(window, qtbot, tmp_path: Path) -> None:
    failures = _failures(window)
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\xff\xfe\x00 not utf-8")
    window.file_actions.open_body_path(str(binary))
    qtbot.waitUntil(lambda: bool(failures), timeout=WAIT)
    assert "photo.txt" in failures[0] and "UTF-8" in failures[0]
    window.file_actions.open_body_path("/dev/zero.md")
    qtbot.waitUntil(lambda: len(failures) == 2, timeout=WAIT)
    assert window.model.draft.body == ""


def _normalised(data: bytes) -> bytes:
    """Date, Message-ID and MIME boundaries differ between any two builds."""
    data = re.sub(rb"(?m)^(Date|Message-ID): .*$", rb"\1: -", data)
    for i, b in enumerate(dict.fromkeys(re.findall(rb'boundary="([^"]+)"', data))):
        data = data.replace(b, b"BOUNDARY%d" % i)
    return data


def _draft(tmp_path: Path) -> Draft:
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 8)
    return Draft(
        from_addr=Recipient("ann@example.com", "Ann"), to=[Recipient("bob@example.com")],
        subject="Quarterly", body="# Hi\n\nNumbers *attached*.",
        amp_html="<!doctype html><html ⚡4email><body>amp</body></html>",
        attachments=[Attachment(str(report))], cc=[Recipient("cy@example.com", "Cy")],
        bcc=[Recipient("dee@example.com")], campaign_id="q3", tags=["report"],
        metadata={"n": 3}, options=Options(open_tracking=True, sandbox=True),
    )  # fmt: skip


def test_export_writes_the_bytes_composer_send_eml_writes(
    window, qtbot, tmp_path: Path, run_composer
) -> None:
    draft = _draft(tmp_path)
    window.model.replace_draft(draft)
    qtbot.waitUntil(lambda: window.send_button.isEnabled(), timeout=WAIT)
    out = tmp_path / "window.eml"
    with qtbot.waitSignal(window.file_actions.exported, timeout=WAIT):
        window.file_actions.export_eml_path(str(out))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    draft_file = tmp_path / "draft.json"
    draft_file.write_text(dumps_draft(draft), encoding="utf-8")
    r = run_composer("send", "--draft", str(draft_file), "--dry-run", "--eml",
                     str(tmp_path / "cli.eml"))  # fmt: skip
    assert r.code == 0, r.err
    cli = (tmp_path / "cli.eml").read_bytes()
    assert b"\r\n" in cli and _normalised(out.read_bytes()) == _normalised(cli)


def test_import_eml_as_a_new_draft(window, qtbot, tmp_path: Path, composer_home: Path) -> None:
    draft = _draft(tmp_path)
    eml = tmp_path / "sent.eml"
    eml.write_bytes(build_message(draft).data)
    with qtbot.waitSignal(window.file_actions.imported, timeout=WAIT):
        window.file_actions.import_eml_path(str(eml))
    d = window.model.draft
    assert (d.from_addr, d.to, d.subject) == (draft.from_addr, draft.to, draft.subject)
    assert (d.cc, d.bcc, d.campaign_id, d.tags) == (draft.cc, draft.bcc, "q3", ["report"])
    assert (d.metadata, d.options) == (draft.metadata, draft.options)
    assert d.body_format is BodyFormat.HTML and "<em>attached</em>" in d.body
    assert d.amp_html is not None and "amp" in d.amp_html
    assert window.header.subject.text() == "Quarterly"
    assert window.options.campaign_field.text() == "q3"
    (saved,) = d.attachments
    path = Path(saved.path)
    assert path.name == "report.pdf" and path.read_bytes() == Path(
        draft.attachments[0].path
    ).read_bytes()
    assert composer_home in path.parents
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert window.model.dirty and window.drafts.path is None  # a new draft, not saved yet
    qtbot.waitUntil(lambda: window.send_button.isEnabled(), timeout=WAIT)


def test_a_hostile_eml_is_refused_and_the_draft_kept(window, qtbot, tmp_path: Path) -> None:
    failures = _failures(window)
    window.header.subject.setFocus()
    QTest.keyClicks(window.header.subject, "Mine")
    hostile = tmp_path / "evil.eml"
    hostile.write_bytes(
        b"From: a@example.com\r\nSubject: =?UTF-8?Q?hi=0D=0ABcc:_x@evil.example?=\r\n\r\nbody\r\n"
    )
    window.file_actions.import_eml_path(str(hostile), asked=True)
    qtbot.waitUntil(lambda: bool(failures), timeout=WAIT)
    assert failures[0].startswith("Import .eml: Subject:")
    assert window.model.draft.subject == "Mine"


def _type_body(qtbot, window, text: str) -> None:
    window.body.body.setFocus()
    QTest.keyClicks(window.body.body, text)


def _active(qtbot, window) -> None:
    window.activateWindow()  # the menu's shortcuts work in the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)


def test_a_draft_in_another_format_keeps_its_body(window, qtbot) -> None:
    """Found on the way: loading an HTML draft into a Markdown window re-highlighted the old
    (empty) text, whose textChanged wrote '' over the new body."""
    window.drafts.load(Draft(body="<p>kept</p>", body_format=BodyFormat.HTML), None)
    assert window.model.draft.body == "<p>kept</p>"
    assert window.body.body.toPlainText() == "<p>kept</p>"


def test_find_and_replace_in_the_body_is_one_undo_step(window, qtbot) -> None:
    _type_body(qtbot, window, "a cat, a Cat and a dog")
    _active(qtbot, window)
    QTest.keyClick(window.body.body, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    bar = window.find_bar
    qtbot.waitUntil(bar.find_field.hasFocus, timeout=WAIT)
    assert bar.isVisible() and not bar.replace_row.isVisible()
    QTest.keyClicks(bar.find_field, "cat")
    assert bar.status.text() == "2 matches"
    QTest.keyClick(bar.find_field, Qt.Key.Key_Return)
    assert window.body.body.textCursor().selectedText() == "cat"
    QTest.keyClick(bar.find_field, Qt.Key.Key_Return)
    assert window.body.body.textCursor().selectedText() == "Cat"
    QTest.keyClick(bar.find_field, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    assert bar.replace_row.isVisible()
    QTest.keyClicks(bar.replace_field, "bird")
    qtbot.mouseClick(bar.replace_all_button, Qt.MouseButton.LeftButton)
    assert window.body.body.toPlainText() == "a bird, a bird and a dog"
    assert window.model.draft.body == "a bird, a bird and a dog"
    QTest.keyClick(bar.find_field, Qt.Key.Key_Escape)
    assert not bar.isVisible() and window.body.body.hasFocus()
    QTest.keyClick(window.body.body, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.body.body.toPlainText() == "a cat, a Cat and a dog"


def test_find_works_in_the_amp_editor_too(window, qtbot) -> None:
    window.body.setCurrentWidget(window.body.amp)
    amp = window.body.amp
    amp.setFocus()
    QTest.keyClicks(amp, "<p>one</p><p>two</p>")
    _active(qtbot, window)
    QTest.keyClick(amp, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    bar = window.find_bar
    qtbot.waitUntil(bar.find_field.hasFocus, timeout=WAIT)
    QTest.keyClicks(bar.find_field, "two")
    QTest.keyClicks(bar.replace_field, "2")
    QTest.keyClick(bar.replace_field, Qt.Key.Key_Return)  # Replace: the first match
    assert amp.toPlainText() == "<p>one</p><p>2</p>"
    assert window.model.draft.amp_html == "<p>one</p><p>2</p>"
    assert window.body.body.toPlainText() == ""


def test_the_edit_menu_is_after_file(window) -> None:
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles[:2] == ["&File", "&Edit"]
    items = [a.text() for a in window.edit_menu.actions() if a.text()]
    assert items[:2] == ["&Undo", "&Redo"] and "&Find…" in items and "R&eplace…" in items
