"""Inline images over the Transmissions API: the real command posts to a loopback HTTPS API.

The REST road sends ``content.email_rfc822`` (payload.py: the same MIME tree SMTP sends), so
the images travel inside it as the multipart/related part, each with its Content-ID; the API's
``content.inline_images`` belongs to its other content form (``html`` + ``text``), which
Composer does not build, and the API takes one form or the other, not both."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

from support.cli import send_args
from support.http_faults import GOOD_KEY, FaultApi
from support.images import png

KEY_ENV = {"COMPOSER_API_KEY": GOOD_KEY, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def test_the_rest_payload_carries_the_inline_images(run_composer, api: FaultApi, tmp_path) -> None:
    body = tmp_path / "body.html"
    body.write_text('<p>Hi</p><img src="cid:logo" alt="Acme" width="64" height="32">')
    (tmp_path / "logo.png").write_bytes(png(64, 32))
    r = run_composer(
        *send_args(body, "--inline", f"{tmp_path / 'logo.png'}=logo", kind="--html"),
        "--api", "rest", "--provider", "custom", "--api-url", api.url,
        "--ca-file", str(api.ca_file), "--timeout", "5", "--final-timeout", "5",
        env=KEY_ENV,
    )  # fmt: skip
    assert r.code == 0, r.err
    (post,) = api.posts()
    content = post.doc["content"]
    assert set(content) == {"email_rfc822"}
    msg = email.message_from_bytes(content["email_rfc822"].encode(), policy=policy.default)
    related = msg.get_payload()[-1]
    assert related.get_content_type() == "multipart/related"
    html, logo = related.get_payload()
    assert 'src="cid:logo"' in html.get_content()
    assert logo["Content-ID"] == "<logo>" and logo.get_content() == png(64, 32)


def test_the_local_rest_sandbox_delivers_them(run_composer, tmp_path, composer_home: Path) -> None:
    body = tmp_path / "body.md"
    body.write_text("![Acme](cid:logo)\n")
    (tmp_path / "logo.png").write_bytes(png(8, 8))
    r = run_composer(*send_args(body, "--inline", f"{tmp_path / 'logo.png'}=logo", "--api", "rest"))
    assert r.code == 0, r.err
    (copy,) = [p for p in (composer_home / "sandbox" / "new").iterdir()]
    msg = email.message_from_bytes(copy.read_bytes(), policy=policy.default)
    related = msg.get_payload()[-1]
    assert related.get_payload()[1].get_content() == png(8, 8)
