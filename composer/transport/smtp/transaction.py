"""One message on an open SMTP connection: MAIL, RCPT, DATA and the reply to the final ".".

Mixed into ``SmtpSession`` (session.py), which owns the connection: opening it, the
handshake, reuse and closing. This half owns the rule that matters most: after the final "."
2xx is sent, a well-formed 4xx may be retried, 5xx failed, and anything else unknown, never
resent; before it, bytes nobody asked for fail the message and the "." is never written.

PIPELINING (RFC 2920), when the server offers it: MAIL, every RCPT and DATA in one write, each
reply still read and checked in order; and the next message's group (``expect``) written in
the same packet as this message's final "." (the content may open a group), so a message
costs one round trip. Its content still waits for its own 354. What that costs: behind a
primed group, a second reply to the final "." can no longer be told from the next MAIL's
reply at once; an out-of-step stream then fails the *next* message before its content (its
DATA must answer 354 and nothing more may be waiting), never sends it twice. A refusal of a
primed message is not followed by RSET (it would be content of the next DATA); a session
asked for another message than the primed one drops the connection mid-DATA (nothing is
delivered) and opens a fresh one.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from typing import TYPE_CHECKING

from composer.core.build import OutgoingMessage
from composer.core.errors import (
    Cancelled,
    OutcomeUnknown,
    PeerProtocolError,
    RelayRefused,
    TransientError,
)
from composer.transport.base import Delivery, Interruptible
from composer.transport.smtp.replies import check_class, protocol_error, reply_error, reply_text
from composer.transport.smtp.wire import BoundedSMTP, ReplyError, dot_stuff, reply_class

if TYPE_CHECKING:
    from composer.transport.smtp.session import Endpoint

log = logging.getLogger(__name__)


class MessageTransaction(Interruptible):
    """The per-message half of an SMTP session (see the module docstring). Interruptible:
    Cancel wakes it anywhere before the final "." (``_commit``), never after."""

    endpoint: Endpoint
    max_per_connection: int
    _smtp: BoundedSMTP | None
    # A pipelined group already written for this message behind the previous final ".",
    # and the message the batch will send next on this session (``expect``).
    _primed: tuple[OutgoingMessage, tuple[str, ...]] | None = None
    _next_hint: OutgoingMessage | None = None
    _sent_on_connection: int
    _last_used: float
    _clock: Callable[[], float]

    def _ready(self) -> BoundedSMTP:  # the session's: an open, fresh-enough connection
        raise NotImplementedError

    def close(self, *, polite: bool = True) -> None:  # the session's
        raise NotImplementedError
    def _send(
        self,
        message: OutgoingMessage,
        rcpt_to: tuple[str, ...] | None,
        before_final_reply: Callable[[], None] | None,
    ) -> Delivery:
        reused = self._smtp is not None
        try:
            return self._send_once(message, rcpt_to, before_final_reply)
        except _StaleConnection as exc:
            if not reused:
                raise TransientError(str(exc.__cause__ or "connection dropped")) from exc
            # The relay dropped an idle connection: nothing was sent; open a fresh one.
            log.info("connection was dropped while idle; reconnecting")
            self.close()
            try:
                return self._send_once(message, rcpt_to, before_final_reply)
            except _StaleConnection as again:
                raise TransientError("the connection dropped before the message was sent") from (
                    again
                )

    def _send_once(
        self,
        message: OutgoingMessage,
        rcpt_to: tuple[str, ...] | None,
        before_final_reply: Callable[[], None] | None,
    ) -> Delivery:
        rcpts = rcpt_to if rcpt_to is not None else message.envelope.rcpt_to
        primed = self._primed
        if primed is not None and (primed[0] is not message or primed[1] != rcpts):
            # The group written ahead was for another message (this one is being retried):
            # never finish it; a connection dropped in the middle of a DATA delivers nothing.
            self.close(polite=False)
        smtp = self._ready()  # (closing a stale connection clears what was primed on it)
        primed, self._primed = self._primed, None
        host = self.endpoint.host
        self._sent_on_connection += 1
        # RFC 2920: MAIL, every RCPT and DATA in one write, their replies read in order (one
        # round trip instead of 2 + recipients). The content waits for the 354 all the same.
        # ``primed``: that group already went out behind the previous message's final "."
        pipelined = smtp.has_extn("pipelining")
        try:
            if pipelined:
                if primed is None:
                    smtp.send(_group(smtp, message, rcpts))
                code, msg = smtp.getreply()
            else:
                code, msg = smtp.mail(message.envelope.mail_from)
        except ReplyError as exc:
            self.close()
            if exc.hostile:
                raise protocol_error(host, "MAIL FROM", str(exc)) from exc
            raise _StaleConnection() from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close()
            raise _StaleConnection() from exc
        accepted, refused = [], {}
        try:
            if reply_class(code) != 2:
                if pipelined:
                    self._drain_pipeline(smtp, len(rcpts))
                self._refused_before_dot(smtp, code, msg, "MAIL FROM")
            for rcpt in rcpts:
                code, msg = smtp.getreply() if pipelined else smtp.rcpt(rcpt)
                if reply_class(code) == 2:
                    accepted.append(rcpt)
                    continue
                self._check_or_close(code, msg, "RCPT TO")
                refused[rcpt] = (code, reply_text(msg))
                if code == 421:
                    self.close()
                    raise reply_error(code, reply_text(msg), "RCPT TO")
            if not accepted:
                if pipelined:
                    self._drain_pipeline(smtp, 0)
                self._after_refusal(smtp, 0)
                worst = min(refused.values(), key=lambda r: r[0] >= 500)  # 4xx first
                err = reply_error(worst[0], worst[1], "RCPT TO")
                if isinstance(err, (TransientError, RelayRefused)):
                    err.refused = refused
                raise err
            code, msg = smtp.getreply() if pipelined else smtp.docmd("DATA")
            if code != 354 and reply_class(code) == 2:
                # DATA never answers 2xx: the replies are out of step (one too many came
                # earlier). Never RSET into what may be an open DATA; drop the connection.
                self.close(polite=False)
                raise protocol_error(host, "DATA", f"{code} {reply_text(msg)}")
            if code != 354:
                self._refused_before_dot(smtp, code, msg, "DATA")
            self._silent_before_dot(smtp)
            stuffed = dot_stuff(message.data)
            smtp.send(stuffed[: -len(b".\r\n")])
            # Committed before the final "." can reach the relay: a crash between the "." and
            # the commit would otherwise leave "sending", and a restart would send it twice.
            if before_final_reply is not None:
                before_final_reply()
            self._silent_before_dot(smtp)
            tail, ahead = b".\r\n", self._ahead(smtp, message, pipelined)
            if ahead is not None:
                tail += _group(smtp, *ahead)
            try:
                self._commit()  # Cancel can no longer cut this message off after this line
            except Cancelled:
                self.close(polite=False)  # the data never ended: the relay drops it
                raise
            smtp.send(tail)
            self._primed = ahead
        except ReplyError as exc:
            # Before the final "." was written: the relay cannot have accepted the message.
            self.close()
            if exc.hostile:
                raise protocol_error(host, "RCPT TO or DATA", str(exc)) from exc
            raise TransientError(f"the relay stopped answering: {exc}") from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            # Before the final "." completed: the relay cannot have accepted the message.
            self.close()
            raise TransientError(f"the connection dropped while sending: {exc}") from exc
        code, msg = self._final_reply(smtp)
        self._last_used = self._clock()
        kind = reply_class(code)
        # Behind a primed group its replies follow this one: they are the next message's to
        # read (its DATA must then answer 354 before any content goes out).
        more = smtp.unasked() if self._primed is None else b""
        if more:
            # A second reply already waiting: which of them answered the "." cannot be known
            # (one may have been sent early, issue 12); never "sent", never sent again.
            self.close(polite=False)
            raise OutcomeUnknown(
                f"{host} sent more than one reply to the end of the message ({code} "
                f"{reply_text(msg)!r}, then {_early(more)}): it may have "
                "been sent; check before sending it again",
                code,
                reply_text(msg),
            )
        if kind == 2:
            return Delivery(code, reply_text(msg), accepted, refused)
        if kind is None:
            # Not 2xx, 4xx or 5xx: the relay may have the message; never send it again.
            self.close(polite=False)
            raise OutcomeUnknown(
                f"the relay answered the end of the message with {code} {reply_text(msg)!r}, which "
                "is neither success nor failure: it may have been sent; check before sending "
                "it again",
                code,
                reply_text(msg),
            )
        if self._primed is None or code == 421:
            self._after_refusal(smtp, code)  # (an RSET behind a primed DATA would be content)
        raise reply_error(code, reply_text(msg), "end of DATA")

    def _ahead(
        self, smtp: BoundedSMTP, message: OutgoingMessage, pipelined: bool
    ) -> tuple[OutgoingMessage, tuple[str, ...]] | None:
        """The next message's group to write behind this one's final "." (RFC 2920: the
        message content may be the first "command" of a group), when the batch told which
        message comes next on this connection and the connection will carry it."""
        nxt = self._next_hint
        if not pipelined or nxt is None or nxt is message:
            return None
        if self._sent_on_connection >= self.max_per_connection:
            return None
        return nxt, nxt.envelope.rcpt_to

    def expect(self, message: OutgoingMessage | None) -> None:
        """The message this session will be asked to send after the current one (from the
        batch), so its MAIL/RCPT/DATA can travel with the current one's final ".": one round
        trip a message instead of two. Nothing of its content goes before its own 354."""
        self._next_hint = message

    def _final_reply(self, smtp: BoundedSMTP) -> tuple[int, bytes]:
        """The reply to the final ".", within final_timeout. Anything but a reply is unknown."""
        smtp.reply_timeout = self.endpoint.final_timeout
        try:
            return smtp.getreply()
        except (ReplyError, smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close()
            why = (
                f"the relay's answer was not an SMTP reply ({exc})"
                if isinstance(exc, ReplyError) and exc.hostile
                else "the connection ended before the relay confirmed the message"
            )
            raise OutcomeUnknown(
                f"{why}: it may have been sent; check before sending it again"
            ) from exc
        finally:
            smtp.reply_timeout = self.endpoint.timeout
            self._settled()

    def _silent_before_dot(self, smtp: BoundedSMTP) -> None:
        """Between the 354 and the final "." the server has nothing to say. Bytes here (a reply
        sent with the 354, or while the body went out) would be taken as the answer to the
        "." (issue 12: the message sent twice, or a 554 reported as sent). The "." is then
        never written: a server that never gets the end of the data cannot deliver it."""
        early = smtp.unasked()
        if early:
            self.close(polite=False)
            raise PeerProtocolError(
                f"{self.endpoint.host} answered before the message ended ({_early(early)}): it "
                "broke the SMTP protocol; the end of the message was not sent, so it was not "
                "delivered"
            )

    def _drain_pipeline(self, smtp: BoundedSMTP, rcpt_replies: int) -> None:
        """After a refused MAIL (or every RCPT refused) in a pipelined group: read the replies
        still owed, so the connection stays in step. A server that nevertheless answers the
        DATA with 354 loses the connection (see below): no byte of the message content is ever
        sent without a transaction to carry it, and nothing is left half-sent."""
        for _ in range(rcpt_replies):
            smtp.getreply()
        code, _msg = smtp.getreply()
        if code == 354:
            # RFC 2920 suggests a lone "."; but were the replies out of step (a server that
            # sent one too many), that "." could end a live transaction as an empty message.
            # Dropping the connection mid-DATA ends it with nothing delivered, always.
            self.close(polite=False)

    def _check_or_close(self, code: int, msg: bytes, stage: str) -> None:
        if reply_class(code) is None:
            self.close(polite=False)
            check_class(code, msg, self.endpoint.host, stage)

    def _refused_before_dot(self, smtp: BoundedSMTP, code: int, msg: bytes, stage: str) -> None:
        """Raise for a MAIL or DATA reply that is not the one that lets the send go on."""
        self._check_or_close(code, msg, stage)
        self._after_refusal(smtp, code)
        raise reply_error(code, reply_text(msg), stage)

    def _after_refusal(self, smtp: BoundedSMTP, code: int) -> None:
        """A 421 ends the connection; otherwise reset so the connection can be reused."""
        if code == 421:
            self.close()
            return
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close()


def _group(smtp: BoundedSMTP, message: OutgoingMessage, rcpts: tuple[str, ...]) -> bytes:
    """MAIL, every RCPT and DATA as one pipelined write."""
    return smtp.encode_commands(
        [
            f"MAIL FROM:{smtplib.quoteaddr(message.envelope.mail_from)}",
            *(f"RCPT TO:{smtplib.quoteaddr(r)}" for r in rcpts),
            "DATA",
        ]
    )


class _StaleConnection(Exception):
    """The first command on a reused connection failed: the relay had dropped it."""


def _early(data: bytes) -> str:
    """Bytes nobody asked for, shortened for a message (the edge cleans and masks them)."""
    text = data[:80].decode("utf-8", "replace").strip()
    return repr(text) + ("…" if len(data) > 80 else "")
