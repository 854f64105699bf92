"""Share-link cryptography: keys derived from the link's fragment secret, mirrored by static/js/share-open.js.

Format version 1 (every value below is what the browser recomputes with WebCrypto):

    link_id   16 random bytes; the URL path holds it base64url, the database only sha256(link_id) (hex)
    secret    32 random bytes; only in the URL fragment (`#...`, never sent to a server), base64url
    salt      16 random bytes, stored; public
    pass_key  PBKDF2-HMAC-SHA256(NFC(passphrase) UTF-8, salt, iterations, 32 bytes), only with a passphrase
    ikm       secret || pass_key   (just secret without a passphrase)
    enc_key   HKDF-SHA256(ikm, salt, info=b"keyhold share v1 key", 32 bytes)
    proof     HKDF-SHA256(ikm, salt, info=b"keyhold share v1 proof", 32 bytes); the database holds sha256(proof)
    box       AES-256-GCM(enc_key, nonce (12 random bytes), payload JSON UTF-8, aad=b"keyhold/share\\x01" || link_id)
    box_mac   HMAC-SHA256(proof, b"keyhold share v1 box" || nonce || box) (hex), stored: once an opener has
              shown the right proof, the server checks the stored box was not altered before counting a view

The payload is `{"fields": {name: value}, "notes": str}`. The server never keeps secret, passphrase,
pass_key, enc_key or proof: the database alone cannot open a share, and a holder of the link (without
its passphrase) cannot guess the passphrase offline from anything but the ciphertext it is given.
HKDF and PBKDF2 because WebCrypto has them (no scrypt or Argon2 in browsers); 600,000 PBKDF2 iterations
follow OWASP's 2023 advice for PBKDF2-HMAC-SHA256.
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
import unicodedata
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.views.decorators.debug import sensitive_variables

LINK_ID_BYTES = 16
SECRET_BYTES = 32
SALT_BYTES = 16
NONCE_BYTES = 12
PBKDF2_ITERATIONS = 600_000
KEY_INFO = b"keyhold share v1 key"
PROOF_INFO = b"keyhold share v1 proof"
AAD_PREFIX = b"keyhold/share\x01"
BOX_MAC_LABEL = b"keyhold share v1 box"


class ShareCryptoError(ValueError):
    """A malformed link part or a box that does not open (wrong key, tampered). Carries no key material."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, length: int) -> bytes:
    """Exactly `length` bytes from unpadded base64url, or ShareCryptoError."""
    if not isinstance(text, str) or len(text) != -(-length * 4 // 3) or not text.isascii():
        raise ShareCryptoError("malformed link part")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ShareCryptoError("malformed link part") from None
    # Canonical encodings only, so one id has exactly one spelling.
    if len(data) != length or b64url(data) != text:
        raise ShareCryptoError("malformed link part")
    return data


def link_id_hash(link_id: bytes) -> str:
    return hashlib.sha256(link_id).hexdigest()


def proof_hash(proof: bytes) -> str:
    return hashlib.sha256(proof).hexdigest()


def box_mac(*, proof: bytes, nonce: bytes, ciphertext: bytes) -> str:
    return hmac.new(proof, BOX_MAC_LABEL + nonce + ciphertext, hashlib.sha256).hexdigest()


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


@dataclass(frozen=True, slots=True)
class ShareKeys:
    enc_key: bytes = field(repr=False)
    proof: bytes = field(repr=False)


@sensitive_variables("secret", "passphrase", "ikm")
def share_keys(*, secret: bytes, salt: bytes, passphrase: str = "", iterations: int = PBKDF2_ITERATIONS) -> ShareKeys:
    """The encryption key and the proof of a share (see the module docstring for the derivation)."""
    ikm = secret
    if passphrase:
        normalized = unicodedata.normalize("NFC", passphrase).encode("utf-8")
        ikm = secret + hashlib.pbkdf2_hmac("sha256", normalized, salt, iterations, 32)
    return ShareKeys(enc_key=_hkdf(ikm, salt, KEY_INFO), proof=_hkdf(ikm, salt, PROOF_INFO))


@dataclass(frozen=True, slots=True)
class SealedShare:
    """What a new share stores (all public or hashed) plus the link parts only the owner is shown."""

    link_id: bytes
    secret: bytes = field(repr=False)
    salt: bytes
    nonce: bytes
    ciphertext: bytes = field(repr=False)
    proof_hash: str
    box_mac: str
    iterations: int


@sensitive_variables("fields", "notes", "passphrase", "keys", "payload")
def share_seal(
    *, fields: dict[str, str], notes: str, passphrase: str = "", iterations: int = PBKDF2_ITERATIONS
) -> SealedShare:
    """Encrypt `fields` and `notes` under fresh random link parts; the result says how to store and link it."""
    link_id, secret = os.urandom(LINK_ID_BYTES), os.urandom(SECRET_BYTES)
    salt, nonce = os.urandom(SALT_BYTES), os.urandom(NONCE_BYTES)
    keys = share_keys(secret=secret, salt=salt, passphrase=passphrase, iterations=iterations)
    payload = json.dumps({"fields": fields, "notes": notes}, ensure_ascii=False, separators=(",", ":"))
    ciphertext = AESGCM(keys.enc_key).encrypt(nonce, payload.encode("utf-8"), AAD_PREFIX + link_id)
    return SealedShare(
        link_id=link_id,
        secret=secret,
        salt=salt,
        nonce=nonce,
        ciphertext=ciphertext,
        proof_hash=proof_hash(keys.proof),
        box_mac=box_mac(proof=keys.proof, nonce=nonce, ciphertext=ciphertext),
        iterations=iterations if passphrase else 0,
    )


@sensitive_variables("enc_key", "payload")
def share_unseal(*, enc_key: bytes, link_id: bytes, nonce: bytes, ciphertext: bytes) -> dict:
    """What the browser does, in Python (tests, and proof the format is what this docstring says)."""
    try:
        payload = AESGCM(enc_key).decrypt(nonce, ciphertext, AAD_PREFIX + link_id)
    except (InvalidTag, ValueError):
        raise ShareCryptoError("the share does not open with this key") from None
    return json.loads(payload)
