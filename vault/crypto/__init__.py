"""Vault cryptography: the KEK keyring, envelope encryption of secret versions, and audit-chain keys.

Stored layout (format version 1), two blobs per secret version:

    wrapped_key = 0x01 | n (1 byte, 1..16) | kek_id (n ASCII bytes) | nonce (12) | AES-GCM(KEK, data key) (32 + 16 tag)
        associated data: b"keyhold/wrap\\0" | 0x01 | n | kek_id | row_aad
    ciphertext  = 0x01 | nonce (12) | AES-GCM(data key, fields JSON) (len + 16 tag)
        associated data: b"keyhold/value\\0" | 0x01 | row_aad
    row_aad     = b"keyhold/row\\x01" | owner_id (u64 BE) | b"i" secret_id (u64 BE) or b"u" UUID (16) | version (u64 BE)

The fields JSON is canonical: sorted keys, no spaces, UTF-8. Each version has a fresh 256-bit data
key. The KEK id sits in the wrapped key's header (authenticated), never in the ciphertext, so online
rotation (`rewrap`) rewrites only `wrapped_key`. A blob moved to another row, version or column, a
flipped bit, a truncation, an unknown KEK or an unknown format version all raise `DecryptError`.

Audit MAC keys are HKDF-SHA256(KEK, info=b"keyhold audit chain v1"), one per KEK; each audit record
stores the id of the KEK whose audit key MACed it (see `audit_key`).
"""

from vault.crypto.audit import audit_key
from vault.crypto.envelope import (
    DecryptError,
    Sealed,
    open_sealed,
    rewrap,
    rewrap_many,
    row_aad,
    seal,
    wrapped_kek_id,
)
from vault.crypto.keyring import (
    Keyring,
    KeyringError,
    UnknownKeyError,
    generate_key_entry,
    keyring,
    parse_keyring,
    reload_keyring,
)

__all__ = [
    "DecryptError",
    "Keyring",
    "KeyringError",
    "Sealed",
    "UnknownKeyError",
    "audit_key",
    "generate_key_entry",
    "keyring",
    "open_sealed",
    "parse_keyring",
    "reload_keyring",
    "rewrap",
    "rewrap_many",
    "row_aad",
    "seal",
    "wrapped_kek_id",
]
