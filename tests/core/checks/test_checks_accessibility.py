"""Family 3: accessibility, each finding on a small crafted message."""

from __future__ import annotations

from collections.abc import Callable

from support.checks import Run, ids

from composer.core.checks import Family, Severity, accessibility
from composer.core.draft import BodyFormat

Check = Callable[[Family], Run]


def page(body: str, *, html_attrs: str = ' lang="en"', head: str = "<title>Hello</title>") -> str:
    lines = ["<!DOCTYPE html>", f"<html{html_attrs}>", f"<head>{head}</head>", "<body>", body]
    return "\n".join([*lines, "</body>", "</html>", ""])


def test_a_complete_document_has_no_findings(run: Check) -> None:
    body = '<table role="presentation"><tr><td><h1>Hi</h1><h2>There</h2>'
    body += '<img src="a.png" alt=""><a href="https://x.example/">Read the report</a>'
    body += "</td></tr></table>"
    assert run(accessibility.check)(page(body)) == []


def test_lang(run: Check) -> None:
    missing = run(accessibility.check)(page("<p>x</p>", html_attrs=""))
    assert ids(missing) == ["a11y.lang"]
    assert (missing[0].where.line, missing[0].where.column) == (2, 1)
    und = run(accessibility.check)(page("<p>x</p>", html_attrs=' lang="und"'))
    assert ids(und) == ["a11y.lang"] and "unknown" in und[0].message


def test_dir_only_for_right_to_left_languages(run: Check) -> None:
    assert ids(run(accessibility.check)(page("<p>x</p>", html_attrs=' lang="ar"'))) == ["a11y.dir"]
    assert run(accessibility.check)(page("<p>x</p>", html_attrs=' lang="he" dir="rtl"')) == []
    assert run(accessibility.check)(page("<p>x</p>", html_attrs=' lang="fr"')) == []


def test_title_missing_or_empty(run: Check) -> None:
    assert ids(run(accessibility.check)(page("<p>x</p>", head=""))) == ["a11y.title"]
    empty = run(accessibility.check)(page("<p>x</p>", head="<title>  </title>"))
    assert ids(empty) == ["a11y.title"] and empty[0].where.line == 3


def test_img_alt_missing_not_empty(run: Check) -> None:
    found = run(accessibility.check)(page('<img src="a.png" alt="">\n<img src="b.png">'))
    assert ids(found) == ["a11y.img-alt"]
    assert found[0].where.line == 6 and found[0].where.element == '<img src="b.png">'


def test_layout_tables_need_role_presentation(run: Check) -> None:
    layout = "<table><tr><td>x</td></tr></table><table><tr><td>y</td></tr></table>"
    found = run(accessibility.check)(page(layout))
    assert ids(found) == ["a11y.layout-table"] and "2 layout tables" in found[0].message
    data = "<table><tr><th>Name</th></tr><tr><td>x</td></tr></table>"
    assert run(accessibility.check)(page(data)) == []
    # A data table nested in a layout table does not excuse the layout table.
    nested = f"<table><tr><td>{data}</td></tr></table>"
    assert ids(run(accessibility.check)(page(nested))) == ["a11y.layout-table"]


def test_heading_order(run: Check) -> None:
    found = run(accessibility.check)(page("<h1>a</h1>\n<h3>b</h3>\n<h2>c</h2>\n<h3>d</h3>"))
    assert ids(found) == ["a11y.heading-order"]
    assert found[0].where.line == 6 and "<h3> follows <h1>" in found[0].message


def test_link_text(run: Check) -> None:
    body = '<a href="https://x.example/a">Click here!</a>\n'
    body += '<a href="https://x.example/b">https://x.example/b/a/very/long/address</a>\n'
    body += '<a href="https://x.example/c"><img src="c.png" alt=""></a>\n'
    body += '<a href="https://x.example/d"><img src="d.png" alt="Our shop"></a>'
    found = run(accessibility.check)(page(body))
    assert [(f.id, f.where.line) for f in found] == [
        ("a11y.link-text", 5),
        ("a11y.link-no-text", 7),
        ("a11y.link-text-url", 6),
    ]
    assert found[2].severity == Severity.INFO


def test_contrast_light(run: Check) -> None:
    body = '<p style="color:#999999">grey on white</p>\n<p style="color:#333">fine</p>'
    found = run(accessibility.check)(page(body))
    assert ids(found) == ["a11y.contrast-light"]
    assert "#999999 on #ffffff" in found[0].message and "2.8:1" in found[0].message
    assert found[0].where.line == 5


def test_contrast_follows_the_cascade_and_backgrounds(run: Check) -> None:
    head = "<title>t</title><style>.box { background-color: #000 } .box p { color: #333 }</style>"
    body = '<div class="box"><p>dark grey on black</p></div>'
    found = run(accessibility.check)(page(body, head=head))
    assert ids(found) == ["a11y.contrast-light"] and "#333333 on #000000" in found[0].message
    # bgcolor counts as a background; a background image makes it unknown (not judged).
    dark_cell = '<table role="presentation"><tr><td bgcolor="#000">'
    assert (
        run(accessibility.check)(page(dark_cell + '<p style="color:#fff">ok</p></td></tr></table>'))
        == []
    )
    assert ids(
        run(accessibility.check)(page(dark_cell + "<p>black on black</p></td></tr></table>"))
    ) == ["a11y.contrast-light"]
    img_bg = '<div style="background:url(x.png)"><p style="color:#fff">on a photo</p></div>'
    assert run(accessibility.check)(page(img_bg)) == []


def test_large_text_needs_only_3_to_1(run: Check) -> None:
    # #888 on white is 3.5:1: too little for body text, enough for 24px headings.
    assert ids(run(accessibility.check)(page('<p style="color:#888">x</p>'))) == [
        "a11y.contrast-light"
    ]
    assert run(accessibility.check)(page('<p style="color:#888;font-size:24px">x</p>')) == []
    assert run(accessibility.check)(page('<h1 style="color:#888">x</h1>')) == []


def test_contrast_in_dark_mode(run: Check) -> None:
    # Dark mode turns the background dark but leaves the paragraph's dark text alone.
    head = (
        "<title>t</title><style>body { background-color: #fff }"
        "@media (prefers-color-scheme: dark) { .wrap { background-color: #111 !important } }"
        "</style>"
    )
    body = '<div class="wrap"><p style="color:#222">hard to read at night</p></div>'
    found = run(accessibility.check)(page(body, head=head))
    assert ids(found) == ["a11y.contrast-dark"]
    assert found[0].message.startswith("In dark mode, text #222222 on #111111")


def test_markdown_skips_the_templates_own_document_checks(run: Check) -> None:
    assert run(accessibility.check)("# Title\n\nPlain words.", BodyFormat.MARKDOWN) == []
    found = run(accessibility.check)("Hello\n\n![](pic.png)\n", BodyFormat.MARKDOWN)
    # Markdown always writes alt (empty here): decoration, not a finding.
    assert found == []
    found = run(accessibility.check)('Hi\n\n<img src="pic.png">\n', BodyFormat.MARKDOWN)
    assert ids(found) == ["a11y.img-alt"] and found[0].where.line == 3
