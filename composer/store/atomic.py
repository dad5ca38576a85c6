"""Atomic file writes: a crash leaves the old file or the new one, never half of either.

Temp file in the same folder -> write -> flush -> fsync -> os.replace -> fsync the folder
(research/reliability.md §5.1: plain open/write left 10 of 40 drafts truncated under kill -9).
Files are 0600 and the folders made for them 0700 unless a caller asks otherwise (issue 12).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from composer.store.paths import PRIVATE_FILE, make_private_dirs

TMP_PREFIX = ".composer-"
TMP_SUFFIX = ".tmp"


def atomic_write_bytes(path: str | Path, data: bytes, mode: int = PRIVATE_FILE) -> None:
    path = Path(path)
    make_private_dirs(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=TMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: str | Path, text: str, mode: int = PRIVATE_FILE) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return  # Windows cannot open a directory for fsync; os.replace is enough there
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temp_files(folder: str | Path) -> int:
    """Temp files a crash left behind (kill -9 between mkstemp and replace)."""
    n = 0
    for p in Path(folder).glob(f"{TMP_PREFIX}*{TMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            p.unlink()
            n += 1
    return n
