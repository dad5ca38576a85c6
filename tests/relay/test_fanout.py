"""fan_out: the SMTP API's cc / bcc / archive semantics (seeds/000, 001) on bytes alone.

Most inputs are built by the app's own build_message, so the relay is tested against exactly
what Composer sends; a few are written by hand the way the documentation writes them."""

from __future__ import annotations

import email
import json
import re
from email import policy
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.drafts import hello_draft as draft

from composer.core import msys
from composer.core.build import build_message
from composer.core.draft import Draft, Recipient
from composer.relay.fanout import Copy, MsysRejection, fan_out, parse_request

TID = "123456789012345678"
SENDER = "ann@example.com"





def app_copies(d: Draft) -> tuple[bytes, list[Copy]]:
    m = build_message(d)
    return m.data, fan_out(m.envelope.mail_from, list(m.envelope.rcpt_to), m.data, TID)


def raw(api: object | None = None, *, extra: str = "", body: str = "Hi there\r\n") -> bytes:
    """A hand-made message; ``api`` is folded the way Composer folds it."""
    head = "From: ann@example.com\r\nTo: bob@example.com\r\nSubject: Raw\r\n" + extra
    if api is not None:
        value = api if isinstance(api, str) else msys.format_value(api)  # type: ignore[arg-type]
        head += f"X-MSYS-API: {value}\r\n"
    return (head + "\r\n" + body).encode("utf-8")


def parse(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def head_of(data: bytes) -> bytes:
    return data.split(b"\r\n\r\n", 1)[0]


def body_of(data: bytes) -> bytes:
    return data.split(b"\r\n\r\n", 1)[1]


def fields(head: bytes) -> list[bytes]:
    """Header fields, each with its continuation lines."""
    out: list[bytes] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and out:
            out[-1] += b"\r\n" + line
        else:
            out.append(line)
    return out


def reject(data: bytes, rcpts: tuple[str, ...] = ("bob@example.com",)) -> str:
    with pytest.raises(MsysRejection) as info:
        fan_out(SENDER, list(rcpts), data, TID)
    reply = info.value.reply
    assert reply.isascii() and "\r" not in reply and "\n" not in reply
    return reply


FULL = dict(
    cc=[Recipient("cc1@example.com", "CC 1"), Recipient("cc2@example.com", "CC 2")],
    bcc=[Recipient("bcc1@example.com", "BCC 1"), Recipient("bcc2@example.com")],
    archive=[Recipient("arch@example.com", "Archive")],
)


# --- one copy per recipient -------------------------------------------------------------------


def test_one_copy_per_recipient_in_role_order() -> None:
    _, copies = app_copies(draft(**FULL))
    assert [(c.rcpt, c.rcpt_type) for c in copies] == [
        ("bob@example.com", "to"),
        ("cc1@example.com", "cc"),
        ("cc2@example.com", "cc"),
        ("bcc1@example.com", "bcc"),
        ("bcc2@example.com", "bcc"),
        ("arch@example.com", "archive"),
    ]


def test_without_x_msys_api_only_the_envelope_recipients() -> None:
    copies = fan_out(SENDER, ["bob@example.com", "carol@example.com"], raw(), TID)
    assert [(c.rcpt, c.rcpt_type) for c in copies] == [
        ("bob@example.com", "to"),
        ("carol@example.com", "to"),
    ]
    assert all("Cc" not in parse(c.data) and "Bcc" not in parse(c.data) for c in copies)


def test_a_recipient_on_several_lists_gets_one_copy_first_role_wins() -> None:
    data = raw(
        {
            "cc": ["Bob@Example.com", "x@example.com"],
            "bcc": ["X@example.com", "y@example.com", {"email": "z@example.com"}],
            "archive": ["y@EXAMPLE.com", "Z@example.com", "arch@example.com"],
        }
    )
    copies = fan_out(SENDER, ["bob@example.com", "BOB@example.com"], data, TID)
    assert [(c.rcpt.lower(), c.rcpt_type) for c in copies] == [
        ("bob@example.com", "to"),
        ("x@example.com", "cc"),
        ("y@example.com", "bcc"),
        ("z@example.com", "bcc"),
        ("arch@example.com", "archive"),
    ]
    # The Cc header still shows the whole cc list, including the one who got a "to" copy.
    assert parse(copies[0].data)["Cc"] == "Bob@example.com, x@example.com"


# --- headers per copy type --------------------------------------------------------------------


def test_cc_header_on_every_copy_with_every_cc() -> None:
    _, copies = app_copies(draft(**FULL))
    for c in copies:
        assert parse(c.data)["Cc"] == "CC 1 <cc1@example.com>, CC 2 <cc2@example.com>"


def test_bcc_header_only_on_bcc_copies_with_only_their_own_address() -> None:
    _, copies = app_copies(draft(**FULL))
    bcc = {c.rcpt: parse(c.data).get_all("Bcc") for c in copies}
    assert bcc == {
        "bob@example.com": None,
        "cc1@example.com": None,
        "cc2@example.com": None,
        "bcc1@example.com": ["BCC 1 <bcc1@example.com>"],
        "bcc2@example.com": ["bcc2@example.com"],
        "arch@example.com": None,
    }


def test_no_cc_header_when_the_cc_list_is_empty() -> None:
    _, copies = app_copies(draft(bcc=[Recipient("d@example.com")]))
    assert [c.rcpt_type for c in copies] == ["to", "bcc"]
    assert all(b"\r\nCc:" not in head_of(c.data) for c in copies)


def test_incoming_cc_and_bcc_headers_are_replaced_by_the_relays() -> None:
    data = raw({"cc": ["real@example.com"]}, extra="Cc: typed@example.com\r\nBcc: leak@x.com\r\n")
    copies = fan_out(SENDER, ["bob@example.com"], data, TID)
    for c in copies:
        msg = parse(c.data)
        assert msg.get_all("Cc") == ["real@example.com"]
        assert b"leak@x.com" not in c.data and b"typed@example.com" not in c.data


def test_cc_goes_after_to_and_trace_headers_come_first() -> None:
    original, copies = app_copies(draft(**FULL))
    names = [
        line.split(b":", 1)[0].decode()
        for line in head_of(copies[3].data).split(b"\r\n")
        if not line[:1].isspace()
    ]
    assert names[:6] == [
        "Return-Path",
        "Delivered-To",
        "X-Relay-Rcpt-Type",
        "X-Relay-Transmission-Id",
        "From",
        "To",
    ]
    assert names[6:8] == ["Cc", "Bcc"]
    assert "X-MSYS-API" in parse(original) and "X-MSYS-API" not in names


def test_trace_headers_name_the_recipient_type_and_one_transmission() -> None:
    _, copies = app_copies(draft(**FULL))
    for c in copies:
        msg = parse(c.data)
        assert msg["Delivered-To"] == c.rcpt
        assert msg["X-Relay-Rcpt-Type"] == c.rcpt_type
        assert msg["X-Relay-Transmission-Id"] == TID
        assert msg["Return-Path"] == f"<{SENDER}>"


def test_x_msys_api_removed_even_when_folded_over_many_lines_and_the_rest_kept() -> None:
    meta = {f"key{i}": "v" * 60 for i in range(60)}
    original, copies = app_copies(draft(metadata=meta, **FULL))
    folded = re.search(rb"X-MSYS-API:.*?\r\n(?! )", original, re.S)
    assert folded and folded.group(0).count(b"\r\n ") >= 3, "the header should be folded"
    kept = fields(head_of(original).replace(folded.group(0), b""))
    relays = re.compile(rb"(Return-Path|Delivered-To|X-Relay-[\w-]+|Cc|Bcc):")
    for c in copies:
        head = head_of(c.data)
        assert b"X-MSYS-API" not in head and b"key59" not in head
        # what remains of the original header block is there, byte for byte, in order
        assert [f for f in fields(head) if not relays.match(f)] == kept
        assert body_of(c.data) == body_of(original)


def test_body_bytes_unchanged_and_crlf_throughout() -> None:
    original, copies = app_copies(draft(**FULL))
    for c in copies:
        assert body_of(c.data) == body_of(original)
        assert not re.search(rb"(?<!\r)\n", c.data)


def test_bare_lf_input_is_normalised_to_crlf() -> None:
    data = raw({"cc": ["c@example.com"]}).replace(b"\r\n", b"\n")
    for c in fan_out(SENDER, ["bob@example.com"], data, TID):
        assert not re.search(rb"(?<!\r)\n", c.data)
        assert body_of(c.data) == b"Hi there\r\n"


def test_missing_blank_line_keeps_the_body() -> None:
    data = b"Subject: no separator\r\nthis line is body text\r\nand so is this\r\n"
    (c,) = fan_out(SENDER, ["bob@example.com"], data, TID)
    assert body_of(c.data) == b"this line is body text\r\nand so is this\r\n"
    assert parse(c.data)["Subject"] == "no separator"


def test_non_ascii_cc_names_are_rfc2047_encoded() -> None:
    _, copies = app_copies(draft(cc=[Recipient("j@example.com", "Jürgen Müller")]))
    for c in copies:
        assert head_of(c.data).isascii()
        assert b"=?utf-8?b?" in head_of(c.data)
        assert parse(c.data)["Cc"] == "Jürgen Müller <j@example.com>"


def test_a_long_cc_list_folds_within_the_line_limits() -> None:
    ccs = [Recipient(f"person{i}@example.com", f"Person Number {i}") for i in range(200)]
    _, copies = app_copies(draft(cc=ccs))
    (cc_field,) = [f for f in fields(head_of(copies[0].data)) if f.startswith(b"Cc:")]
    assert cc_field.count(b"\r\n") > 20
    assert max(len(line) for line in cc_field.split(b"\r\n")) <= 78
    cc = parse(copies[0].data)["Cc"]
    assert cc.addresses[199].addr_spec == "person199@example.com"
    assert len(cc.addresses) == 200


def test_extra_headers_are_added_after_the_trace() -> None:
    copies = fan_out(SENDER, ["bob@example.com"], raw(), TID, extra_headers=[("X-Note", "hi")])
    assert parse(copies[0].data)["X-Note"] == "hi"


# --- the documentation's own examples ---------------------------------------------------------

DOC_FOLDED = (
    b'X-MSYS-API: {"options" : {"open_tracking" : false, "click_tracking" : true},\r\n'
    b'   "metadata" : {"has_pets" : true, "pet_name": "Spot" }, "tags" : ["cat",\r\n'
    b'   "dog"], "campaign_id" : "my_campaign"}\r\n'
)


def test_the_documented_folded_header_parses_and_is_removed() -> None:
    data = b"From: a@example.com\r\nTo: b@example.com\r\n" + DOC_FOLDED + b"\r\nbody\r\n"
    request = parse_request(data)
    assert request.api == {
        "options": {"open_tracking": False, "click_tracking": True},
        "metadata": {"has_pets": True, "pet_name": "Spot"},
        "tags": ["cat", "dog"],
        "campaign_id": "my_campaign",
    }
    (c,) = fan_out(SENDER, ["b@example.com"], data, TID)
    assert b"MSYS" not in c.data and b"my_campaign" not in c.data and b'"dog"' not in c.data


def test_the_documented_folded_cc_example_fans_out() -> None:
    api = (
        '{\r\n   "cc" : [ "cc_email1@corp.com", "cc_email2@corp.com" ],\r\n'
        '   "bcc" : [ "bcc_email1@corp.com", "bcc_email2@corp.com" ],\r\n'
        '   "archive" : [ "archive_email@corp.com" ],\r\n'
        '   "options" : {"open_tracking" : false, "click_tracking" : true}\r\n   }'
    )
    copies = fan_out(SENDER, ["bob@example.com"], raw(api), TID)
    assert [c.rcpt_type for c in copies] == ["to", "cc", "cc", "bcc", "bcc", "archive"]


def test_the_documentations_own_examples_with_missing_commas_are_invalid_json() -> None:
    # The first example in the SMTP API page omits commas between bcc objects, and the
    # cc/bcc/archive example ends its object with a trailing comma: the relay refuses both.
    missing_comma = (
        '{"bcc": [\r\n    { "email": "bcc_recip_1@gmail.com", "name": "BCC 1" }\r\n'
        '    { "email": "bcc_recip_2@gmail.com", "name": "BCC 2" }\r\n  ]}'
    )
    trailing = '{"cc" : [ "cc_email1@corp.com" ],\r\n   "options" : {},\r\n}'
    assert reject(raw(missing_comma)) == "550 5.6.0 JSON parsing error in X-MSYS-API"
    assert reject(raw(trailing)) == "550 5.6.0 JSON parsing error in X-MSYS-API"


def test_folding_inside_a_string_changes_the_value_the_relays_way() -> None:
    data = raw('{"options" : {"open_tracking" : false }, "campaign_id" : "my_awes\r\n   ome"}')
    assert parse_request(data).api["campaign_id"] == "my_awes ome"


# --- the documented refusals ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["{bad", '{"cc": ["a@example.com"', "", "not json", '{"a": 1} trailing'],
)
def test_invalid_json_is_refused(value: str) -> None:
    assert reject(raw(value)) == "550 5.6.0 JSON parsing error in X-MSYS-API"


def test_invalid_utf8_and_deep_nesting_are_json_errors() -> None:
    bad_bytes = raw({"campaign_id": "x"}).replace(b'"x"', b'"\xff\xfe"')
    assert reject(bad_bytes) == "550 5.6.0 JSON parsing error in X-MSYS-API"
    deep = "[" * 100_000 + "]" * 100_000
    assert reject(raw(deep)) == "550 5.6.0 JSON parsing error in X-MSYS-API"


@pytest.mark.parametrize("value", ['["cc"]', "42", '"text"', "null"])
def test_a_value_that_is_not_an_object_is_refused(value: str) -> None:
    assert reject(raw(value)).startswith("550 5.6.0 ")


@pytest.mark.parametrize("metadata", [[1, 2], "text", 3, None, True])
def test_metadata_not_an_object_is_refused_with_the_documented_text(metadata: object) -> None:
    reply = reject(raw({"metadata": metadata}))
    assert reply == "550 5.6.0 X-MSYS-API 'metadata' must be of type 'json object'"


def test_metadata_a_list_written_by_hand() -> None:
    data = raw('{"metadata": ["has_pets", true]}')
    assert reject(data) == "550 5.6.0 X-MSYS-API 'metadata' must be of type 'json object'"


def test_campaign_id_is_limited_to_64_bytes_not_characters() -> None:
    assert fan_out(SENDER, ["bob@example.com"], raw({"campaign_id": "c" * 64}), TID)
    assert fan_out(SENDER, ["bob@example.com"], raw({"campaign_id": "é" * 32}), TID)
    reply = reject(raw({"campaign_id": "é" * 33}))  # 33 characters, 66 bytes
    assert reply == "550 5.6.0 smtpapi_campaign_id context is limited to 64 bytes"
    assert reject(raw({"campaign_id": "c" * 65})) == reply


def test_at_most_1000_recipients_in_cc_bcc_and_archive() -> None:
    def lists(n: int) -> dict[str, list[str]]:
        addrs = [f"r{i}@example.com" for i in range(n)]
        return {"cc": addrs[:10], "bcc": addrs[10:500], "archive": addrs[500:]}

    assert len(fan_out(SENDER, ["bob@example.com"], raw(lists(1000)), TID)) == 1001
    reply = reject(raw(lists(1001)))
    assert reply.startswith("550 5.6.0 ") and "1000" in reply


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("cc", 42),
        ("bcc", {"name": "No Address"}),
        ("archive", {"email": "not an address"}),
        ("cc", {"email": "a@example.com", "name": 5}),
        ("bcc", "two@example.com, three@example.com"),
        ("cc", {"email": "a@example.com", "name": "Eve\r\nBcc: x@example.com"}),
        ("cc", {"email": "a@example.com", "name": "\ud800"}),
        ("bcc", {"email": "a@example.com", "name": "N" * 1000}),
        ("archive", ["nested@example.com"]),
    ],
)
def test_a_malformed_entry_is_refused_naming_its_list(name: str, entry: object) -> None:
    # json.dumps, not format_value: one entry is too long to fold, and fan_out does not mind
    reply = reject(raw(json.dumps({name: ["fine@example.com", entry]})))
    assert reply.startswith("550 5.6.0 ") and f"'{name}'" in reply and "entry 1" in reply


@pytest.mark.parametrize("name", ["cc", "bcc", "archive", "tags"])
def test_a_list_that_is_not_an_array_is_refused(name: str) -> None:
    reply = reject(raw({name: "a@example.com"}))
    assert reply == f"550 5.6.0 X-MSYS-API '{name}' must be of type 'json array'"


def test_a_refused_message_is_refused_whoever_it_is_for() -> None:
    assert reject(raw("{bad"), rcpts=("x@example.com", "y@example.com")).startswith("550 ")


# --- anything at all --------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        b"X-MSYS-API: ",
        b'{"cc": ["a@example.com"]}',
        b'{"bcc": [{"email": "b@example.com", "name": "B"}]}',
        b"\r\n ",
        b"\r\n",
        b"\n",
        b"\r",
        b"\r\n\r\n",
        b"Cc: x@example.com",
        b"Subject: s",
        b"\xff",
        b"\x00",
        b":",
        b" ",
        b"[",
        b"{",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=400), st.lists(_PIECES, max_size=30).map(b"".join)))
def test_any_bytes_give_copies_or_a_550_never_a_crash(data: bytes) -> None:
    try:
        copies = fan_out(SENDER, ["bob@example.com"], data, TID)
    except MsysRejection as rejection:
        assert rejection.reply.startswith("550 5.") and rejection.reply.isascii()
        return
    assert copies and copies[0].rcpt_type == "to"
    for c in copies:
        assert c.data.startswith(b"Return-Path: <ann@example.com>\r\nDelivered-To: ")
        assert not re.search(rb"(?<!\r)\n", c.data)
        assert not any(f.lower().startswith(b"x-msys-api:") for f in fields(head_of(c.data)))
