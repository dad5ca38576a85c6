"""What each relay option does at the relay, and its default for the chosen profile (issue 15
item 8): the tooltips of the options pane. The per-provider facts (tracking defaults, sandbox
domains and allowance, Enterprise-only options) come from core/relay_facts.py, as the checks'
do, so a tooltip and a finding never disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from composer.core.problems import MAX_CAMPAIGN_BYTES, MAX_TAGS, METADATA_EVENT_BYTES
from composer.core.relay_facts import facts_for

if TYPE_CHECKING:
    from composer.gui.options import OptionsPane

__all__ = ["apply_tooltips", "option_tooltips"]


def option_tooltips(provider: str, transport: str = "smtp") -> dict[str, str]:
    """Option key -> tooltip for a profile of ``provider`` (a Provider value) sending over
    ``transport`` ("smtp" or "rest")."""
    facts = facts_for(provider, transport)
    tracking = facts.tracking_why
    skip = (
        "your account is Enterprise, so the relay honours it"
        if facts.skip_suppression_honoured
        else f"an Enterprise option: {facts.label} does not honour it"
    )
    three = "Checked: on · unchecked: off · partly checked: left out, so the account default"
    return {
        "campaign_id": f"Groups this message's events in reports; at most {MAX_CAMPAIGN_BYTES} "
        "bytes. Default: none.",
        "tags": f"Labels carried on every event of this message; at most {MAX_TAGS}. "
        "Default: none.",
        "metadata": "Key/value pairs carried on every event of this message (webhooks, "
        f"reports); events carry only the first {METADATA_EVENT_BYTES} bytes. Default: none.",
        "open_tracking": f"Whether the relay adds an open-tracking pixel. {three}; {tracking}.",
        "click_tracking": f"Whether the relay rewrites links to count clicks. {three}; "
        f"{tracking}.",
        "transactional": "Marks the message transactional (a receipt, a password reset) for "
        "unsubscribe and suppression purposes: the relay adds no List-Unsubscribe header. "
        "Default: off (not transactional).",
        "sandbox": f"Sends from the sandbox domain: {facts.sandbox_note()}; for tests "
        "before a sending domain is set up. Default: off.",
        "skip_suppression": "Ignores your suppression list for this message only; "
        f"{skip}. Default: off: suppressed addresses get nothing.",
        "ip_pool": "The dedicated IP pool to send from. Default: the account's default pool "
        "(if it has IPs); sp_shared sends from the shared pool instead.",
        "inline_css": "The relay moves the rules of head > style elements into style "
        "attributes (only those). Default: off.",
        "inline_locally": "Composer inlines the CSS before sending, with the engine chosen "
        "beside it, so the preview shows exactly what goes out. Nothing is sent to the relay "
        "for it. Default: off.",
        "inline_engine": "The CSS inliner for 'Inline CSS locally' and for previewing the "
        "relay's inlining.",
    }


def apply_tooltips(pane: OptionsPane, provider: str, transport: str = "smtp") -> None:
    """Every option widget of ``pane`` gets its tooltip for ``provider`` and ``transport``."""
    tips = option_tooltips(provider, transport)
    for key, check in pane.checks.items():
        check.setToolTip(tips[key])
    pane.campaign_field.setToolTip(tips["campaign_id"])
    pane.tags_field.setToolTip(tips["tags"])
    pane.metadata.table.setToolTip(tips["metadata"])
    pane.ip_pool_field.setToolTip(tips["ip_pool"])
    pane.inline_engine.setToolTip(tips["inline_engine"])
