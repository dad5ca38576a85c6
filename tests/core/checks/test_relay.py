"""Family 1, relay-aware advice: each rule on a small crafted draft, for the profiles it
concerns."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from composer.core.checks import CheckInput, Finding, ProfileFacts, Severity, check_input, relay
from composer.core.draft import BodyFormat, Draft, Options, Recipient

SPARKPOST = ProfileFacts("sparkpost", "smtp", "acme")
BIRD = ProfileFacts("bird", "smtp", "bird")
ENTERPRISE = ProfileFacts("custom", "smtp", "ent")
LOCAL = ProfileFacts("local", "smtp", "local")
REST = ProfileFacts("sparkpost", "rest", "api")

UNSUB = '<p><a href="https://x.example/u" data-msys-unsubscribe="1">Unsubscribe</a></p>'
PAGE = (
    "<html><head><style>p{color:red}</style></head><body>\n<p>Hello</p>\n"
    + UNSUB
    + "\n</body></html>"
)


def make(
    body: str = PAGE,
    fmt: BodyFormat = BodyFormat.HTML,
    *,
    sender: str = "ann@example.com",
    **kw: Any,
) -> Draft:
    opts = kw.pop("options", {})
    return Draft(
        from_addr=Recipient(sender),
        to=[Recipient("bob@example.com")],
        subject=kw.pop("subject", "Hi"),
        body=body,
        body_format=fmt,
        options=Options(**{"open_tracking": False, "click_tracking": False, **opts}),
        **kw,
    )


def run(draft: Draft, profile: ProfileFacts = SPARKPOST, **kw: Any) -> list[Finding]:
    subst = kw.pop("substitution_data", None)
    inp: CheckInput = check_input(draft, profile, **kw)
    if subst is not None:
        inp = replace(inp, substitution_data=subst)
    found = relay.check(inp)
    assert all(f.category == "relay" for f in found)
    return found


def ids(found: list[Finding]) -> list[str]:
    return [f.id for f in found]


def one(found: list[Finding], fid: str) -> Finding:
    hits = [f for f in found if f.id == fid]
    assert len(hits) == 1, ids(found)
    return hits[0]


# --- tracking defaults ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "word"),
    [(SPARKPOST, "OFF"), (BIRD, "OFF"), (ENTERPRISE, "ON"), (REST, "ON"), (LOCAL, "nothing")],
)
def test_tracking_left_to_the_account_says_what_applies_to_the_profile(
    profile: ProfileFacts, word: str
) -> None:
    d = make(options={"open_tracking": None, "click_tracking": None})
    f = one(run(d, profile), "relay.tracking-default")
    assert f.severity is Severity.INFO
    assert word in f.message
    assert "Open and click tracking are" in f.message


def test_tracking_set_explicitly_is_no_news() -> None:
    assert "relay.tracking-default" not in ids(run(make()))
    f = one(run(make(options={"click_tracking": None})), "relay.tracking-default")
    assert f.message.startswith("Click tracking is")


# --- unsubscribe and transactional -----------------------------------------------------------


def test_marketing_without_any_unsubscribe_is_a_warning() -> None:
    found = run(make("<html><body><p>Sale!</p></body></html>"))
    f = one(found, "relay.no-unsubscribe")
    assert f.severity is Severity.WARNING
    assert "data-msys-unsubscribe" in f.message


def test_relay_unsubscribe_link_satisfies_it() -> None:
    assert not {"relay.no-unsubscribe", "relay.unsubscribe-not-relay"} & set(ids(run(make())))


def test_own_unsubscribe_link_is_a_note_pointing_at_it() -> None:
    body = "<html><body>\n<p>x</p>\n<p><a href='https://me.example/out'>Unsubscribe</a></p></body></html>"
    f = one(run(make(body)), "relay.unsubscribe-not-relay")
    assert f.severity is Severity.INFO
    assert (f.where.part, f.where.line) == ("html", 3)
    assert f.where.element is not None and "me.example/out" in f.where.element


def test_markdown_unsubscribe_link_is_found_on_its_line() -> None:
    body = "# News\n\nText\n\n[Unsubscribe](https://me.example/out)\n"
    f = one(run(make(body, BodyFormat.MARKDOWN)), "relay.unsubscribe-not-relay")
    assert (f.where.part, f.where.line) == ("markdown", 5)


def test_transactional_gets_a_note_that_no_list_unsubscribe_is_added() -> None:
    body = "<html><body><p>Your receipt</p></body></html>"
    found = run(make(body, options={"transactional": True}))
    f = one(found, "relay.transactional")
    assert f.severity is Severity.INFO and "List-Unsubscribe" in f.message
    assert "relay.no-unsubscribe" not in ids(found)


def test_transactional_with_an_unsubscribe_link_is_a_warning_at_the_link() -> None:
    f = one(run(make(options={"transactional": True})), "relay.transactional-unsubscribe")
    assert f.severity is Severity.WARNING
    assert (f.where.part, f.where.line) == ("html", 3)


def test_plain_text_message_without_unsubscribe() -> None:
    found = run(make("Sale on now", BodyFormat.TEXT))
    assert one(found, "relay.no-unsubscribe").where.part == "text"
    stop = make("To unsubscribe reply STOP", BodyFormat.TEXT)
    assert "relay.no-unsubscribe" not in ids(run(stop))


# --- inline_css -------------------------------------------------------------------------------


LINKED = (
    '<html><head>\n<link rel="stylesheet" href="https://cdn.example/a.css">\n'
    "<style>p{color:red}</style></head>\n<body>\n  <style>.x{color:blue}</style>\n"
    + UNSUB
    + "</body></html>"
)


def test_inline_css_warns_on_a_stylesheet_link_and_a_style_in_the_body() -> None:
    found = run(make(LINKED, options={"inline_css": True}))
    link = one(found, "relay.inline-link-stylesheet")
    assert (link.where.line, link.where.column) == (2, 1)
    body_style = one(found, "relay.inline-body-style")
    assert (body_style.where.line, body_style.where.column) == (5, 3)
    assert "relay's inline_css" in body_style.message
    assert link.severity is body_style.severity is Severity.WARNING


def test_a_web_font_stylesheet_is_only_a_note() -> None:
    fonts = LINKED.replace("https://cdn.example/a.css", "https://fonts.googleapis.com/css?family=U")
    f = one(run(make(fonts, options={"inline_css": True})), "relay.inline-link-stylesheet")
    assert f.severity is Severity.INFO and "fallbacks" in f.message


def test_the_head_style_and_no_inlining_are_silent() -> None:
    found = run(make(LINKED))
    assert not [f for f in found if f.id.startswith("relay.inline")]
    found = run(make(PAGE, options={"inline_css": True}))
    assert not [f for f in found if f.id.startswith("relay.inline")]


def test_local_inlining_has_the_same_rule() -> None:
    found = run(make(LINKED, inline_locally=True))
    assert "Local inlining" in one(found, "relay.inline-body-style").message


def test_markdown_style_is_in_the_body() -> None:
    body = "# Hi\n\n<style>.x{color:red}</style>\n\n" + UNSUB
    f = one(run(make(body, BodyFormat.MARKDOWN, options={"inline_css": True})),
            "relay.inline-body-style")  # fmt: skip
    assert f.where.part == "markdown" and f.where.line == 3


def test_inline_css_with_an_amp_part() -> None:
    amp = "<!doctype html><html ⚡4email><head></head><body>x</body></html>"
    f = one(run(make(options={"inline_css": True}, amp_html=amp)), "relay.inline-amp")
    assert f.where.part == "amp" and f.severity is Severity.INFO
    assert "relay.inline-amp" not in ids(run(make(amp_html=amp)))


# --- {{ substitution }} -----------------------------------------------------------------------


def test_substitution_is_literal_over_smtp() -> None:
    body = PAGE.replace("<p>Hello</p>", "<p>Hello {{ first_name }}, {{ city }}</p>")
    found = run(make(body, subject="Hi {{first_name}}"))
    hits = [f for f in found if f.id == "relay.substitution-literal"]
    assert [(f.where.part, f.where.line, f.where.column) for f in hits] == [
        ("headers", None, None),
        ("html", 2, 10),
    ]
    assert "(2 in all)" in hits[1].message and "sent literally" in hits[1].message
    assert hits[0].where.element == "Subject"


def test_substitution_over_rest_needs_data_and_each_name() -> None:
    body = PAGE.replace("<p>Hello</p>", "<p>{{ user.name }} {{{ coupon }}} {{if vip}}x{{end}}</p>")
    f = one(run(make(body), REST), "relay.substitution-literal")
    assert "no substitution data" in f.message
    found = run(make(body), REST, substitution_data={"user": {"name": "A"}, "vip": True})
    missing = one(found, "relay.substitution-missing")
    assert "coupon" in missing.message and "user" not in missing.message
    full = {"user": {}, "vip": 1, "coupon": "X"}
    assert not [f for f in run(make(body), REST, substitution_data=full)
                if f.id.startswith("relay.substitution")]  # fmt: skip


def test_mailchimp_merge_tags_are_sent_literally() -> None:
    body = PAGE.replace("<p>Hello</p>", '<p>Hi *|FNAME|*</p><a href="*|UNSUB|*">out</a>')
    for profile in (SPARKPOST, REST):
        both = run(make(body, subject="*|MC:SUBJECT|*"), profile)
        parts = [x.where.part for x in both if x.id == "relay.merge-tags-literal"]
        assert parts == ["headers", "html"]  # one finding per part
        found = [x for x in run(make(body), profile) if x.id == "relay.merge-tags-literal"]
        assert [(x.where.line, x.where.column, x.severity) for x in found] == [
            (2, 7, Severity.WARNING)
        ]
        assert "(2 in all)" in found[0].message and "Mailchimp" in found[0].message


def test_amp_mustache_is_left_alone() -> None:
    amp = "<html ⚡4email><body><template type='amp-mustache'>{{name}}</template></body></html>"
    assert not [f for f in run(make(amp_html=amp)) if f.id.startswith("relay.substitution")]


# --- the sandbox ------------------------------------------------------------------------------


def test_sandbox_needs_the_providers_domain() -> None:
    f = one(run(make(options={"sandbox": True})), "relay.sandbox-from")
    assert f.severity is Severity.ERROR and "@sparkpostbox.com" in f.message
    f = one(run(make(sender="t@sparkpostbox.com", options={"sandbox": True}), BIRD),
            "relay.sandbox-from")  # fmt: skip
    assert "@birdemailbox.com" in f.message
    ok = run(make(sender="t@birdemailbox.com", options={"sandbox": True}), BIRD)
    assert "relay.sandbox-from" not in ids(ok)


def test_sandbox_is_not_for_enterprise() -> None:
    f = one(run(make(options={"sandbox": True}), ENTERPRISE), "relay.sandbox-enterprise")
    assert f.severity is Severity.ERROR and f.where.element == "sandbox"
    f = one(run(make(sender="t@sparkpostbox.com"), ENTERPRISE), "relay.sandbox-enterprise")
    assert f.where.element == "From"


def test_sandbox_domain_without_the_option() -> None:
    f = one(run(make(sender="t@sparkpostbox.com")), "relay.sandbox-option-off")
    assert f.severity is Severity.WARNING


@pytest.mark.parametrize(
    ("used", "cc", "severity", "words"),
    [
        (
            0,
            0,
            Severity.INFO,
            "0 already sent with profile acme from this computer, this send "
            "makes 1 message (one per recipient): 4 left after it",
        ),
        (3, 2, Severity.WARNING, "so 2 left, but this send makes 3 messages"),
        (5, 0, Severity.WARNING, "so 0 left"),
        (None, 0, Severity.INFO, "could not be read"),
    ],
)
def test_sandbox_allowance_counts_what_is_left(
    used: int | None, cc: int, severity: Severity, words: str
) -> None:
    d = make(sender="t@sparkpostbox.com", options={"sandbox": True},
             cc=[Recipient(f"c{i}@example.com") for i in range(cc)])  # fmt: skip
    f = one(run(d, sandbox_sends_used=used), "relay.sandbox-allowance")
    assert f.severity is severity
    assert words in f.message
    assert "lifetime" in f.message and "50" in f.message  # the older edition's allowance too


def test_no_sandbox_no_allowance_talk() -> None:
    assert not [f for f in run(make(), sandbox_sends_used=9) if "sandbox" in f.id]


# --- skip_suppression and archive -------------------------------------------------------------


def test_skip_suppression_is_enterprise_only() -> None:
    f = one(run(make(options={"skip_suppression": True})), "relay.skip-suppression-enterprise-only")
    assert f.severity is Severity.WARNING
    f = one(run(make(options={"skip_suppression": True}), ENTERPRISE), "relay.skip-suppression")
    assert "suppression list" in f.message


def test_archive_copies_carry_the_recipients_tracked_links() -> None:
    d = make(archive=[Recipient("arch@example.com")], options={"click_tracking": True})
    f = one(run(d), "relay.archive-tracked-links")
    assert f.severity is Severity.WARNING
    assert "unsubscribes the recipient" in f.message  # the page has a relay unsubscribe link


def test_archive_with_tracking_off_and_no_relay_link_is_quiet() -> None:
    body = "<html><body><a href='https://me.example/unsubscribe'>out</a></body></html>"
    d = make(body, archive=[Recipient("arch@example.com")])
    assert "relay.archive-tracked-links" not in ids(run(d))
    d = make(body, archive=[Recipient("arch@example.com")], options={"click_tracking": None})
    assert one(run(d), "relay.archive-tracked-links").severity is Severity.INFO
    assert one(run(d, ENTERPRISE), "relay.archive-tracked-links").severity is Severity.WARNING


def test_registered_in_the_families() -> None:
    from composer.core.checks import FAMILIES, run_checks

    assert relay.check in FAMILIES
    found = run_checks(check_input(make(options={"sandbox": True}), SPARKPOST))
    assert "relay.sandbox-from" in ids(found)


def test_hostile_substitution_syntax_is_linear() -> None:
    """"{{" and a megabyte of spaces, or of braces: each finishes (it took seconds per 1000
    spaces with an unbounded pattern); a real one after them is still found."""
    import time

    for junk in ("{{" + " " * 1_000_000, "{" * 1_000_000, "{{ a " * 100_000):
        start = time.monotonic()
        found = run(make(PAGE.replace("<p>Hello</p>", junk + " {{ x }}")))
        assert time.monotonic() - start < 30  # a hang fails here, not at the suite's timeout
        assert "relay.substitution-literal" in ids(found)
