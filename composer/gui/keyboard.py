"""No keyboard traps (issue 15 item 8): Tab and Shift+Tab always move on to the next control.

Two kinds of widget kept the focus: item views (Qt's tables move between cells on Tab once they
hold rows) and the web views, whose keys go to a focus-proxy child that hands Tab to Chromium,
which cycles inside the page for ever. ``free_tab_keys`` turns the first off for every view under
a widget; ``let_tab_out`` makes the second give Tab back to the window's focus chain. Inside a
table, the arrow keys move between cells; an open cell editor still moves on with Tab.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QWidget

__all__ = ["TabOut", "free_tab_keys", "let_tab_out", "move_focus"]

_TAB_KEYS = (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)


def free_tab_keys(root: QWidget) -> None:
    """Tab leaves every item view under ``root`` (and ``root`` itself, if it is one)."""
    views = root.findChildren(QAbstractItemView)
    if isinstance(root, QAbstractItemView):
        views.append(root)
    for view in views:
        view.setTabKeyNavigation(False)


def _takes_tab(w: QWidget, top: QWidget) -> bool:
    return (
        w.window() is top
        and w.isVisible()
        and w.isEnabled()
        and bool(w.focusPolicy() & Qt.FocusPolicy.TabFocus)
        and w.focusProxy() is None
    )


def move_focus(current: QWidget, forward: bool, skip: QWidget | None = None) -> bool:
    """Focus the next (or previous) control in ``current``'s window after ``current``, never
    one inside ``skip`` (the widget being left). False when there is none."""
    top = current.window()
    w = current
    for _ in range(10_000):  # the chain is a ring; bounded in case a widget is half-torn-down
        w = w.nextInFocusChain() if forward else w.previousInFocusChain()
        if w is current:
            return False
        inside = skip is not None and (w is skip or skip.isAncestorOf(w))
        if not inside and _takes_tab(w, top):
            w.setFocus(
                Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason
            )
            return True
    return False


class TabOut(QObject):
    """Watches a widget and every child it gets: Tab / Shift+Tab leave the widget."""

    def __init__(self, owner: QWidget) -> None:
        super().__init__(owner)
        self.owner = owner
        owner.installEventFilter(self)
        for child in owner.findChildren(QWidget):
            child.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.ChildAdded and watched is self.owner:
            child = event.child()  # type: ignore[attr-defined]
            if isinstance(child, QWidget):  # the web view's focus proxy arrives late
                child.installEventFilter(self)
            return False
        if kind in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride) and isinstance(
            event, QKeyEvent
        ):
            mods = event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
            if event.key() in _TAB_KEYS and mods == Qt.KeyboardModifier.NoModifier:
                if kind == QEvent.Type.ShortcutOverride:
                    event.accept()  # ours: the KeyPress comes here, not to a shortcut
                    return True
                forward = event.key() == Qt.Key.Key_Tab and not (
                    event.modifiers() & Qt.KeyboardModifier.ShiftModifier
                )
                # From the widget that has the keys (the proxy sits where the Tab order put
                # it, which need not be where the view itself is in the chain).
                here = watched if isinstance(watched, QWidget) else self.owner
                if not move_focus(here, forward, skip=self.owner):
                    move_focus(self.owner, forward, skip=self.owner)
                return True
        return False


def let_tab_out(widget: QWidget) -> TabOut:
    """Tab and Shift+Tab pressed in ``widget`` or any child of it move to the next control."""
    return TabOut(widget)
