"""Where family 1's findings point, and what it looks for in the text.

Elements are found in the final HTML (doc.py's one shared parse, which also maps an element
back to its line in the source the person edits); substitution syntax is looked for in the text
the person typed (subject, body, own plain-text part), where its line is its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from composer.core.checks.doc import html_doc
from composer.core.checks.model import CheckInput, Where
from composer.core.draft import BodyFormat, Draft

__all__ = [
    "Substitution",
    "SubstitutionHit",
    "UnsubscribeLinks",
    "body_part",
    "find_merge_tags",
    "find_substitutions",
    "locate",
    "unsubscribe_links",
]

_SNIPPET = 80
# Words of an unsubscribe link in the languages people most often write these in.
_UNSUBSCRIBE_WORDS = (
    "unsubscribe", "opt out", "opt-out", "abmelden", "désabonner", "desabonner",
    "darse de baja", "cancelar suscripción", "afmelden", "disiscriviti",
)  # fmt: skip
# {{ expr }} and {{{ expr }}} (unescaped), as the relay's template language writes them.
# The expression is bounded and holds no brace, so a hostile body ("{{" and a megabyte of
# spaces) costs at most 200 steps per "{{": an unbounded "\s*(.*?)\s*" took seconds per 1000.
_SUBST = re.compile(r"\{\{\{?([^{}]{0,200}?)\}?\}\}")
# Mailchimp's merge tags (*|FNAME|*, *|UNSUB|*): templates made for it often come here as they are
_MERGE = re.compile(r"\*\|[^|*\s]{1,80}\|\*")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = frozenset(
    {"if", "else", "elseif", "end", "each", "and", "or", "not", "loop_var", "loop_vars",
     "render_dynamic_content", "render_snippet", "true", "false", "null"}
)  # fmt: skip


def body_part(draft: Draft) -> str:
    """The part name (model.PARTS) of the body the person edits."""
    return {BodyFormat.HTML: "html", BodyFormat.MARKDOWN: "markdown"}.get(draft.body_format, "text")


def locate(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of ``index`` in ``text``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"


@dataclass(frozen=True)
class UnsubscribeLinks:
    """``relay``: a link with data-msys-unsubscribe (the relay's own, per recipient); ``any``:
    that or a link that says unsubscribe. ``where``: the first one's place in the source."""

    any: bool = False
    relay: bool = False
    where: Where | None = None


def unsubscribe_links(inp: CheckInput) -> UnsubscribeLinks:
    doc = html_doc(inp)
    if doc is None:
        text = inp.rendered.text.lower()
        return UnsubscribeLinks(any=any(w in text for w in _UNSUBSCRIBE_WORDS))
    relay_link = own = None
    for a in doc.root.iter("a"):
        if a.get("data-msys-unsubscribe") is not None:
            relay_link = a
            break
        words = ("".join(a.itertext()) + " " + (a.get("href") or "")).lower()
        if own is None and any(w in words for w in _UNSUBSCRIBE_WORDS):
            own = a
    first = relay_link if relay_link is not None else own
    if first is None:
        return UnsubscribeLinks()
    return UnsubscribeLinks(True, relay_link is not None, doc.where(first))


@dataclass(frozen=True)
class Substitution:
    """One ``{{ … }}``: its place in the part, its text and the top-level names it reads."""

    line: int | None
    column: int | None
    snippet: str
    names: frozenset[str]


@dataclass(frozen=True)
class SubstitutionHit:
    """Every ``{{ … }}`` of one part, in order (there is at least one)."""

    part: str
    items: tuple[Substitution, ...]

    @property
    def first(self) -> Substitution:
        return self.items[0]


def _names(expr: str) -> frozenset[str]:
    """Top-level variables an expression reads (``user.name`` reads ``user``)."""
    out = set()
    bare = re.sub(r"\"[^\"]*\"|'[^']*'", "", expr)
    for m in _IDENT.finditer(bare):
        if bare[: m.start()].rstrip().endswith(".") or m.group() in _KEYWORDS:
            continue
        out.add(m.group())
    return frozenset(out)


def _parts(draft: Draft) -> list[tuple[str, str, bool]]:
    """(part, text, has lines) of what the relay would fill in: not the AMP part, whose
    amp-mustache templates are filled by the recipient's client."""
    parts: list[tuple[str, str, bool]] = [("headers", draft.subject, False),
                                          (body_part(draft), draft.body, True)]  # fmt: skip
    if draft.plain_text is not None and draft.plain_text.strip():
        parts.append(("text", draft.plain_text, True))
    return parts


def _find(draft: Draft, pattern: re.Pattern[str], names: bool) -> list[SubstitutionHit]:
    out = []
    for part, text, has_lines in _parts(draft):
        items = []
        for m in pattern.finditer(text):
            line, column = locate(text, m.start()) if has_lines else (None, None)
            read = _names(m.group(1).strip()) if names else frozenset()
            items.append(Substitution(line, column, _snippet(m.group()), read))
        if items:
            out.append(SubstitutionHit(part, tuple(items)))
    return out


def find_substitutions(draft: Draft) -> list[SubstitutionHit]:
    """``{{ }}`` in the subject, the body and an own plain-text part."""
    return _find(draft, _SUBST, names=True)


def find_merge_tags(draft: Draft) -> list[SubstitutionHit]:
    """Mailchimp's ``*|TAG|*`` in the same parts."""
    return _find(draft, _MERGE, names=False)
