"""``composer templates`` lists the templates; ``composer new --template NAME --output FILE``
writes a draft from one. (``composer send --template NAME`` is send.py's, through
draft_args.py.)"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from composer.app.context import Context
from composer.app.templates import all_templates, find_template, start_from
from composer.core.draft import dumps_draft
from composer.core.errors import DraftSaveError, ExitCode, UsageError
from composer.core.jsonin import shown
from composer.core.templates import Template
from composer.store.templates import Damaged

__all__ = ["add_parsers"]


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "templates",
        help="list the built-in templates and your own",
        description="Every template: its key (for --template), name, subject and description. "
        "Your own live in $COMPOSER_HOME/templates (File → Save as template in the window).",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run_templates)

    n = sub.add_parser(
        "new",
        help="write a new draft file from a template",
        description="Write a draft file from a template, to edit and then send with "
        "`composer send --draft FILE` (or open in the window).",
    )
    n.add_argument("--template", required=True, metavar="NAME", help="a key or name")
    n.add_argument("--output", required=True, metavar="DRAFT.json", help="the file to write")
    n.add_argument("--force", action="store_true", help="replace the file if it exists")
    n.set_defaults(handler=run_new)


def _as_json(t: Template | Damaged) -> dict[str, Any]:
    if isinstance(t, Damaged):
        return {"key": t.key, "source": "user", "damaged": t.message, "path": str(t.path)}
    d = t.draft
    return {
        "key": t.key,
        "name": t.name,
        "description": t.description,
        "source": "built-in" if t.builtin else "user",
        "subject": d.subject,
        "body_format": d.body_format.value,
        "campaign_id": d.campaign_id,
        "tags": list(d.tags),
        "transactional": d.options.transactional,
        "has_amp": bool(d.amp_html),
        "has_recipients": bool(d.to or d.cc or d.bcc or d.archive),
        "path": None if t.builtin or t.path is None else str(t.path),
    }


def run_templates(context: Context, args: argparse.Namespace) -> int:
    found = all_templates(context)
    if args.json:
        print(json.dumps([_as_json(t) for t in found], indent=2, ensure_ascii=False))
        return ExitCode.OK
    width = max((len(t.key) for t in found), default=0)
    for t in found:
        if isinstance(t, Damaged):
            print(f"{t.key:<{width}}  (yours, damaged: {t.message})")
            continue
        where = "built-in" if t.builtin else "yours"
        print(f"{t.key:<{width}}  {t.name} ({where}) — {t.subject}")
        if t.description:
            print(f"{'':<{width}}  {t.description}")
    return ExitCode.OK


def run_new(context: Context, args: argparse.Namespace) -> int:
    template = find_template(context, args.template)
    out = args.output
    if os.path.lexists(out) and not args.force:
        raise UsageError(f"--output: {shown(out)} exists; use --force to replace it")
    if os.path.isdir(out):
        raise UsageError(f"--output: {shown(out)} is a folder; name a file")
    from composer.store.atomic import atomic_write_text

    try:
        atomic_write_text(out, dumps_draft(start_from(template)))
    except OSError as exc:
        raise DraftSaveError(
            f"Could not write {shown(out)}: {exc.strerror or exc}."
        ) from exc
    print(f"wrote {shown(out)} from the template {template.key!r}", file=sys.stderr)
    return ExitCode.OK
