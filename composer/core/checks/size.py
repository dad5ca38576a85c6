"""Family 5: size and images.

- Gmail clips a message whose HTML is over 102 KB (it shows "[Message clipped]" and a link;
  the rest, often the unsubscribe link and the open pixel, is not shown). Measured on the final
  HTML part, UTF-8, as it is after local inlining: what Gmail receives.
- Click tracking makes every http(s) link longer: the relay rewrites each into its own tracked
  address, which carries the original URL encoded plus message and recipient ids. We estimate
  ``TRACKED_LINK_BYTES`` (300 bytes) per tracked link in place of the original, and
  ``OPEN_PIXEL_BYTES`` (400 bytes) for the open-tracking pixel. Both are estimates from the shape
  of SparkPost's tracked URLs (``https://<tracking domain>/f/a/<id>~~/<ids>~/<encoded URL>``),
  rounded up: we would rather warn a little early than have Gmail clip a message we said fits.
  Whether tracking is on: the draft's option, else the relay's default for the profile
  (core/relay_facts.py).
- Images without width and height: Outlook for Windows shows them at the file's own size, and
  every client reflows the page as they load.
- The whole message as DATA carries it, against the relay's limit (core/problems.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from composer.core.checks.doc import html_doc
from composer.core.checks.links import link_refs
from composer.core.checks.model import CheckInput, Finding, ProfileFacts, Severity, Where
from composer.core.problems import GMAIL_CLIP_BYTES, MAX_MESSAGE_BYTES, MESSAGE_LIMIT_SOURCE
from composer.core.relay_facts import facts_for

__all__ = ["OPEN_PIXEL_BYTES", "TRACKED_LINK_BYTES", "check", "tracking_on"]

TRACKED_LINK_BYTES = 300
OPEN_PIXEL_BYTES = 400
# Below the clip but close enough that a small edit (or the relay's own changes) tips it over.
NEAR_CLIP = 0.9
# Many receiving servers refuse messages over 10 MB (the common limits are 10-25 MB).
WIDELY_REFUSED = 10_000_000


def tracking_on(option: bool | None, profile: ProfileFacts) -> bool:
    """The option as set, else the relay's default for this profile (core/relay_facts.py)."""
    return facts_for(profile.provider, profile.transport).tracks(option)


def _kb(n: int) -> str:
    return f"{n / 1024:.0f} KB"


def _clip(inp: CheckInput) -> Iterator[Finding]:
    doc = html_doc(inp)
    html = inp.rendered.html
    if doc is None or html is None:
        return
    size = len(html.encode("utf-8", "replace"))  # a lone surrogate cannot be sent anyway
    where = Where(doc.part)
    clicks = tracking_on(inp.draft.options.click_tracking, inp.profile)
    opens = tracking_on(inp.draft.options.open_tracking, inp.profile)
    links = [r for r in link_refs(doc) if r.url.strip().lower().startswith(("http://", "https://"))]
    added = 0
    if clicks:
        added += sum(r.count * max(0, TRACKED_LINK_BYTES - len(r.url)) for r in links)
    if opens:
        added += OPEN_PIXEL_BYTES
    if size > GMAIL_CLIP_BYTES:
        yield Finding(
            "size.gmail-clip",
            Severity.WARNING,
            "size",
            f"The HTML is {_kb(size)}: Gmail clips messages over 102 KB and hides the "
            "rest (often the unsubscribe link) behind 'View entire message'.",
            where,
        )
    elif size + added > GMAIL_CLIP_BYTES:
        n = sum(r.count for r in links)
        yield Finding(
            "size.gmail-clip-tracking",
            Severity.WARNING,
            "size",
            f"The HTML is {_kb(size)}; with tracking on, the relay's tracked links "
            f"({n}) and open pixel add about {_kb(added)}, which takes it over "
            "Gmail's 102 KB clipping limit.",
            where,
        )
    elif size + added > NEAR_CLIP * GMAIL_CLIP_BYTES:
        extra = f" (about {_kb(size + added)} with tracking)" if added else ""
        yield Finding(
            "size.gmail-clip-near",
            Severity.INFO,
            "size",
            f"The HTML is {_kb(size)}{extra}, close to Gmail's 102 KB clipping limit.",
            where,
        )


def _images(inp: CheckInput) -> Iterator[Finding]:
    doc = html_doc(inp)
    if doc is None:
        return
    for el in doc.user_elements():
        if el.tag != "img":
            continue
        missing = [a for a in ("width", "height") if not (el.get(a) or "").strip()]
        if missing:
            yield Finding(
                "size.img-dimensions",
                Severity.WARNING if "width" in missing else Severity.INFO,
                "size",
                f"This image has no {' or '.join(missing)} attribute: Outlook for Windows "
                "shows it at the file's own size, and the layout jumps while images load.",
                doc.where(el),
            )


def _message(inp: CheckInput) -> Iterator[Finding]:
    if not inp.messages:
        return
    size = max(m.size for m in inp.messages)
    where = Where("options")
    mb = f"{size / 1e6:.1f} MB"
    if size > MAX_MESSAGE_BYTES:
        yield Finding(
            "size.message",
            Severity.ERROR,
            "size",
            f"The message is {mb} once encoded; the limit is "
            f"{MAX_MESSAGE_BYTES / 1e6:.0f} MB ({MESSAGE_LIMIT_SOURCE}).",
            where,
        )
    elif size > WIDELY_REFUSED:
        yield Finding(
            "size.message",
            Severity.WARNING,
            "size",
            f"The message is {mb} once encoded (attachments grow by a third): many "
            "receiving servers refuse mail over 10 MB. Link large files instead.",
            where,
        )


def check(inp: CheckInput) -> Iterator[Finding]:
    yield from _clip(inp)
    yield from _images(inp)
    yield from _message(inp)
