"""The css-inline engine: the same rules as premailer (head > style only, nothing fetched,
@media kept), selectable for inline_locally and the relay-inlining preview."""

from __future__ import annotations

import pytest

from composer.core.draft import BodyFormat, Draft, Options, Recipient
from composer.core.errors import ComposerError
from composer.core.inline import ENGINES, inline_css
from composer.core.render import render
from composer.gui.preview.pipeline import compute

PAGE = (
    "<!DOCTYPE html><html><head>"
    "<style>@import url(http://tracker.invalid/a.css); p { color: red !important; }"
    " .x { font-weight: bold } @media (max-width: 600px) { p { color: blue !important } }</style>"
    '<link rel="stylesheet" href="http://tracker.invalid/b.css">'
    "</head><body>"
    '<style>p { margin: 0 }</style><p class="x" style="color: green">Hi</p>'
    "</body></html>"
)


def test_both_engines_are_offered() -> None:
    assert ENGINES == ("premailer", "css-inline")


def test_css_inline_inlines_head_rules() -> None:
    out = inline_css(PAGE, "css-inline")
    assert "font-weight: bold" in out
    # !important in a sheet beats an inline declaration (premailer gets this wrong)
    assert "color: red !important" in out


def test_css_inline_leaves_body_style_exactly_as_it_is() -> None:
    out = inline_css(PAGE, "css-inline")
    assert "<style>p { margin: 0 }</style>" in out
    assert "margin: 0;" not in out and "margin:0" not in out  # its rules are not inlined


def test_css_inline_keeps_media_rules_and_links_and_drops_import() -> None:
    out = inline_css(PAGE, "css-inline")
    assert "@media (max-width: 600px)" in out
    assert "@import" not in out
    assert 'href="http://tracker.invalid/b.css"' in out


HOVER = (
    '<html><head><style>a { color: red } a:hover { color: blue } a:focus { outline: 0 }</style>'
    '</head><body><a href="https://x.example/">x</a></body></html>'
)


@pytest.mark.parametrize("engine", ENGINES)
def test_both_engines_keep_hover_rules_in_a_head_style(engine: str) -> None:
    """:hover (and :focus) cannot live in a style attribute: both engines inline what they can
    and leave those rules in a <style> in the head, as core/inline.py says (css-inline dropped
    them until it was told remove_inlined_selectors with keep_style_tags)."""
    from lxml import html as lxml_html

    doc = lxml_html.fromstring(inline_css(HOVER, engine))
    head_css = " ".join(s.text_content() for s in doc.xpath("//head/style"))
    assert "a:hover" in head_css and "blue" in head_css
    assert "a:focus" in head_css
    link = doc.xpath("//a")[0]
    assert "red" in link.get("style", "") and "blue" not in link.get("style", "")
    assert "red" not in head_css  # inlined, so not kept twice


def test_css_inline_ignores_a_body_tag_inside_a_head_comment() -> None:
    html = (
        "<html><head><!-- <body> --><style>p{color:red}</style></head><body><p>x</p></body></html>"
    )
    assert 'style="color: red' in inline_css(html, "css-inline")


def test_a_document_without_body_tags_starts_its_body_at_the_first_body_element() -> None:
    html = "<style>p{color:red}</style><p>x</p><style>b{color:blue}</style><b>y</b>"
    out = inline_css(html, "css-inline")
    assert 'style="color: red' in out
    assert "<style>b{color:blue}</style>" in out
    assert 'style="color: blue' not in out


@pytest.mark.parametrize("html", ["<p>x</p>" + "<style " * 20_000, "<style " * 20_000])
def test_css_inline_is_linear_on_style_tags_that_never_end(html: str) -> None:
    # Each "<style" with no ">" after it made the sheet and body-start patterns rescan the
    # rest of the document: 20,000 took 4 s (the send with --inline-locally, the preview of
    # the relay's inlining), 80,000 over a minute.
    import time

    started = time.perf_counter()
    try:
        inline_css(html, "css-inline")
    except ComposerError as exc:  # the "<style"s read as 20,000 attributes of one tag
        assert "attributes" in str(exc)
    assert time.perf_counter() - started < 1.5


def test_blank_html_passes_through_and_unknown_engine_is_refused() -> None:
    assert inline_css("  ", "css-inline") == "  "
    with pytest.raises(ComposerError, match="unknown CSS inliner"):
        inline_css(PAGE, "juice")


def _draft(**kw: object) -> Draft:
    return Draft(
        from_addr=Recipient("ann@example.com"),
        to=[Recipient("bob@example.com")],
        subject="Hi",
        body=PAGE,
        body_format=BodyFormat.HTML,
        **kw,  # type: ignore[arg-type]
    )


def test_render_uses_the_draft_engine_for_inline_locally() -> None:
    html = render(_draft(inline_locally=True, inline_engine="css-inline")).html
    assert html is not None and "color: red !important" in html
    html = render(_draft(inline_locally=True)).html  # premailer: inline wins (its known bug)
    assert html is not None and "color:green" in html.replace(" ", "")


def test_the_preview_of_the_relay_inlining_uses_the_same_engine() -> None:
    result = compute(_draft(options=Options(inline_css=True), inline_engine="css-inline"), 1)
    assert result.recipient_html is not None
    assert "color: red !important" in result.recipient_html


@pytest.mark.parametrize("engine", ENGINES)
def test_real_templates_inline_with_both_engines(shared_templates, engine: str) -> None:
    for path in sorted(shared_templates.glob("*.html")):
        html = path.read_text(encoding="utf-8")
        out = inline_css(html, engine)
        assert out.count('style="') > html.count('style="'), path.name


def test_the_send_command_takes_the_engine(tmp_path) -> None:
    from composer.cli import build_parser
    from composer.cli.draft_args import draft_from_args

    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    argv = ["send", "--from", "ann@example.com", "--to", "bob@example.com", "--subject", "Hi",
            "--html", str(page), "--inline-locally", "--inline-engine", "css-inline",
            "--dry-run"]  # fmt: skip
    draft, _seeds = draft_from_args(build_parser().parse_args(argv))
    assert draft.inline_engine == "css-inline" and draft.inline_locally
    html = render(draft).html
    assert html is not None and "color: red !important" in html


@pytest.mark.parametrize("engine", ENGINES)
def test_an_element_of_tens_of_thousands_of_attributes_is_refused_not_inlined(engine: str) -> None:
    # premailer's lxml compares each attribute with the element's others: 25,000 took seconds
    # (60,000 over a minute) of composer send --inline-locally, and of the preview of the
    # relay's inlining on every edit. A one-line error naming the body instead.
    import time

    html = "<html><head><style>p{color:red}</style></head><body><p "
    html += " ".join(f"a{i}=1" for i in range(25_000)) + ">x</p></body></html>"
    started = time.perf_counter()
    with pytest.raises(ComposerError, match=r"^body: .*over 1000 attributes"):
        inline_css(html, engine)
    assert time.perf_counter() - started < 1.0
