"""The keyring of key-encryption keys (KEKs) parsed from `settings.VAULT_KEYS`."""

import base64
import binascii
import re
import secrets
import threading
from collections.abc import Iterator
from functools import cached_property

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables

KEY_BYTES = 32
KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")


class KeyringError(ImproperlyConfigured):
    """The keyring is missing or malformed, or names no such key. Messages never contain key material."""


class UnknownKeyError(KeyringError, LookupError):
    """A key id that the keyring does not hold."""


class Keyring:
    """KEKs by id, in configured order; the first one is active (new data keys are wrapped with it)."""

    def __init__(self, keys: dict[str, bytes]) -> None:
        if not keys:
            raise KeyringError("The vault keyring is empty.")
        self._keys = dict(keys)
        self.active_id = next(iter(self._keys))
        # One AESGCM per KEK: building it is about as costly as a small encryption.
        self._ciphers = {key_id: AESGCM(key) for key_id, key in self._keys.items()}
        self._derived: dict[tuple[str, bytes], bytes] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        # Ids only: a repr ends up in logs and debug pages.
        return f"<Keyring active={self.active_id!r} ids={self.ids}>"

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    @cached_property
    def ids(self) -> list[str]:
        return list(self._keys)

    def cipher(self, key_id: str) -> AESGCM:
        """The AES-GCM cipher of KEK `key_id`."""
        try:
            return self._ciphers[key_id]
        except KeyError:
            raise UnknownKeyError("The vault keyring holds no key with that id.") from None

    def derive(self, key_id: str, info: bytes) -> bytes:
        """A 256-bit subkey of KEK `key_id` for purpose `info` (HKDF-SHA256), cached."""
        self.cipher(key_id)  # raises UnknownKeyError
        with self._lock:
            derived = self._derived.get((key_id, info))
            if derived is None:
                derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(self._keys[key_id])
                self._derived[(key_id, info)] = derived
            return derived


@sensitive_variables("raw", "entry", "material", "key", "keys")
def parse_keyring(raw: str | None) -> Keyring:
    """Parse `id:base64,id:base64,...` (first active). Raises KeyringError naming the bad entry by position."""
    if raw is None or not raw.strip():
        raise KeyringError("VAULT_KEYS (or VAULT_KEYS_FILE) is not set: the vault has no keys.")
    keys: dict[str, bytes] = {}
    for position, entry in enumerate(raw.split(","), start=1):
        entry = entry.strip()
        where = f"VAULT_KEYS entry {position}"
        if not entry:
            raise KeyringError(f"{where} is empty (stray comma?).")
        key_id, colon, material = entry.partition(":")
        if not colon:
            raise KeyringError(f"{where} is not of the form id:base64key.")
        # The id is echoed only once it is known to be a well-formed id, never a pasted key.
        if not KEY_ID.fullmatch(key_id):
            raise KeyringError(f"{where} has an invalid id: use 1-16 characters from A-Z a-z 0-9 _ -.")
        where = f"{where} (id {key_id!r})"
        if key_id in keys:
            raise KeyringError(f"{where} repeats an id already used by an earlier entry.")
        try:
            key = base64.b64decode(material.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise KeyringError(f"{where} is not valid base64.") from None
        if len(key) != KEY_BYTES:
            raise KeyringError(f"{where} decodes to {len(key)} bytes; a vault key must be exactly {KEY_BYTES}.")
        keys[key_id] = key
    return Keyring(keys)


def generate_key_entry(key_id: str) -> str:
    """A fresh `id:base64` entry for VAULT_KEYS (a random 256-bit key)."""
    if not KEY_ID.fullmatch(key_id):
        raise KeyringError("A key id is 1-16 characters from A-Z a-z 0-9 _ -.")
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode('ascii')}"


_cached: Keyring | None = None
_cache_lock = threading.Lock()


def keyring() -> Keyring:
    """The process's keyring, parsed from settings on first use and cached."""
    global _cached
    current = _cached
    if current is None:
        with _cache_lock:
            if _cached is None:
                _cached = parse_keyring(settings.VAULT_KEYS)
            current = _cached
    return current


def reload_keyring(**_signal_kwargs) -> None:
    """Forget the cached keyring so the next use re-reads settings (tests, `override_settings`)."""
    global _cached
    with _cache_lock:
        _cached = None
