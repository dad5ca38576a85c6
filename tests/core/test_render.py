"""Rendering: Markdown, the template, the plain-text part, CSS inlining, and render()."""

from __future__ import annotations

import random
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import composer.core.plaintext as plaintext_module
from composer.core.draft import BodyFormat, Draft
from composer.core.errors import ComposerError
from composer.core.render import (
    Rendered,
    html_to_text,
    inline_css,
    markdown_to_html,
    render,
    strip_css_imports,
    wrap_in_template,
)
from composer.core.resources import resource_path

TAG = re.compile(r"<[A-Za-z/!?][^<>]*>")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record (and refuse) every outgoing connection: cssutils swallows fetch errors, so a
    refused connection alone would not fail a test."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


# --- resources ----------------------------------------------------------------------------------


def test_resource_path_finds_the_template() -> None:
    path = resource_path("email_template.html")
    assert path.is_file()
    assert path.parent.name == "resources"


def test_resource_path_env_var_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "email_template.html").write_text("x", encoding="utf-8")
    monkeypatch.setenv("COMPOSER_RESOURCES", str(tmp_path))
    assert resource_path("email_template.html") == tmp_path / "email_template.html"


def test_resource_path_missing_names_the_resource() -> None:
    with pytest.raises(FileNotFoundError, match=r"no-such-resource\.txt"):
        resource_path("no-such-resource.txt")


# --- Markdown -----------------------------------------------------------------------------------


def test_markdown_table() -> None:
    html = markdown_to_html("| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<table>" in html
    assert "<th>a</th>" in html
    assert "<td>2</td>" in html


def test_markdown_fenced_code() -> None:
    html = markdown_to_html('```python\nif a < b:\n    print("{x}")\n```\n')
    assert '<pre><code class="language-python">' in html
    assert "if a &lt; b:\n    print(&quot;{x}&quot;)" in html


def test_markdown_sane_lists_do_not_merge_list_types() -> None:
    html = markdown_to_html("1. one\n2. two\n\n* three\n")
    assert html.count("<ol>") == 1
    assert html.count("<ul>") == 1
    assert "<li>three</li>" in html.split("<ul>")[1]


def test_markdown_passes_raw_html_through() -> None:
    html = markdown_to_html('Hi\n\n<div class="button"><a href="https://x.test">Buy</a></div>\n')
    assert '<div class="button"><a href="https://x.test">Buy</a></div>' in html


def test_markdown_is_safe_on_several_threads() -> None:
    sources = [f"# Doc {i}\n\n| a | b |\n|---|---|\n| {i} | x |\n\n- item {i}\n" for i in range(40)]
    expected = [markdown_to_html(s) for s in sources]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(markdown_to_html, sources)) == expected


# --- template -----------------------------------------------------------------------------------


def test_template_is_email_safe() -> None:
    html = wrap_in_template("<p>x</p>", "t")
    assert html.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in html
    assert '<meta name="color-scheme" content="light dark">' in html
    assert 'name="viewport"' in html
    assert 'role="presentation"' in html
    assert "@media (max-width: 620px)" in html
    assert "@media (prefers-color-scheme: dark)" in html
    assert html.count("<style>") == 1
    assert "{{" not in html


def test_template_escapes_title_and_keeps_body_verbatim() -> None:
    body = "<p>Price: $5 {not a field} ${HOME} {0} %s</p>"
    html = wrap_in_template(body, 'Tom & Jerry <"sale">')
    assert "<title>Tom &amp; Jerry &lt;&quot;sale&quot;&gt;</title>" in html
    assert body in html


def test_template_substitutes_each_placeholder_once() -> None:
    html = wrap_in_template("<p>{{title}}</p>", "{{body}}")
    assert "<title>{{body}}</title>" in html
    assert "<p>{{title}}</p>" in html
    assert html.count("<p>") == 1


# --- html_to_text -------------------------------------------------------------------------------


def test_text_links_show_their_urls() -> None:
    text = html_to_text('<p>Read <a href="https://example.com/post">the post</a> now.</p>')
    assert text == "Read the post (https://example.com/post) now.\n"


def test_text_link_whose_text_is_the_url_is_shown_once() -> None:
    text = html_to_text('<p><a href="https://example.com/">https://example.com/</a></p>')
    assert text == "https://example.com/\n"


def test_text_mailto_shows_the_address() -> None:
    html = (
        '<p><a href="mailto:help@example.com?subject=Hi">Write to us</a> or '
        '<a href="mailto:help@example.com">help@example.com</a></p>'
    )
    text = html_to_text(html)
    assert text == "Write to us (help@example.com) or help@example.com\n"
    assert "mailto:" not in text


def test_text_fragment_links_and_images() -> None:
    html = (
        '<p><a href="#top">Top</a> <img src="x.png" alt="Company logo"> '
        '<img src="pixel.gif" alt=""> <a href="https://x.test/"><img src="b.png"></a></p>'
    )
    assert html_to_text(html) == "Top [Company logo] https://x.test/\n"


def test_text_decodes_entities() -> None:
    text = html_to_text("<p>Fish &amp; chips&nbsp;&eacute;t&eacute; &#8364;5 &lt;b&gt;</p>")
    assert text == "Fish & chips été €5 <b>\n"


def test_text_lists() -> None:
    html = (
        "<p>Intro</p><ul><li>apples</li><li>pears<ul><li>green</li></ul></li></ul>"
        "<ol><li>first</li><li>second</li></ol><p>End</p>"
    )
    assert html_to_text(html) == (
        "Intro\n\n- apples\n- pears\n  - green\n\n1. first\n2. second\n\nEnd\n"
    )


def test_text_headings() -> None:
    html = "<h1>Big news</h1><p>body</p><h2>Details</h2><h3>Small</h3><p>more</p>"
    assert html_to_text(html) == (
        "Big news\n========\n\nbody\n\nDetails\n-------\n\nSmall\n\nmore\n"
    )


def test_text_blocks_and_blank_lines() -> None:
    html = (
        "<div>one</div><div>two</div><p>a<br>b</p><br><br><br><p>c</p>"
        "<table><tr><td>x</td><td>y</td></tr><tr><td>z</td></tr></table>"
    )
    assert html_to_text(html) == "one\ntwo\n\na\nb\n\nc\n\nx y\nz\n"


def test_text_blockquote_and_hr() -> None:
    text = html_to_text("<p>Said:</p><blockquote><p>hello there</p></blockquote><hr><p>bye</p>")
    assert text == "Said:\n\n> hello there\n\n" + "-" * 40 + "\n\nbye\n"


def test_text_pre_keeps_line_breaks() -> None:
    html = "<p>Code:</p><pre><code>def f():\n    return  {1:  2}\n\nf()\n</code></pre><p>x</p>"
    assert html_to_text(html) == "Code:\n\ndef f():\n    return  {1:  2}\n\nf()\n\nx\n"


def test_text_wraps_at_76_without_splitting_urls() -> None:
    url = "https://example.com/" + "a-very-long-path-segment/" * 6 + "?utm_source=mail"
    words = " ".join(f"word{i}" for i in range(60))
    text = html_to_text(f'<p>{words} <a href="{url}">click</a> {words}</p>')
    lines = text.splitlines()
    assert f"({url})" in lines
    assert all(len(line) <= 76 for line in lines if url not in line)
    assert " ".join(text.split()).count("word59") == 2


def test_text_collapses_whitespace_and_strips_trailing_spaces() -> None:
    text = html_to_text("<p>  lots \n\n of \t  space   </p>\n\n\n<p>next   </p>   ")
    assert text == "lots of space\n\nnext\n"


def test_text_drops_head_style_script_title_template() -> None:
    html = (
        "<html><head><title>Secret title</title><style>p{color:red}</style>"
        "<script>var x = '<p>no</p>';</script></head><body><p>visible</p>"
        "<script>alert(1)</script><style>.a{}</style><template><p>tpl</p></template>"
        "<!-- a comment --><p>also visible</p></body></html>"
    )
    assert html_to_text(html) == "visible\n\nalso visible\n"


def test_text_unclosed_head_ends_at_body_content() -> None:
    assert html_to_text("<head><meta charset=utf-8><title>T</title><p>hi</p>") == "hi\n"


@pytest.mark.parametrize(
    "html",
    [
        "<p>one<p>two<b>bold<i>italic",
        "<div><span>text</div></span></p></li></ul>",
        '<p>before</p><div class="unterminated',
        '<p>a</p><a href="https://x.test/">unclosed link<p>after',
        "<p>text</p><!-- unterminated comment <p>hidden</p>",
        "<![if !mso]><p>outlook</p><![endif]><!--[if mso]><p>mso</p><![endif]-->",
        "<![CDATA[x]]><!doctype html><?php echo 1 ?><p>ok</p>",
        "</p></div></a><p>stray end tags</p>",
        "<p>a < b and c > d</p><<<>>>",
        "<ul><li>one<li>two</ol><li>three",
        "<h1>unclosed heading<p>para",
        "<pre>unclosed pre\n  indented",
        "\x00<p>nul\x01 and \ud800 surrogate</p>",
    ],
)
def test_text_tolerates_malformed_html(html: str) -> None:
    text = html_to_text(html)
    text.encode("utf-8")  # sendable: no lone surrogates
    assert text.endswith("\n")
    assert not text.endswith("\n\n")
    assert not TAG.search(text), text
    assert "\n\n\n" not in text


def test_text_of_malformed_html_keeps_its_words() -> None:
    assert html_to_text("<p>one<p>two<b>bold<i>italic") == "one\n\ntwobolditalic\n"
    assert "outlook" in html_to_text("<![if !mso]><p>outlook</p><![endif]>")
    assert "mso" not in html_to_text("<!--[if mso]><p>mso</p><![endif]-->")


def test_text_falls_back_if_the_parser_ever_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: object, html: str) -> str:
        raise AssertionError("parser bug")

    monkeypatch.setattr(plaintext_module._TextExtractor, "run", broken)
    assert html_to_text("<p>a &amp; b</p>\n\n<p>c</p><script>") == "a & b\n\nc\n"


@pytest.mark.parametrize("html", ["", "   ", "<html></html>", "<!-- only a comment -->"])
def test_text_of_empty_html_is_one_newline(html: str) -> None:
    assert html_to_text(html) == "\n"


def test_text_never_raises_on_random_markup() -> None:
    rng = random.Random(20240611)
    pieces = [
        "<", ">", "/", "!", "-", "[", "]", "?", '"', "'", "=", " ", "\n", "a", "p", "br",
        "li", "ol", "pre", "h1", "head", "body", "script", "style", "title", "href",
        "&", ";", "#", "&amp;", "&nbsp;", "<!--", "-->", "<![", "CDATA", "mailto:", "\x00",
    ]  # fmt: skip
    for _ in range(500):
        html = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 200)))
        text = html_to_text(html)
        assert text.endswith("\n")
        assert "\n\n\n" not in text


@pytest.mark.parametrize(
    "html",
    [
        '<p>Hello <b>world</b> <a href="https://example.com/x">link</a> &amp; more</p>' * 15000,
        "<" * 1_000_000,
        '<a b="' * 150_000 + ">",
        "<!--" * 250_000,
        "&amp<a>" * 140_000,
    ],
    ids=["dense", "lone-lt", "open-quotes", "open-comments", "open-links"],
)
def test_text_of_a_megabyte_on_one_line_is_fast(html: str) -> None:
    assert len(html) >= 900_000 and "\n" not in html
    start = time.perf_counter()
    text = html_to_text(html)
    # Generous: this catches quadratic behaviour (minutes), not slow machines.
    assert time.perf_counter() - start < 15
    assert text.endswith("\n")


# --- strip_css_imports ---------------------------------------------------------------------------


def test_strip_css_imports() -> None:
    html = (
        "<html><head><style>@import url(http://a.test/x.css);\n"
        "@IMPORT 'http://a.test/y;z.css' screen; @\\69mport url(http://a.test/e.css);"
        "/* @import in a comment */ p { content: '@import'; color: red }</style>"
        '</head><body><p class="x">@import stays in text</p><STYLE media=all>'
        "@import url(b.css); b{}</STYLE></body></html>"
    )
    out = strip_css_imports(html)
    assert "a.test" not in out and "b.css" not in out
    assert "p { content: '@import'; color: red }" in out
    assert "/* @import in a comment */" in out
    assert "@import stays in text" in out
    assert "b{}</STYLE>" in out


def test_strip_css_imports_leaves_other_at_rules() -> None:
    html = "<style>@media (max-width: 600px) { p { color: red } } @font-face { x: y }</style>"
    assert strip_css_imports(html) == html


def test_strip_css_imports_is_linear_on_style_tags_that_never_end() -> None:
    # "<style " never closed by ">": the open-tag pattern rescanned the rest of the document
    # from each one (20,000 of them: 3 s on every render and check; 80,000: about a minute).
    import time

    html = "<p>x</p>" + "<style " * 20_000
    started = time.perf_counter()
    assert strip_css_imports(html) == html
    assert time.perf_counter() - started < 1.0
    tail = "<style>@import url(http://a.test/x.css); p{}</style><style "
    assert "a.test" not in strip_css_imports(tail) and strip_css_imports(tail).endswith("<style ")


# --- inline_css --------------------------------------------------------------------------------


def test_inline_css_inlines_head_style() -> None:
    html = (
        "<html><head><style>p { color: red } .big { font-size: 20px }</style></head>"
        '<body><p class="big">hi</p></body></html>'
    )
    out = inline_css(html)
    assert re.search(r'<p class="big" style="color:\s*red;\s*font-size:\s*20px">hi</p>', out)
    assert "<style" not in out  # everything was inlined, so the sheet is gone


def test_inline_css_leaves_body_style_alone() -> None:
    html = (
        "<html><head><style>p { color: red }</style></head><body><p>hi</p>"
        "<style>p { font-weight: bold }</style>"
        '<div><style data-premailer="mine">b { color: blue }</style></div></body></html>'
    )
    out = inline_css(html)
    assert "font-weight" not in out.split("<style>p { font-weight")[0]
    assert "<style>p { font-weight: bold }</style>" in out
    assert '<style data-premailer="mine">b { color: blue }</style>' in out
    assert 'data-premailer="ignore"' not in out
    assert '<p style="color:red">hi</p>' in out


def test_inline_css_keeps_media_rules_and_their_important() -> None:
    html = (
        "<html><head><style>p { color: red } a:hover { color: pink }"
        "@media (max-width: 600px) { p { color: green !important; font-size: 12px } }"
        "@media (prefers-color-scheme: dark) { p { color: white !important } }</style></head>"
        "<body><p>hi</p></body></html>"
    )
    out = inline_css(html)
    assert '<p style="color:red">' in out
    head = out.split("</head>")[0]
    assert "@media (max-width: 600px)" in head
    assert "@media (prefers-color-scheme: dark)" in head
    assert "color: green !important" in head
    assert "color: white !important" in head
    assert "a:hover" in head


def test_inline_css_removes_imports_and_never_fetches(no_network: list[object]) -> None:
    html = (
        "<html><head><style>@import url(http://127.0.0.1:9/a.css); "
        '@\\69mport "http://127.0.0.1:9/b.css"; p { color: red }</style>'
        '<link rel="stylesheet" href="http://127.0.0.1:9/x.css"></head>'
        "<body><p>hi</p></body></html>"
    )
    out = inline_css(html)
    assert no_network == []
    assert '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">' in out
    assert "a.css" not in out and "b.css" not in out
    assert '<p style="color:red">hi</p>' in out


def test_inline_css_keeps_doctype_and_text() -> None:
    html = (
        "<!doctype html><html><head><style>p{color:red}</style></head>"
        "<body><p>Grüße {{name}} $5 &amp; more&nbsp;</p></body></html>"
    )
    out = inline_css(html)
    assert out.startswith("<!DOCTYPE html>")
    assert "Grüße {{name}} $5 &amp; more\xa0</p>" in out


def test_inline_css_doctype_after_comments_and_many_comments_are_fast() -> None:
    out = inline_css("<!-- a -->\n<!-- b --><!DOCTYPE html><p>x</p>")
    assert out.startswith("<!DOCTYPE html>")
    start = time.perf_counter()
    out = inline_css("<!---->" * 5000 + "<p>x</p>")
    assert time.perf_counter() - start < 15  # a backtracking regex here took minutes
    assert "DOCTYPE" not in out


def test_inline_css_of_a_fragment_gets_no_invented_doctype() -> None:
    out = inline_css("<p>hi</p>")
    assert "DOCTYPE" not in out
    assert "<p>hi</p>" in out


def test_inline_css_of_blank_html_is_unchanged() -> None:
    assert inline_css("") == ""
    assert inline_css("  \n") == "  \n"


def test_inline_css_failure_is_a_composer_error() -> None:
    html = (
        "<html><head><style>p:nth-child { color: red }</style></head><body><p>x</p></body></html>"
    )
    with pytest.raises(ComposerError, match=r"^body: CSS inlining failed: ") as info:
        inline_css(html)
    assert "\n" not in str(info.value)
    assert info.value.__cause__ is not None


def test_inline_css_is_safe_on_several_threads() -> None:
    docs = [
        f"<html><head><style>p {{ color: #{i:06x} }} @media (max-width: 600px) "
        f"{{ p {{ color: red }} }}</style></head><body><p>{i}</p></body></html>"
        for i in range(24)
    ]
    expected = [inline_css(d) for d in docs]
    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(inline_css, docs * 2)) == expected * 2


def test_inline_css_on_real_templates(no_network: list[object], shared_templates: Path) -> None:
    paths = sorted(shared_templates.glob("*.html"))
    if not paths:
        pytest.skip(f"{shared_templates} holds no .html templates")
    for path in paths:
        html = path.read_text(encoding="utf-8")
        out = inline_css(html)
        assert out.lower().count("<table") == html.lower().count("<table"), path.name
        assert out.count('style="') > html.count('style="'), path.name
        assert out.count("@media") >= min(1, html.count("@media")), path.name
    assert no_network == []


# --- render ---------------------------------------------------------------------------------------


def test_render_markdown() -> None:
    draft = Draft(subject="Hello & welcome", body="# Hi\n\nSee [docs](https://d.test).\n")
    out = render(draft)
    assert isinstance(out, Rendered)
    assert out.html is not None
    assert "<title>Hello &amp; welcome</title>" in out.html
    assert "<h1>Hi</h1>" in out.html
    assert out.text == "Hi\n==\n\nSee docs (https://d.test).\n"
    assert out.amp is None


def test_render_html_is_used_as_given() -> None:
    body = "<html><head><style>p{color:red}</style></head><body><p>Hi</p></body></html>"
    out = render(Draft(body=body, body_format=BodyFormat.HTML))
    assert out.html == body
    assert out.text == "Hi\n"


def test_render_text_has_no_html() -> None:
    out = render(Draft(body="Just text.\r\nLine two.\r\n", body_format=BodyFormat.TEXT))
    assert out.html is None
    assert out.text == "Just text.\nLine two.\n"


@pytest.mark.parametrize("fmt", list(BodyFormat))
def test_render_plain_text_override(fmt: BodyFormat) -> None:
    out = render(Draft(body="<p>generated</p>", body_format=fmt, plain_text="Mine.\r\n"))
    assert out.text == "Mine.\n"


def test_render_blank_plain_text_is_ignored() -> None:
    out = render(Draft(body="<p>generated</p>", body_format=BodyFormat.HTML, plain_text=" \n"))
    assert out.text == "generated\n"


def test_render_amp_passthrough() -> None:
    amp = "<!doctype html><html ⚡4email><body>amp</body></html>\r\n"
    assert render(Draft(body="x", amp_html=amp)).amp == amp.replace("\r\n", "\n")
    assert render(Draft(body="x", amp_html="  ")).amp is None
    assert render(Draft(body="x", amp_html=None)).amp is None


def test_render_inline_locally() -> None:
    body = "<html><head><style>p{color:red}</style></head><body><p>Hi</p></body></html>"
    off = render(Draft(body=body, body_format=BodyFormat.HTML, inline_locally=False))
    on = render(Draft(body=body, body_format=BodyFormat.HTML, inline_locally=True))
    assert off.html == body
    assert on.html is not None
    assert '<p style="color:red">Hi</p>' in on.html
    assert "<style>" not in on.html
    assert on.text == off.text == "Hi\n"


def test_render_inline_locally_markdown_uses_the_template_css() -> None:
    out = render(Draft(subject="s", body="Hello", inline_locally=True))
    assert out.html is not None
    assert re.search(r'<p style="[^"]*margin:\s*0 0 16px', out.html)
    assert "@media (prefers-color-scheme: dark)" in out.html
    assert out.text == "Hello\n"


def test_render_inline_locally_text_body_is_untouched() -> None:
    out = render(Draft(body="a {b} $c", body_format=BodyFormat.TEXT, inline_locally=True))
    assert out.html is None
    assert out.text == "a {b} $c"


def test_render_normalises_line_endings() -> None:
    body = "<p>one\r\ntwo</p>\r<p>three</p>\r\n"
    out = render(Draft(body=body, body_format=BodyFormat.HTML, plain_text=None))
    assert out.html is not None
    assert "\r" not in out.html and "\r" not in out.text


def test_a_markdown_body_of_unclosed_brackets_renders_in_linear_time() -> None:
    """Python-Markdown#798: thousands of "[" that never close, or nest, were quadratic (3 000
    took 1.7-3.7 s, a 30 KB body minutes); the brackets still show, as text."""
    import time

    for body in ("[" * 3000 + "x", "[a " * 3000, "[" * 3000 + "x" + "]" * 3000):
        started = time.perf_counter()
        html = markdown_to_html(body)
        assert time.perf_counter() - started < 0.5, body[:20]
        assert html.count("[") == body.count("["), "every bracket is still shown"


def test_ordinary_brackets_and_links_are_left_alone() -> None:
    from composer.core.render import defuse_brackets

    links = "See [the guide](https://example.com/g), [1], [x][y] and `[a`.\n" * 150
    assert defuse_brackets(links) == links  # 750 brackets, every one closed, none deep
    few = "[" * 199 + "x"
    assert defuse_brackets(few) == few  # below the count no real message reaches
    assert '<a href="https://example.com/g">the guide</a>' in markdown_to_html(links)
