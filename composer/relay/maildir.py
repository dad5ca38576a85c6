"""Delivery into a standard Maildir (tmp/new/cur), and reading it back for the sandbox view.

Files are written by ``mailbox.Maildir``, which stores the platform's line ending (LF on Linux
and macOS): that is what mail readers expect of a Maildir file, whereas the copies themselves
carry CRLF as they would on the wire.
"""

from __future__ import annotations

import contextlib
import mailbox
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.header import decode_header, make_header
from email.utils import parsedate_to_datetime
from pathlib import Path

from composer.relay.fanout import Copy
from composer.store.paths import PRIVATE_FILE, make_private_dirs

__all__ = ["DeliveredCopy", "deliver", "ensure_maildir", "list_sandbox"]

_HEAD_LIMIT = 256 * 1024  # a header block bigger than this is not worth showing in a list


@dataclass(frozen=True)
class DeliveredCopy:
    key: str
    rcpt: str
    rcpt_type: str  # to | cc | bcc | archive ("" if the file was not written by the relay)
    transmission_id: str
    subject: str
    date: datetime | None  # the message's Date header, None when absent or unreadable
    path: Path
    delivered_at: datetime  # when the file landed (its modification time)


class _PrivateMaildir(mailbox.Maildir):
    """Each message file is 0600 from its creation (``mailbox`` asks for 0666 minus the
    umask), before any of the mail is written to it."""

    def _create_tmp(self):  # type: ignore[no-untyped-def]
        f = super()._create_tmp()
        if hasattr(os, "fchmod"):  # POSIX
            os.fchmod(f.fileno(), PRIVATE_FILE)
        return f


def ensure_maildir(path: Path) -> mailbox.Maildir:
    """Open ``path`` as a Maildir, creating tmp/new/cur even when the folder already exists
    (``mailbox`` creates them only for a folder it creates itself). Folders it creates are
    0700, message files 0600."""
    path = Path(path)
    for sub in ("tmp", "new", "cur"):
        make_private_dirs(path / sub)
    return _PrivateMaildir(path, create=True)


def deliver(maildir: Path, copies: Sequence[Copy]) -> list[str]:
    """One file per copy; returns the Maildir keys. All or none: if one write fails, the
    copies already written are removed, so a retried message does not arrive twice."""
    box = ensure_maildir(maildir)
    keys: list[str] = []
    try:
        for copy in copies:
            # mailbox turns each LF into the platform's line ending, so hand it LF only
            keys.append(box.add(copy.data.replace(b"\r\n", b"\n")))
    except BaseException:
        for key in keys:
            with contextlib.suppress(KeyError, OSError):
                box.remove(key)
        raise
    return keys


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        data = f.read(_HEAD_LIMIT)
    data = data.replace(b"\r\n", b"\n")
    return data.split(b"\n\n", 1)[0]


def _headers(head: bytes) -> dict[str, str]:
    """First value of each header, unfolded, as text (bad bytes replaced, never raised)."""
    out: dict[str, str] = {}
    name: str | None = None
    for line in head.split(b"\n"):
        text = line.decode("utf-8", "replace")
        if text[:1] in (" ", "\t"):
            if name is not None:
                out[name] += " " + text.strip()
            continue
        key, sep, value = text.partition(":")
        name = key.strip().lower() if sep else None
        if name is None or name in out:
            name = None  # not a header, or a repeat: only the first occurrence counts
            continue
        out[name] = value.strip()
    return out


def _decoded(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError):
        return value


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def list_sandbox(path: Path) -> list[DeliveredCopy]:
    """Every message in the Maildir, newest delivery first. A missing folder is empty."""
    root = Path(path)
    found: list[tuple[int, str, DeliveredCopy]] = []
    for sub in ("new", "cur"):
        folder = root / sub
        if not folder.is_dir():
            continue
        for entry in os.scandir(folder):
            if entry.name.startswith(".") or not entry.is_file():
                continue
            try:
                stamp = entry.stat().st_mtime_ns
                h = _headers(_head(Path(entry.path)))
            except OSError:
                continue  # a mail reader moved it from new/ to cur/ while we listed
            key = entry.name.split(mailbox.Maildir.colon, 1)[0]
            found.append(
                (
                    stamp,
                    key,
                    DeliveredCopy(
                        key=key,
                        rcpt=h.get("delivered-to", ""),
                        rcpt_type=h.get("x-relay-rcpt-type", ""),
                        transmission_id=h.get("x-relay-transmission-id", ""),
                        subject=_decoded(h.get("subject", "")),
                        date=_date(h.get("date", "")),
                        path=Path(entry.path),
                        delivered_at=datetime.fromtimestamp(stamp / 1e9).astimezone(),
                    ),
                )
            )
    found.sort(key=lambda t: (t[0], t[1]), reverse=True)
    return [item for _, _, item in found]
