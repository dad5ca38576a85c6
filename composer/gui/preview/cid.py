"""Inline (cid) images in the preview, served from memory by the preview's own scheme.

A message's ``<img src="cid:logo">`` names a part of the same message; Chromium knows no
``cid:`` URLs (the interceptor blocks them anyway). Before the document is loaded, every
``cid:NAME`` in an attribute or a CSS ``url()`` becomes ``composer-preview:cid/V/NAME`` (V
changes with the images, so Chromium's cache never shows an image replaced since), which
the view's scheme handler answers with the image bytes it was given (read off the UI thread
by the preview pipeline, from the draft's inline images or from a delivered copy's parts).
Nothing else is served: an unknown name fails, and there is still no network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote, unquote

from composer.gui.preview.scheme import SCHEME

__all__ = ["PREFIX", "Images", "image_for", "to_preview_urls"]

# cid name -> (MIME type, bytes)
Images = Mapping[str, tuple[str, bytes]]
PREFIX = "cid/"
# cid:NAME where a URL stands: after src= / background= / any attribute quote, or in url( ).
_CID_URL = re.compile(r"""(?i)(?<=["'=(\s])cid:([^\s"'<>()\\]+)""")
# Only the image types the core lets in (images.py): the handler never serves anything else.
_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def to_preview_urls(html: str, version: int = 0) -> str:
    """``cid:NAME`` URLs as the preview scheme's ``composer-preview:cid/VERSION/NAME``."""
    if "cid:" not in html.lower():
        return html
    base = f"{SCHEME}:{PREFIX}{version}/"
    return _CID_URL.sub(lambda m: base + quote(unquote(m[1]), safe="@.-_"), html)


def image_for(path: str, images: Images) -> tuple[bytes, bytes] | None:
    """(content type, bytes) for a request path ``cid/VERSION/NAME``, or None."""
    if not path.startswith(PREFIX):
        return None
    _version, _, name = path[len(PREFIX) :].partition("/")
    found = images.get(unquote(name))
    if found is None or found[0] not in _TYPES:
        return None
    return found[0].encode("ascii"), found[1]
