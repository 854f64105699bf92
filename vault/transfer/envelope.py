"""The encrypted export format: a JSON header that is AES-256-GCM's associated data, keyed by scrypt or X25519.

Deliberately free of Django (and of any model import) so `manage.py vault_export_decrypt` or a plain
`python -c` can open an export on a machine without the vault. The format is in docs/export-format.md.
"""

import base64
import binascii
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

FORMAT_VERSION = 1
CONTENTS = ("json", "env")
# scrypt at 2**17 x 8 takes 128 MiB and about half a second: what age uses for passphrases too.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
# A crafted header must not make the decrypt allocate gigabytes: these bound what we accept.
SCRYPT_N_RANGE, SCRYPT_R_MAX, SCRYPT_P_MAX = (2**14, 2**18), 8, 4
HKDF_INFO = b"keyhold export v1"
PUBLIC_PREFIX = "keyhold-x25519:"
IDENTITY_PREFIX = "KEYHOLD-X25519-SECRET:"
SALT_BYTES, NONCE_BYTES, KEY_BYTES = 16, 12, 32


class EnvelopeError(Exception):
    """The export cannot be made or opened. The message is safe to print: no key, passphrase or plaintext."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object, name: str, length: int | None = None) -> bytes:
    try:
        data = base64.b64decode(value, validate=True) if isinstance(value, str) else None
    except binascii.Error:
        data = None
    if data is None or (length is not None and len(data) != length):
        raise EnvelopeError(f"The export's {name} is malformed.")
    return data


def _key_text(prefix: str, raw: bytes) -> str:
    return prefix + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _key_bytes(text: str, prefix: str, what: str) -> bytes:
    text = text.strip()
    body = text[len(prefix) :] if text.startswith(prefix) else ""
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)) if len(body) == 43 else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise EnvelopeError(f"That is not a Keyhold {what}: expected {prefix} followed by 43 characters.")
    return raw


def public_key_parse(text: str) -> bytes:
    """The 32 raw bytes of a recipient key `keyhold-x25519:<base64url>`, or EnvelopeError."""
    return _key_bytes(text, PUBLIC_PREFIX, "public key")


def identity_generate() -> tuple[str, str]:
    """A new key pair as (identity file text, public key text). The identity is the secret half."""
    private = X25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = _key_text(PUBLIC_PREFIX, private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    identity = f"# Keyhold export identity. Keep this file secret.\n# public key: {public}\n"
    return identity + _key_text(IDENTITY_PREFIX, raw) + "\n", public


def identity_parse(text: str) -> X25519PrivateKey:
    """The private key in an identity file (comment lines start with #), or EnvelopeError."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if len(lines) != 1:
        raise EnvelopeError("That is not a Keyhold identity file (one KEYHOLD-X25519-SECRET: line expected).")
    return X25519PrivateKey.from_private_bytes(_key_bytes(lines[0], IDENTITY_PREFIX, "identity"))


def _aad(header: dict) -> bytes:
    # Canonical JSON of the header (sorted keys, no spaces): every header field is authenticated.
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("ascii")


def _scrypt(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _recipient_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=ephemeral + recipient, info=HKDF_INFO).derive(shared)


def _seal(header: dict, key: bytes, plaintext: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    header = {**header, "nonce": _b64(nonce)}
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _aad(header))
    return (json.dumps({**header, "ciphertext": _b64(ciphertext)}, indent=1) + "\n").encode("ascii")


def encrypt_to_passphrase(plaintext: bytes, *, passphrase: str, content: str) -> bytes:
    """An export encrypted under a key scrypt derives from `passphrase`."""
    if not passphrase:
        raise EnvelopeError("The passphrase is empty.")
    salt = os.urandom(SALT_BYTES)
    header = {"keyhold_export": FORMAT_VERSION, "content": content, "kind": "passphrase", "kdf": "scrypt"}
    header |= {"n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt)}
    return _seal(header, _scrypt(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P), plaintext)


def encrypt_to_recipient(plaintext: bytes, *, recipient: str, content: str) -> bytes:
    """An export only the holder of `recipient`'s identity can open (ephemeral X25519, HKDF-SHA256, AES-GCM)."""
    recipient_raw = public_key_parse(recipient)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    try:
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_raw))
    except ValueError:
        raise EnvelopeError("That public key cannot be used (it is a degenerate point).") from None
    header = {"keyhold_export": FORMAT_VERSION, "content": content, "kind": "x25519"}
    header |= {"recipient": _key_text(PUBLIC_PREFIX, recipient_raw), "ephemeral": _b64(ephemeral_raw)}
    return _seal(header, _recipient_key(shared, ephemeral_raw, recipient_raw), plaintext)


def envelope_header(data: bytes) -> dict:
    """The parsed header (everything but the ciphertext) of an encrypted export, or EnvelopeError."""
    try:
        document = json.loads(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        document = None
    if not isinstance(document, dict) or document.get("keyhold_export") != FORMAT_VERSION:
        raise EnvelopeError("This is not an encrypted Keyhold export (format version 1).")
    if document.get("kind") not in ("passphrase", "x25519") or document.get("content") not in CONTENTS:
        raise EnvelopeError("The export's header names an unknown kind or content.")
    return document


def _scrypt_params(header: dict) -> tuple[int, int, int]:
    n, r, p = header.get("n"), header.get("r"), header.get("p")
    ok = all(isinstance(v, int) and not isinstance(v, bool) for v in (n, r, p)) and header.get("kdf") == "scrypt"
    if not ok or not SCRYPT_N_RANGE[0] <= n <= SCRYPT_N_RANGE[1] or n & (n - 1) or not 1 <= r <= SCRYPT_R_MAX:
        raise EnvelopeError("The export's scrypt parameters are outside what Keyhold accepts.")
    if not 1 <= p <= SCRYPT_P_MAX:
        raise EnvelopeError("The export's scrypt parameters are outside what Keyhold accepts.")
    return n, r, p


def decrypt(
    data: bytes, *, passphrase: str | None = None, identity: X25519PrivateKey | None = None
) -> tuple[str, bytes]:
    """(content kind, plaintext) of an encrypted export, or EnvelopeError with a reason fit to print."""
    document = envelope_header(data)
    ciphertext = _unb64(document.pop("ciphertext", None), "ciphertext")
    nonce = _unb64(document.get("nonce"), "nonce", NONCE_BYTES)
    if document["kind"] == "passphrase":
        if passphrase is None:
            raise EnvelopeError("This export is encrypted with a passphrase: give the passphrase.")
        key = _scrypt(passphrase, _unb64(document.get("salt"), "salt", SALT_BYTES), *_scrypt_params(document))
        failure = "Wrong passphrase, or the file was modified."
    else:
        if identity is None:
            raise EnvelopeError(f"This export is encrypted to {document.get('recipient')}: give its identity file.")
        own = identity.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        if document.get("recipient") != _key_text(PUBLIC_PREFIX, own):
            raise EnvelopeError(
                f"This export is encrypted to {document.get('recipient')}, not to this identity "
                f"({_key_text(PUBLIC_PREFIX, own)})."
            )
        ephemeral = _unb64(document.get("ephemeral"), "ephemeral key", KEY_BYTES)
        try:
            shared = identity.exchange(X25519PublicKey.from_public_bytes(ephemeral))
        except ValueError:
            raise EnvelopeError("The export's ephemeral key is invalid (the file was modified).") from None
        key = _recipient_key(shared, ephemeral, own)
        failure = "The export failed authentication: the file was modified or damaged."
    try:
        return document["content"], AESGCM(key).decrypt(nonce, ciphertext, _aad(document))
    except InvalidTag:
        raise EnvelopeError(failure) from None
