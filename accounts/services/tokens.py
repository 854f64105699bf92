"""API tokens: create (shown once, stored as a SHA-256 hash), revoke, and note their use."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import tokencache
from accounts.models import ApiToken
from accounts.services.audit import Action, audit_record

# Marks Keyhold tokens (keyhold personal), so secret scanners and people can recognise a leaked one.
VALUE_TAG = "khp"
PREFIX_HEX_LENGTH = 8
# 32 random bytes: 256 bits, far beyond guessing even at millions of tries a second.
SECRET_BYTES = 32
# Writing last_used_* on every API call would turn each read into a write; once a minute is enough
# to show a user which token is alive.
LAST_USED_RESOLUTION = timedelta(minutes=1)
EXPIRY_DAYS_CHOICES = (7, 30, 90, 365)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(
    *,
    user,
    name: str,
    can_read: bool,
    can_write: bool,
    path_prefixes: list[str] | None = None,
    expires_in_days: int | None = 90,
    ttl: timedelta | None = None,
    renewable_for: timedelta | None = None,
    request=None,
) -> tuple[ApiToken, str]:
    """Create a token for `user` and return it with its value `khp_<prefix>_<secret>`.

    The value exists only in the return value: the database keeps its SHA-256 hash and the
    visible `khp_<prefix>` part. `expires_in_days=None` means it never expires; `ttl` (a short
    lifetime, for API logins) overrides it, and `renewable_for` lets token_renew extend it up to
    that long after creation.
    """
    if not (can_read or can_write):
        raise ValueError("A token needs at least one scope.")
    prefix = f"{VALUE_TAG}_{secrets.token_hex(PREFIX_HEX_LENGTH // 2)}"
    raw = f"{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            token_hash=token_hash(raw),
            can_read=can_read,
            can_write=can_write,
            path_prefixes=list(path_prefixes or []),
            created=now,
            expires_at=now + ttl if ttl else (now + timedelta(days=expires_in_days) if expires_in_days else None),
            renewable_until=now + renewable_for if renewable_for else None,
        )
        audit_record(
            action=Action.TOKEN_CREATED,
            actor=user,
            request=request,
            target=f"{name} ({prefix})",
            detail={
                "read": can_read,
                "write": can_write,
                "paths": token.path_prefixes,
                "days": None if ttl else expires_in_days,
                **({"seconds": int(ttl.total_seconds())} if ttl else {}),
            },
        )
    return token, raw


def token_revoke(*, user, token_id: int, request=None) -> bool:
    """Revoke one of `user`'s own tokens; False when there is no such live token of theirs.

    A revoked token is refused from the next request on, in every process (tokencache); the row stays for the
    list and audit trail.
    """
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id, revoked_at__isnull=True).first()
        if token is None:
            return False
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(action=Action.TOKEN_REVOKED, actor=user, request=request, target=f"{token.name} ({token.prefix})")
        tokencache.tokens_changed()
    return True


def token_mark_used(*, token: ApiToken, ip: str | None) -> None:
    """Record the token's last use, at most once a minute (a single conditional UPDATE, no read).

    `token.last_used_at` is set to the time recorded, so a caller holding the token knows it is fresh.
    """
    now = timezone.now()
    if token.last_used_at and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now, last_used_ip=ip)
    token.last_used_at = now


def token_renew(*, token: ApiToken, increment: timedelta) -> ApiToken | None:
    """Push a renewable token's expiry to now + `increment`, never past its renewable_until.

    Returns the token, or None when it is not renewable (no renewable_until, or revoked).
    """
    if token.renewable_until is None or token.revoked_at is not None:
        return None
    token.expires_at = min(timezone.now() + increment, token.renewable_until)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=token.expires_at)
    # Cached copies hold the old expiry: a renewal that shortens it must take effect everywhere too.
    tokencache.tokens_changed()
    return token
