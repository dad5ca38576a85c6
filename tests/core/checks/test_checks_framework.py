"""The checks' frame: ordering, a failing family, the summary, and the way back to the source."""

from __future__ import annotations

from composer.core.checks import (
    CheckInput,
    Finding,
    ProfileFacts,
    Severity,
    Where,
    check_input,
    run_checks,
    summarize,
)
from composer.core.checks.doc import html_doc
from composer.core.draft import BodyFormat, Draft, Recipient

PROFILE = ProfileFacts(provider="sparkpost", transport="smtp", name="test")


def draft(body: str, fmt: BodyFormat = BodyFormat.HTML, **kw: object) -> Draft:
    return Draft(
        from_addr=Recipient("a@example.com"),
        to=[Recipient("b@example.com")],
        subject="Hi",
        body=body,
        body_format=fmt,
        **kw,  # type: ignore[arg-type]
    )


def inp(body: str, fmt: BodyFormat = BodyFormat.HTML, **kw: object) -> CheckInput:
    return check_input(draft(body, fmt, **kw), PROFILE)


def f(sev: Severity, part: str, line: int | None, fid: str = "x.y") -> Finding:
    return Finding(fid, sev, "links", "m", Where(part, line))


def test_findings_sorted_by_severity_then_part_then_line() -> None:
    found = [
        f(Severity.INFO, "html", 1),
        f(Severity.WARNING, "html", None),
        f(Severity.WARNING, "html", 9),
        f(Severity.ERROR, "amp", 3),
        f(Severity.WARNING, "html", 2),
        f(Severity.ERROR, "html", 7),
    ]
    out = run_checks(inp("<p>x</p>"), families=[lambda _i: found])
    assert [(x.severity, x.where.part, x.where.line) for x in out] == [
        (Severity.ERROR, "html", 7),
        (Severity.ERROR, "amp", 3),
        (Severity.WARNING, "html", 2),
        (Severity.WARNING, "html", 9),
        (Severity.WARNING, "html", None),
        (Severity.INFO, "html", 1),
    ]


def broken(_inp: CheckInput) -> list[Finding]:
    raise KeyError("caniemail.json")


def test_a_family_that_raises_becomes_one_info_finding() -> None:
    out = run_checks(inp("<p>x</p>"), families=[broken, lambda _i: [f(Severity.ERROR, "html", 1)]])
    assert [x.severity for x in out] == [Severity.ERROR, Severity.INFO]
    note = out[1]
    assert note.id == "check.test_checks_framework-failed"
    assert note.message.startswith("check test_checks_framework could not run: ")
    assert "caniemail.json" in note.message


def test_summary_counts_per_severity_and_category() -> None:
    found = [
        f(Severity.ERROR, "html", 1),
        f(Severity.WARNING, "html", 2),
        Finding("a11y.img-alt", Severity.WARNING, "accessibility", "m", Where("html")),
    ]
    s = summarize(found)
    assert s["total"] == 3 and s["error"] == 1 and s["warning"] == 2 and s["info"] == 0
    assert s["categories"] == {
        "links": {"error": 1, "warning": 1, "info": 0},
        "accessibility": {"error": 0, "warning": 1, "info": 0},
    }


def test_finding_to_json() -> None:
    x = Finding(
        "clients.css-display-flex",
        Severity.WARNING,
        "clients",
        "flex",
        Where("html", 3, 5, "<div>"),
        clients=("outlook.windows",),
    )
    assert x.to_json() == {
        "id": "clients.css-display-flex",
        "severity": "warning",
        "category": "clients",
        "message": "flex",
        "where": {"part": "html", "line": 3, "column": 5, "element": "<div>"},
        "clients": ["outlook.windows"],
    }


def test_the_real_checks_run_on_every_body_format() -> None:
    for fmt in BodyFormat:
        out = run_checks(inp("Hello", fmt))
        assert all(x.id.endswith("-failed") is False for x in out), out


# --- the way back to the source ---------------------------------------------------------------

HTML = """<html>
<head><style>p { color: red }</style></head>
<body>
  <p>one</p>
  <img src="a.png"><img
     src="b.png">
  <a href="https://x.example/">x</a> <img src="a.png">
</body>
</html>
"""


def imgs(i: CheckInput) -> list[Where]:
    doc = html_doc(i)
    assert doc is not None
    return [doc.where(e) for e in doc.root.iter("img")]


def test_where_points_at_the_start_tag_in_an_html_body() -> None:
    spots = [(w.line, w.column) for w in imgs(inp(HTML))]
    assert spots == [(5, 3), (5, 20), (7, 38)]
    assert imgs(inp(HTML))[1].element == '<img src="b.png">'


def test_where_survives_local_inlining() -> None:
    # Inlining rewrites the document (style attributes added, the <style> removed), so the
    # final HTML's lines are not the source's; the mapping still lands on the source tags.
    i = inp(HTML, inline_locally=True)
    assert i.rendered.html is not None and 'style="color:red"' in i.rendered.html.replace(" ", "")
    doc = html_doc(i)
    assert doc is not None
    p = next(doc.root.iter("p"))
    assert (doc.where(p).line, doc.where(p).column) == (4, 3)
    assert [(w.line, w.column) for w in imgs(i)] == [(5, 3), (5, 20), (7, 38)]


MD = """# Title

Some text and ![logo](https://cdn.example/logo.png) here.

[a link](https://x.example/a) and [again](https://x.example/a)

## Second heading
"""


def test_where_in_markdown_points_at_the_link_or_image_text() -> None:
    i = inp(MD, BodyFormat.MARKDOWN)
    doc = html_doc(i)
    assert doc is not None and doc.part == "markdown"
    img = next(doc.root.iter("img"))
    assert (doc.where(img).line, doc.where(img).column) == (3, 23)
    links = [doc.where(a) for a in doc.root.iter("a")]
    assert [(w.line, w.column) for w in links] == [(5, 10), (5, 43)]
    h2 = next(doc.root.iter("h2"))
    assert (doc.where(h2).line, doc.where(h2).column) == (7, None)
    # The template's own <html> is not in anything the person typed.
    assert doc.where(doc.root).line is None and doc.where(doc.root).part == "markdown"


def test_checks_on_several_threads_agree() -> None:
    # The window checks on a worker while a send may check on another: shared caches and
    # parsers must not mix documents up.
    from concurrent.futures import ThreadPoolExecutor

    from composer.core.checks import clear_caches

    bodies = [f'<p>\n<img src="{i}.png">\n<a href="javascript:{i}">x</a></p>' for i in range(8)]
    clear_caches()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda b: run_checks(inp(b)), bodies * 3))
    for body, found in zip(bodies * 3, results, strict=True):
        alt = next(x for x in found if x.id == "a11y.img-alt")
        n = body.split('src="', 1)[1].split(".", 1)[0]
        assert alt.where.element == f'<img src="{n}.png">' and alt.where.line == 2
        assert not [x for x in found if x.id.endswith("-failed")]


def test_where_in_markdown_finds_raw_html_tags() -> None:
    i = inp('Hi\n\nSome <span style="color:red">red words</span> here.\n', BodyFormat.MARKDOWN)
    doc = html_doc(i)
    assert doc is not None
    span = next(doc.root.iter("span"))
    assert (doc.where(span).line, doc.where(span).column) == (3, 6)
