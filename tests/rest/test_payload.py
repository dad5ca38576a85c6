"""The transmission a message becomes: pure functions, no network."""

from __future__ import annotations

import dataclasses
import json
from email import message_from_bytes, policy

import pytest
from support.drafts import draft, full_draft, messages

from composer.core.draft import Recipient
from composer.core.errors import PayloadError
from composer.transport.rest.payload import rest_rfc822, transmission


def header_names(data: bytes) -> list[str]:
    return [name.lower() for name in message_from_bytes(data, policy=policy.default)]


def test_the_rfc822_is_the_preview_bytes_without_x_msys_api_and_with_cc() -> None:
    (m,) = messages(full_draft())
    rest = rest_rfc822(m)
    assert b"X-MSYS-API" in m.data and b"X-MSYS-API" not in rest
    # The body (the MIME tree) is byte for byte the one the preview shows.
    assert rest.partition(b"\r\n\r\n")[2] == m.data.partition(b"\r\n\r\n")[2]
    names = header_names(rest)
    assert names[:3] == ["from", "to", "cc"]  # Cc right after To, as the relay writes it
    assert [n for n in names if n != "cc"] == [n for n in header_names(m.data) if n != "x-msys-api"]
    parsed = message_from_bytes(rest, policy=policy.default)
    assert [a.addr_spec for a in parsed["Cc"].addresses] == ["cy@example.com", "cat@example.com"]
    assert parsed["Cc"].addresses[0].display_name == "Cy Q. Public"
    assert "Bcc" not in parsed and "dee@example.com" not in rest.decode()


def test_without_settings_the_rfc822_is_exactly_the_preview() -> None:
    (m,) = messages()
    assert m.msys is None
    assert rest_rfc822(m) == m.data


def test_recipients_settings_and_the_cc_bcc_effect() -> None:
    (m,) = messages(full_draft())
    body = transmission(m)
    json.dumps(body, ensure_ascii=True)  # it must be JSON as it stands
    assert [r["address"] for r in body["recipients"]] == [
        {"email": "bob@example.com"},
        {"email": "cy@example.com", "name": "Cy Q. Public", "header_to": "bob@example.com"},
        {"email": "cat@example.com", "header_to": "bob@example.com"},
        {"email": "dee@example.com", "name": "Dee", "header_to": "bob@example.com"},
    ]
    assert all(r["tags"] == ["news", "q2"] for r in body["recipients"])  # REST tags: per rcpt
    assert body["campaign_id"] == "spring"
    assert body["metadata"] == {"batch": 7}
    assert body["options"] == {
        "open_tracking": False,
        "transactional": True,
        "ip_pool": "sp_shared",
    }
    assert body["content"] == {"email_rfc822": rest_rfc822(m).decode("ascii")}
    assert "substitution_data" not in body and "tags" not in body


def test_each_address_once_and_the_first_role_wins() -> None:
    # Validation keeps an address in one list; a message built elsewhere still gets the
    # relay's rule: one copy per address, the first role (to, cc, bcc) wins.
    (m,) = messages(full_draft())
    api = {**(m.msys or {}), "cc": [{"email": "BOB@example.com"}, {"email": "cy@example.com"}],
           "bcc": [{"email": "cy@example.com"}, {"email": "dee@example.com"}]}  # fmt: skip
    body = transmission(dataclasses.replace(m, msys=api))
    roles = [(r["address"]["email"], r["address"].get("header_to")) for r in body["recipients"]]
    hto = "bob@example.com"
    assert roles == [("bob@example.com", None), ("cy@example.com", hto), ("dee@example.com", hto)]


def test_substitution_data_goes_only_where_given() -> None:
    (m,) = messages()
    assert transmission(m, substitution_data={"name": "Bob"})["substitution_data"] == {
        "name": "Bob"
    }
    with pytest.raises(PayloadError, match="substitution_data: must be a JSON object"):
        transmission(m, substitution_data=["x"])  # type: ignore[arg-type]


def test_archive_is_refused_naming_the_field() -> None:
    (m,) = messages(draft(archive=[Recipient("arc@example.com")]))
    with pytest.raises(PayloadError) as info:
        transmission(m)
    assert info.value.field == "archive"
    assert "archiving is only supported with the SMTP API" in str(info.value)
    assert "--api smtp" in str(info.value)
    assert info.value.exit_code == 2


def test_a_retry_to_some_to_addresses_carries_no_copies() -> None:
    d = full_draft()
    d.to = [Recipient("bob@example.com"), Recipient("eve@example.com")]
    (m,) = messages(d)
    body = transmission(m, rcpt_to=("eve@example.com",))
    assert [r["address"] for r in body["recipients"]] == [{"email": "eve@example.com"}]


def test_a_seed_list_gives_each_message_its_own_header_to() -> None:
    seeds = [Recipient("s1@example.com"), Recipient("s2@example.com")]
    bodies = [transmission(m) for m in messages(full_draft(), seeds=seeds)]
    for seed, body in zip(seeds, bodies, strict=True):
        assert body["recipients"][0]["address"] == {"email": seed.email}
        assert {r["address"].get("header_to") for r in body["recipients"][1:]} == {seed.email}


def test_non_ascii_names_and_subjects_stay_ascii_on_the_wire() -> None:
    d = full_draft()
    d.subject = "Grüße — 🎉"
    d.cc = [Recipient("cy@example.com", "Zoë Ünïcode")]
    (m,) = messages(d)
    rest = rest_rfc822(m)
    rest.decode("ascii")
    parsed = message_from_bytes(rest, policy=policy.default)
    assert parsed["Subject"] == "Grüße — 🎉"
    assert parsed["Cc"].addresses[0].display_name == "Zoë Ünïcode"
    assert transmission(m)["recipients"][1]["address"]["name"] == "Zoë Ünïcode"
