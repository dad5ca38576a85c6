"""One exception tree for the whole app, each class carrying the exit code it means.

    ComposerError                  anything the app reports to a person           exit 4
    ├── InvalidInput               bad input or usage: nothing was written or sent   2
    │   ├── UsageError             a bad flag, an unreadable input file
    │   ├── BadHome                COMPOSER_HOME cannot hold Composer's files
    │   ├── InvalidDraft           the draft has errors; carries the Problems
    │   ├── DraftFormatError       a draft file cannot be read (names the field)
    │   │   └── EmlImportError     an .eml cannot become a draft (names the header/part)
    │   ├── HeaderError            a header value would be unsafe (injection, > 998 octets)
    │   ├── PayloadError           the draft holds what the REST API cannot carry
    │   ├── NameTaken              a template or snippet of that name exists already
    │   ├── ProfileError           a profile setting that cannot be used (names it)
    │   │   └── ProfileFileError   the profiles file cannot be read
    │   └── CredentialsError       no API key
    │       └── KeyringUnavailable no usable system keyring
    ├── DraftSaveError             a draft or autosave could not be written          4
    ├── OutboxDamaged              the outbox file cannot be read as a database      4
    ├── RelayStartError            the local relay could not start listening        4
    └── TransportError             could not complete                               4
        ├── ConnectError           host unreachable, refused, DNS
        ├── TLSError               no STARTTLS, 454, certificate or host name not trusted
        ├── PeerProtocolError      the server does not speak SMTP as documented
        ├── TransientError         4xx replies, drops before the final "." (retry-safe);
        │   │                      REST: 429, 500, 503, drops before the body was sent
        │   └── SetupFailed        the same while opening a connection (EHLO, TLS, AUTH)
        │       └── KeyDeferred    a 4xx answered to the key itself: retried once only
        ├── OutcomeUnknown         the final reply never came: may have been sent
        ├── Cancelled              the person cancelled before the final "." went out
        ├── EventsUnavailable      the Events API could not say what became of a send
        │   └── EventsAccessDenied 401/403 from the Events API: the key lacks "Events Search"
        └── RelayRefused           a 5xx reply; REST: the other 4xx                  3
            └── AuthFailed         535: the key is wrong; REST: 401, 403

    Defined next to their data, in the same tree: store.outbox_items.StillInOutbox (exit 2,
    carries the outbox items).

Not in the tree, on purpose: ValueErrors the validators and readers turn into Problems or into
one of the errors above (AddressError, AttachmentFileError, jsonin.InputError) and the wire
readers' ReplyError: internal signals that never reach a person as an exception.

The exit code comes from the class (``exit_code``) and nowhere else; ``describe`` turns any
exception into the (exit code, one line) the CLI prints. smtplib, http.client, ssl and socket
exceptions are mapped to this tree once, at the edge (transport/smtp/session.py,
transport/rest/session.py), ``raise ... from exc``; none of them escapes the transport. Every
ComposerError's str() is one line a person can act on; tracebacks go to the log only.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from composer.core.validate import Problem


class ExitCode(IntEnum):
    """The CLI's exit codes: part of the contract, scripts rely on them."""

    OK = 0
    BUG = 1  # a bug in Composer itself (the traceback is in the log)
    INVALID = 2  # invalid input or usage: nothing was written or sent
    REFUSED = 3  # refused by the relay (a 5xx, including authentication)
    INCOMPLETE = 4  # could not complete (network, TLS, timeouts, retries, outcome unknown)
    CHECK_ERRORS = 5  # composer check (send --strict): a pre-send check found an error
    INTERRUPTED = 130  # Ctrl-C: the shells' 128 + SIGINT


class ComposerError(Exception):
    """Base of every error the app shows to a person."""

    exit_code: ExitCode = ExitCode.INCOMPLETE


def describe(exc: BaseException) -> tuple[ExitCode, str]:
    """The exit code and the one line a person is told, for any exception."""
    if isinstance(exc, ComposerError):
        return exc.exit_code, str(exc)
    return ExitCode.BUG, f"Composer hit an internal problem: {type(exc).__name__}: {exc}"


# --- bad input: exit 2 ------------------------------------------------------------------------


class InvalidInput(ComposerError):
    """Something the person gave cannot be used; nothing was written or sent."""

    exit_code = ExitCode.INVALID


class UsageError(InvalidInput):
    """Bad flags or unreadable input files: one line naming the flag."""


class BadHome(InvalidInput):
    """COMPOSER_HOME cannot hold Composer's files (exit 2, one line naming the variable)."""


class InvalidDraft(InvalidInput):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.is_error]
        super().__init__("; ".join(str(p) for p in errors) or "the draft is not valid")


class DraftFormatError(InvalidInput):
    """A draft file is not a Composer draft, or a field in it has the wrong type."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class EmlImportError(DraftFormatError):
    """An .eml file cannot be imported as a draft: too large, malformed, nested too deeply,
    or a header that would smuggle another header in. Names the header or part."""


class HeaderError(InvalidInput):
    """A header could not be emitted safely."""


class PayloadError(InvalidInput):
    """The draft holds something the REST API cannot carry; names the field. Nothing sent."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class NameTaken(InvalidInput):
    """A template or snippet of that name exists (exit 2): the caller asks before replacing."""

    def __init__(self, kind: str, name: str, path: Path) -> None:
        self.path = path
        super().__init__(f"a {kind} named {name!r} exists already ({path.name})")


class ProfileError(InvalidInput):
    """A profile setting that cannot be used; names the setting. Nothing was written."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class ProfileFileError(ProfileError):
    """The profiles file cannot be read; it is left untouched."""

    def __init__(self, path: Path, field: str, message: str) -> None:
        where = f"{field}: " if field else ""
        ComposerError.__init__(
            self,
            f"profiles file {path}: {where}{message} (the file was left as it is: fix it, "
            "or move it aside to start again with the local profile)",
        )
        self.path, self.field, self.message = path, field, message


class CredentialsError(InvalidInput):
    """No API key for the profile."""


class KeyringUnavailable(CredentialsError):
    """No usable system keyring: none installed, no D-Bus session, locked, or a null backend.

    The window can catch this one to offer "use the key for this session only"."""

    ENV_VAR = "COMPOSER_API_KEY"  # named in the message; credentials.ENV_VAR is this one

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"No unlocked system keyring is available ({reason}); unlock or start one "
            f"(GNOME Keyring, KWallet, macOS Keychain, Windows Credential Locker), "
            f"or set {self.ENV_VAR} for this session"
        )


# --- could not complete: exit 4 ---------------------------------------------------------------


class DraftSaveError(ComposerError):
    """A draft, an autosave or the recent-files list could not be written (or removed)."""


class OutboxDamaged(ComposerError):
    """The outbox file cannot be read as a database: nothing may be sent until it is salvaged."""

    SALVAGE_COMMAND = "composer outbox salvage"

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        super().__init__(
            f"the outbox {path} is damaged ({detail}); it may hold messages waiting or of "
            f"unknown outcome, so nothing is sent. `{self.SALVAGE_COMMAND}` copies what can be "
            "read into a new outbox and keeps the damaged file"
        )


class RelayStartError(ComposerError):
    """The local relay could not start listening (port in use, address not available)."""


# --- the transport ----------------------------------------------------------------------------


class TransportError(ComposerError):
    """What went wrong on the way to the relay, in words a person can act on."""


class ConnectError(TransportError):
    pass


class TLSError(TransportError):
    pass


class PeerProtocolError(TransportError):
    """The server does not speak SMTP as the relay documents it: not worth asking again,
    and every later message would meet the same (send_batch stops the batch)."""


class _Reply(TransportError):
    """An error that carries the server's own reply."""

    def __init__(self, message: str, code: int | None = None, reply: str = "") -> None:
        self.code = code
        self.reply = reply  # the server's text, e.g. "5.6.0 JSON parsing error in X-MSYS-API"
        self.refused: dict[str, tuple[int, str]] = {}  # per recipient, when RCPT was refused
        super().__init__(message)


class TransientError(_Reply):
    # Seconds the server asked us to wait (HTTP Retry-After); the send path waits at least
    # this long before the next attempt. None: no wish expressed, the usual backoff applies.
    retry_after: float | None = None


class SetupFailed(TransientError):
    """A transient failure while opening the connection (no greeting, silence or a drop during
    EHLO, STARTTLS or AUTH, a 4xx there). Retried like any transient failure; once the retries
    are spent it stops the batch like an unreachable host, for every later message would wait
    out the same timeouts."""

    @classmethod
    def of(cls, exc: TransientError) -> SetupFailed:
        new = cls(str(exc), exc.code, exc.reply)
        new.retry_after = exc.retry_after
        return new


class KeyDeferred(SetupFailed):
    """A temporary refusal (4xx, e.g. 454 "temporary authentication failure") answered to
    the key itself. Retried once, not with the full retries: each attempt sends the key
    again (send_batch bounds it)."""


class OutcomeUnknown(_Reply):
    pass


class Cancelled(TransportError):
    """The person cancelled (Cancel, Ctrl+C) and the session stopped before this message's
    final "." (or REST request) went out: the relay cannot have it (core.outcome CANCELLED)."""


class EventsUnavailable(TransportError):
    """The relay's Events API did not answer what became of a send (unreachable, a timeout,
    an answer that is not the API's, rate limited past the wait allowed). Exit 4: each
    recipient's state is still unknown - never 3, which ``composer events`` keeps for
    "a recipient bounced or was rejected"."""


class EventsAccessDenied(EventsUnavailable):
    """401/403 from the Events API: the key is wrong or lacks the "Events Search: Read Only"
    permission (a sending-only key usually does). Exit 4, not AuthFailed's 3: nothing was
    refused to a recipient, only the question was."""


class RelayRefused(_Reply):
    exit_code = ExitCode.REFUSED

    def __init__(
        self, message: str, code: int | None = None, reply: str = "", field: str | None = None
    ) -> None:
        super().__init__(message, code, reply)
        self.field = field  # the draft field the refusal points at, when there is one


class AuthFailed(RelayRefused):
    pass
