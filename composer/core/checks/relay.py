"""Family 1, relay-aware advice: what SparkPost / Bird will do to this message, for the chosen
profile (shared/seeds; the defaults per provider and road are in core/relay_facts.py).

Advice, not validation: what core/validate.py already refuses or warns about (more than 10
tags, metadata over the 1000 bytes events carry, a campaign over 64 bytes) is not repeated here,
and nothing here stops a send unless the relay itself would refuse or misdeliver it (an error).

Ids (stable): relay.tracking-default, relay.transactional, relay.transactional-unsubscribe,
relay.no-unsubscribe, relay.unsubscribe-not-relay, relay.inline-link-stylesheet,
relay.inline-body-style, relay.inline-amp, relay.substitution-literal,
relay.substitution-missing, relay.merge-tags-literal, relay.sandbox-enterprise, relay.sandbox-from,
relay.sandbox-option-off, relay.sandbox-allowance, relay.skip-suppression,
relay.skip-suppression-enterprise-only, relay.archive-tracked-links.
"""

from __future__ import annotations

from composer.core.checks.doc import html_doc
from composer.core.checks.model import CheckInput, Finding, Severity, Where
from composer.core.checks.relay_source import (
    Substitution,
    body_part,
    find_merge_tags,
    find_substitutions,
    unsubscribe_links,
)
from composer.core.relay_facts import (
    ALL_SANDBOX_DOMAINS,
    OLD_SANDBOX_ALLOWANCE,
    SANDBOX_ALLOWANCE,
    SANDBOX_DOMAINS,
    RelayFacts,
    facts_for,
)

__all__ = ["check"]

CATEGORY = "relay"


def _finding(fid: str, severity: Severity, message: str, where: Where) -> Finding:
    return Finding(fid, severity, CATEGORY, message, where)


def _option(name: str) -> Where:
    return Where("options", element=name)


def check(inp: CheckInput) -> list[Finding]:
    facts = facts_for(inp.profile.provider, inp.profile.transport)
    out: list[Finding] = []
    out += _tracking(inp, facts)
    out += _unsubscribe(inp)
    out += _inlining(inp)
    out += _substitution(inp)
    out += _merge_tags(inp)
    out += _sandbox(inp, facts)
    out += _skip_suppression(inp, facts)
    out += _archive(inp, facts)
    return out


# --- open and click tracking -------------------------------------------------------------------


def _tracking(inp: CheckInput, facts: RelayFacts) -> list[Finding]:
    o = inp.draft.options
    unset = [n for n in ("open", "click") if getattr(o, f"{n}_tracking") is None]
    if not unset:
        return []
    which = " and ".join(unset) + " tracking " + ("are" if len(unset) == 2 else "is")
    if facts.tracking_on_by_default is None:
        now = ""
    elif facts.tracking_on_by_default:
        now = "; so they are ON for this message: opens are counted with a pixel and links are " \
              "rewritten through the relay's tracking domain"  # fmt: skip
    else:
        now = "; so they are OFF for this message"
    msg = f"{which.capitalize()} left to the account's default: {facts.tracking_why}{now}."
    return [_finding("relay.tracking-default", Severity.INFO, msg, _option("tracking"))]


# --- transactional and unsubscribing -----------------------------------------------------------


def _has_list_unsubscribe(inp: CheckInput) -> bool:
    """The headers are the same in every message of a send (only the To differs)."""
    data = inp.data
    if data is None:
        return False
    head = data[: data.find(b"\r\n\r\n") + 2].lower()
    return b"\r\nlist-unsubscribe:" in b"\r\n" + head


def _unsubscribe(inp: CheckInput) -> list[Finding]:
    links = unsubscribe_links(inp)
    part = body_part(inp.draft)
    if inp.draft.options.transactional:
        if links.any:
            msg = (
                "Marked transactional, so the relay adds no List-Unsubscribe header, yet the body "
                "has an unsubscribe link. Mail people can unsubscribe from is rarely "
                "transactional, and Gmail and Yahoo ask bulk senders for one-click "
                "List-Unsubscribe: drop 'transactional' unless this is a receipt, a password "
                "reset or the like."
            )
            where = links.where or Where(part)
            return [_finding("relay.transactional-unsubscribe", Severity.WARNING, msg, where)]
        msg = (
            "Transactional: the relay adds no List-Unsubscribe header and the message is not "
            "held back for recipients who unsubscribed. Right for receipts and password "
            "resets; not for newsletters or offers."
        )
        return [_finding("relay.transactional", Severity.INFO, msg, _option("transactional"))]
    if links.relay or _has_list_unsubscribe(inp):
        return []
    if links.any:
        msg = (
            "The unsubscribe link is your own: the relay's suppression list will not learn of "
            'it. Add data-msys-unsubscribe="1" to the link to let the relay handle it per '
            "recipient."
        )
        where = links.where or Where(part)
        return [_finding("relay.unsubscribe-not-relay", Severity.INFO, msg, where)]
    msg = (
        "Not transactional, but there is no unsubscribe link (a link with "
        'data-msys-unsubscribe="1", which the relay makes per recipient) and no List-Unsubscribe '
        "header of your own. Recipients who want out can only mark it as spam; mark the message "
        "transactional if it is a receipt or a notice."
    )
    return [_finding("relay.no-unsubscribe", Severity.WARNING, msg, Where(part))]


# --- inline_css ----------------------------------------------------------------------------------


def _inlining(inp: CheckInput) -> list[Finding]:
    d = inp.draft
    relay = bool(d.options.inline_css) and not d.inline_locally
    if not (relay or d.inline_locally):
        return []
    who = "The relay's inline_css" if relay else "Local inlining (like the relay's inline_css)"
    out: list[Finding] = []
    doc = html_doc(inp)
    for el in doc.root.iter("link", "style") if doc is not None else ():
        where = doc.where(el) if doc is not None else Where(body_part(d))
        in_head = any(a.tag == "head" for a in el.iterancestors())
        if el.tag == "link" and "stylesheet" in (el.get("rel") or "").lower().split():
            if "font" in (el.get("href") or "").lower():  # web fonts: never inlinable anyway
                msg = (
                    f"{who} leaves this web-font stylesheet as it is (@font-face cannot be "
                    "inlined): clients that load web fonts (Apple Mail, iOS) use it, the others "
                    "show the next font of each font-family, so name fallbacks."
                )
                out.append(_finding("relay.inline-link-stylesheet", Severity.INFO, msg, where))
                continue
            msg = (
                f"{who} inlines only rules in <head> <style>: this stylesheet link is not "
                "inlined, and most email clients never load it. Copy its rules into a "
                "<style> in the <head>."
            )
            out.append(_finding("relay.inline-link-stylesheet", Severity.WARNING, msg, where))
        elif el.tag == "style" and not in_head:
            msg = (
                f"{who} inlines only rules in <head> <style>: this <style> is in the body, so "
                "its rules stay a style block, which Gmail and others drop from the body. Move "
                "it into the <head>."
            )
            out.append(_finding("relay.inline-body-style", Severity.WARNING, msg, where))
    if relay and d.amp_html is not None and d.amp_html.strip():
        msg = (
            "inline_css is not performed on the AMP part: its CSS must stay in its "
            "<style amp-custom>, where AMP requires it."
        )
        out.append(_finding("relay.inline-amp", Severity.INFO, msg, Where("amp")))
    return out


# --- {{substitution}} syntax ---------------------------------------------------------------------


def _substitution(inp: CheckInput) -> list[Finding]:
    data = inp.substitution_data
    rest = inp.profile.transport == "rest"
    out: list[Finding] = []
    for hit in find_substitutions(inp.draft):
        subject = hit.part == "headers"

        first = hit.first
        more = f" ({len(hit.items)} in all)" if len(hit.items) > 1 else ""
        more += " in the subject" if subject else ""
        if not rest:
            msg = (
                f"{first.snippet} is sent literally{more}: the SMTP API substitutes nothing "
                "(the template language is not supported, and substitution_data is ignored). "
                "Replace it with the real text, or send over the REST API with substitution "
                "data."
            )
            out.append(
                _finding(
                    "relay.substitution-literal",
                    Severity.WARNING,
                    msg,
                    _subst_where(hit.part, first),
                )
            )
        elif data is None:
            msg = (
                f"{first.snippet} is substitution syntax{more}, but no substitution data is "
                "given: the REST API fills it from nothing (it comes out empty). Add "
                "substitution data or replace it with the real text."
            )
            out.append(
                _finding(
                    "relay.substitution-literal",
                    Severity.WARNING,
                    msg,
                    _subst_where(hit.part, first),
                )
            )
        else:
            missing = [(i, sorted(i.names - data.keys())) for i in hit.items]
            missing = [(i, names) for i, names in missing if names]
            if missing:
                allnames = sorted({n for _i, names in missing for n in names})
                verb = "is" if len(allnames) == 1 else "are"
                msg = (
                    f"{', '.join(allnames)} {verb} not in the substitution data, so "
                    f"{missing[0][0].snippet}{' and others' if len(missing) > 1 else ''} "
                    "come out empty."
                )
                out.append(_finding("relay.substitution-missing", Severity.WARNING, msg,
                                    _subst_where(hit.part, missing[0][0])))  # fmt: skip
    return out


def _merge_tags(inp: CheckInput) -> list[Finding]:
    out = []
    for hit in find_merge_tags(inp.draft):
        first = hit.first
        more = f" ({len(hit.items)} in all)" if len(hit.items) > 1 else ""
        more += " in the subject" if hit.part == "headers" else ""
        msg = (
            f"{first.snippet} is a Mailchimp merge tag{more}: it is sent literally, since "
            "neither the SMTP API nor the REST API fills it in (an unsubscribe tag becomes a "
            "dead link). Replace each with its text, and an unsubscribe tag with a link marked "
            'data-msys-unsubscribe="1".'
        )
        out.append(_finding("relay.merge-tags-literal", Severity.WARNING, msg,
                            _subst_where(hit.part, first)))  # fmt: skip
    return out


def _subst_where(part: str, item: Substitution) -> Where:
    return Where(part, item.line, item.column, "Subject" if part == "headers" else item.snippet)


# --- the sandbox ---------------------------------------------------------------------------------


def _copies(inp: CheckInput) -> int:
    """Messages the relay makes of this send: "each recipient (To, Cc, Bcc, and archive) is
    counted as a targeted message" (000), for each message of a seed list."""
    d = inp.draft
    extra = len(d.cc) + len(d.bcc) + len(d.archive)
    if inp.messages:
        return sum(len(m.envelope.rcpt_to) + extra for m in inp.messages)
    return len(d.to) + extra


def _sandbox(inp: CheckInput, facts: RelayFacts) -> list[Finding]:
    d = inp.draft
    on = bool(d.options.sandbox)
    domain = d.from_addr.email.rpartition("@")[2].strip().lower().rstrip(".")
    on_domain = domain in ALL_SANDBOX_DOMAINS
    if not (on or on_domain):
        return []
    sender = Where("headers", element="From")
    if not facts.sandbox_available:
        what = "the sandbox option" if on else f"a From on the sandbox domain {domain}"
        msg = (
            f"{what.capitalize()} is not available on SparkPost Enterprise accounts; send "
            "from one of the account's verified sending domains."
        )
        return [_finding("relay.sandbox-enterprise", Severity.ERROR, msg,
                         _option("sandbox") if on else sender)]  # fmt: skip
    out: list[Finding] = []
    want = facts.sandbox_domain
    if want is not None and (on or on_domain) and domain != want:
        msg = (
            f"A sandbox message on {facts.label} must come From an address @{want} "
            f"(any local part); this From is @{domain or '(none)'}."
        )
        out.append(_finding("relay.sandbox-from", Severity.ERROR, msg, sender))
    elif want is None and on and not on_domain:  # the local relay takes either domain
        msg = (
            "The local relay takes any From, but on SparkPost a sandbox message must come "
            f"From @{SANDBOX_DOMAINS['sparkpost']}, and on Bird from @{SANDBOX_DOMAINS['bird']}."
        )
        out.append(_finding("relay.sandbox-from", Severity.INFO, msg, sender))
    if on_domain and not on:
        msg = (
            f"From is on the sandbox domain {domain} but the sandbox option is off: turn it on "
            "(--sandbox) so the relay sends it as a sandbox test message."
        )
        out.append(_finding("relay.sandbox-option-off", Severity.WARNING, msg, _option("sandbox")))
    out.append(_allowance(inp, facts))
    return out


def _allowance(inp: CheckInput, facts: RelayFacts) -> Finding:
    needs = _copies(inp)
    used = inp.sandbox_sends_used
    profile = inp.profile.name or facts.label
    life = (
        f"each account may send {SANDBOX_ALLOWANCE} sandbox messages in its lifetime "
        f"({OLD_SANDBOX_ALLOWANCE} for accounts from before the current terms)"
    )
    this = f"this send makes {needs} message{'s' if needs != 1 else ''} (one per recipient)"
    where = _option("sandbox")
    if used is None:
        msg = f"The sandbox allowance: {life}; {this}. The send history could not be read."
        return _finding("relay.sandbox-allowance", Severity.INFO, msg, where)
    left = max(0, SANDBOX_ALLOWANCE - used)
    seen = f"{used} already sent with profile {profile} from this computer"
    if needs > left:
        msg = (
            f"The sandbox allowance: {life}; {seen}, so {left} left, but {this}. The relay "
            "refuses sandbox messages past the allowance (429); add a sending domain instead."
        )
        return _finding("relay.sandbox-allowance", Severity.WARNING, msg, where)
    msg = f"The sandbox allowance: {life}; {seen}, {this}: {left - needs} left after it."
    return _finding("relay.sandbox-allowance", Severity.INFO, msg, where)


# --- skip_suppression and archive copies ---------------------------------------------------------


def _skip_suppression(inp: CheckInput, facts: RelayFacts) -> list[Finding]:
    if not inp.draft.options.skip_suppression:
        return []
    where = _option("skip_suppression")
    if facts.skip_suppression_honoured:
        msg = (
            "skip_suppression: recipients on the account's suppression list (unsubscribed, "
            "bounced, spam complaints) will get this message. Use it only for mail they must "
            "get, like a legal notice."
        )
        return [_finding("relay.skip-suppression", Severity.WARNING, msg, where)]
    severity = Severity.INFO if facts.local else Severity.WARNING
    msg = (
        f"skip_suppression is an Enterprise option: {facts.label} does not honour it, and "
        "suppressed recipients stay suppressed."
    )
    return [_finding("relay.skip-suppression-enterprise-only", severity, msg, where)]


def _archive(inp: CheckInput, facts: RelayFacts) -> list[Finding]:
    d = inp.draft
    if not d.archive or inp.profile.transport == "rest":  # REST has no archive (payload.py)
        return []
    clicks = d.options.click_tracking
    tracked = facts.tracks(clicks)
    unsub = unsubscribe_links(inp).relay
    copy = (
        f"The {len(d.archive)} archive cop{'y is' if len(d.archive) == 1 else 'ies are'} exact "
        "replicas of the To recipient's message, tracked links included"
    )
    where = Where("options", element="archive")
    if tracked or unsub:
        harm = "a click in an archive copy is counted as the recipient's"
        if unsub:
            harm += ", and its unsubscribe link unsubscribes the recipient"
        msg = f"{copy}: {harm}. Use bcc for a copy with links of its own."
        return [_finding("relay.archive-tracked-links", Severity.WARNING, msg, where)]
    if clicks is None and not tracked and not facts.local:  # the local relay has no account
        msg = (
            f"{copy}: if the account turns click tracking on, a click in an archive copy is "
            "counted as the recipient's."
        )
        return [_finding("relay.archive-tracked-links", Severity.INFO, msg, where)]
    return []
