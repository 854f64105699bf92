"""Throw-away vault keyrings for tests: fresh random keys, so nothing depends on the developer's var/ keys."""

from vault.crypto import Keyring, generate_key_entry, parse_keyring


def entries(*key_ids: str) -> dict[str, str]:
    """A fresh `id:base64` entry per id."""
    return {key_id: generate_key_entry(key_id) for key_id in key_ids}


def setting(*entry_values: str) -> str:
    """A VAULT_KEYS value from entries, the first active."""
    return ",".join(entry_values)


def ring(*entry_values: str) -> Keyring:
    return parse_keyring(setting(*entry_values))


def material(entry: str) -> str:
    """The base64 key part of an entry, to assert that it never leaks."""
    return entry.partition(":")[2]
