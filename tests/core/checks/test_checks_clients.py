"""Family 2: client support from caniemail's data, on small crafted messages."""

from __future__ import annotations

import json
from collections.abc import Callable

from support.checks import Run, ids

from composer.core.checks import Family, Severity, clients
from composer.core.checks.caniemail import compact, index, known_clients, unknown_clients
from composer.core.draft import BodyFormat
from composer.core.resources import resource_path

PAGE = """<!DOCTYPE html>
<html lang="en">
<head><title>t</title>
<style>
p { color: #111; }
a:hover { color: #222; }
@media (prefers-color-scheme: dark) {
  p { color: #eee; }
}
</style>
</head>
<body>
<div style="display:flex; border-radius: 4px">x</div>
<video src="a.mp4"></video>
<img src="https://x.example/pic.webp" alt="" width="10" height="10">
</body>
</html>
"""


def by_id(findings: list) -> dict:  # type: ignore[type-arg]
    return {f.id: f for f in findings}


def test_style_attribute_features_point_at_their_element(run: Callable[[Family], Run]) -> None:
    found = by_id(run(clients.check)(PAGE))
    flex = found["clients.css-display-flex"]
    assert flex.severity == Severity.WARNING
    assert "outlook.windows" in flex.clients
    assert "apple-mail.macos" not in flex.clients  # Apple Mail supports flex
    assert (flex.where.line, flex.where.column) == (13, 1)
    assert "display:flex" in flex.message and "caniemail" in flex.message.lower()
    assert "clients.css-border-radius" in found


def test_style_block_features_point_at_their_line(run: Callable[[Family], Run]) -> None:
    found = by_id(run(clients.check)(PAGE))
    assert found["clients.css-pseudo-class-hover"].where.line == 6
    dark = found["clients.css-at-media-prefers-color-scheme"]
    assert dark.where.line == 7
    assert "gmail.desktop-webmail" in dark.clients


def test_elements_and_image_formats(run: Callable[[Family], Run]) -> None:
    found = by_id(run(clients.check)(PAGE))
    assert found["clients.html-video"].where.line == 14
    assert found["clients.image-webp"].where.line == 15


def test_only_the_target_clients_count(run: Callable[[Family], Run]) -> None:
    found = run(clients.check)(PAGE, clients=("apple-mail.macos", "apple-mail.ios"))
    assert "clients.css-display-flex" not in ids(found)
    assert all(set(f.clients) <= {"apple-mail.macos", "apple-mail.ios"} for f in found)


def test_partial_support_is_a_note_and_notes_are_quoted(run: Callable[[Family], Run]) -> None:
    found = by_id(run(clients.check)('<p style="margin: -4px">x</p>', clients=("outlook.macos",)))
    margin = found["clients.css-margin"]
    assert margin.severity == Severity.INFO
    assert "Negative values are not supported" in margin.message


def test_benign_gaps_are_not_reported(run: Callable[[Family], Run]) -> None:
    # Outlook ignores the doctype and webmails force target=_blank: nothing to fix.
    found = run(clients.check)('<!DOCTYPE html><html><body><a href="https://x.example/" '
                               'target="_blank">x</a></body></html>')  # fmt: skip
    assert not {"clients.html-doctype", "clients.html-target", "clients.html-body"} & set(
        ids(found)
    )


def test_gmail_non_google_accounts_said_once(run: Callable[[Family], Run]) -> None:
    found = by_id(run(clients.check)("<style>.a p { color: red }</style><p class=a>x</p>"))
    note = found["clients.gmail-non-google-accounts"]
    assert set(note.clients) == {"gmail.ios", "gmail.android"}
    cls = found.get("clients.css-selector-class")
    assert cls is None or not {"gmail.ios", "gmail.android"} & set(cls.clients)


def test_a_markdown_body_is_not_blamed_for_the_template(run: Callable[[Family], Run]) -> None:
    assert run(clients.check)("# Hello\n\nSome *text*.", BodyFormat.MARKDOWN) == []
    found = run(clients.check)('Hi <span style="display:flex">x</span>', BodyFormat.MARKDOWN)
    assert ids(found) == ["clients.css-display-flex"]
    assert found[0].where.part == "markdown" and found[0].where.line == 1


def test_client_ids_for_validation() -> None:
    known = known_clients()
    assert known["gmail.ios"] == "Gmail iOS"
    assert known["outlook.windows"] == "Outlook Windows"
    assert unknown_clients(["gmail.ios", "gmial.ios", "outlook"]) == ["gmial.ios", "outlook"]


def test_the_vendored_index_is_what_the_refresh_script_makes() -> None:
    raw = json.loads(resource_path("caniemail/caniemail.json").read_text(encoding="utf-8"))
    vendored = json.loads(resource_path("caniemail/index.json").read_text(encoding="utf-8"))
    made = compact(raw, version=vendored["source"]["version"],
                   fetched=vendored["source"]["fetched"])  # fmt: skip
    assert made == vendored
    assert vendored["source"]["version"] == "2.0.2"
    assert resource_path("caniemail/LICENSE").read_text().startswith("MIT License")
    assert len(index().features) > 300


def test_rgb_only_the_space_syntax_is_reported(run: Callable[[Family], Run]) -> None:
    commas = run(clients.check)('<p style="color: rgb(0, 128, 0)">x</p>')
    assert "clients.css-rgb" not in ids(commas)
    spaces = by_id(run(clients.check)('<p style="color: rgb(0 128 0)">x</p>'))
    assert "Whitespace syntax" in spaces["clients.css-rgb"].message


def test_after_local_inlining_style_block_features_point_at_the_source(
    run: Callable[[Family], Run],
) -> None:
    # The inliner rewrites the <style> (only @media and :hover stay), so its lines are not the
    # source's; the finding still points where the person wrote it.
    found = by_id(run(clients.check)(PAGE, inline_locally=True, inline_engine="premailer"))
    assert (found["clients.css-at-media-prefers-color-scheme"].where.line,
            found["clients.css-pseudo-class-hover"].where.line) == (7, 6)  # fmt: skip
    assert found["clients.css-display-flex"].where.line == 13
