"""The sealed preview token: an import's parsed rows travel through the browser encrypted, never stored.

The rows are JSON, zlib-compressed (a 1 MiB file must fit one form field), then sealed with the vault
envelope under associated data naming the purpose, the user and the expiry: only this user, before the
expiry, can have it opened, and any change to the token fails AES-GCM. Nothing lands in the session,
cache or database between the two steps.
"""

import base64
import binascii
import json
import time
import zlib

from django.views.decorators.debug import sensitive_variables

from vault.crypto import DecryptError, Sealed, open_sealed, seal
from vault.transfer.errors import PreviewInvalid

PURPOSE = b"keyhold/import-preview\x00"
PREVIEW_SECONDS = 30 * 60
# What a decompressed token may hold: well above any file VAULT_IMPORT_MAX_BYTES lets in, bounded anyway.
MAX_PAYLOAD_BYTES = 16 * 1024 * 1024


def _aad(user_id: int, expires: int) -> bytes:
    return PURPOSE + user_id.to_bytes(8, "big") + expires.to_bytes(8, "big")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


@sensitive_variables("payload", "packed")
def token_seal(*, user_id: int, payload: dict, now: float | None = None) -> str:
    """`expires.wrapped_key.ciphertext`, the hidden form field of the preview page."""
    expires = int(now if now is not None else time.time()) + PREVIEW_SECONDS
    packed = base64.b64encode(zlib.compress(json.dumps(payload, ensure_ascii=False).encode("utf-8"))).decode("ascii")
    sealed = seal({"preview": packed}, aad=_aad(user_id, expires))
    return f"{expires}.{_b64(sealed.wrapped_key)}.{_b64(sealed.ciphertext)}"


@sensitive_variables("payload", "opened", "raw")
def token_open(*, user_id: int, token: str, now: float | None = None) -> dict:
    """The payload sealed by token_seal for this user, or PreviewInvalid (tampered, another user's, expired)."""
    try:
        expires_text, wrapped, ciphertext = token.split(".")
        expires = int(expires_text)
        sealed = Sealed(wrapped_key=base64.urlsafe_b64decode(wrapped), ciphertext=base64.urlsafe_b64decode(ciphertext))
        if not 0 < expires < 2**63:
            raise ValueError
    except (ValueError, binascii.Error):
        raise PreviewInvalid("The preview is damaged; upload the file again.") from None
    try:
        opened = open_sealed(sealed, aad=_aad(user_id, expires))
    except DecryptError:
        raise PreviewInvalid("The preview was modified or is not yours; upload the file again.") from None
    if expires < (now if now is not None else time.time()):
        raise PreviewInvalid("The preview has expired; upload the file again.")
    decompressor = zlib.decompressobj()
    raw = decompressor.decompress(base64.b64decode(opened["preview"]), MAX_PAYLOAD_BYTES)
    return json.loads(raw.decode("utf-8"))
