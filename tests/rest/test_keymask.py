"""keymask.hide_key: the key hidden in every form a server may echo it back in, and text without
the key left exactly as the server sent it."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from composer.core.errors import TransientError
from composer.transport.rest.keymask import HIDDEN, hide_in_error, hide_key

KEY = "Sk-9f3a2bC41d7e"


def _b64(prefix: bytes) -> str:
    return base64.b64encode(prefix + KEY.encode() + b"!").decode()


FORMS = {
    "plain": f"key {KEY} here",
    "lower case": f"key {KEY.lower()} here",
    "reversed": f"key {KEY[::-1]} here",
    "json escaped": "key " + "".join(f"\\u{ord(c):04x}" for c in KEY) + " here",
    "json escaped in part": f"key \\u0053{KEY[1:]} here",
    "url encoded": f"https://evil.example/?k={quote(KEY, safe='')}",
    "url encoded twice": f"https://evil.example/?k={quote(quote(KEY, safe=''), safe='')}",
    "url encoded bytes": "k=" + "".join(f"%{b:02x}" for b in KEY.encode()),
    "base64 aligned": f"Basic {_b64(b'')}",
    "base64 after 1": f"Basic {_b64(b'u')}",
    "base64 after 2": f"Basic {_b64(b'us')}",
    "base64 user:key": "Basic " + base64.b64encode(f"api:{KEY}".encode()).decode(),
    "urlsafe base64": base64.urlsafe_b64encode(b"\xfb\xff" + KEY.encode()).decode(),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_form_of_the_key_is_hidden(form: str) -> None:
    shown = hide_key(FORMS[form], KEY)
    assert HIDDEN in shown, shown
    assert KEY.lower() not in shown.lower() and quote(KEY, safe="") not in shown


def test_text_without_the_key_is_left_as_sent() -> None:
    text = 'a 100% normal answer: {"message":"caf\\u00e9"} %zz'
    assert hide_key(text, KEY) == text
    assert hide_key("", KEY) == "" and hide_key(text, "") == text


def test_an_error_is_hidden_in_its_message_reply_and_refused_recipients() -> None:
    err = TransientError(f"busy ({KEY})", 503, f"echo {KEY}")
    err.refused["bob@example.com"] = (550, f"no {KEY}")
    err.retry_after = 5.0
    same = hide_in_error(err, KEY)
    assert same is err and same.retry_after == 5.0  # the same error, its meaning kept
    assert KEY not in str(err) + err.reply + err.refused["bob@example.com"][1]
