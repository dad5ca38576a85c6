"""The preview's cid scheme as a hostile page would ask it: only the draft's own images, by
their exact names, and only the four image types, ever come back."""

from __future__ import annotations

import pytest

from composer.gui.preview.cid import image_for, to_preview_urls

IMAGES = {
    "logo": ("image/png", b"\x89PNG\r\n\x1a\npng"),
    "x.svg": ("image/svg+xml", b"<svg onload=alert(1)/>"),
}


@pytest.mark.parametrize(
    "path",
    [
        "cid/1/../logo",
        "cid/1/%2e%2e/logo",
        "cid/1/%2E%2E%2Flogo",
        "cid/1/logo%00",
        "cid/1/logo\x00",
        "cid/1/LOGO",
        "cid/1/" + "a" * 100_000,
        "cid/1/nope",
        "cid/1/x.svg",
        "cid/logo",
        "document/1",
        "../cid/1/logo",
        "cid/1/logo/",
        "cid/1/%6cogo%",
    ],
)
def test_the_scheme_serves_nothing_but_the_drafts_images(path: str) -> None:
    assert image_for(path, IMAGES) is None


def test_the_scheme_serves_a_drafts_image_by_its_name() -> None:
    assert image_for("cid/7/logo", IMAGES) == (b"image/png", IMAGES["logo"][1])
    assert image_for("cid/7/%6cogo", IMAGES) == (b"image/png", IMAGES["logo"][1])


def test_hostile_cid_urls_stay_inside_the_scheme() -> None:
    html = (
        '<img src="cid:../../etc/passwd"><img src="cid:%2e%2e%2fx">'
        "<img src='cid:a\"onerror=alert(1)'><div style=\"background:url(cid:x)\">"
    )
    out = to_preview_urls(html, 3)
    assert "cid:" not in out.replace("composer-preview:cid/", "")
    assert 'src="composer-preview:cid/3/..%2F..%2Fetc%2Fpasswd"' in out
    # The quote ends the name: the rest stays inside the attribute it was in, no new attribute.
    assert "src='composer-preview:cid/3/a\"onerror=alert(1)'" in out
    assert "url(composer-preview:cid/3/x)" in out
