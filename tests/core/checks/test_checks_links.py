"""Family 4: links (offline), each finding on a small crafted message."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.checks import Run, ids, make_input

from composer.core.checks import Family, Severity, links
from composer.core.checks.links import checkable_urls
from composer.core.draft import BodyFormat

Check = Callable[[Family], Run]


def a(href: str, text: str = "the page") -> str:
    return f'<a href="{href}">{text}</a>'


@pytest.mark.parametrize(
    ("href", "fid", "severity"),
    [
        ("javascript:alert(1)", "links.javascript", Severity.ERROR),
        ("  JaVa&#9;Script:void(0)", "links.javascript", Severity.ERROR),
        ("", "links.empty", Severity.WARNING),
        ("#", "links.empty", Severity.WARNING),
        ("http://x.example/", "links.http", Severity.WARNING),
        ("file:///C:/Users/me/report.pdf", "links.local", Severity.ERROR),
        ("https://localhost:8080/admin", "links.local", Severity.ERROR),
        ("http://127.0.0.1/", "links.local", Severity.ERROR),
        ("https://[::1]/", "links.local", Severity.ERROR),
        ("https://192.168.1.10/intranet", "links.local", Severity.ERROR),
        ("https://printer.local/", "links.local", Severity.ERROR),
        ("mailto:", "links.mailto", Severity.WARNING),
        ("mailto:someone@", "links.mailto", Severity.WARNING),
        ("mailto:a@example.com,not an address", "links.mailto", Severity.WARNING),
        ("https://mjml.iohttps://mjml.io", "links.malformed", Severity.WARNING),
        ("https://x.example:99999/", "links.malformed", Severity.WARNING),
        ("https://exa mple.com/", "links.malformed", Severity.WARNING),
    ],
)
def test_bad_links(run: Check, href: str, fid: str, severity: Severity) -> None:
    found = run(links.check)(f"<p>\n{a(href)}\n</p>")
    assert [(f.id, f.severity) for f in found] == [(fid, severity)]
    assert (found[0].where.line, found[0].where.column) == (2, 1)


@pytest.mark.parametrize(
    "href",
    [
        # What a browser (the WHATWG URL parser) reads as 127.0.0.1 or 0.0.0.0: short, decimal,
        # hex and octal forms, and ideographic or fullwidth dots and digits.
        "https://127.1/",
        "https://2130706433/",
        "https://0x7f000001/",
        "https://0x7f.0.0.1/",
        "https://0177.0.0.1/",
        "https://0/",
        "https://127\u30020\u30020\u30021/",
        "https://\uff11\uff12\uff17.0.0.1/",
        "https://10.1/admin",
        "https://192.168.257/",
    ],
)
def test_local_addresses_in_every_form_a_browser_reads(run: Check, href: str) -> None:
    found = run(links.check)(f"<p>\n{a(href)}\n</p>")
    assert ids(found) == ["links.local"], href


@pytest.mark.parametrize(
    "href", ["https://1.2.3.4/", "https://0x8.8.8.8/", "https://127.0.0.1.example.com/", "https://1e2/"]
)
def test_public_numeric_hosts_are_not_local(run: Check, href: str) -> None:
    assert "links.local" not in ids(run(links.check)(a(href)))


@pytest.mark.parametrize(
    "href",
    [
        "https://x.example/a?b=1#top",
        "#section-2",
        "mailto:a@example.com?subject=Hi%20there",
        "mailto:?to=a@example.com",
        "tel:+15551234567",
        "https://x.example/{{campaign}}",  # filled in by the relay: not judged here
        "*|ARCHIVE|*",
    ],
)
def test_good_links(run: Check, href: str) -> None:
    assert run(links.check)(a(href)) == []


def test_each_url_once_with_its_count(run: Check) -> None:
    found = run(links.check)(a("http://x.example/") + "\n" + a("http://x.example/"))
    assert ids(found) == ["links.http"] and "used 2 times" in found[0].message


def test_utm_campaign_differs_from_the_campaign_id(run: Check) -> None:
    body = a("https://x.example/?utm_source=mail&utm_campaign=spring")
    found = run(links.check)(body, campaign_id="summer-sale")
    assert ids(found) == ["links.utm-campaign"]
    assert '"spring"' in found[0].message and '"summer-sale"' in found[0].message
    assert run(links.check)(body, campaign_id="spring") == []
    assert run(links.check)(body) == []  # no campaign ID: nothing to compare with


def test_same_page_with_different_utm_tags(run: Check) -> None:
    body = "\n".join(
        [
            a("https://x.example/shop?id=1&utm_source=mail&utm_content=top"),
            a("https://x.example/shop?id=1&utm_source=mail&utm_content=bottom"),
            a("https://x.example/shop?id=2&utm_source=other"),  # another page
        ]
    )
    found = run(links.check)(body)
    assert ids(found) == ["links.utm-mismatch"]
    assert found[0].where.line == 1 and "utm_content=bottom" in found[0].message


def test_markdown_links_point_at_the_markdown(run: Check) -> None:
    found = run(links.check)("Hello\n\nSee [this](javascript:x) now.", BodyFormat.MARKDOWN)
    # python-markdown keeps a javascript: href as written.
    assert [(f.id, f.where.part, f.where.line, f.where.column) for f in found] == [
        ("links.javascript", "markdown", 3, 12)
    ]
    found = run(links.check)("Hello\n\nSee [the page](http://x.example/) now.", BodyFormat.MARKDOWN)
    assert [(f.id, f.where.line, f.where.column) for f in found] == [("links.http", 3, 16)]


def test_checkable_urls_for_the_online_check() -> None:
    body = "\n".join(
        [
            a("https://x.example/a"),
            a("https://x.example/a"),
            a("http://x.example/b"),
            a("https://localhost/c"),
            a("https://10.0.0.1/d"),
            a("https://x.example/{{id}}"),
            a("mailto:a@example.com"),
            a("https://mjml.iohttps://mjml.io"),
            '<img src="https://cdn.example/logo.png" alt="">',
        ]
    )
    refs = checkable_urls(make_input(body))
    assert [(r.url, r.kind, r.count) for r in refs] == [
        ("https://x.example/a", "link", 2),
        ("http://x.example/b", "link", 1),
        ("https://cdn.example/logo.png", "image", 1),
    ]
    assert refs[0].where.line == 1
    assert [r.url for r in checkable_urls(make_input(body), images=False)][-1] == (
        "http://x.example/b"
    )


@pytest.mark.parametrize("host", ["ä" * 100 + ".com", "\u200b.com", "a." + "ü" * 70])
def test_a_host_idna_cannot_encode_does_not_hide_the_other_links(run: Check, host: str) -> None:
    # idna's UnicodeError (a label over 63 once encoded, an empty label) stopped the whole
    # family with "check links could not run", so a javascript: link beside it went unreported.
    found = run(links.check)(a(f"https://{host}/") + "\n" + a("javascript:steal()"))
    assert ids(found) == ["links.javascript", "links.malformed"]
