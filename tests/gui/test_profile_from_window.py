"""Issue 15 item 7 in the window: the chosen profile's saved From fills an empty From."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from support.gui import main_window

from composer.transport.profiles.store import Profile

SENDER = "News <news@acme.example>"


@pytest.fixture
def profiles(context):
    store = context.profiles()
    store.add(Profile.new("ent", "sparkpost", default_from=SENDER))
    store.add(Profile.new("other", "sparkpost", default_from="Ops <ops@acme.example>"))
    store.add(Profile.new("bare", "sparkpost"))
    store.set_default("ent")
    return store


def test_the_default_profiles_from_fills_a_new_window(profiles, context, qtbot, monkeypatch):
    with main_window(qtbot, monkeypatch, context) as w:
        qtbot.waitUntil(lambda: w.header.from_field.text() == SENDER, timeout=10_000)
        assert w.model.draft.from_addr.email == "news@acme.example"
        assert not w.model.dirty  # a default, not an edit: closing does not ask to save
        # another profile: its sender replaces the one we filled in; none leaves it empty
        w.header.profile.setCurrentText("other")
        qtbot.waitUntil(lambda: "ops@acme.example" in w.header.from_field.text(), timeout=10_000)
        w.header.profile.setCurrentText("bare")
        qtbot.waitUntil(lambda: w.header.from_field.text() == "", timeout=10_000)


def test_a_typed_from_is_never_replaced(profiles, context, qtbot, monkeypatch):
    with main_window(qtbot, monkeypatch, context) as w:
        qtbot.waitUntil(lambda: w.header.from_field.text() == SENDER, timeout=10_000)
        field = w.header.from_field
        field.setFocus()
        field.selectAll()
        QTest.keyClicks(field, "me@example.com")
        QTest.keyClick(field, Qt.Key.Key_Tab)
        w.header.profile.setCurrentText("other")
        qtbot.waitUntil(lambda: w.profile_sender.default.startswith("Ops"), timeout=10_000)
        assert w.model.draft.from_addr.email == "me@example.com"
        assert field.text() == "me@example.com"


def test_new_draft_gets_the_profiles_from_again(profiles, context, qtbot, monkeypatch):
    with main_window(qtbot, monkeypatch, context) as w:
        qtbot.waitUntil(lambda: w.header.from_field.text() == SENDER, timeout=10_000)
        w.drafts.new_draft()
        qtbot.waitUntil(lambda: w.header.from_field.text() == SENDER, timeout=10_000)
