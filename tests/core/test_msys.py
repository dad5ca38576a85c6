"""X-MSYS-API folding: every physical line <= 998 octets, and every unfolding gives back the
same object (RFC 5322's, and the relay's CRLF+WSP -> one space)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composer.core import msys
from composer.core.errors import HeaderError

PREFIX = "X-MSYS-API: "


def unfold_add_space(value: str) -> str:
    """A third reading of 'a single space will be added': keep the WSP and add one."""
    return re.sub(r"\r\n(?=[ \t])", " ", value)


def physical_lines(value: str) -> list[str]:
    return (PREFIX + value).split("\r\n")


# Strings like a marketer's: spaces, punctuation, quotes, non-ASCII, control characters.
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**9), 10**9), text)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=6), st.dictionaries(text, children, max_size=6)
    ),
    max_leaves=30,
)
recipient = st.fixed_dictionaries(
    {"email": st.from_regex(r"[a-z]{1,12}@[a-z]{1,10}\.example", fullmatch=True)},
    optional={"name": text},
)
msys_objects = st.fixed_dictionaries(
    {},
    optional={
        "campaign_id": st.text(max_size=20),
        "metadata": st.dictionaries(text, json_values, max_size=40),
        "cc": st.lists(recipient, max_size=120),
        "bcc": st.lists(recipient, max_size=60),
        "archive": st.lists(recipient, max_size=20),
        "tags": st.lists(text, max_size=10),
        "options": st.fixed_dictionaries(
            {},
            optional={
                "open_tracking": st.booleans(),
                "click_tracking": st.booleans(),
                "transactional": st.booleans(),
                "ip_pool": st.sampled_from(["sp_shared", "my_pool"]),
            },
        ),
    },
)


@settings(max_examples=300, deadline=None)
@given(msys_objects)
def test_fold_keeps_lines_short_and_every_unfolding_round_trips(obj: dict) -> None:
    value = msys.format_value(obj)
    assert value.isascii()
    for line in physical_lines(value):
        assert len(line.encode("ascii")) <= 998
    # no bare CR or LF: only CRLF followed by exactly one space
    assert not re.search(r"\r(?!\n )|(?<!\r)\n", value)
    assert json.loads(msys.unfold_rfc5322(value)) == obj
    assert json.loads(msys.unfold_relay(value)) == obj
    assert json.loads(unfold_add_space(value)) == obj
    assert msys.parse_value(value) == obj


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=900), min_size=1, max_size=8))
def test_long_strings_are_never_split(values: list[str]) -> None:
    obj = {"metadata": {f"k{i}": v for i, v in enumerate(values)}}
    try:
        value = msys.format_value(obj)
    except HeaderError:
        assert msys.longest_token(msys.encode_json(obj)) > msys.MAX_FOLDABLE_TOKEN
        return
    for line in physical_lines(value):
        assert len(line) <= 998
    assert msys.parse_value(value) == obj


def test_short_header_is_one_line_and_compact() -> None:
    value = msys.format_value({"campaign_id": "spring", "options": {"open_tracking": False}})
    assert value == '{"campaign_id":"spring","options":{"open_tracking":false}}'


def test_non_ascii_and_line_breaks_are_escaped() -> None:
    value = msys.format_value({"metadata": {"note": "café\r\nBcc: x@example.com\u2028"}})
    assert value.isascii()
    assert "\r" not in value and "\n" not in value
    assert "\\u00e9" in value and "\\r\\n" in value and "\\u2028" in value


def test_a_value_too_long_to_fold_is_refused() -> None:
    with pytest.raises(HeaderError, match="cannot be folded"):
        msys.format_value({"metadata": {"k": "x" * 2000}})


def test_1000_cc_recipients_fold_between_tokens() -> None:
    obj = {"cc": [{"email": f"user{i}@example.com", "name": f"User, {i}"} for i in range(1000)]}
    value = msys.format_value(obj)
    lines = physical_lines(value)
    assert len(lines) > 30
    assert max(len(x) for x in lines) <= 998
    for line in lines[1:]:
        assert line.startswith(" ") and not line.startswith("  ")
    assert msys.parse_value(value) == obj


def test_relay_example_from_the_documentation_parses() -> None:
    folded = (
        '{"options" : {"open_tracking" : false, "click_tracking" : true},\r\n'
        '   "metadata" : {"has_pets" : true, "pet_name": "Spot" }, "tags" : ["cat",\r\n'
        '   "dog"], "campaign_id" : "my_campaign"}'
    )
    assert msys.parse_value(folded)["metadata"]["pet_name"] == "Spot"


def test_relay_unfolding_corrupts_a_fold_inside_a_string() -> None:
    # The documentation's own warning, as a check on unfold_relay itself.
    folded = '{"campaign_id" : "my_awes\r\n   ome_campaign" }'
    assert msys.parse_value(folded)["campaign_id"] == "my_awes ome_campaign"
