"""Find files shipped in the repository's top-level ``resources/`` folder.

The same code runs from a source checkout, an editable install, a wheel and a PyInstaller
bundle, and each puts the folder somewhere else; this is the one place that knows where.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["resource_path"]


def _candidates() -> list[Path]:
    here = Path(__file__).resolve()
    dirs = []
    env = os.environ.get("COMPOSER_RESOURCES")
    if env:
        dirs.append(Path(env))  # tests and packagers can point elsewhere
    meipass = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and meipass:
        dirs.append(Path(meipass) / "resources")  # PyInstaller bundle
    dirs.append(here.parents[2] / "resources")  # source checkout / editable install
    dirs.append(here.parents[1] / "_resources")  # wheel: composer/_resources
    return dirs


def resource_path(name: str) -> Path:
    """The path of resource ``name``, from the first folder that has it.

    Raises FileNotFoundError naming every folder searched, so a broken bundle says what is missing.
    """
    dirs = _candidates()
    for d in dirs:
        path = d / name
        if path.exists():
            return path
    searched = ", ".join(str(d) for d in dirs)
    raise FileNotFoundError(f"resource {name!r} not found (searched: {searched})")
