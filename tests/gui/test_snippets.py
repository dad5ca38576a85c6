"""Snippets as a person uses them: Ctrl+K, type, Enter; the Insert menu; Esc."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from support.gui import WAIT

from composer.core.draft import BodyFormat
from composer.core.render import render


def type_text(widget, text: str) -> None:
    """As a person types it: QTest.keyClicks aborts the process on a "\n" (PySide 6.12)."""
    for i, line in enumerate(text.split("\n")):
        if i:
            QTest.keyClick(widget, Qt.Key.Key_Return)
        if line:
            QTest.keyClicks(widget, line)


def _ready(qtbot, window) -> None:
    qtbot.waitUntil(lambda: len(window.snippets.snippets) >= 7, timeout=WAIT)
    qtbot.waitUntil(lambda: window.schedule.generation == window.model.generation, timeout=WAIT)


def _palette_insert(qtbot, window, words: str) -> None:
    editor = window.body.body
    QTest.keyClick(editor, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.snippets.palette is not None
                    and window.snippets.palette.isVisible(), timeout=WAIT)  # fmt: skip
    palette = window.snippets.palette
    QTest.keyClicks(palette.filter, words)
    QTest.keyClick(palette.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not palette.isVisible(), timeout=WAIT)


def _preview_html(window) -> str:
    r = window.preview.result
    return "" if r is None or r.recipient_html is None else r.recipient_html


def test_ctrl_k_butt_enter_puts_the_button_at_the_cursor_and_the_preview_follows(
    qtbot, window
) -> None:
    window.body.format.setCurrentIndex(1)  # HTML, as a person picks it
    assert window.model.draft.body_format is BodyFormat.HTML
    editor = window.body.body
    editor.setFocus()
    type_text(editor, "<p>Before</p>\n<p>After</p>")
    cursor = editor.textCursor()
    cursor.setPosition(len("<p>Before</p>\n"))
    editor.setTextCursor(cursor)
    _ready(qtbot, window)
    assert "v:roundrect" not in _preview_html(window)

    _palette_insert(qtbot, window, "butt")

    text = editor.toPlainText()
    assert text.startswith("<p>Before</p>\n<table role=\"presentation\"")
    assert text.endswith("</table><p>After</p>")
    assert "<!--[if mso]>" in text and "<v:roundrect" in text  # Outlook's button
    assert window.model.draft.body == text
    qtbot.waitUntil(lambda: "v:roundrect" in _preview_html(window), timeout=WAIT)
    assert window.focusWidget() is editor  # back where the person was typing
    editor.undo()  # one edit: one undo takes it out
    assert editor.toPlainText() == "<p>Before</p>\n<p>After</p>"


def test_in_markdown_a_snippet_is_a_raw_html_block_the_renderer_keeps(qtbot, window) -> None:
    editor = window.body.body
    editor.setFocus()
    type_text(editor, "Hello **there**")
    _ready(qtbot, window)
    _palette_insert(qtbot, window, "footer unsub")
    text = editor.toPlainText()
    assert text.startswith("Hello **there**\n\n<table") and text.endswith("</table>\n")
    type_text(editor, "\nThanks *again*")
    html = render(window.model.snapshot()).html or ""
    assert "<strong>there</strong>" in html and "<em>again</em>" in html
    assert 'data-msys-unsubscribe="1"' in html  # passed through untouched
    qtbot.waitUntil(lambda: "data-msys-unsubscribe" in _preview_html(window), timeout=WAIT)


def test_markdown_gets_the_markdown_form_where_there_is_one(qtbot, window) -> None:
    editor = window.body.body
    editor.setFocus()
    type_text(editor, "Top")
    _ready(qtbot, window)
    _palette_insert(qtbot, window, "divider")
    assert editor.toPlainText() == "Top\n\n---\n"


def test_escape_closes_the_palette_and_inserts_nothing(qtbot, window) -> None:
    editor = window.body.body
    editor.setFocus()
    type_text(editor, "Text")
    _ready(qtbot, window)
    QTest.keyClick(editor, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.snippets.palette is not None
                    and window.snippets.palette.isVisible(), timeout=WAIT)  # fmt: skip
    palette = window.snippets.palette
    QTest.keyClicks(palette.filter, "spacer")
    assert palette.list.count() == 1
    QTest.keyClick(palette.filter, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not palette.isVisible(), timeout=WAIT)
    assert editor.toPlainText() == "Text"


def test_the_insert_menu_lists_every_snippet_and_a_plain_body_refuses(qtbot, window) -> None:
    _ready(qtbot, window)
    menu = window.snippets.menu
    names = [a.text() for a in menu.actions()]
    for name in ("Button (bulletproof)", "Spacer", "Divider", "Image with alt text",
                 "Footer with unsubscribe", "Social links row", "Two-column block"):  # fmt: skip
        assert name in names
    window.body.format.setCurrentIndex(2)  # plain text
    [spacer] = [a for a in menu.actions() if a.text() == "Spacer"]
    spacer.trigger()
    assert window.body.body.toPlainText() == ""
    assert "switch the body to HTML or Markdown" in window.statusBar().currentMessage()


def test_save_selection_as_snippet_then_insert_it(qtbot, window, monkeypatch) -> None:
    from PySide6.QtWidgets import QInputDialog

    window.body.format.setCurrentIndex(1)
    editor = window.body.body
    editor.setFocus()
    type_text(editor, '<div class="promo">30% off</div>')
    editor.selectAll()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Promo banner", True))
    window.snippets.save_selection()
    qtbot.waitUntil(lambda: any(s.key == "promo-banner" for s in window.snippets.snippets),
                    timeout=WAIT)  # fmt: skip
    QTest.keyClick(editor, Qt.Key.Key_End)
    QTest.keyClick(editor, Qt.Key.Key_Return)
    _palette_insert(qtbot, window, "promo")
    assert editor.toPlainText().count('<div class="promo">30% off</div>') == 2
