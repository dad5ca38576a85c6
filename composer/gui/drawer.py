"""The body editor and, under it, the folded panels: the editor gets the room.

``Drawer`` holds the three sections (cc / bcc / archive, relay options, attachments) and the
splitter between them and the body. With every section folded the drawer is only their summary
lines and the body takes the rest; opening one gives it the height the person last dragged the
splitter to (remembered in the window's settings, as are the open sections).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from composer.core.relay_facts import RelayFacts, facts_for
from composer.gui.model import DraftModel
from composer.gui.sections import (
    Section,
    attachments_summary,
    options_summary,
    recipients_summary,
)
from composer.gui.settings import WindowSettings

__all__ = ["Drawer"]

QWIDGETSIZE_MAX = (1 << 24) - 1
DRAWER_DEFAULT = 300  # px: an open panel's first height, before the person drags it
BODY_MIN = 120  # px the body keeps however far the splitter is dragged
# Which problems belong to which section (as DraftModel.problems_for prefixes).
FIELDS = {
    "recipients": ("cc", "bcc", "archive"),
    "options": ("campaign_id", "tags", "metadata", "options"),
    "attachments": ("attachments",),
}


class Drawer(QWidget):
    def __init__(
        self,
        model: DraftModel,
        body: QWidget,
        panels: dict[str, tuple[str, QWidget]],
        settings: WindowSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("drawer")
        self.model, self.settings = model, settings
        self.relay: RelayFacts | None = None  # the chosen profile's defaults, once known
        # A hand-edited or damaged value: no less than a usable panel.
        self.height_open = max(120, settings.number("layout/drawer_height", DRAWER_DEFAULT))
        # Until the person drags the splitter, an open panel takes at most half: on a 1280×720
        # screen the default height left the body editor three lines.
        self.dragged = settings.number("layout/drawer_height", -1) > 0
        self.sections = {key: Section(key, title, w) for key, (title, w) in panels.items()}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        for section in self.sections.values():
            layout.addWidget(section)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("bodySplitter")
        self.splitter.setChildrenCollapsible(False)
        body.setMinimumHeight(BODY_MIN)
        self.splitter.addWidget(body)
        self.splitter.addWidget(self)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.splitterMoved.connect(self._moved)
        model.changed.connect(self._summarise)
        model.problems_changed.connect(self._problems)
        self._summarise()
        self._problems()
        for key in settings.open_panels() & set(self.sections):
            self.sections[key].set_open(True)
        for section in self.sections.values():
            section.toggled.connect(self._toggled)
        self._fit()

    @property
    def open_keys(self) -> set[str]:
        return {k for k, s in self.sections.items() if s.is_open}

    def open(self, key: str, open_: bool = True) -> None:
        self.sections[key].set_open(open_)

    def set_relay(self, provider: str, transport: str) -> None:
        """The chosen profile: the summary says what "account default" means for it."""
        self.relay = facts_for(provider, transport)
        self._summarise()

    def _summarise(self, *_: object) -> None:
        d = self.model.draft
        self.sections["recipients"].set_summary(recipients_summary(d))
        self.sections["options"].set_summary(options_summary(d, self.relay))
        self.sections["attachments"].set_summary(attachments_summary(d))

    def _problems(self, *_: object) -> None:
        for key, fields in FIELDS.items():
            problems = [p for f in fields for p in self.model.problems_for(f)]
            self.sections[key].set_problems(problems)

    def _toggled(self, _open: bool) -> None:
        self._fit()
        self.settings.set_open_panels(self.open_keys)

    def _fit(self) -> None:
        """Folded: only the summary lines. Open: the remembered height, the body the rest."""
        sizes = self.splitter.sizes()
        total = sum(sizes) or (BODY_MIN + self.height_open) * 2
        if not self.open_keys:
            lines = sum(s.button.sizeHint().height() for s in self.sections.values())
            self.setMaximumHeight(lines)
            self.splitter.setSizes([total - lines, lines])
            return
        self.setMaximumHeight(QWIDGETSIZE_MAX)
        room = total - BODY_MIN if self.dragged else total // 2
        want = max(min(self.height_open, room), self.minimumSizeHint().height())
        self.splitter.setSizes([total - want, want])

    def _moved(self, *_: object) -> None:
        if self.open_keys:
            self.dragged = True
            self.height_open = self.splitter.sizes()[1]
            self.settings.set_number("layout/drawer_height", self.height_open)

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self._fit()  # the splitter knows its real height only now
