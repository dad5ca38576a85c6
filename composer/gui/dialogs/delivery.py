"""The Send history's "Delivery" column: each recipient's state, asked of the relay's Events
API while the history is open (issue 18).

``DeliveryPoller`` asks on the dialog's TaskRunner (never on the UI thread), less and less
often (app.events.poll_intervals: from 1 s for the local relay, 30 s for the real API, whose
rate limit is about one search in 2 minutes), and stops when every recipient it follows is
final, after ``POLL_FOR`` seconds, or when the dialog closes. It follows the newest
``MAX_FOLLOWED`` sends of the last two days that are not final yet; a profile whose events cannot
be asked (no events permission, no key, unreachable) is said once and left alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from html import escape

from PySide6.QtCore import QObject, QTimer, Signal

from composer.app.context import Context
from composer.app.events import (
    RETENTION,
    SendStates,
    check_sends,
    events_url,
    poll_intervals,
    profile_for,
)
from composer.core.delivery import State
from composer.core.errors import ComposerError
from composer.gui.dialogs.common import ERROR_COLOUR, OK_COLOUR, WARN_COLOUR
from composer.gui.tasks import TaskRunner
from composer.store.history import HistoryEntry

__all__ = ["MAX_FOLLOWED", "POLL_FOR", "DeliveryPoller", "delivery_cell", "delivery_html"]

log = logging.getLogger(__name__)

POLL_FOR = 300.0  # seconds a dialog keeps asking ("a few minutes")
MAX_FOLLOWED = 10  # each is a search: the real API limits polling (about one in 2 minutes)
FOLLOW_AGE = timedelta(days=2)  # older sends show what is stored; `composer events` asks anew
# Marks the usual UI fonts carry (DejaVu, Segoe, SF): an hourglass showed as a box.
_MARK = {
    State.SENT: "·",
    State.INJECTED: "·",
    State.DELAYED: "…",
    State.DELIVERED: "✓",
    State.BOUNCED: "✗",
    State.REJECTED: "✗",
}
_COLOUR = {
    State.SENT: WARN_COLOUR,
    State.INJECTED: WARN_COLOUR,
    State.DELAYED: WARN_COLOUR,
    State.DELIVERED: OK_COLOUR,
    State.BOUNCED: ERROR_COLOUR,
    State.REJECTED: ERROR_COLOUR,
}
_SHOWN = 100  # characters of a recipient's line in the cell; all of it in the tooltip


def delivery_cell(states: SendStates | None) -> tuple[str, str, str | None]:
    """(text, tooltip, colour) of one send's Delivery cell: one line per recipient."""
    if states is None or not states.recipients:
        return "", "", None
    lines = [f"{_MARK[r.state]} {r.rcpt}: {r.describe()}" for r in states.recipients]
    if states.count(State.BOUNCED, State.REJECTED):
        colour: str | None = ERROR_COLOUR
    elif states.final:
        colour = OK_COLOUR
    else:
        colour = WARN_COLOUR
    tip = "\n".join(lines)
    if states.checked:
        tip += f"\nasked the relay at {states.checked}"
    if states.note:
        tip += f"\n{states.note}"
    return "\n".join(lines), tip, colour


def delivery_html(states: SendStates | None) -> str:
    """The cell as rich text: each recipient's line in its own state's colour."""
    if states is None:
        return ""
    lines = []
    for r in states.recipients:
        # the reason repeats the address the line starts with: not worth the width twice
        text = r.describe().replace(f"<{r.rcpt}>: ", "").replace(f"<{r.rcpt.lower()}>: ", "")
        text = text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
        lines.append(
            f'<span style="color:{_COLOUR[r.state]}"><b>{_MARK[r.state]} {escape(r.rcpt)}</b>'
            f"</span> {escape(text)}"
        )
    return "<br>".join(lines)


def _followed(states: list[SendStates], now: datetime) -> list[HistoryEntry]:
    out = []
    for s in states:
        e = s.entry
        if e.status != "sent" or s.final:
            continue
        try:
            when = datetime.fromisoformat(e.time)
        except ValueError:
            continue
        if now - (when if when.tzinfo else when.replace(tzinfo=UTC)) < min(RETENTION, FOLLOW_AGE):
            out.append(e)
    return out[:MAX_FOLLOWED]


_Asked = tuple[list[SendStates], list[tuple[str, str]], bool]


def _ask(context: Context, entries: list[HistoryEntry]) -> _Asked:
    """On a worker (profiles are read from disk): each profile's sends checked; (states,
    [(profile, why it could not be asked)], whether a real API was asked)."""
    by_profile: dict[str, list[HistoryEntry]] = {}
    for e in entries:
        by_profile.setdefault(e.profile, []).append(e)
    states: list[SendStates] = []
    problems: list[tuple[str, str]] = []
    remote = False
    for name, group in by_profile.items():
        try:
            profile = profile_for(context, name)
            remote = remote or events_url(profile) is not None
            # a short deadline: the window may be closing, and the pool waits for its tasks
            states += check_sends(context, profile, group, deadline=30.0)
        except ComposerError as exc:
            problems.append((name, str(exc)))
            log.info("delivery events for profile %s: %s", name, exc)
    return states, problems, remote


class DeliveryPoller(QObject):
    """Asks about the sends it is given until they are final or the time is up."""

    updated = Signal(object)  # list[SendStates] just asked
    problem = Signal(str)  # a profile whose events cannot be asked, in words
    stopped = Signal()

    def __init__(
        self,
        context: Context,
        tasks: TaskRunner,
        parent: QObject,
        *,
        poll_for: float = POLL_FOR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.tasks = tasks
        self.poll_for = poll_for
        self._clock = clock
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)
        self._entries: list[HistoryEntry] = []
        self._started = 0.0
        self._intervals: Iterator[float] | None = None  # chosen by the first answer
        self._given_up: set[str] = set()
        self.asking = False
        self._running = False  # between follow() and stop()

    @property
    def active(self) -> bool:
        return bool(self._entries)

    def follow(self, states: list[SendStates]) -> None:
        """(Re)start following the sends of ``states`` that are not final yet."""
        self._entries = [
            e for e in _followed(states, datetime.now(UTC)) if e.profile not in self._given_up
        ]
        if not self._entries:
            self.stop()
            return
        self._started = self._clock()
        self._intervals = None
        self._running = True
        if not self.asking:
            self._timer.start(0)

    def stop(self) -> None:
        self._timer.stop()
        # said once per run, also when the last answer made every send final (the entries are
        # gone by then: the dialog kept saying "Asking the relay…" after all were delivered)
        running, self._running = self._running, False
        self._entries = []
        if running:
            self.stopped.emit()

    def _tick(self) -> None:
        if not self._entries:
            return
        self.asking = True
        entries, context = list(self._entries), self.context
        self.tasks.run(lambda: _ask(context, entries), self._answered, self._failed)

    def _answered(self, outcome: _Asked) -> None:
        self.asking = False
        states, problems, remote = outcome
        if self._intervals is None:  # from 1 s for the local relay, 30 s for a real API
            self._intervals = poll_intervals(not remote)
        for name, text in problems:
            self._given_up.add(name)
            self.problem.emit(f"Delivery events for profile {name}: {text}")
        self.updated.emit(states)
        done = {s.entry.id for s in states if s.final}
        self._entries = [
            e for e in self._entries if e.id not in done and e.profile not in self._given_up
        ]
        if not self._entries or self._clock() - self._started >= self.poll_for:
            self.stop()
            return
        self._timer.start(int(next(self._intervals) * 1000))

    def _failed(self, exc: BaseException) -> None:
        self.asking = False
        log.warning("asking for delivery events failed: %r", exc)
        self.problem.emit(f"the delivery events could not be asked: {exc}")
        self.stop()
