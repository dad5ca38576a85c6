"""What each relay option does at the relay, and its default for the chosen profile (issue 15
item 8): the tooltips of the options pane. Facts from the relay's documentation (the seeds):
SMTP open and click tracking are OFF by default for SparkPost and Bird accounts and ON by default
for Enterprise (check with your TAM); either may be set account-wide in the SMTP relay settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from composer.core.problems import MAX_CAMPAIGN_BYTES, MAX_TAGS, METADATA_EVENT_BYTES

if TYPE_CHECKING:
    from composer.gui.options import OptionsPane

__all__ = ["apply_tooltips", "option_tooltips", "tracking_default"]

_ACCOUNT = "unless your account sets it otherwise in its SMTP relay settings"


def tracking_default(provider: str) -> str:
    """One sentence: whether the relay tracks opens and clicks when the option is left out."""
    if provider == "custom":
        return "tracking is ON by default for Enterprise (check with your TAM)"
    if provider in ("sparkpost", "sparkpost-eu"):
        return f"tracking is OFF by default for SparkPost, {_ACCOUNT}"
    if provider in ("bird", "bird-eu"):
        return f"tracking is OFF by default for Bird, {_ACCOUNT}"
    return "the local sandbox relay tracks nothing; it keeps the option in the delivered copy"


def _sandbox_domain(provider: str) -> str:
    if provider in ("bird", "bird-eu"):
        return "birdemailbox.com (Bird: 5 messages per account, for its lifetime)"
    if provider == "local":
        return "the relay's sandbox domain (the local relay only counts such sends)"
    return "sparkpostbox.com (SparkPost: 5 messages per account, for its lifetime)"


def option_tooltips(provider: str) -> dict[str, str]:
    """Option key -> tooltip for a profile of ``provider`` (a Provider value)."""
    tracking = tracking_default(provider)
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
        "sandbox": f"Sends from the sandbox domain {_sandbox_domain(provider)}, for tests "
        "before a sending domain is set up. Default: off.",
        "skip_suppression": "Ignores your suppression list for this message only "
        "(Enterprise). Default: off: suppressed addresses get nothing.",
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


def apply_tooltips(pane: OptionsPane, provider: str) -> None:
    """Every option widget of ``pane`` gets its tooltip for ``provider``."""
    tips = option_tooltips(provider)
    for key, check in pane.checks.items():
        check.setToolTip(tips[key])
    pane.campaign_field.setToolTip(tips["campaign_id"])
    pane.tags_field.setToolTip(tips["tags"])
    pane.metadata.table.setToolTip(tips["metadata"])
    pane.ip_pool_field.setToolTip(tips["ip_pool"])
    pane.inline_engine.setToolTip(tips["inline_engine"])
