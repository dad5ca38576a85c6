"""Lists that behave as people expect from GitHub and CommonMark, on Python-Markdown.

Python-Markdown (the engine the project names) follows the original Markdown.pl on lists: an
item's children must be indented by four spaces, a list cannot start right after a paragraph
line, and ``- a`` followed by ``1. b`` continues the bullet list. People write CommonMark:

* ``- a`` then ``  - b`` (two spaces, under the text of ``a``) nests;
* ``Intro:`` then ``- a`` on the next line starts a list;
* a change of list type (bullets to numbers and back) starts a new list, as Python-Markdown's
  own ``sane_lists`` does after a blank line.

Which maintained extension does this was measured on the CommonMark spec's list examples
(tests/core/commonmark_lists.json): ``mdx_truly_sane_lists`` nests at two spaces but then not at
four (``- a`` / ``    - b`` stops nesting, a regression for every existing draft) and does not
split on a type change; ``pymdownx.fancylists`` splits on a type change but nests only at four
and calls itself "work in progress"; ``mdx_breakless_lists`` lets a list follow a paragraph but
inserts lines inside fenced code. None gives all three, so this preprocessor rewrites the list
lines, and only those, into what Python-Markdown with ``sane_lists`` reads the CommonMark way:
each item's content column (where its text starts) decides what is nested in it, and is
re-indented to Python-Markdown's four spaces per level. It runs after the fenced-code and
raw-HTML preprocessors, so code and HTML blocks are already placeholders and never touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

__all__ = ["MAX_DEPTH", "CommonMarkLists", "normalise_lists"]

# A list item: indent, marker (bullet, or 1-9 digits and . or )), spaces, the text.
_ITEM = re.compile(
    r"^(?P<indent> *)(?P<marker>[*+-]|(?P<num>\d{1,9})[.)])(?P<gap> +|$)(?P<text>.*)"
)
_THEMATIC = re.compile(r"^ {0,3}([-*_])( *\1){2,} *$")  # "---", "* * *": a rule, not an item
# A code fence inside a list item: fenced_code only sees fences at the margin, so these reach us.
_FENCE = re.compile(r"^ *(?P<fence>`{3,}|~{3,})")
_STEP = 4  # Python-Markdown's tab_length: the indent of each nesting level
# Deeper items are written at this level. Python-Markdown parses nesting by recursion: a
# hostile draft of thousands of levels would end in RecursionError (and each level costs four
# more spaces per line); no message needs more than a few levels.
MAX_DEPTH = 16


@dataclass
class _Open:
    content: int  # the column where the item's text starts (CommonMark's rule for children)
    kind: str  # "ul" or "ol": a different kind at the same level starts a new list


def _kind(marker: str) -> str:
    # Only bullets against numbers: sane_lists splits those at a blank line, while two bullet
    # lists in a row would read as one loose list (CommonMark splits "-" from "*" as well).
    return "ol" if marker[-1] in ".)" else "ul"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def normalise_lists(lines: list[str]) -> list[str]:
    """The rewrite described above, on lines whose tabs are already expanded."""
    out: list[str] = []
    stack: list[_Open] = []
    # "blank", "item", "text" (a paragraph line outside any list), "in-list" or "code" (an
    # indented code block inside an item)
    previous = ""
    fence = ""  # the fence of a code block opened inside an item, until it closes
    fence_column = 0  # the text column of the item the fence is in
    for line in lines:
        if not line.strip():
            out.append(line)
            previous = "blank" if previous != "" else ""
            continue
        indent = _indent(line)
        m = _ITEM.match(line)
        if m and _THEMATIC.match(line):
            m = None
        if m and not stack and indent >= _STEP:
            m = None  # an indented code block, not a list
        # Code inside an item is never read for items: lines of a fence, and (CommonMark) lines
        # four past the item's text after a blank line, an indented code block.
        code = False
        if stack and fence and indent < fence_column:
            fence = ""  # a line left of the item's text ends the item, and its fence with it
        if stack and fence:
            m = None
            opened = _FENCE.match(line)
            if opened and opened["fence"].startswith(fence) and not line.strip(" `~"):
                fence = ""
        elif stack and indent >= stack[-1].content and (opened := _FENCE.match(line)):
            m, fence, fence_column = None, opened["fence"], stack[-1].content
        elif stack and previous in ("blank", "code"):
            owner = max((i for i, o in enumerate(stack) if indent >= o.content), default=-1)
            if owner >= 0 and indent - stack[owner].content >= _STEP:
                m, code = None, True
        if m:
            sibling: str | None = None  # the kind of the item this one follows at its level
            while stack and indent < stack[-1].content:
                sibling = stack.pop().kind
            kind = _kind(m["marker"])
            if not stack and previous == "text":
                if not _can_interrupt(m):
                    out.append(line)  # "2. b" after text stays text (CommonMark too)
                    continue
                out.append("")  # a list right after a paragraph line
            elif sibling is not None and sibling != kind and previous != "blank":
                out.append("")  # a new kind of list at this level: sane_lists splits it
            depth = min(len(stack), MAX_DEPTH)
            gap = m["gap"] if 0 < len(m["gap"]) <= 4 else " "
            content = indent + len(m["marker"]) + len(gap)
            text = _cap_chain(m["text"], MAX_DEPTH - depth)
            out.append(" " * (_STEP * depth) + m["marker"] + gap + text)
            stack.append(_Open(content, kind))
            previous = "item"
            continue
        if stack and previous != "blank" and not code:
            out.append(line)  # a continuation line: Python-Markdown joins it to the item
            previous = "in-list"
            continue
        level = max((i for i, o in enumerate(stack) if indent >= o.content), default=-1)
        if level >= 0:
            # a new paragraph (or code, quote) of the deepest item whose text it lines up with
            del stack[level + 1 :]
            extra = indent - stack[level].content
            depth = min(level + 1, MAX_DEPTH)
            out.append(" " * (_STEP * depth + extra) + line.lstrip(" "))
            previous = "code" if code else "in-list"
            continue
        stack.clear()
        fence = ""
        out.append(line)
        previous = "text"
    return out


def _cap_chain(text: str, room: int) -> str:
    """An item's text that starts with markers ("- - - x") opens a list per marker, each inside
    the last; past ``room`` more levels the next marker is escaped (``\\-``), so it is text."""
    pos = levels = 0
    while (inner := _ITEM.match(text[pos:])) is not None and not _THEMATIC.match(text[pos:]):
        if levels >= room:
            at = pos + inner.end("marker") - 1
            return text[:at] + "\\" + text[at:]
        levels += 1
        pos += inner.start("text")
    return text


def _can_interrupt(m: re.Match[str]) -> bool:
    """CommonMark: a list may interrupt a paragraph if its first item has text and, when
    ordered, starts at 1 (so "in 2024. we" wrapped onto a new line stays a sentence)."""
    return bool(m["text"].strip()) and (m["num"] is None or int(m["num"]) == 1)


class _ListLines(Preprocessor):  # type: ignore[misc]  # markdown ships no types
    def run(self, lines: list[str]) -> list[str]:
        return normalise_lists([line.expandtabs(_STEP) for line in lines])


class CommonMarkLists(Extension):  # type: ignore[misc]
    """Register with ``sane_lists``: ``Markdown(extensions=["sane_lists", CommonMarkLists()])``."""

    def extendMarkdown(self, md: Markdown) -> None:
        # After fenced_code (25) and html_block (20): code and raw HTML are placeholders by now.
        md.preprocessors.register(_ListLines(md), "commonmark_lists", 15)
