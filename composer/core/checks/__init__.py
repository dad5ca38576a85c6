"""Pre-send checks: findings about the message the relay will actually send.

``run_checks`` runs every family of FAMILIES (one module each) on one CheckInput and returns
the findings sorted: errors first, then by part and line. A family that fails is reported as
one INFO finding, never as a traceback: a check must not stop anyone from sending.

Families: relay (relay.py, the relay's own behaviour), clients (clients.py, caniemail's
support data), accessibility (accessibility.py), links (links.py), size (size.py), amp
(amp.py). They share one parse of the final HTML through doc.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from composer.core.checks.model import (
    CATEGORIES,
    DEFAULT_CLIENTS,
    CheckInput,
    Finding,
    ProfileFacts,
    Severity,
    Where,
)

if TYPE_CHECKING:
    from composer.core.checks.runner import (
        FAMILIES,
        MAX_PER_ID,
        Family,
        check_input,
        clear_caches,
        run_checks,
        sort_findings,
        summarize,
    )

__all__ = [
    "CATEGORIES",
    "DEFAULT_CLIENTS",
    "FAMILIES",
    "MAX_PER_ID",
    "CheckInput",
    "Family",
    "Finding",
    "ProfileFacts",
    "Severity",
    "Where",
    "check_input",
    "clear_caches",
    "run_checks",
    "sort_findings",
    "summarize",
]

# The families (coloraide, tinycss2, caniemail's data) and the build are imported on first use:
# the window needs only the vocabulary above before its first paint (PEP 562).
_LAZY = frozenset(
    {
        "FAMILIES",
        "MAX_PER_ID",
        "Family",
        "check_input",
        "clear_caches",
        "run_checks",
        "sort_findings",
        "summarize",
    }
)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from composer.core.checks import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
