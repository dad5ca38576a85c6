"""Advisory file locks between Composer processes (POSIX flock). Elsewhere (Windows) a lock is
always "taken": the guard against a concurrent recovery is then only the person not running
two Composers at once."""

from __future__ import annotations

from typing import Any


def flock(f: Any, *, shared: bool, block: bool) -> bool:
    """Take the lock on ``f``; True when taken (always True where there is no flock)."""
    try:
        import fcntl
    except ImportError:
        return True
    flags = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if block else fcntl.LOCK_NB)
    try:
        fcntl.flock(f.fileno(), flags)
    except BlockingIOError:
        return False
    return True


def unlock(f: Any) -> None:
    try:
        import fcntl
    except ImportError:
        return
    fcntl.flock(f.fileno(), fcntl.LOCK_UN)
