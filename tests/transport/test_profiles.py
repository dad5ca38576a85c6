"""Profiles and the profiles file: validation, the fresh-install default, corrupt files, no keys."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from support.keyrings import MemoryKeyring

from composer.core.errors import ProfileError, ProfileFileError
from composer.transport.profiles import credentials
from composer.transport.profiles.providers import Provider
from composer.transport.profiles.store import LOCAL_PROFILE, Profile, ProfileStore


def sparkpost(name: str = "prod", **fields: object) -> Profile:
    return Profile.new(name, "sparkpost", **fields)


# --- Profile ---------------------------------------------------------------------------------


def test_new_fills_in_the_provider_defaults() -> None:
    p = sparkpost(subaccount="123", default_from="Ann <ann@example.com>")
    assert (p.host, p.port, p.tls) == ("smtp.sparkpostmail.com", 587, True)
    assert p.username == "SMTP_Injection:X-MSYS-SUBACCOUNT=123"
    assert p.ports == (587, 2525)
    assert p.needs_key


def test_a_bird_profile() -> None:
    p = Profile.new("eu", "bird-eu", workspace="ws-9")
    assert p.host == "smtp.email.eu-west-1.api.bird.com"
    assert p.username == "SMTP_Injection:x-bird-workspace-id=ws-9"


def test_port_2525_has_no_further_fallback() -> None:
    assert sparkpost(port=2525).ports == (2525,)
    # A port someone chose is the only one tried (issue 12): no 2525 nobody asked for.
    assert sparkpost(port=8587).ports == (8587,)


def test_local_profile() -> None:
    assert LOCAL_PROFILE.provider is Provider.LOCAL
    assert not LOCAL_PROFILE.needs_key
    assert LOCAL_PROFILE.tls is False  # plain SMTP on loopback
    assert LOCAL_PROFILE.ports == (LOCAL_PROFILE.port,)


def test_local_provider_pointed_elsewhere_turns_tls_on() -> None:
    assert Profile.new("lab", "local", host="relay.lab.example").tls is True
    assert Profile.new("lab", "local", host="localhost").tls is False


def test_custom_needs_a_host() -> None:
    with pytest.raises(ProfileError) as info:
        Profile.new("ent", "custom")
    assert info.value.field == "host"
    assert Profile.new("ent", "custom", host="smtp.acme.e.sparkpost.com").port == 587


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "has space"}, "name"),
        ({"name": "-flag"}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"name": "a/b"}, "name"),
        ({"port": 0}, "port"),
        ({"port": 65536}, "port"),
        ({"port": True}, "port"),
        ({"port": "587"}, "port"),
        ({"host": "smtp.example.com:587"}, "host"),
        ({"tls": False}, "tls"),
        ({"tls": "no"}, "tls"),
        ({"default_from": "not an address"}, "default_from"),
        ({"default_from": "ann@example.com\r\nBcc: x@example.com"}, "default_from"),
        ({"provider": "mailgun"}, "provider"),
        ({"subaccount": 123}, "subaccount"),
        ({"workspace": "ws"}, "workspace"),
    ],
)
def test_invalid_profiles_cannot_exist(fields: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "name": "prod",
        "provider": "sparkpost",
        "host": "smtp.sparkpostmail.com",
        "port": 587,
        **fields,
    }
    with pytest.raises(ProfileError) as info:
        Profile(**values)  # type: ignore[arg-type]
    assert info.value.field == field
    assert info.value.exit_code == 2


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1"])
def test_tls_may_be_off_on_loopback_only(host: str) -> None:
    assert Profile("dev", Provider.CUSTOM, host, 2525, tls=False).tls is False
    with pytest.raises(ProfileError, match="in the clear"):
        Profile("dev", Provider.CUSTOM, "192.168.1.10", 2525, tls=False)


# --- the store -------------------------------------------------------------------------------


def test_fresh_install_has_only_the_local_profile_and_writes_nothing(
    context, composer_home: Path
) -> None:
    store = context.profiles()
    assert store.path == context.paths.profiles_file
    assert store.list() == [LOCAL_PROFILE]
    assert store.default_name == "local"
    assert store.default() == LOCAL_PROFILE
    assert "local" in store
    assert not store.path.exists()
    assert list(composer_home.rglob("*")) == []


def test_add_get_list_and_the_file_format(context, composer_home: Path) -> None:
    store = context.profiles()
    prod = sparkpost(subaccount="123", default_from="ann@example.com")
    store.add(prod)
    assert store.get("prod") == prod
    assert store.list() == [LOCAL_PROFILE, prod]
    assert store.default_name == "local"
    doc = json.loads(store.path.read_text(encoding="utf-8"))
    assert doc["format"] == "composer-profiles"
    assert doc["version"] == 1
    assert doc["default"] == "local"
    assert doc["profiles"][1] == {
        "name": "prod",
        "provider": "sparkpost",
        "host": "smtp.sparkpostmail.com",
        "port": 587,
        "subaccount": "123",
        "workspace": None,
        "default_from": "ann@example.com",
        "tls": True,
    }
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert ProfileStore(store.path).list() == store.list()  # another reader sees the same


def test_duplicates_are_refused_unless_replaced(context) -> None:
    store = context.profiles()
    store.add(sparkpost())
    with pytest.raises(ProfileError, match="already exists"):
        store.add(sparkpost(port=2525))
    assert store.get("prod").port == 587
    store.add(sparkpost(port=2525), replace=True)
    assert store.get("prod").port == 2525
    assert [p.name for p in store.list()] == ["local", "prod"]  # replaced in place


def test_remove_and_the_default_falls_back(context) -> None:
    store = context.profiles()
    store.add(sparkpost())
    store.add(Profile.new("eu", "bird-eu", workspace="ws"))
    store.set_default("prod")
    assert store.default_name == "prod"
    assert store.remove("prod").name == "prod"
    assert store.default_name == "local"  # the first one left
    store.remove("local")
    assert store.default_name == "eu"
    store.remove("eu")
    assert store.list() == [] and store.default_name is None
    store.add(sparkpost())  # the first profile of an empty store becomes the default
    assert store.default_name == "prod"


def test_unknown_names(context) -> None:
    store = context.profiles()
    for call in (store.get, store.remove, store.set_default):
        with pytest.raises(ProfileError, match=r"no profile named 'nope' \(profiles: local\)"):
            call("nope")
    assert not store.path.exists()


# --- corrupt files ---------------------------------------------------------------------------

GOOD = {"name": "prod", "provider": "sparkpost", "host": "smtp.sparkpostmail.com", "port": 587}


def doc(*profiles: object, **top: object) -> str:
    return json.dumps({"format": "composer-profiles", "version": 1, "profiles": list(profiles),
                       **top})  # fmt: skip


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("{not json", "", "not valid JSON (line 1, column 2)"),
        ("[]", "", "must hold an object, not a list"),
        ('{"format": "composer-draft", "version": 1}', "format", "'composer-profiles'"),
        (doc(version=2), "version", "is 2: written by a newer Composer"),
        (doc(version="1"), "version", "whole number"),
        (doc(profiles={}), "profiles", "must be a list, not an object"),
        (doc("prod"), "profiles[0]", "must be an object, not text"),
        (doc({**GOOD, "port": "587"}), "profiles[0].port", "must be a whole number, not text"),
        (doc({**GOOD, "port": True}), "profiles[0].port", "not true/false"),
        (doc({**GOOD, "port": 70000}), "profiles[0].port", "between 1 and 65535"),
        (doc({**GOOD, "tls": "yes"}), "profiles[0].tls", "must be true or false, not text"),
        (doc(GOOD, {**GOOD, "host": None}), "profiles[1].host", "must be text, not null"),
        (doc({k: v for k, v in GOOD.items() if k != "host"}), "profiles[0].host", "is missing"),
        (doc({**GOOD, "provider": "bird"}), "profiles[0].workspace", "needs the workspace"),
        (doc(GOOD, GOOD), "profiles[1].name", "the same name twice"),
        (doc(GOOD, default="staging"), "default", "names no profile: 'staging'"),
        (doc({**GOOD, "clients": "gmail.ios"}), "profiles[0].clients",
         "must be a list of client ids, not text"),
        (doc({**GOOD, "clients": [3]}), "profiles[0].clients", "client ids (text)"),
        (doc({**GOOD, "clients": ["gmail.ios", "msn"]}), "profiles[0].clients",
         "unknown client id 'msn'; known: "),
    ],
)
def test_a_corrupt_file_is_named_and_kept(context, text: str, field: str, words: str) -> None:
    store = context.profiles()
    store.path.parent.mkdir(parents=True)
    store.path.write_text(text, encoding="utf-8")
    for call in (
        store.list,
        lambda: store.add(sparkpost("new")),
        lambda: store.remove("prod"),
        lambda: store.set_default("prod"),
    ):
        with pytest.raises(ProfileFileError) as info:
            call()
        message = str(info.value)
        assert message.startswith(f"profiles file {store.path}: ")
        assert words in message
        assert "left as it is" in message
        assert info.value.field == field
        assert info.value.path == store.path
        assert info.value.exit_code == 2
    assert store.path.read_text(encoding="utf-8") == text  # never overwritten
    assert [p.name for p in store.path.parent.iterdir()] == ["profiles.json"]


def test_a_file_that_is_not_utf8(context) -> None:
    store = context.profiles()
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b'{"format": "\xff"}')
    with pytest.raises(ProfileFileError, match="is not UTF-8 text"):
        store.list()


def test_unknown_fields_are_ignored_and_optional_ones_default(context) -> None:
    store = context.profiles()
    store.path.parent.mkdir(parents=True)
    store.path.write_text(doc({**GOOD, "colour": "blue"}, default="prod"), encoding="utf-8")
    assert store.list() == [sparkpost()]
    assert store.default_name == "prod"


def test_target_clients_round_trip_and_the_default_is_not_written(context) -> None:
    store = context.profiles()
    store.add(sparkpost("two", clients=["gmail.ios", "outlook.windows", "gmail.ios"]))
    store.add(sparkpost("plain"))
    raw = json.loads(store.path.read_text(encoding="utf-8"))["profiles"]
    by_name = {p["name"]: p for p in raw}
    assert by_name["two"]["clients"] == ["gmail.ios", "outlook.windows"]  # once each
    assert "clients" not in by_name["plain"]  # older versions read the file as ever
    assert context.profiles().get("two").clients == ("gmail.ios", "outlook.windows")
    assert context.profiles().get("plain").clients == ()


# --- keys never reach the file ---------------------------------------------------------------


def test_the_profiles_file_never_holds_the_key(
    context, memory_keyring: MemoryKeyring, composer_home: Path
) -> None:
    key = "f00dfeedc0ffee1234567890abcdef0123456789"
    credentials.set_api_key("prod", key)
    store = context.profiles()
    store.add(sparkpost(subaccount="123"))
    store.add(Profile.new("bird", "bird", workspace="ws-1"))
    store.set_default("prod")
    assert credentials.get_api_key("prod").reveal() == key  # it is stored: in the keyring
    assert memory_keyring.entries == {("composer-mail", "prod"): key}
    files = [p for p in composer_home.rglob("*") if p.is_file()]
    assert files == [store.path]
    for f in files:
        assert key.encode() not in f.read_bytes()
    assert "key" not in json.loads(store.path.read_text())["profiles"][1]
