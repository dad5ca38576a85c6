"""Turn a Draft's body into the parts that are sent: HTML, plain text and AMP.

One function, ``render``, serves the preview and the send path, so what a person previews is
what goes out. Everything here is pure (no Qt, no network, no files but our own template) and
safe to call from several threads at once: the preview renders on a worker while a send may
render on another.
"""

from __future__ import annotations

import functools
import html as html_lib
import re
from dataclasses import dataclass

import markdown
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension

from composer.core.draft import BodyFormat, Draft
from composer.core.inline import inline_css, strip_css_imports
from composer.core.mdlists import CommonMarkLists
from composer.core.plaintext import html_to_text
from composer.core.resources import resource_path

__all__ = [
    "Rendered",
    "html_to_text",
    "inline_css",
    "markdown_to_html",
    "render",
    "strip_css_imports",
    "wrap_in_template",
]

# Classes, not names ("tables", ...): a name makes Markdown look it up among every installed
# distribution's entry points (importlib.metadata reads them all), 20-40 ms of a process's
# first render, which for the window is on the preview worker while the UI thread waits.
_MD_EXTENSIONS = (TableExtension, FencedCodeExtension, SaneListExtension)  # + mdlists


# --- Markdown and the template ----------------------------------------------------------------


def markdown_to_html(text: str) -> str:
    """Markdown to an HTML fragment (tables, fenced code, lists as CommonMark has them).

    A new ``Markdown`` per call: an instance keeps per-document state, and the preview and a
    send may convert at the same time on different threads. Raw HTML passes through on purpose:
    people paste snippets (buttons, banners) into Markdown bodies.
    """
    extensions = [ext() for ext in _MD_EXTENSIONS]
    md = markdown.Markdown(extensions=[*extensions, CommonMarkLists()], output_format="html")
    safe = defuse_brackets(text)
    html = str(md.convert(safe))
    return html.replace(_INERT_BRACKET, "[") if safe is not text else html


# Python-Markdown's link processor rescans the rest of the text from every "[" that never
# closes, and from every "[" nested inside others (upstream Python-Markdown#798): 3 000 of
# either took 1.7-3.7 s, a 30 KB body minutes. Such brackets can start no link, so past a count
# no real message reaches they are swapped for a private-use character that Markdown reads as
# plain text, and put back after the conversion (escaping them as "\[" was quadratic too).
_RISKY_BRACKETS = 200
_MAX_BRACKET_DEPTH = 32
_INERT_BRACKET = "\ue000"


def defuse_brackets(text: str) -> str:
    """``text`` with its never-closed and too-deeply-nested "[" made inert, when there are at
    least 200 of them; otherwise ``text`` itself (one linear scan)."""
    if text.count("[") < _RISKY_BRACKETS or _INERT_BRACKET in text:
        return text
    opens: list[int] = []
    risky: list[int] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2  # an escaped character is no bracket
            continue
        if c == "[":
            (risky if len(opens) >= _MAX_BRACKET_DEPTH else opens).append(i)
        elif c == "]" and opens:
            opens.pop()
        i += 1
    risky += opens  # never closed
    if len(risky) < _RISKY_BRACKETS:
        return text
    out: list[str] = []
    last = 0
    for at in sorted(risky):
        out.append(text[last:at])
        out.append(_INERT_BRACKET)
        last = at + 1
    out.append(text[last:])
    return "".join(out)


_PLACEHOLDER = re.compile(r"\{\{(title|body)\}\}")


@functools.cache
def _template_parts() -> tuple[str, ...]:
    """The template split around its placeholders: literal, name, literal, name, literal.

    Splitting once (rather than ``str.replace`` twice) means a title containing ``{{body}}``, or
    a body containing ``{{title}}``, is never substituted a second time.
    """
    text = resource_path("email_template.html").read_text(encoding="utf-8")
    parts = tuple(_PLACEHOLDER.split(text))
    if sorted(parts[1::2]) != ["body", "title"]:
        raise RuntimeError("email_template.html must hold {{title}} and {{body}} once each")
    return parts


def wrap_in_template(body_html: str, title: str) -> str:
    """Put an HTML fragment into the email-safe page template, with ``title`` HTML-escaped.

    Literal substitution, not ``str.format`` or ``string.Template``: bodies contain ``{`` (CSS,
    code) and ``$`` (prices) that those would treat as syntax.
    """
    values = {"title": html_lib.escape(title), "body": body_html}
    parts = _template_parts()
    return "".join(values[p] if i % 2 else p for i, p in enumerate(parts))


# --- render -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """The parts of a message body. ``html`` is None for a plain-text body."""

    html: str | None
    text: str
    amp: str | None


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def render(draft: Draft) -> Rendered:
    """Render a Draft's body exactly as it will be sent (the preview shows this too).

    Markdown is converted and wrapped in the email template (titled with the subject); HTML is
    used as given; text has no HTML part. With ``inline_locally`` the CSS is inlined here rather
    than by the relay. The plain-text part is the person's own ``plain_text`` when they wrote
    one, else generated from the HTML. Line endings are LF; the MIME layer makes them CRLF.
    """
    html: str | None
    if draft.body_format == BodyFormat.MARKDOWN:
        html = wrap_in_template(markdown_to_html(draft.body), draft.subject)
    elif draft.body_format == BodyFormat.HTML:
        html = draft.body
    else:
        html = None
    if html is not None:
        html = _lf(html)
        if draft.inline_locally:
            html = _lf(inline_css(html, draft.inline_engine))
    if draft.plain_text is not None and draft.plain_text.strip():
        text = draft.plain_text
    elif html is not None:
        text = html_to_text(html)
    else:
        text = draft.body
    amp = draft.amp_html if draft.amp_html is not None and draft.amp_html.strip() else None
    return Rendered(html=html, text=_lf(text), amp=_lf(amp) if amp is not None else None)
