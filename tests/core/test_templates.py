"""The built-in starters, through the real pipeline: read, validate, render, build."""

from __future__ import annotations

import dataclasses
import json
import re
from email import message_from_bytes, policy

import pytest

from composer.core.build import build_messages
from composer.core.draft import BodyFormat, Draft, Recipient, loads_draft
from composer.core.render import render
from composer.core.templates import (
    Template,
    builtin_templates,
    close_names,
    for_template,
    slug,
    template_from_json,
    template_to_json,
)
from composer.core.validate import validate

STARTERS = builtin_templates()
KEYS = [t.key for t in STARTERS]
COMMERCIAL = {"announcement", "newsletter", "event-invitation", "plain-note"}
TRANSACTIONAL = {"receipt", "password-reset"}


def addressed(t: Template) -> Draft:
    return dataclasses.replace(
        t.draft, from_addr=Recipient("news@example.com", "Example"), to=[Recipient("b@example.com")]
    )


def test_the_six_starters_the_issue_names_are_there() -> None:
    assert set(KEYS) == COMMERCIAL | TRANSACTIONAL
    for t in STARTERS:
        assert t.builtin and t.name and t.description and t.subject
        assert t.draft.campaign_id and t.draft.tags
        assert not (t.draft.to or t.draft.cc or t.draft.bcc or t.draft.archive)


@pytest.mark.parametrize("key", KEYS)
def test_each_starter_renders_and_builds_without_a_problem(key: str) -> None:
    t = STARTERS[KEYS.index(key)]
    draft = addressed(t)
    assert validate(draft) == []
    rendered = render(draft)
    assert rendered.html is not None
    html = rendered.html
    assert re.search(r'<html lang="en"', html)
    assert "@media (max-width:" in html  # responsive: a phone width
    assert "prefers-color-scheme: dark" in html
    for img in re.findall(r"<img\b[^>]*>", html):
        assert re.search(r'\balt="[^"]+"', img), img
    assert ('data-msys-unsubscribe="1"' in html) == (key in COMMERCIAL)
    assert bool(draft.options.transactional) == (key in TRANSACTIONAL)
    assert len(rendered.text.strip()) > 200  # a real plain-text part
    assert not {"\u034f", "\u200c", "\xa0"} & set(rendered.text)  # the preheader's filler
    [message] = build_messages(draft, problems=[])
    parsed = message_from_bytes(message.data, policy=policy.default)
    assert parsed["Subject"] == t.subject
    assert b"X-MSYS-API" in message.data


def test_the_preheader_is_hidden_text_at_the_top_of_html_starters() -> None:
    for t in STARTERS:
        if t.draft.body_format is BodyFormat.HTML:
            body = t.draft.body
            pre = re.search(r'<div class="preheader" style="display:none;[^"]*">([^<&]+)', body)
            assert pre and len(pre.group(1).strip()) > 20, t.key
            assert body.index("preheader") < body.index("<table")


def test_the_outlook_button_is_vml_with_a_fallback_link() -> None:
    body = STARTERS[KEYS.index("announcement")].draft.body
    assert "<!--[if mso]>" in body and "<v:roundrect" in body and 'href="https://' in body
    assert "<!--[if !mso]><!-- -->" in body


def test_a_starter_file_is_a_draft_file() -> None:
    """`composer send --draft` reads a template as it is: the extra keys are ignored."""
    for t in STARTERS:
        assert t.path is not None
        assert loads_draft(t.path.read_text(encoding="utf-8")) == t.draft


def test_a_template_never_keeps_attachments_and_keeps_recipients_only_when_asked() -> None:
    d = Draft(to=[Recipient("a@example.com")], bcc=[Recipient("b@example.com")], subject="s")
    d.attachments.append(dataclasses.replace(_attachment(), path="/home/x/.ssh/id_rsa"))
    assert for_template(d).to == [] and for_template(d).bcc == []
    assert for_template(d).attachments == []
    kept = for_template(d, include_recipients=True)
    assert kept.to == d.to and kept.attachments == []
    # a hand-edited file naming an attachment: read, but the attachment is dropped
    doc = template_to_json("Mine", "", d)
    assert template_from_json(json.loads(json.dumps(doc)), "mine").draft.attachments == []


def _attachment():  # type: ignore[no-untyped-def]
    from composer.core.draft import Attachment

    return Attachment(path="x")


def test_slugs_and_close_names() -> None:
    assert slug("  Spring Sale — 2026! ") == "spring-sale-2026"
    assert slug("¡¿") == ""
    assert close_names("newsleter", KEYS) == ["newsletter"]
    assert close_names("Password Reset", KEYS)[0] == "password-reset"


@pytest.mark.parametrize("key", KEYS)
def test_each_starter_passes_the_pre_send_checks(key: str) -> None:
    """No error from the project's own checks (core/checks), and no accessibility warning
    (contrast in light and dark, alt text, link text, lang): what is left are client-support
    warnings for techniques used on purpose (a <style> block, @media, prefers-color-scheme,
    the hidden preheader), listed in the README."""
    from composer.core.checks import ProfileFacts, Severity, check_input, run_checks

    draft = addressed(STARTERS[KEYS.index(key)])
    findings = run_checks(check_input(draft, ProfileFacts("sparkpost")))
    assert [f for f in findings if f.severity is Severity.ERROR] == []
    assert [f.message for f in findings if f.category == "accessibility"
            and f.severity is not Severity.INFO] == []  # fmt: skip
    assert not [f for f in findings if f.id.startswith("check.")]  # every family ran
