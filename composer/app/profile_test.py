"""``test_profile``: log in with a profile over its own protocol and say how each step went.

The one profile test: ``composer profile test`` and the window's Profiles dialog both call it.
The dialog used to probe every profile over SMTP, so a REST profile was tested over the wrong
protocol (issue 13). Nothing is ever sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from composer.app.connect import open_endpoint, open_rest_endpoint
from composer.app.context import Context
from composer.transport.profiles.store import Profile

if TYPE_CHECKING:
    from composer.transport.base import Step

__all__ = ["test_profile"]


def test_profile(
    context: Context, profile: Profile, *, ca_file: str | None = None, timeout: float = 60.0
) -> list[Step]:
    """SMTP: connect, STARTTLS, AUTH LOGIN, QUIT; REST: one authenticated GET."""
    from composer.transport.rest.probe import probe_rest
    from composer.transport.smtp.probe import probe

    if profile.api == "rest":
        with open_rest_endpoint(context, profile, ca_file=ca_file, timeout=timeout) as rest:
            return probe_rest(rest)
    with open_endpoint(context, profile, ca_file=ca_file, timeout=timeout) as endpoint:
        return probe(endpoint)


test_profile.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
