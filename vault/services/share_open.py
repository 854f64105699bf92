"""Opening a share link: prove the fragment is known, then count one view atomically and hand out the box.

The server cannot decrypt a share; it only checks that the opener derived the right proof (which needs
the fragment secret and the passphrase) before counting a view, so someone who learnt just the link id
(from a log line, a proxy) can neither burn the views nor fetch the ciphertext. Wrong proofs are
throttled per link and audited; nothing about the share changes.
"""

import hmac
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.services.audit import Action, Outcome, audit_record
from accounts.services.throttle import Limit, throttle_failure, throttle_retry_after
from vault.crypto.share import (
    LINK_ID_BYTES,
    ShareCryptoError,
    b64url_decode,
    box_mac,
    link_id_hash,
    proof_hash,
)
from vault.models import SecretVersion, ShareLink
from vault.services.errors import RetryLater, VaultError
from vault.services.shares import ShareGone, ShareNotFound, share_wipe

# Per link: a 256-bit proof cannot be guessed, but a passphrase can; five tries per quarter hour.
SHARE_OPEN_LIMIT = Limit(name="share-open", attempts=5, window=900, lockout=900)
PROOF_BYTES = 32


class ShareProofInvalid(VaultError):
    """The proof does not match: a wrong passphrase, or a fragment damaged in transit."""

    status = 403


class ShareDamaged(VaultError):
    """The stored box does not match its MAC: the row was altered in the database. Nothing is counted."""

    status = 409


class ShareThrottled(RetryLater):
    """Too many wrong proofs for this link lately. `retry_after` is in seconds."""


@dataclass(frozen=True, slots=True)
class OpenedShare:
    """The sealed box for the browser, and how many views are left after this one."""

    nonce: bytes
    ciphertext: bytes = field(repr=False)
    views_left: int


def share_find(*, link_id: str) -> ShareLink:
    """The share whose link id (base64url, from the URL path) is `link_id`, or ShareNotFound.

    Does not count a view. A share of a since destroyed version is revoked, and a share that can no
    longer be opened has its ciphertext wiped on the way.
    """
    try:
        raw = b64url_decode(link_id, length=LINK_ID_BYTES)
    except ShareCryptoError:
        raise ShareNotFound("There is no such share link: check that it was copied whole.") from None
    share = ShareLink.objects.select_related("secret", "owner").filter(link_hash=link_id_hash(raw)).first()
    if share is None:
        raise ShareNotFound("There is no such share link: check that it was copied whole.")
    if share.state == "active" and _version_destroyed(share):
        # Destroying a version means its data must be gone for good, so its shares end with it.
        # (Pruning by max_versions is housekeeping, not intent: a share keeps its own copy then.)
        ShareLink.objects.filter(pk=share.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        share.refresh_from_db(fields=["revoked_at"])
    share_wipe(share=share)
    return share


def _version_destroyed(share: ShareLink) -> bool:
    return SecretVersion.objects.filter(secret_id=share.secret_id, version=share.version, destroyed=True).exists()


def share_gone_message(share: ShareLink) -> str:
    """Why `share` cannot be opened, in the recipient's words, or "" when it can."""
    state = share.state
    if state == "revoked":
        return "This share link was revoked by the person who sent it."
    if state == "used up":
        views = "view" if share.max_views == 1 else "views"
        return f"This share link has been used up: it allowed {share.max_views} {views}."
    if state == "expired":
        return "This share link has expired."
    return ""


def _record(share: ShareLink, outcome: str, request, **extra) -> None:
    # Recorded under the owner's account, so they see opens of their links in their activity;
    # the ip and user agent are the opener's.
    audit_record(
        action=Action.SHARE_OPEN,
        outcome=outcome,
        actor=share.owner,
        request=request,
        target=share.secret.path,
        detail={"share": share.pk, "secret": share.secret_id, "version": share.version, **extra},
    )


def share_open(*, link_id: str, proof: str, request=None) -> OpenedShare:
    """Count one view of the share and return its box, if `proof` (base64url) matches.

    In order: ShareNotFound; ShareGone (410) when used up, revoked or expired; ShareThrottled after
    too many wrong proofs; ShareProofInvalid (audited, throttled, nothing counted); ShareDamaged (409,
    audited, nothing counted) when the stored box was altered. A success counts the view with one
    conditional UPDATE, so concurrent opens can never exceed max_views, and the last view wipes the
    ciphertext in that transaction.
    """
    share = share_find(link_id=link_id)
    if message := share_gone_message(share):
        raise ShareGone(message)
    retry_after = throttle_retry_after(SHARE_OPEN_LIMIT, share.link_hash)
    if retry_after:
        raise ShareThrottled("Too many wrong tries for this link; wait and try again.", retry_after=retry_after)
    try:
        proof_bytes = b64url_decode(proof, length=PROOF_BYTES)
    except ShareCryptoError:
        proof_bytes = b""
    if not hmac.compare_digest(proof_hash(proof_bytes).encode(), share.proof_hash.encode()):
        throttle_failure(SHARE_OPEN_LIMIT, share.link_hash)
        _record(share, Outcome.FAILURE, request, reason="wrong passphrase or damaged link")
        raise ShareProofInvalid("Wrong passphrase or damaged link.")
    try:
        return _count_view(share, proof_bytes, request)
    except ShareDamaged:
        _record(share, Outcome.FAILURE, request, reason="stored copy altered")
        raise


@transaction.atomic
def _count_view(share: ShareLink, proof: bytes, request) -> OpenedShare:
    counted = ShareLink.objects.filter(
        pk=share.pk,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
        views__lt=F("max_views"),
        ciphertext__isnull=False,
    ).update(views=F("views") + 1)
    if not counted:
        # Another open took the last view (or a revoke landed) between our read and this update.
        share.refresh_from_db()
        raise ShareGone(share_gone_message(share) or "This share link can no longer be opened.")
    # Our UPDATE holds the row lock until commit, so this read and the wipe see no one else's change.
    share.refresh_from_db(fields=["views", "max_views", "ciphertext", "nonce", "box_mac"])
    nonce, ciphertext = bytes(share.nonce), bytes(share.ciphertext)
    expected = box_mac(proof=proof, nonce=nonce, ciphertext=ciphertext)
    if not hmac.compare_digest(expected.encode(), share.box_mac.encode()):
        # Raising rolls the counted view back: an altered row is refused and stays as it was.
        raise ShareDamaged("This share link's stored copy is damaged, so it cannot be opened. Ask for a new link.")
    if share.views >= share.max_views:
        ShareLink.objects.filter(pk=share.pk).update(ciphertext=None)
    # In this transaction: if the record cannot be written, the view is not counted and nothing is returned.
    _record(share, Outcome.SUCCESS, request, view=share.views, max_views=share.max_views)
    return OpenedShare(nonce=nonce, ciphertext=ciphertext, views_left=share.max_views - share.views)
