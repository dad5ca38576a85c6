"""The one synchronous send path. ``composer send`` calls it; the window runs it on a QThread.

Per message: send, and on a transient failure (4xx, a drop before the final ".") retry with
bounded exponential backoff. A permanent refusal (5xx) is not retried. A message whose final
reply never came is reported ``unknown`` and never sent again automatically: after the final
"." the relay may already have it (RFC 5321 §6.1), and a retry could deliver it twice.

The session is SMTP (smtp/session.py) or REST (rest/session.py): both have base.SendSession's
``send`` / ``close`` / ``connections_opened`` surface and raise the same errors, so retries,
backoff and the "never resend an unknown outcome" rule are written once, here. A server's
``Retry-After`` (TransientError.retry_after) lengthens the wait, never shortens it, and is
honoured only up to ``SendOptions.max_retry_after`` (`composer send`: its --final-timeout, at
most 60 s): a longer wish gives the message up at once, "try again later", rather than hold
the command past the time the person allowed.

While it waits to retry after a clear transient answer (the server said "not now": nothing was
created) the message is reported through ``Hooks.before_retry``, so the outbox no longer holds
it "awaiting" a final reply: killed during the wait, it is requeued, not "unknown".

One message's failure never hides the others: every message gets a result. Only failures that
would repeat identically for every message (a refused key, untrusted TLS, an unreachable host
after its retries, a server that breaks the protocol) stop the batch, and the messages not
tried say so.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from composer.core.build import OutgoingMessage
from composer.core.errors import (
    AuthFailed,
    Cancelled,
    ConnectError,
    ExitCode,
    KeyDeferred,
    OutcomeUnknown,
    RelayRefused,
    SetupFailed,
    TLSError,
    TransientError,
    TransportError,
)
from composer.core.outcome import BatchReport, MessageResult, Status
from composer.transport.base import SendSession
from composer.transport.pool import Abort as _Abort
from composer.transport.pool import Pool
from composer.transport.smtp.session import Endpoint, SmtpSession

log = logging.getLogger(__name__)


@dataclass
class SendOptions:
    retries: int = 3
    retry_delay: float = 1.0  # first backoff; doubles each retry
    max_delay: float = 30.0
    # A Retry-After longer than this is not waited for: the message fails now with the
    # server's words, rather than a command or window that seems to hang for minutes.
    # `composer send` lowers it to its --final-timeout.
    max_retry_after: float = 60.0
    # Connections open at once (each one a worker thread with its own session). The callers
    # (composer send, outbox resume, the window) pass the profile's or --connections' value.
    connections: int = 1


@dataclass
class Hooks:
    """How a caller follows and steers a batch. All optional; all called on the sending thread."""

    on_result: Callable[[MessageResult], None] | None = None
    before_final_reply: Callable[[OutgoingMessage], None] | None = None
    cancelled: Callable[[], bool] | None = None
    # Waits between retries; returning True means "cancelled while waiting" (the GUI passes
    # threading.Event.wait so Cancel is immediate).
    wait: Callable[[float], bool] | None = None
    # Before waiting to retry a message the server clearly did not take (a transient answer,
    # nothing delivered to anyone yet), with the reason: the outbox stops calling it
    # "awaiting" its final reply.
    before_retry: Callable[[OutgoingMessage, str], None] | None = None
    # Each result as soon as its message is done, from whichever connection's thread, out of
    # order (the outbox records it at once); ``on_result`` gets them in input order.
    on_settled: Callable[[MessageResult], None] | None = None
    # Set by Cancel / Ctrl+C: stops between messages, ends retry waits, and interrupts a
    # connect or a read still before a final "." (never one after it: see base.Interruptible).
    cancel: threading.Event | None = None


def _backoff(options: SendOptions, attempt: int) -> float:
    base = min(options.max_delay, options.retry_delay * (2 ** (attempt - 1)))
    return float(base * (0.8 + 0.4 * random.random()))  # jitter: don't retry in lockstep


def _result_for(index: int, m: OutgoingMessage, status: Status, **kw: object) -> MessageResult:
    return MessageResult(
        index=index,
        message_id=m.message_id,
        mail_from=m.envelope.mail_from,
        rcpt_to=list(m.envelope.rcpt_to),
        size=m.size,
        status=status,
        **kw,  # type: ignore[arg-type]
    )


def send_batch(
    messages: list[OutgoingMessage],
    endpoint: Endpoint | None,
    *,
    options: SendOptions | None = None,
    hooks: Hooks | None = None,
    session: SendSession | None = None,
    sessions: Callable[[], SendSession] | None = None,
) -> BatchReport:
    """Send every message, over ``options.connections`` connections at once.

    ``session``: one given session (SMTP or REST), used alone and left open for its owner.
    ``sessions``: makes a new session per connection (closed here). Neither: SmtpSessions to
    ``endpoint``. Results come back in input order (``Hooks.on_result``) whatever order the
    connections finish in."""
    options = options or SendOptions()
    hooks = hooks or Hooks()
    if session is None and sessions is None:
        if endpoint is None:
            raise ValueError("send_batch needs an endpoint or a session")
        ep = endpoint
        sessions = lambda: SmtpSession(ep)  # noqa: E731
    started = time.monotonic()
    pool = Pool(messages, options.connections if session is None else 1, hooks)
    pool.run(
        session,
        sessions,
        lambda i, m, s, wait: _attempt(i, m, s, options, hooks, wait, pool),
    )
    return BatchReport(
        pool.ordered(), time.monotonic() - started, pool.connections_opened(), pool.cancelled
    )


def _attempt(
    index: int,
    m: OutgoingMessage,
    session: SendSession,
    options: SendOptions,
    hooks: Hooks,
    wait: Callable[[float], bool],
    pool: Pool,
) -> MessageResult:
    """One message on one connection: its result, or the batch stopped (``pool.abort``)."""
    if pool.abort is not None:
        return _result_for(
            index, m, Status.FAILED, error=f"not sent: {pool.abort}", exit_code=pool.abort.exit_code
        )
    if pool.is_cancelled():
        return _cancelled(index, m)
    try:
        return _send_one(index, m, session, options, hooks, wait, pool)
    except _Abort as exc:
        pool.stop(exc)
        result = _result_for(
            index, m, Status.FAILED, error=str(exc), exit_code=exc.exit_code, attempts=1
        )
        if exc.__cause__ is not None and isinstance(exc.__cause__, TransportError):
            _fill_reply(result, exc.__cause__)
        return result


def _cancelled(index: int, m: OutgoingMessage, attempts: int = 0) -> MessageResult:
    return _result_for(
        index,
        m,
        Status.CANCELLED,
        error="not sent: cancelled",
        exit_code=ExitCode.INCOMPLETE,
        attempts=attempts,
    )


def _fill_reply(result: MessageResult, exc: TransportError) -> None:
    result.code = getattr(exc, "code", None)
    result.reply = getattr(exc, "reply", "")
    result.field = getattr(exc, "field", None)
    result.refused.update(getattr(exc, "refused", {}) or {})


def _send_one(
    index: int,
    m: OutgoingMessage,
    session: SendSession,
    options: SendOptions,
    hooks: Hooks,
    wait: Callable[[float], bool],
    pool: Pool,
) -> MessageResult:
    pending = m.envelope.rcpt_to
    result = _result_for(index, m, Status.FAILED, exit_code=ExitCode.INCOMPLETE)
    delivered_to: list[str] = []

    def mark_awaiting() -> None:
        if hooks.before_final_reply is not None:
            hooks.before_final_reply(m)
        if pool.is_cancelled():
            # Cancelled up to this instant: the final "." must not go out (the session's
            # commit point refuses it); not left to the watcher thread's next look.
            pool.interrupt(session)

    while True:
        if pool.hold_back(wait):  # a Retry-After another connection was given, shared
            return _cancelled(index, m, result.attempts)
        result.attempts += 1
        retry_left = result.attempts <= options.retries
        try:
            d = session.send(m, rcpt_to=pending, before_final_reply=mark_awaiting)
        except OutcomeUnknown as exc:
            result.status, result.error, result.exit_code = (
                Status.UNKNOWN,
                str(exc),
                ExitCode.INCOMPLETE,
            )
            _fill_reply(result, exc)
            if delivered_to:
                result.error += f" (already delivered to {', '.join(delivered_to)})"
            return result
        except Cancelled:
            return _cancelled(index, m, result.attempts)
        except AuthFailed as exc:
            raise _Abort(str(exc), ExitCode.REFUSED) from exc
        except TLSError as exc:
            raise _Abort(str(exc), ExitCode.INCOMPLETE) from exc
        except RelayRefused as exc:
            result.status = Status.SENT if delivered_to else Status.FAILED
            result.error, result.exit_code = str(exc), ExitCode.REFUSED
            _fill_reply(result, exc)
            return result
        except (TransientError, ConnectError) as exc:
            if pool.is_cancelled() and not delivered_to:
                return _cancelled(index, m, result.attempts)  # woken by Cancel: nothing sent
            asked = getattr(exc, "retry_after", None) or 0.0
            pool.back_off(min(asked, options.max_retry_after))
            too_long = asked > options.max_retry_after
            if isinstance(exc, KeyDeferred) and result.attempts >= 2:
                retry_left = False  # each try sends the key again: once more at most
            if not retry_left or too_long:
                if isinstance(exc, (ConnectError, SetupFailed)) and not delivered_to:
                    raise _Abort(
                        f"{exc} (after {result.attempts} attempts)", ExitCode.INCOMPLETE
                    ) from exc
                result.status = Status.SENT if delivered_to else Status.FAILED
                why = f"gave up after {result.attempts} attempts"
                if too_long:
                    shown = f"{asked:.0f} s" if asked < 10**9 else "forever"
                    why = f"the server asked to wait {shown}; try again later"
                result.error = f"{exc} ({why})"
                result.exit_code = ExitCode.INCOMPLETE
                _fill_reply(result, exc)
                return result
            log.info("message %d: %s; retrying", index + 1, exc)
            if hooks.before_retry is not None and not delivered_to:
                hooks.before_retry(m, f"{exc} (retrying)")
            if wait(max(_backoff(options, result.attempts), asked)):
                return _cancelled(index, m, result.attempts)
            continue
        except TransportError as exc:
            if pool.is_cancelled() and not delivered_to:
                return _cancelled(index, m, result.attempts)
            # Anything else (a server that breaks the protocol, offers no AUTH LOGIN...) would
            # meet every later message the same way. Never escapes: every message gets a result
            # and the caller its report (issue 12: no --json report was printed).
            raise _Abort(str(exc), exc.exit_code) from exc
        delivered_to += d.accepted
        result.code, result.reply = d.code, d.reply
        result.transmission_id = getattr(d, "transmission_id", None)
        deferred = {r: v for r, v in d.refused.items() if 400 <= v[0] < 500}
        for r, v in d.refused.items():
            if r not in deferred:
                result.refused[r] = v
        if deferred and retry_left:
            # Only the deferred recipients again: the others have the message already.
            pending = tuple(deferred)
            if wait(_backoff(options, result.attempts)):
                result.refused.update(deferred)
                break
            continue
        result.refused.update(deferred)
        break
    result.status = Status.SENT
    result.exit_code = ExitCode.REFUSED if result.refused else ExitCode.OK
    if result.refused:
        result.error = "some recipients were refused: " + ", ".join(
            f"{r} ({c} {t})" for r, (c, t) in result.refused.items()
        )
    return result
