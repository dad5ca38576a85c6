"""Family 6: the AMP part, offline, and the MIME part order of the built message."""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage
from email.policy import SMTP

import pytest
from support.checks import ids, make_input

from composer.core.build import Envelope, OutgoingMessage
from composer.core.checks import Finding, Severity, amp, run_checks
from composer.core.draft import BodyFormat

HEAD = (
    '<meta charset="utf-8">\n'
    '<script async src="https://cdn.ampproject.org/v0.js"></script>\n'
    "<style amp4email-boilerplate>body{visibility:hidden}</style>\n"
)


def amp_part(body: str = "<p>Hello</p>", head: str = HEAD, root: str = "⚡4email") -> str:
    top = f'<!doctype html>\n<html {root} lang="en">\n<head>\n{head}</head>\n'
    return top + f"<body>\n{body}\n</body>\n</html>\n"


def check(part: str, body: str = "<p>hi</p>", fmt: BodyFormat = BodyFormat.HTML) -> list[Finding]:
    return run_checks(make_input(body, fmt, amp_html=part), families=[amp.check])


def test_a_valid_part_passes() -> None:
    body = '<amp-img src="https://x.example/a.png" width="10" height="10" layout="fixed" alt="a">'
    body += "</amp-img>"
    assert check(amp_part(body)) == []
    assert check(amp_part(root="amp4email")) == []
    assert check(amp_part(body=""), body="# Hi", fmt=BodyFormat.MARKDOWN) == []


def test_no_amp_part_no_findings() -> None:
    assert run_checks(make_input("<p>x</p>"), families=[amp.check]) == []


def test_the_root_attribute() -> None:
    found = check(amp_part(root='data-x="1"'))
    assert ids(found) == ["amp.root"] and found[0].severity == Severity.ERROR
    assert (found[0].where.part, found[0].where.line) == ("amp", 2)


@pytest.mark.parametrize(
    ("drop", "fid"),
    [
        ('<script async src="https://cdn.ampproject.org/v0.js"></script>\n', "amp.runtime"),
        ("<style amp4email-boilerplate>body{visibility:hidden}</style>\n", "amp.boilerplate"),
        ('<meta charset="utf-8">\n', "amp.charset"),
    ],
)
def test_required_head_markup(drop: str, fid: str) -> None:
    assert ids(check(amp_part(head=HEAD.replace(drop, "")))) == [fid]


def test_charset_must_come_first() -> None:
    head = "<title>t</title>\n" + HEAD
    found = check(amp_part(head=head))
    assert ids(found) == ["amp.charset"] and found[0].where.line == 4


def test_disallowed_tags_scripts_and_attributes() -> None:
    body = "\n".join(
        [
            '<img src="a.png" alt="">',
            '<iframe src="https://x.example/"></iframe>',
            "<script>alert(1)</script>",
            '<amp-video src="v.mp4"></amp-video>',
            '<p onclick="x()">hi</p>',
            '<div class="-amp-hidden">x</div>',
        ]
    )
    found = check(amp_part(body))
    assert [(f.id, f.where.line) for f in found] == [
        ("amp.tag", 9),
        ("amp.tag", 10),
        ("amp.script", 11),
        ("amp.component", 12),
        ("amp.attribute", 13),
        ("amp.attribute", 14),
    ]
    assert all(f.severity == Severity.ERROR for f in found)


def test_component_scripts_from_the_cdn_are_fine() -> None:
    head = HEAD + (
        '<script async custom-element="amp-carousel" '
        'src="https://cdn.ampproject.org/v0/amp-carousel-0.1.js"></script>\n'
    )
    assert check(amp_part("<amp-carousel></amp-carousel>", head=head)) == []


def test_important_and_css_size() -> None:
    head = HEAD + "<style amp-custom>\np { color: red }\nh1 { color: blue !important }\n</style>\n"
    found = check(amp_part(head=head))
    assert [(f.id, f.where.line) for f in found] == [("amp.important", 9)]
    inline = check(amp_part('<p style="color:red !important">x</p>'))
    assert ids(inline) == ["amp.important"]
    big = HEAD + "<style amp-custom>" + "p{color:red}" * 6300 + "</style>\n"
    assert ids(check(amp_part(head=big))) == ["amp.css-size"]


def test_the_whole_part_is_capped() -> None:
    found = check(amp_part("<p>" + "x" * 103_000 + "</p>"))
    assert ids(found) == ["amp.size"]


def test_amp_needs_an_html_part() -> None:
    found = check(amp_part(), body="just text", fmt=BodyFormat.TEXT)
    assert ids(found) == ["amp.no-html"]


def _alternative(order: list[tuple[str, str]]) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "a@example.com"
    msg.make_alternative()
    for subtype, text in order:
        part = EmailMessage(policy=SMTP)
        part.set_content(text, subtype=subtype)
        msg.attach(part)
    return msg.as_bytes()


def test_part_order_on_the_built_message() -> None:
    inp = make_input("<p>hi</p>", amp_html=amp_part())
    assert inp.messages  # the real build: text, AMP, HTML
    assert run_checks(inp, families=[amp.check]) == []
    wrong = _alternative([("plain", "t"), ("html", "<p>h</p>"), ("x-amp-html", amp_part())])
    bad = replace(inp, messages=(OutgoingMessage(Envelope("a@x.example", ()), wrong, "<id>"),))
    found = run_checks(bad, families=[amp.check])
    assert ids(found) == ["amp.part-order"]
    assert "text/plain, text/html, text/x-amp-html" in found[0].message
