"""Sizes for the suites that also run at full size (tests/reliability/run_all.py)."""

from __future__ import annotations

import os
from typing import Any

import pytest


def quick_then_full(quick: int, env: str, full: int) -> list[Any]:
    """Parameters for ``rounds``: the quick size (what CI runs), then the full size, read from
    ``env`` (default ``full``), marked slow and skipped unless COMPOSER_SLOW_TESTS is set, even
    when a CI's own -m replaces the default "not slow"."""
    return [
        quick,
        pytest.param(
            int(os.environ.get(env, str(full))),
            marks=[
                pytest.mark.slow,
                pytest.mark.skipif(
                    not os.environ.get("COMPOSER_SLOW_TESTS"), reason="full size: run_all.py"
                ),
            ],
        ),
    ]
