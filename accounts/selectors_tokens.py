"""Reads for API tokens: a user's list, and the lookup behind token authentication."""

import hmac

from accounts.models import ApiToken
from accounts.services.tokens import token_hash


def token_list_for_user(*, user):
    """All of `user`'s tokens, newest first, revoked ones included (they show as revoked)."""
    return ApiToken.objects.filter(user=user).order_by("-created", "-id")


def token_for_value(raw: str) -> ApiToken | None:
    """The token whose value is `raw`, with its user, whatever its state (the caller checks usability).

    The lookup is by SHA-256 hash, so timing reveals nothing about stored values; the final compare
    is constant-time anyway.
    """
    digest = token_hash(raw)
    token = ApiToken.objects.select_related("user").filter(token_hash=digest).first()
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    return token


def token_for_accessor(*, user, accessor: str) -> ApiToken | None:
    """`user`'s token whose accessor (its public `khp_<prefix>`) is `accessor`, newest first, or None."""
    return ApiToken.objects.select_related("user").filter(user=user, prefix=accessor).order_by("-created").first()
