"""Reads for share links: the owner's list, newest first, never the ciphertext."""

from django.db.models import QuerySet

from vault.models import ShareLink

# The list shows this many of a user's newest links; older ones have long expired (30 days at most).
SHARE_LIST_LIMIT = 200


def share_list_for_user(*, user) -> QuerySet[ShareLink]:
    """`user`'s share links, newest first, with their secret's path; the blob columns are not loaded."""
    return (
        ShareLink.objects.filter(owner=user)
        .select_related("secret")
        .defer("ciphertext", "salt", "nonce", "proof_hash")
        .order_by("-created", "-pk")[:SHARE_LIST_LIMIT]
    )
