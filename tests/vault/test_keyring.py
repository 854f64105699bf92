"""The KEK keyring: parsing VAULT_KEYS, clear errors without key material, caching, and the startup check."""

import base64

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from tests.vault import keys
from vault.crypto import KeyringError, UnknownKeyError, generate_key_entry, keyring, parse_keyring


def b64(length: int) -> str:
    return base64.b64encode(bytes(range(7, 7 + length))).decode("ascii")


def test_first_entry_is_active_and_order_is_kept():
    found = keys.entries("new", "old-1", "older_2")
    parsed = keys.ring(*found.values())
    assert parsed.active_id == "new"
    assert parsed.ids == ["new", "old-1", "older_2"]
    assert "old-1" in parsed
    assert "absent" not in parsed


def test_whitespace_around_entries_is_ignored():
    found = keys.entries("a", "b")
    assert parse_keyring(f"  {found['a']} ,\n {found['b']}\n").ids == ["a", "b"]


BAD_KEYRINGS = {
    "unset": (None, "not set"),
    "empty": ("", "not set"),
    "blank": ("  \n", "not set"),
    "stray comma": (f"a:{b64(32)},", "entry 2 is empty"),
    "no id": (b64(32), "entry 1 is not of the form id:base64key"),
    "empty id": (f":{b64(32)}", "entry 1 has an invalid id"),
    "long id": (f"{'k' * 17}:{b64(32)}", "entry 1 has an invalid id"),
    "id with space": (f"my key:{b64(32)}", "entry 1 has an invalid id"),
    "duplicate id": (f"a:{b64(32)},a:{b64(32)}", "entry 2 (id 'a') repeats an id"),
    "not base64": ("a:not*base64!", "entry 1 (id 'a') is not valid base64"),
    "bad padding": (f"a:{b64(32)[:-1]}", "not valid base64"),
    "short key": (f"a:{b64(16)}", "decodes to 16 bytes; a vault key must be exactly 32"),
    "31 bytes": (f"a:{b64(31)}", "decodes to 31 bytes"),
    "33 bytes": (f"a:{b64(33)}", "decodes to 33 bytes"),
    "second entry bad": (f"a:{b64(32)},b:{b64(24)}", "entry 2 (id 'b') decodes to 24 bytes"),
}


@pytest.mark.parametrize(("raw", "expected"), BAD_KEYRINGS.values(), ids=BAD_KEYRINGS.keys())
def test_bad_keyring_is_refused_with_a_clear_message(raw, expected):
    with pytest.raises(KeyringError) as caught:
        parse_keyring(raw)
    message = str(caught.value)
    assert expected in message
    for part in (raw or "").split(","):
        material = part.partition(":")[2].strip()
        if len(material) >= 8:
            assert material not in message


def test_an_id_that_is_really_a_pasted_key_is_not_echoed():
    pasted = b64(32).replace("+", "A").replace("/", "B")
    with pytest.raises(KeyringError) as caught:
        parse_keyring(f"{pasted}:{b64(32)}")
    assert pasted[:16] not in str(caught.value)


@given(st.text(max_size=200))
def test_any_text_either_parses_or_raises_keyring_error(raw):
    try:
        parsed = parse_keyring(raw)
    except KeyringError:
        return
    assert parsed.ids


def test_repr_names_ids_but_no_key_material():
    entry = generate_key_entry("k1")
    assert keys.material(entry) not in repr(keys.ring(entry))
    assert "k1" in repr(keys.ring(entry))


def test_unknown_key_id_is_a_lookup_error():
    with pytest.raises(UnknownKeyError):
        keys.ring(generate_key_entry("k1")).cipher("k2")
    assert issubclass(UnknownKeyError, LookupError)


def test_generated_entries_are_fresh_256_bit_keys():
    first, second = generate_key_entry("k"), generate_key_entry("k")
    assert first != second
    assert len(base64.b64decode(keys.material(first))) == 32
    with pytest.raises(KeyringError):
        generate_key_entry("not valid!")


def test_keyring_is_cached_and_reloaded_when_the_setting_changes():
    found = keys.entries("one", "two")
    with override_settings(VAULT_KEYS=keys.setting(found["one"])):
        first = keyring()
        assert keyring() is first
        assert first.ids == ["one"]
        with override_settings(VAULT_KEYS=keys.setting(found["two"], found["one"])):
            assert keyring().ids == ["two", "one"]
        assert keyring().ids == ["one"]


def test_keyring_use_fails_closed_on_a_bad_setting():
    with override_settings(VAULT_KEYS="k1:short"), pytest.raises(KeyringError):
        keyring()


def test_system_check_passes_with_a_good_keyring():
    with override_settings(VAULT_KEYS=generate_key_entry("k1")):
        assert [m for m in run_checks(tags=["vault"]) if m.id == "vault.E001"] == []


def test_system_check_refuses_to_start_on_a_bad_keyring():
    entry = f"k1:{b64(24)}"
    with override_settings(VAULT_KEYS=entry):
        errors = [m for m in run_checks(tags=["vault"]) if m.id == "vault.E001"]
        assert len(errors) == 1
        assert "decodes to 24 bytes" in errors[0].msg
        assert b64(24) not in errors[0].msg
        with pytest.raises(SystemCheckError, match=r"vault\.E001"):
            call_command("check", tags=["vault"])


def test_system_check_refuses_to_start_without_keys():
    with override_settings(VAULT_KEYS=""), pytest.raises(SystemCheckError, match="VAULT_KEYS"):
        call_command("check", tags=["vault"])
