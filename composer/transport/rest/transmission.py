"""One message as a transmission (``POST /transmissions``), and what the API's answer means.

Mixed into ``RestSession`` (session.py), which owns the connection: opening it, TLS, keep-alive
and one bounded request and answer (``exchange``). This half owns the rule that matters most:
once the API had the whole request, only a clear 2xx carrying the transmission's id is "sent",
only a clear refusal "failed"; anything else is "unknown", never sent again automatically. And
the key is hidden in every text of a result or error leaving ``send`` (keymask.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from composer.core.build import OutgoingMessage
from composer.core.errors import OutcomeUnknown, PayloadError, RelayRefused, TransportError
from composer.transport.base import Delivery, Interruptible
from composer.transport.rest.keymask import hide_in_error, hide_key
from composer.transport.rest.payload import transmission
from composer.transport.rest.replies import api_error, describe_errors, printable, small_int

if TYPE_CHECKING:
    from composer.transport.rest.session import RestEndpoint

__all__ = ["Transmissions"]


class Transmissions(Interruptible):
    """The per-message half of a REST session (see the module docstring)."""

    endpoint: RestEndpoint
    substitution_data: dict[str, Any] | None

    def exchange(  # the session's: one request and its answer, within the deadlines
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        before_final_reply: Callable[[], None] | None = None,
    ) -> tuple[int, bytes, str | None, str]:
        raise NotImplementedError

    def send(
        self,
        message: OutgoingMessage,
        *,
        rcpt_to: tuple[str, ...] | None = None,
        before_final_reply: Callable[[], None] | None = None,
    ) -> Delivery:
        """POST one message as a transmission. Raises like SmtpSession.send. Whatever the
        answer, the key is hidden in every text of the result or error (the one edge where an
        answer becomes either)."""
        key = self.endpoint.api_key.reveal()
        try:
            d = self._send(message, rcpt_to, before_final_reply)
        except TransportError as exc:
            hide_in_error(exc, key)
            raise
        refused = {who: (code, hide_key(words, key)) for who, (code, words) in d.refused.items()}
        tid = hide_key(d.transmission_id, key) if d.transmission_id else d.transmission_id
        return Delivery(d.code, hide_key(d.reply, key), d.accepted, refused, tid)

    def _send(
        self,
        message: OutgoingMessage,
        rcpt_to: tuple[str, ...] | None,
        before_final_reply: Callable[[], None] | None,
    ) -> Delivery:
        try:
            payload = transmission(
                message, rcpt_to=rcpt_to, substitution_data=self.substitution_data
            )
        except PayloadError as exc:
            # Callers check payloads before sending (composer send exits 2); a window that
            # did not still gets a per-message answer naming the field, not a crash.
            raise RelayRefused(str(exc), None, "", field=exc.field) from exc
        body = json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")
        status, data, retry_after, problem = self.exchange(
            "POST", "/transmissions", body, before_final_reply
        )
        # From here on the API had the whole request: only a clear 2xx with the transmission's
        # id is "sent", only a clear refusal "failed"; anything else is "unknown", never resent.
        emails = [r["address"]["email"] for r in payload["recipients"]]
        try:
            if not 200 <= status < 300:
                error = api_error(status, data, retry_after, problem)
            else:
                return _delivery(status, data, emails, problem)
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            # an answer built to break a reader (numbers no int() takes...): not the API's
            raise OutcomeUnknown(
                f"the API answered {status} with an answer Composer cannot read "
                f"({type(exc).__name__}): the transmission may have been created; check "
                "before sending it again",
                status,
            ) from None
        raise error


def _count(results: dict[str, Any], key: str) -> int | None:
    value = results.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _transmission_id(raw: Any) -> str | None:
    """The id of a created transmission: a non-empty string (SparkPost sends digits in a
    string), or a positive integer from a server that sends it as a number. ``true``, ``{}``,
    ``""``, 0 or a float are not an id (bool is an int in Python: checked first)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str) and (shown := printable(raw, 64)):
        return shown
    if isinstance(raw, int) and raw > 0:
        text = str(raw) if raw < 10**64 else ""
        return text or None
    return None


def _delivery(status: int, data: bytes, emails: list[str], problem: str = "") -> Delivery:
    """A 2xx with the transmission's id: it exists. Its id and counts, and any recipients
    it rejected. A 2xx without a readable id is not the API's answer (a portal, a proxy, a
    cut-off body): OutcomeUnknown."""
    try:
        doc = json.loads(data.decode("utf-8")) if data else {}
    except (UnicodeDecodeError, ValueError, RecursionError):
        doc = {}
    results = doc.get("results") if isinstance(doc, dict) else None
    results = results if isinstance(results, dict) else {}
    raw_id = results.get("id")
    tid = _transmission_id(raw_id)
    accepted = _count(results, "total_accepted_recipients")
    rejected = _count(results, "total_rejected_recipients") or 0
    refused: dict[str, tuple[int, str]] = {}
    rcpt_errors = results.get("rcpt_to_errors")
    for i, e in enumerate(rcpt_errors if isinstance(rcpt_errors, list) else []):
        # API codes are 4 digits; never 4xx, which send_batch would take as "deferred"
        number = (small_int(e.get("code")) if isinstance(e, dict) else None) or 0
        number = 0 if 400 <= number < 500 else number
        refused[f"recipient error {i + 1}"] = (number, describe_errors({"errors": [e]}))
    if rejected and not refused:
        refused[f"{rejected} recipient(s)"] = (0, "rejected by the API")
    reply = f"OK: {len(emails) if accepted is None else accepted} accepted, {rejected} rejected"
    if said := describe_errors(doc):
        reply += f" ({said})"
    if tid is None:
        why = problem or "its answer holds no transmission id (it is not the API's answer)"
        raise OutcomeUnknown(
            f"the API answered {status} but {why}: the transmission may have been created; "
            "check before sending it again",
            status,
            printable(data.decode("utf-8", "replace"), 200),
        )
    return Delivery(status, reply, [] if refused else emails, refused, transmission_id=tid)
