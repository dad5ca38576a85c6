"""Hostile and odd bodies: the checks finish, find what they should, and never report
themselves broken (a family that raises shows up as a "check.<family>-failed" note)."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.checks import ids, make_input

from composer.core.checks import run_checks
from composer.core.draft import BodyFormat


def failed(findings: list) -> list[str]:  # type: ignore[type-arg]
    return [f.message for f in findings if f.id.endswith("-failed")]


def test_css_nested_thousands_deep() -> None:
    deep = "calc(" * 3000 + "1px" + ")" * 3000
    body = (
        f'<p style="width:{deep}">x</p>\n'
        "<style>" + "@media screen{" * 3000 + "p{color:red}" + "}" * 3000 + "</style>\n"
        '<div style="display:flex">y</div>\n<a href="javascript:x()">z</a>'
    )
    found = run_checks(make_input(body))
    assert failed(found) == []
    assert {"clients.css-display-flex", "links.javascript"} <= set(ids(found))


def test_markup_nested_thousands_deep() -> None:
    body = '<div style="color:#777">' * 3000 + "<img src=a.png>" + "</div>" * 3000
    found = run_checks(make_input(body))
    assert failed(found) == []


def test_lone_surrogates_and_control_characters() -> None:
    # A draft file can hold "\ud800" (JSON allows it); validation refuses to send it, but the
    # checks still look at the body.
    body = '<p>\ud800 \x01</p><a href="\x01 java\tscript:x">y</a><img src="\udfff.png">'
    found = run_checks(make_input(body))
    assert failed(found) == []
    assert {"links.javascript", "a11y.img-alt"} <= set(ids(found))


def test_a_whole_body_on_one_line() -> None:
    # Every element on line 1: columns still point at the right start tag.
    body = "".join(f'<a href="http://x{i}.example/">l{i}</a>' for i in range(300))
    found = run_checks(make_input(body))
    http = [f for f in found if f.id == "links.http"]
    assert len(http) == 300
    starts = [i + 1 for i in range(len(body)) if body.startswith("<a ", i)]
    assert [f.where.column for f in http] == starts
    assert http[-1].where.column == body.rindex("<a ") + 1


TAGS = ["p", "a", "img", "table", "tr", "td", "th", "h1", "h3", "div", "span", "style", "svg"]
ATTRS = ["href", "src", "style", "alt", "role", "lang", "class", "width", "onclick"]
VALUES = [
    "",
    "#",
    "javascript:x",
    "http://x.example/a b",
    "color:#777;display:flex",
    "x{color:red}",
    "presentation",
    "\ud800",
    "<",
    "\"'",
    "mailto:@",
    "rgb(0 0 0)",
]

piece = st.one_of(
    st.builds(
        lambda t, a, v: f'<{t} {a}="{v}">',
        st.sampled_from(TAGS),
        st.sampled_from(ATTRS),
        st.sampled_from(VALUES),
    ),
    st.builds(lambda t: f"</{t}>", st.sampled_from(TAGS)),
    st.sampled_from(
        ["text", "\n", "<!--", "-->", "<![CDATA[", "&amp;", "&#0;", "{{x}}", "@media{"]
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(piece, max_size=40), st.sampled_from(list(BodyFormat)))
@example(['<p style="#">'], BodyFormat.MARKDOWN)  # css-inline raised "End of input"
def test_any_markup_is_checked_without_failing(pieces: list[str], fmt: BodyFormat) -> None:
    body = "".join(pieces)
    found = run_checks(make_input(body, fmt, amp_html=body or None))
    assert failed(found) == []
    lines = body.count("\n") + 1
    for f in found:
        if f.where.part in ("html", "markdown", "amp") and f.where.line is not None:
            assert 1 <= f.where.line <= lines, f
