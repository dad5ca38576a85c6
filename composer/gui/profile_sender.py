"""The chosen profile's saved sender fills an empty From in the window (issue 15 item 7).

The same rule as ``composer send`` (app/sender.py): a From the person typed always wins. A From
this module filled in is the profile's, not the person's: choosing another profile replaces it,
and a New draft gets it again. Filling it is not an edit: a fresh window stays "unchanged".
"""

from __future__ import annotations

import dataclasses

from composer.core.draft import Draft, Recipient, parse_recipient
from composer.gui.model import DraftModel

__all__ = ["ProfileSender"]

# replace_draft (New, Open, recovery) announces every field; an edit names only its own.
_WHOLE_DRAFT = {f.name for f in dataclasses.fields(Draft)} - {"options"}


class ProfileSender:
    def __init__(self, model: DraftModel) -> None:
        self.model = model
        self.default = ""  # the chosen profile's default_from
        self.filled: Recipient | None = None  # what we put in From, while it is still that
        model.changed.connect(self._changed)

    def set_default(self, default_from: str) -> None:
        """The profile chosen now has this sender ("" for none)."""
        self.default = default_from
        self._fill()

    def _changed(self, fields: list[str]) -> None:
        if set(fields) >= _WHOLE_DRAFT:
            self.filled = None  # a draft of its own: its From is the person's, or empty
            self._fill()

    def _fill(self) -> None:
        current = self.model.draft.from_addr
        ours = self.filled is not None and current == self.filled
        empty = not current.email.strip() and not current.name.strip()
        if not (empty or ours):
            return  # the person's own From
        new = parse_recipient(self.default) if self.default else Recipient("")
        if new == current:
            return
        was_dirty = self.model.dirty
        self.model.update(from_addr=new)
        self.filled = new if self.default else None
        if not was_dirty:
            self.model.mark_saved()  # a default, not an edit: nothing to save or ask about
