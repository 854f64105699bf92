"""Helpers for the share-link tests: a shared secret, and opening a link the way share-open.js does."""

import datetime

import pytest

from accounts.services.throttle import throttle_clear
from vault.crypto.share import LINK_ID_BYTES, SECRET_BYTES, b64url, b64url_decode, share_keys, share_unseal
from vault.models import ShareLink
from vault.services import secret_create
from vault.services.share_open import SHARE_OPEN_LIMIT, share_open
from vault.services.shares import share_create

CANARY = "canary-share-Qx7vT3pL"
NOTES = "rotate after use, notes-canary-Zk81"
DAY = datetime.timedelta(days=1)


def stored_secret(owner, path: str = "prod/db/main"):
    return secret_create(owner=owner, path=path, fields={"password": CANARY, "user": "app"}, notes=NOTES)


def proof_for(created, passphrase: str = "") -> str:
    """The proof the browser would send for this link (fragment plus passphrase)."""
    share = ShareLink.objects.get(pk=created.share.pk)
    keys = share_keys(
        secret=b64url_decode(created.fragment, length=SECRET_BYTES),
        salt=bytes(share.salt),
        passphrase=passphrase,
        iterations=share.iterations or 1,
    )
    return b64url(keys.proof)


def open_link(created, passphrase: str = "", request=None) -> tuple[dict, int]:
    """Open `created` as the browser does: prove, fetch the box, decrypt. Returns (payload, views left)."""
    share = ShareLink.objects.get(pk=created.share.pk)
    keys = share_keys(
        secret=b64url_decode(created.fragment, length=SECRET_BYTES),
        salt=bytes(share.salt),
        passphrase=passphrase,
        iterations=share.iterations or 1,
    )
    opened = share_open(link_id=created.link_id, proof=b64url(keys.proof), request=request)
    payload = share_unseal(
        enc_key=keys.enc_key,
        link_id=b64url_decode(created.link_id, length=LINK_ID_BYTES),
        nonce=opened.nonce,
        ciphertext=opened.ciphertext,
    )
    return payload, opened.views_left


def make_share(owner, *, max_views: int = 1, passphrase: str = "", lifetime=DAY, authenticated_at):
    return share_create(
        user=owner,
        path="prod/db/main",
        version=None,
        lifetime=lifetime,
        max_views=max_views,
        passphrase=passphrase,
        authenticated_at=authenticated_at,
    )


@pytest.fixture
def clear_share_throttle(db):
    """Forget the per-link failure counters of the shares a test made (they live in the real Redis)."""
    yield
    for link_hash in ShareLink.objects.values_list("link_hash", flat=True):
        throttle_clear(SHARE_OPEN_LIMIT, link_hash)
