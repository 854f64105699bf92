"""Envelope encryption of a secret version: fields sealed under a fresh data key, the data key wrapped by a KEK."""

import functools
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.views.decorators.debug import sensitive_variables

from vault.crypto.keyring import Keyring, UnknownKeyError, keyring

FORMAT_V1 = 1
NONCE_BYTES = 12
TAG_BYTES = 16
DATA_KEY_BYTES = 32
WRAPPED_KEY_BYTES = DATA_KEY_BYTES + TAG_BYTES
# Purpose labels keep the two AES-GCM uses apart even if a blob is pasted into the other column.
WRAP_LABEL = b"keyhold/wrap\x00"
VALUE_LABEL = b"keyhold/value\x00"
ROW_LABEL = b"keyhold/row\x01"
_U64_MAX = 2**64 - 1


class DecryptError(Exception):
    """A stored secret could not be opened. The message never contains key material or plaintext."""


@dataclass(frozen=True, slots=True)
class Sealed:
    """The two stored blobs of one secret version (see the package docstring for their layout)."""

    wrapped_key: bytes
    ciphertext: bytes

    @property
    def kek_id(self) -> str:
        return wrapped_kek_id(self.wrapped_key)


def _u64(value: int, name: str) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _U64_MAX:
        raise ValueError(f"{name} must be an integer from 0 to 2**64-1.")
    return value.to_bytes(8, "big")


def row_aad(owner_id: int, secret_id: int | uuid.UUID, version: int) -> bytes:
    """Associated data naming one secret version's row: fixed-width fields after a label, so it is unambiguous."""
    # A type tag before each fixed-width id: no integer id can encode like a UUID.
    secret_part = b"u" + secret_id.bytes if isinstance(secret_id, uuid.UUID) else b"i" + _u64(secret_id, "secret_id")
    return ROW_LABEL + _u64(owner_id, "owner_id") + secret_part + _u64(version, "version")


@functools.cache
def _wrap_header(kek_id: str) -> bytes:
    # Authenticated as part of the wrap's associated data, so neither format nor KEK id can be swapped.
    encoded = kek_id.encode("ascii")
    return bytes((FORMAT_V1, len(encoded))) + encoded


def _value_aad(aad: bytes) -> bytes:
    return VALUE_LABEL + bytes((FORMAT_V1,)) + aad


@functools.lru_cache(maxsize=64)
def _header_kek_id(header: bytes) -> str:
    """The KEK id in a wrapped-key header (a keyring has a handful, so rotation decodes each once)."""
    try:
        return header[2:].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptError("The wrapped data key is malformed.") from None


def _split_wrapped(blob: bytes) -> tuple[bytes, str, bytes, bytes]:
    """(header, kek_id, nonce, wrapped data key) of a wrapped-key blob, or DecryptError."""
    if blob[:1] != b"\x01":
        raise DecryptError("The wrapped data key has an unsupported format version.")
    header_length = 2 + (blob[1] if len(blob) > 1 else 0)
    if not 3 <= header_length <= 18 or len(blob) != header_length + NONCE_BYTES + WRAPPED_KEY_BYTES:
        raise DecryptError("The wrapped data key is malformed or truncated.")
    header = blob[:header_length]
    return header, _header_kek_id(header), blob[header_length : header_length + NONCE_BYTES], blob[-WRAPPED_KEY_BYTES:]


def wrapped_kek_id(blob: bytes) -> str:
    """The id of the KEK that wrapped this data key (for census and rotation), read from the header."""
    return _split_wrapped(bytes(blob))[1]


# The helpers below hold a data key but cannot raise while it is a local (encrypting 32 bytes does not
# fail; a failed decrypt has no key yet), so only the public functions carry @sensitive_variables:
# each wrapper costs about as much as an AES-GCM call, and rewrap is the rotation hot path.
def _wrap(cipher: AESGCM, kek_id: str, data_key: bytes, aad: bytes) -> bytes:
    header = _wrap_header(kek_id)
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + cipher.encrypt(nonce, data_key, WRAP_LABEL + header + aad)


def _unwrap(ring: Keyring, parts: tuple[bytes, str, bytes, bytes], aad: bytes) -> bytes:
    header, kek_id, nonce, wrapped = parts
    try:
        cipher = ring.cipher(kek_id)
    except UnknownKeyError:
        raise DecryptError("The data key is wrapped by a KEK that is not in the keyring.") from None
    try:
        return cipher.decrypt(nonce, wrapped, WRAP_LABEL + header + aad)
    except InvalidTag:
        raise DecryptError("The wrapped data key failed authentication (tampered, or from another row).") from None


@sensitive_variables("fields", "plaintext", "data_key")
def seal(fields: dict[str, str], *, aad: bytes, ring: Keyring | None = None) -> Sealed:
    """Encrypt `fields` under a fresh data key bound to `aad` (from `row_aad`), wrapped by the active KEK."""
    if not isinstance(fields, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items()):
        raise TypeError("Secret fields must be a dict of str to str.")
    try:
        plaintext = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Secret fields must be valid Unicode text.") from None
    ring = ring if ring is not None else keyring()
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = bytes((FORMAT_V1,)) + nonce + AESGCM(data_key).encrypt(nonce, plaintext, _value_aad(aad))
    return Sealed(wrapped_key=_wrap(ring.cipher(ring.active_id), ring.active_id, data_key, aad), ciphertext=ciphertext)


@sensitive_variables("data_key", "plaintext", "fields")
def open_sealed(sealed: Sealed, *, aad: bytes, ring: Keyring | None = None) -> dict[str, str]:
    """Decrypt a version's fields. Any tampering, truncation, wrong row or unknown KEK raises DecryptError."""
    ring = ring if ring is not None else keyring()
    data_key = _unwrap(ring, _split_wrapped(bytes(sealed.wrapped_key)), aad)
    blob = bytes(sealed.ciphertext)
    if len(blob) < 1 + NONCE_BYTES + TAG_BYTES or blob[0] != FORMAT_V1:
        raise DecryptError("The ciphertext is truncated or has an unsupported format version.")
    try:
        plaintext = AESGCM(data_key).decrypt(blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :], _value_aad(aad))
    except InvalidTag:
        raise DecryptError("The ciphertext failed authentication (tampered, or moved from another row).") from None
    try:
        fields = json.loads(plaintext.decode("utf-8"))
    except ValueError:
        fields = None
    # Authenticated data that is not our format means a bug or a forged key, never something to return.
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        raise DecryptError("The decrypted secret is not in the expected format.")
    return fields


def rewrap_many(items: Sequence[tuple[bytes, bytes]], *, to_kek: str, ring: Keyring | None = None) -> list:
    """Re-wrap a batch of (wrapped data key, row aad) pairs under KEK `to_kek`; values are untouched. Idempotent.

    Returns, in order, each new wrapped-key blob, or the DecryptError of an item that does not open for its
    row (so one bad row cannot sink a batch). Raises UnknownKeyError if `to_kek` is not in the keyring.
    """
    # The per-version cost of a rotation, so: one call to the OS random source for all nonces, blobs parsed
    # once, and no @sensitive_variables wrapper (it costs as much as an AES-GCM call). It is not needed: a
    # data key goes straight from _unwrap into encrypt() and is never bound to a local of this frame.
    ring = ring if ring is not None else keyring()
    target = ring.cipher(to_kek)
    header = _wrap_header(to_kek)
    label = WRAP_LABEL + header
    nonces = os.urandom(NONCE_BYTES * len(items))
    results = []
    for start, (wrapped_key, aad) in zip(range(0, len(nonces), NONCE_BYTES), items, strict=True):
        blob = bytes(wrapped_key)
        try:
            parts = _split_wrapped(blob)
            if parts[1] == to_kek:
                _unwrap(ring, parts, aad)  # still proves that the blob opens for this row
                results.append(blob)
                continue
            nonce = nonces[start : start + NONCE_BYTES]
            results.append(header + nonce + target.encrypt(nonce, _unwrap(ring, parts, aad), label + aad))
        except DecryptError as error:
            results.append(error)
    return results


def rewrap(wrapped_key: bytes, *, aad: bytes, to_kek: str, ring: Keyring | None = None) -> bytes:
    """Re-wrap one data key under KEK `to_kek` (see rewrap_many). Raises DecryptError or UnknownKeyError."""
    result = rewrap_many([(wrapped_key, aad)], to_kek=to_kek, ring=ring)[0]
    if isinstance(result, DecryptError):
        raise result
    return result
