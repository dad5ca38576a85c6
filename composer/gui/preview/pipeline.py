"""What the preview shows, computed off the UI thread by the same functions the send uses.

Pure functions of a Draft snapshot (no Qt here), so they can be tested without a window and
run on any worker thread: validate → render → build → the relay's fan-out per recipient.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field

from composer.core.attachfiles import AttachmentFileError
from composer.core.build import OutgoingMessage, build_messages
from composer.core.draft import Draft, InlineImage
from composer.core.errors import ComposerError
from composer.core.htmlscan import style_open
from composer.core.inline import inline_css
from composer.core.problems import GMAIL_CLIP_BYTES, MAX_MESSAGE_BYTES
from composer.core.related import InlineImageError, read_inline_image
from composer.core.render import Rendered, render
from composer.core.validate import Problem, errors_of, validate
from composer.relay.fanout import Copy, MsysRejection, fan_out

# A new window shows no errors until a field is left or a send tried: name what is missing.
NO_MESSAGE_YET = "Fill in From and To, and fix anything marked, to see the exact message."
_STYLE_CLOSE = re.compile(r"</style\s*>", re.I)


@dataclass(frozen=True)
class PreviewResult:
    generation: int
    problems: list[Problem]
    rendered: Rendered | None = None
    recipient_html: str | None = None  # after the relay's inlining, when that is asked for
    no_style_html: str | None = None  # what clients that drop <style> show
    findings: tuple[object, ...] = ()  # the pre-send checks' (core.checks.Finding), this render
    message: OutgoingMessage | None = None  # the exact bytes (first message of a send)
    copies: list[Copy] = field(default_factory=list)  # one per recipient, as delivered
    note: str = ""  # why something is missing ("fix the errors to see the raw message")
    images: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # inline, by cid

    @property
    def html_bytes(self) -> int:
        return len((self.recipient_html or "").encode("utf-8"))

    @property
    def clipped_by_gmail(self) -> bool:
        return self.html_bytes > GMAIL_CLIP_BYTES

    def raw_text(self) -> str:
        """The envelope and the message as the relay receives them."""
        if self.message is None:
            return self.note
        env = self.message.envelope
        lines = [
            f"MAIL FROM:<{env.mail_from}>",
            *[f"RCPT TO:<{r}>" for r in env.rcpt_to],
            "DATA",
            "",
        ]
        return "\n".join(lines) + self.message.data.decode("ascii", "replace").replace("\r\n", "\n")


@functools.lru_cache(maxsize=4)
def _inline_for_preview(html: str, engine: str) -> str:
    """An edit that did not change the HTML (subject, recipients, tags) reuses the last result."""
    return inline_css(html, engine)


def preview_images(draft: Draft) -> dict[str, tuple[str, bytes]]:
    """The draft's inline images by cid, for the preview's scheme: read here, on the worker,
    with the send's checks; one that cannot be read is left out (validation names it). No more
    than a message can carry is read (validation says the rest is too much): a draft naming
    many large images would otherwise be read whole on every keystroke."""
    out: dict[str, tuple[str, bytes]] = {}
    budget = MAX_MESSAGE_BYTES
    for image in draft.inline_images:
        try:
            st = os.stat(image.path)
            if st.st_size > budget:
                continue
            out[image.cid] = found = _read_image(image.path, st.st_mtime_ns, st.st_size)
            budget -= len(found[1])
        except (OSError, AttachmentFileError, InlineImageError):
            continue
    return out


@functools.lru_cache(maxsize=16)
def _read_image(path: str, _mtime_ns: int, _size: int) -> tuple[str, bytes]:
    """Keyed on the file's time and size: typing reads no image twice; a changed file anew."""
    return read_inline_image(InlineImage(path, "preview"), limit=MAX_MESSAGE_BYTES)


def strip_styles(html: str) -> str:
    """``html`` without its ``<style>`` blocks (the no-style view). A loop, not one lazy
    pattern: ``<style>.*?</style>`` ran to the end from every ``<style>`` left open."""
    out: list[str] = []
    pos = 0
    while (found := style_open(html, pos)) is not None:
        close = _STYLE_CLOSE.search(html, found[1])
        if close is None:  # nor will a later <style> have one
            break
        out.append(html[pos : found[0]])
        pos = close.end()
    out.append(html[pos:])
    return "".join(out)


def compute(draft: Draft, generation: int) -> PreviewResult:
    problems = validate(draft)
    try:
        rendered = render(draft)
    except ComposerError as exc:
        return PreviewResult(generation, [*problems, Problem("body", str(exc))], note=str(exc))
    recipient_html = rendered.html
    if recipient_html is not None and draft.options.inline_css and not draft.inline_locally:
        try:  # the relay will inline: show what its recipients get
            recipient_html = _inline_for_preview(recipient_html, draft.inline_engine)
        except ComposerError as exc:
            problems = [*problems, Problem("body", str(exc))]
    no_style = strip_styles(recipient_html) if recipient_html is not None else None
    base = dict(
        rendered=rendered,
        recipient_html=recipient_html,
        no_style_html=no_style,
        images=preview_images(draft),
    )
    if errors_of(problems):
        return PreviewResult(
            generation, problems, **base, note=NO_MESSAGE_YET
        )
    try:
        (message,) = build_messages(draft, rendered=rendered, problems=problems)
    except ComposerError as exc:
        return PreviewResult(
            generation, [*problems, Problem("body", str(exc))], **base, note=str(exc)
        )
    try:
        copies = fan_out(
            message.envelope.mail_from,
            list(message.envelope.rcpt_to),
            message.data,
            "(assigned by the relay)",
        )
    except MsysRejection as exc:
        return PreviewResult(
            generation,
            problems,
            **base,
            message=message,
            note=f"The relay would refuse this message: {exc.reply}",
        )
    return PreviewResult(generation, problems, **base, message=message, copies=copies)
