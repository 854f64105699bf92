"""Share links: create (a reveal, sealed under a key only the link carries), revoke, and wipe expired ones.

Creating a share is a reveal (secret_reveal: recent password check, reveal budget, audited), after which
the values are sealed by vault.crypto.share under a fresh random secret that only the URL fragment holds.
The row keeps ciphertext, salt, nonce, the PBKDF2 iteration count and SHA-256 digests of the link id and
of the proof; the owner sees the link once. Opening is in vault.services.share_open. Whenever a share
can no longer be opened (used up, revoked, expired) its ciphertext is set to null, so it is gone.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.services.audit import Action, audit_record
from vault.crypto.share import b64url, link_id_hash, share_seal
from vault.models import ShareLink
from vault.services.errors import VaultError
from vault.services.reveal import secret_reveal

# Longest passphrase accepted (characters): PBKDF2 hashes it whole, so bound the work.
PASSPHRASE_MAX_LENGTH = 1024


class InvalidShare(VaultError):
    """The lifetime, number of views or passphrase is outside its limits."""


class ShareNotFound(VaultError):
    """No such link (a malformed or unknown id, or another user's share)."""

    status = 404


class ShareGone(VaultError):
    """The share was used up, revoked or has expired; its values are gone."""

    status = 410


@dataclass(frozen=True, slots=True)
class CreatedShare:
    """A new share and the parts of its URL. `fragment` exists only here: it is never stored."""

    share: ShareLink
    link_id: str
    fragment: str

    def __repr__(self) -> str:
        return f"CreatedShare(share={self.share.pk})"


def share_limits_check(*, lifetime: datetime.timedelta, max_views: int, passphrase: str) -> None:
    """InvalidShare unless lifetime is within VAULT_SHARE_MAX_DAYS, views within 1..VAULT_SHARE_MAX_VIEWS."""
    if not datetime.timedelta(minutes=1) <= lifetime <= datetime.timedelta(days=settings.VAULT_SHARE_MAX_DAYS):
        raise InvalidShare(f"A share link lives at most {settings.VAULT_SHARE_MAX_DAYS} days.")
    if isinstance(max_views, bool) or not isinstance(max_views, int):
        raise InvalidShare("The number of views must be a whole number.")
    if not 1 <= max_views <= settings.VAULT_SHARE_MAX_VIEWS:
        raise InvalidShare(f"A share link allows 1 to {settings.VAULT_SHARE_MAX_VIEWS} views.")
    if len(passphrase) > PASSPHRASE_MAX_LENGTH:
        raise InvalidShare(f"A passphrase has at most {PASSPHRASE_MAX_LENGTH} characters.")


@sensitive_variables("revealed", "sealed", "passphrase")
def share_create(
    *,
    user,
    path: str,
    version: int | None,
    lifetime: datetime.timedelta,
    max_views: int = 1,
    passphrase: str = "",
    authenticated_at: float | None,
    request=None,
) -> CreatedShare:
    """Share version `version` (None: current) of `user`'s secret at `path`; the caller shows the link once.

    Raises InvalidShare before anything is revealed, then whatever secret_reveal raises (reauthentication,
    not found, unavailable, budget). The share row and its SECRET_SHARE audit record commit together.
    """
    share_limits_check(lifetime=lifetime, max_views=max_views, passphrase=passphrase)
    revealed = secret_reveal(user=user, path=path, authenticated_at=authenticated_at, version=version, request=request)
    sealed = share_seal(fields=revealed.fields, notes=revealed.notes, passphrase=passphrase)
    with transaction.atomic():
        share = ShareLink.objects.create(
            owner=user,
            secret_id=revealed.secret_id,
            version=revealed.version,
            link_hash=link_id_hash(sealed.link_id),
            proof_hash=sealed.proof_hash,
            box_mac=sealed.box_mac,
            salt=sealed.salt,
            nonce=sealed.nonce,
            ciphertext=sealed.ciphertext,
            iterations=sealed.iterations,
            max_views=max_views,
            expires_at=timezone.now() + lifetime,
        )
        audit_record(
            action=Action.SECRET_SHARE,
            actor=user,
            request=request,
            target=revealed.path,
            detail={
                "share": share.pk,
                "secret": share.secret_id,
                "version": share.version,
                "max_views": max_views,
                "expires_at": share.expires_at.isoformat(),
                "passphrase": share.has_passphrase,
            },
        )
    return CreatedShare(share=share, link_id=b64url(sealed.link_id), fragment=b64url(sealed.secret))


def share_revoke(*, user, share_id: int, request=None) -> ShareLink:
    """Revoke `user`'s share `share_id` and wipe its ciphertext. ShareNotFound for anyone else's share.

    Revoking an already revoked, used-up or expired share changes nothing and records nothing.
    """
    with transaction.atomic():
        share = ShareLink.objects.select_for_update().select_related("secret").filter(owner=user, pk=share_id).first()
        if share is None:
            raise ShareNotFound("There is no such share link.")
        if share.state != "active":
            share_wipe(share=share)
            return share
        share.revoked_at = timezone.now()
        share.ciphertext = None
        share.save(update_fields=["revoked_at", "ciphertext"])
        audit_record(
            action=Action.SHARE_REVOKE,
            actor=user,
            request=request,
            target=share.secret.path,
            detail={"share": share.pk, "secret": share.secret_id, "version": share.version, "views": share.views},
        )
    return share


def share_wipe(*, share: ShareLink) -> None:
    """Drop the ciphertext of a share that can no longer be opened (idempotent)."""
    if share.ciphertext is not None and share.state != "active":
        ShareLink.objects.filter(pk=share.pk).update(ciphertext=None)
        share.ciphertext = None


def shares_expired_wipe(*, now: datetime.datetime | None = None) -> int:
    """Wipe the ciphertext of every expired share still holding one; returns how many were wiped."""
    now = timezone.now() if now is None else now
    return ShareLink.objects.filter(expires_at__lte=now, ciphertext__isnull=False).update(ciphertext=None)
