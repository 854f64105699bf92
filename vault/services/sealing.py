"""The bridge between validated content and stored blobs: notes ride inside the sealed fields."""

from django.views.decorators.debug import sensitive_variables

from vault.crypto import Sealed, open_sealed, row_aad, seal
from vault.models import SecretVersion
from vault.services.errors import VersionUnavailable
from vault.services.validation import CleanVersion

# Field names cannot hold control characters, so this key can never clash with a user's field.
# Notes are as sensitive as values, so they are sealed with them rather than stored beside them.
NOTES_KEY = "\x00notes"


@sensitive_variables("content", "payload")
def version_seal(*, owner_id: int, secret_id: int, number: int, content: CleanVersion) -> Sealed:
    """Seal `content` for version `number` of the secret, bound to that row (owner, secret id, version)."""
    payload = dict(content.fields)
    if content.notes:
        payload[NOTES_KEY] = content.notes
    return seal(payload, aad=row_aad(owner_id, secret_id, number))


@sensitive_variables("payload")
def version_open(*, version: SecretVersion, owner_id: int) -> CleanVersion:
    """Decrypt one stored version. VersionUnavailable when deleted or destroyed; DecryptError when tampered.

    The AAD names owner, secret id and version, not the path: a move needs no re-encryption.
    """
    if version.destroyed or version.ciphertext is None or version.wrapped_key is None:
        raise VersionUnavailable(f"Version {version.version} was destroyed; its data is gone.")
    if version.deleted_at is not None:
        raise VersionUnavailable(f"Version {version.version} is deleted; undelete it to read it.")
    payload = open_sealed(
        Sealed(wrapped_key=bytes(version.wrapped_key), ciphertext=bytes(version.ciphertext)),
        aad=row_aad(owner_id, version.secret_id, version.version),
    )
    notes = payload.pop(NOTES_KEY, "")
    return CleanVersion(fields=payload, notes=notes)
