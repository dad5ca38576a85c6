"""What the REST API's answers mean for the person sending (seeds/002 and 003, "Error Table").

Every error keeps the API's own ``errors[].message / description / code`` beside the plain
words, as SMTP errors keep the relay's reply. Which are retried:

* 429 (rate limited), 500 and 503: the table says "try the request again" — TransientError,
  with the ``Retry-After`` the server sent;
* 420 (sending limit: sandbox, hourly, daily, monthly — "no messages are sent"): a limit that
  minutes of backoff will not lift, so refused;
* 401 and 403: the key, or its permissions — AuthFailed, which stops a batch;
* 502 and 504 from a proxy in front of the API: it gave up waiting, the API may have created
  the transmission — OutcomeUnknown, never resent;
* 301, 302, 307 and 308: the resource is elsewhere, nothing was done here — refused, and the
  redirect is never followed (the key would go with it); other 3xx (303 "See Other" answers a
  POST that *was* processed) — OutcomeUnknown;
* any other 4xx or 5xx: refused, with its words. (A status outside 100–599 never gets here:
  wire.py refuses it as "not HTTP", which after a POST is OutcomeUnknown.)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from composer.core.errors import (
    AuthFailed,
    OutcomeUnknown,
    RelayRefused,
    TransientError,
    TransportError,
)
from composer.transport.base import printable  # one cleaner for both backends' server text

__all__ = [
    "RETRIED",
    "api_error",
    "describe_errors",
    "parse_retry_after",
    "printable",
    "small_int",
]

RETRIED = frozenset({429, 500, 503})
_KEY_HELP = "check that the key is right and has the 'Transmissions: Read/Write' permission"
_STATUS: dict[int, tuple[str, str]] = {
    400: ("Bad Request", "the API could not use the request"),
    401: ("Unauthorized", f"the API refused the API key: {_KEY_HELP}"),
    403: ("Forbidden", f"the API key may not do this: {_KEY_HELP}, and that the plan has it"),
    404: ("Not Found", "nothing answers at this address: check the profile's API URL"),
    405: ("Method Not Allowed", "this address does not take a send: check the API URL"),
    409: ("Conflict", "the request conflicts with the account's current state"),
    415: ("Unsupported Media Type", "the API did not accept the request's format"),
    420: ("Exceed Sending Limit", "the account's sending limit would be exceeded; nothing sent"),
    422: ("Unprocessable Entity", "the API refused the message's content or settings"),
    429: ("Too Many Requests", "the API is limiting the request rate"),
    500: ("Internal Server Error", "the API had an internal error"),
    503: ("Service Unavailable", "the API is busier than usual"),
}
# Words in the API's error text -> the draft field to point at.
_FIELDS = (
    ("sending domain", "from"),
    ("invalid domain", "from"),
    ("campaign", "campaign_id"),
    ("metadata", "metadata"),
    ("substitution", "substitution_data"),
    ("ip_pool", "options.ip_pool"),
    ("ip pool", "options.ip_pool"),
    ("tags", "tags"),
    ("recipient", "to"),
)


def small_int(value: Any, digits: int = 6) -> int | None:
    """A number the API sent, read defensively: an int, or a string of at most ``digits``
    ASCII digits; None for anything else ("²" is a digit to str.isdigit but not to int(), and
    int() of thousands of digits raises)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 10**digits else None
    if isinstance(value, str) and 0 < len(value) <= digits and value.isascii() and value.isdigit():
        return int(value)
    return None


def describe_errors(doc: Any) -> str:
    """``errors[]`` as one line: ``message: description (code N); ...``; "" when absent."""
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if not isinstance(errors, list):
        return ""
    parts = []
    for e in errors[:5]:
        if not isinstance(e, dict):
            continue
        words = ": ".join(str(e[k]) for k in ("message", "description") if e.get(k))
        if e.get("code") is not None:
            words += f" (code {e['code']})"
        parts.append(words.strip())
    return printable("; ".join(p for p in parts if p))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        # thousands of digits: a wait longer than anyone would honour, without parsing them
        return float(value) if len(value) <= 9 else float("inf")
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _field(text: str) -> str | None:
    lower = text.lower()
    return next((field for words, field in _FIELDS if words in lower), None)


def api_error(
    status: int, body: bytes, retry_after: str | None = None, note: str = ""
) -> TransportError:
    """The error for a non-2xx answer to a request whose body the server had in full.
    ``note``: what else the answer said or lacked (where it redirects, a body cut off)."""
    try:
        doc: Any = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        doc = None
    said = describe_errors(doc)
    name, meaning = _STATUS.get(status, ("", ""))
    server = f"{status} {name}".strip() + (f": {said}" if said else "")
    if note:
        server += f"; {note}"
    if status in (401, 403):
        return AuthFailed(f"{meaning} ({server})", status, said)
    if status in RETRIED:
        err = TransientError(f"{meaning} ({server})", status, said)
        err.retry_after = parse_retry_after(retry_after)
        return err
    if status in (502, 504):
        return OutcomeUnknown(
            f"a gateway in front of the API answered {status} without the API's reply: the "
            "transmission may have been created; check before sending it again",
            status,
            said,
        )
    if 300 <= status < 400 and status not in (301, 302, 307, 308):
        return OutcomeUnknown(
            f"the API answered {status} (a redirect, not followed) instead of a result: the "
            f"transmission may have been created; check before sending it again ({server})",
            status,
            said,
        )
    if 300 <= status < 400:
        meaning = (
            "the API URL redirects elsewhere and Composer does not follow redirects (the key "
            "would go with it): put the final URL in the profile if you trust it"
        )
    return RelayRefused(
        f"{meaning or 'the API refused the request'} ({server})", status, said, field=_field(said)
    )
