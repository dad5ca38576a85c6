"""The window's model: one Draft, the problems found in it, and change signals.

Widgets write with ``update(field=value)`` and redraw on ``changed``; when they redraw they
block their own signals so a write does not echo back (napari's habit). Workers get
``snapshot()`` — a deep copy, plain data, never the live Draft or a widget.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from PySide6.QtCore import QObject, Signal

from composer.core.draft import Draft, Options
from composer.core.problems import Problem, Severity

_DRAFT_FIELDS = {f.name for f in dataclasses.fields(Draft)}
_OPTION_FIELDS = {f.name for f in dataclasses.fields(Options)}


class DraftModel(QObject):
    # The names of the Draft fields that changed ("options.ip_pool" for an option).
    changed = Signal(list)
    # The latest problems for the whole draft (after the preview pipeline validated it).
    problems_changed = Signal(list)
    # True when the draft differs from the last saved/opened version.
    dirty_changed = Signal(bool)

    def __init__(self, draft: Draft | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._draft = draft or Draft()
        self._problems: list[Problem] = []
        self._dirty = False
        self.generation = 0  # bumped on every edit: stale preview results are dropped by it

    # --- reading ----------------------------------------------------------------------------

    @property
    def draft(self) -> Draft:
        """The live draft: read it, never mutate it (use ``update``)."""
        return self._draft

    def snapshot(self) -> Draft:
        return copy.deepcopy(self._draft)

    @property
    def problems(self) -> list[Problem]:
        return list(self._problems)

    def problems_for(self, prefix: str) -> list[Problem]:
        """Problems of one field and its items: ``"cc"`` matches ``cc`` and ``cc[3]``."""
        return [
            p
            for p in self._problems
            if p.field == prefix
            or p.field.startswith(prefix + "[")
            or p.field.startswith(prefix + ".")
        ]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self._problems if p.severity is Severity.ERROR]

    @property
    def dirty(self) -> bool:
        return self._dirty

    # --- writing ----------------------------------------------------------------------------

    def update(self, **changes: Any) -> None:
        """Set Draft fields (``to=[...]``, ``subject="..."``) or options (``ip_pool="x"``)."""
        draft_changes: dict[str, Any] = {}
        option_changes: dict[str, Any] = {}
        for key, value in changes.items():
            if key in _DRAFT_FIELDS:
                if _differs(getattr(self._draft, key), value):
                    draft_changes[key] = value
            elif key in _OPTION_FIELDS:
                if _differs(getattr(self._draft.options, key), value):
                    option_changes[key] = value
            else:
                raise AttributeError(f"Draft has no field {key!r}")
        if option_changes:
            draft_changes["options"] = dataclasses.replace(self._draft.options, **option_changes)
        if not draft_changes:
            return
        self._draft = dataclasses.replace(self._draft, **draft_changes)
        self.generation += 1
        names = [k for k in draft_changes if k != "options"]
        names += [f"options.{k}" for k in option_changes]
        self._set_dirty(True)
        self.changed.emit(names)

    def replace_draft(self, draft: Draft, *, dirty: bool = False) -> None:
        """A whole new draft (New, Open, recovery)."""
        self._draft = draft
        self.generation += 1
        self._set_dirty(dirty)
        self.changed.emit(
            sorted(_DRAFT_FIELDS - {"options"}) + [f"options.{k}" for k in sorted(_OPTION_FIELDS)]
        )

    def set_problems(self, problems: list[Problem]) -> None:
        if problems != self._problems:
            self._problems = list(problems)
            self.problems_changed.emit(self.problems)

    def mark_saved(self) -> None:
        self._set_dirty(False)

    def _set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)


def _differs(old: Any, new: Any) -> bool:
    """``!=`` with types: in Python ``True == 1``, but metadata ``true`` is not ``1``."""
    if old is new:
        return False
    return old != new or repr(old) != repr(new)
