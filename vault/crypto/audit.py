"""The audit chain's MAC keys: one per KEK, derived with HKDF so the KEK itself never signs anything."""

from vault.crypto.keyring import keyring

AUDIT_INFO = b"keyhold audit chain v1"


def audit_key(key_id: str | None = None) -> tuple[str, bytes]:
    """(key id, MAC key): the active KEK's audit key, or that of KEK `key_id` to verify an older record.

    Each record stores the id of the key that MACed it, so the chain stays verifiable across KEK
    rotation as long as the old KEK stays in the keyring. Raises UnknownKeyError (a LookupError).
    """
    ring = keyring()
    key_id = ring.active_id if key_id is None else key_id
    return key_id, ring.derive(key_id, AUDIT_INFO)
