"""Which files may be mailed out as attachments, and reading them safely.

An attachment must be a regular file a person can see in a file manager: never a file under
``/proc``, ``/sys`` or ``/dev`` (``/proc/self/environ`` is a "regular file" to ``stat`` and holds
the process environment, API key included), never a FIFO, socket, device or folder, and never a
symlink that leads to one. The checks run on the path with every symlink resolved; the read then
opens that resolved path with ``O_NOFOLLOW | O_NONBLOCK`` (a FIFO swapped in cannot block us) and
checks the opened descriptor again (``fstat``: same file, still regular, not on the file system
of ``/proc``, ``/sys`` or ``/dev``), so a swap between the check and the read is caught.
A file that gives more bytes than its size said (how pseudo files look) is refused as well.

A draft *file* may also name attachments anywhere on the disk. ``outside_places`` lists those
that are neither in the draft's own folder nor in the person's home (a hidden file or folder of the
home, ~/.ssh, ~/.aws, ~/.netrc, counts as outside): the CLI refuses them without
``--allow-attachments-anywhere`` and the window asks before keeping them.
"""

from __future__ import annotations

import contextlib
import math
import os
import stat
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "SYSTEM_ROOTS",
    "AttachmentFileError",
    "AttachmentTooLarge",
    "check_attachment_file",
    "encoded_size",
    "outside_places",
    "read_attachment",
    "system_root",
]

# Pseudo and device file systems: nothing in them is a document.
SYSTEM_ROOTS = ("/proc", "/sys", "/dev")
_CHUNK = 1 << 20


class AttachmentFileError(ValueError):
    """One sentence saying why a file cannot be attached."""


class AttachmentTooLarge(AttachmentFileError):
    """The file is larger than the caller's ``limit``; nothing of it was read."""


def encoded_size(n: int) -> int:
    """Bytes of base64 with CRLF after every 76 characters, as MIME writes a file."""
    chars = 4 * math.ceil(n / 3)
    return chars + 2 * math.ceil(chars / 76)


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def system_root(path: str) -> str | None:
    """The pseudo or device file system ``path`` lies under (/proc, /sys, /dev), or None."""
    return next((root for root in SYSTEM_ROOTS if _under(path, root)), None)


def _system_devices() -> set[int]:
    """The devices of the pseudo file systems; a root that is a plain folder on the same file
    system as ``/`` (a bare container) is left out, or every file would be refused."""
    try:
        plain = {os.stat("/").st_dev, os.stat(Path.home()).st_dev}
    except (OSError, RuntimeError):
        plain = set()
    devices = set()
    for root in SYSTEM_ROOTS:
        try:
            devices.add(os.stat(root).st_dev)
        except OSError:
            continue
    return devices - plain


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


def _kind(mode: int) -> str:
    for test, word in _KINDS:
        if test(mode):
            return word
    return "not a regular file"


def _check_stat(path: str, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise AttachmentFileError(f"{path} is {_kind(st.st_mode)}, not a regular file")
    if st.st_dev in _system_devices():
        raise AttachmentFileError(f"{path} is a system file, not a document")


def check_attachment_file(path: str) -> tuple[str, os.stat_result]:
    """The resolved path and its stat, or AttachmentFileError. Reads nothing."""
    try:
        real = os.path.realpath(path, strict=True)
    except FileNotFoundError:
        raise AttachmentFileError(f"file not found: {path}") from None
    except (OSError, ValueError) as exc:  # a symlink loop, a NUL in the path
        why = getattr(exc, "strerror", None) or exc
        raise AttachmentFileError(f"cannot use {path}: {why}") from None
    root = system_root(real)
    if root is not None:
        shown = path if real == path else f"{path} (which leads to {real})"
        raise AttachmentFileError(f"{shown} is a system file under {root}, not a document")
    try:
        st = os.stat(real)
    except OSError as exc:
        raise AttachmentFileError(f"cannot use {path}: {exc.strerror}") from None
    _check_stat(path, st)
    if not os.access(real, os.R_OK):
        raise AttachmentFileError(f"file cannot be read: {path}")
    return real, st


def read_attachment(path: str, *, limit: int | None = None) -> bytes:
    """The file's bytes, after the checks above, re-checked on the opened descriptor.
    ``limit``: refuse a file larger than this many bytes before reading it."""
    real, before = check_attachment_file(path)
    if limit is not None and before.st_size > limit:
        raise AttachmentTooLarge(f"{path} is {before.st_size} bytes, over the {limit} allowed")
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        raise AttachmentFileError(f"cannot open {path}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        _check_stat(path, st)
        if (st.st_dev, st.st_ino) != (before.st_dev, before.st_ino):
            raise AttachmentFileError(f"{path} was replaced while it was being attached")
        parts: list[bytes] = []
        got = 0
        while got <= st.st_size:  # one read past the size: a file that grows is refused
            chunk = os.read(fd, min(_CHUNK, st.st_size - got + 1))
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        if got != st.st_size:
            raise AttachmentFileError(
                f"{path} changed while it was read ({got} bytes, not {st.st_size}); try again"
            )
        return b"".join(parts)
    except OSError as exc:
        raise AttachmentFileError(f"cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(fd)


def outside_places(
    paths: Sequence[str], draft_file: str | Path, home: str | Path | None = None
) -> list[int]:
    """Indexes of ``paths`` that are neither in the draft file's folder (or below it) nor in
    the person's home folder, symlinks resolved (a link in the home to /etc is outside)."""
    folder = os.path.realpath(os.path.dirname(os.path.abspath(draft_file)))
    home_dir = None
    with contextlib.suppress(RuntimeError):  # RuntimeError: no home directory known
        home_dir = os.path.realpath(home if home is not None else Path.home())
    # A draft in / or a home of / would make every file "inside": such a place counts for none.
    out = []
    for i, p in enumerate(paths):
        try:
            real = os.path.realpath(p)  # relative paths are read from the working directory
        except (OSError, ValueError):
            out.append(i)
            continue
        if folder != os.sep and _under(real, folder):
            continue
        if home_dir and home_dir != os.sep and _under(real, home_dir):
            if _hidden_below(real, home_dir):  # ~/.ssh/id_rsa: in the home, not a document
                out.append(i)
            continue
        out.append(i)
    return out


def _hidden_below(real: str, home: str) -> bool:
    """True when a name between ``home`` and the file, the file's own included, starts with a
    dot (~/.ssh/id_rsa, ~/.aws/credentials, ~/.config/…, ~/.netrc): where keys and tokens live,
    hidden from the file manager a person picks documents in."""
    parts = os.path.relpath(real, home).split(os.sep)
    return any(part.startswith(".") and part not in (".", "..") for part in parts)
