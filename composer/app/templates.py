"""The template and snippet catalogues: the built-in ones and the person's own, as one list.

The CLI (``composer templates``, ``new``, ``send --template``) and the window's gallery and
snippet palette read them from here, so both name the same things the same way.

Keys are unique across both: a person's template cannot take a built-in key (saving one
named "Newsletter" is refused, naming the built-in), so ``--template newsletter`` always
means one thing.
"""

from __future__ import annotations

import copy

from composer.app.context import Context
from composer.core.draft import Draft
from composer.core.errors import InvalidInput, UsageError
from composer.core.snippets import Snippet, builtin_snippets
from composer.core.templates import Template, builtin_templates, close_names, slug
from composer.store.templates import Damaged, check_name

__all__ = [
    "all_snippets",
    "all_templates",
    "find_template",
    "save_snippet",
    "save_template",
    "start_from",
]


def all_templates(context: Context) -> list[Template | Damaged]:
    """Built-in first (in their order), then the person's own by name; damaged files last."""
    own = context.templates().list()
    good = [t for t in own if isinstance(t, Template)]
    bad = [t for t in own if isinstance(t, Damaged)]
    return [*builtin_templates(), *sorted(good, key=lambda t: t.name.casefold()), *bad]


def all_snippets(context: Context) -> list[Snippet | Damaged]:
    own = context.snippets().list()
    good = [s for s in own if isinstance(s, Snippet)]
    bad = [s for s in own if isinstance(s, Damaged)]
    return [*builtin_snippets(), *sorted(good, key=lambda s: s.name.casefold()), *bad]


def find_template(context: Context, wanted: str, flag: str = "--template") -> Template:
    """The template whose key or name is ``wanted`` (case and punctuation ignored), or
    UsageError (exit 2) listing the close names."""
    everything = all_templates(context)
    key = slug(wanted)
    for t in everything:
        if t.key == key or t.key == wanted or t.name.casefold() == wanted.casefold():
            if isinstance(t, Damaged):
                raise UsageError(f"{flag}: {wanted!r} cannot be read: {t.message}")
            return t
    keys = [t.key for t in everything if isinstance(t, Template)]
    near = close_names(wanted, keys)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    raise UsageError(
        f"{flag}: no template named {wanted!r}{hint} (`composer templates` lists them)"
    )


def start_from(template: Template) -> Draft:
    """A fresh draft from a template: a copy, so editing it never changes the template."""
    return copy.deepcopy(template.draft)


def _refuse_builtin(kind: str, key: str, builtin: list[str]) -> None:
    if key in builtin:
        raise InvalidInput(f"{kind} name: {key!r} is a built-in {kind}'s name; choose another")


def save_template(
    context: Context,
    name: str,
    description: str,
    draft: Draft,
    *,
    include_recipients: bool = False,
    replace: bool = False,
) -> Template:
    key = check_name("template", name, description)
    _refuse_builtin("template", key, [t.key for t in builtin_templates()])
    store = context.templates()
    store.save(name, description, draft, include_recipients=include_recipients, replace=replace)
    saved = store.read(key)
    if isinstance(saved, Damaged):  # written and unreadable: say so now, not at next use
        raise InvalidInput(f"the template was saved but cannot be read back: {saved.message}")
    return saved


def save_snippet(
    context: Context, name: str, description: str, html: str, *, replace: bool = False
) -> Snippet:
    key = check_name("snippet", name, description)
    _refuse_builtin("snippet", key, [s.key for s in builtin_snippets()])
    store = context.snippets()
    store.save(name, description, html, replace=replace)
    saved = store.read(key)
    if isinstance(saved, Damaged):
        raise InvalidInput(f"the snippet was saved but cannot be read back: {saved.message}")
    return saved
