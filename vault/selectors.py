"""Reads of vault metadata: listing, folders, search, versions and the key census. Nothing here decrypts."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.db.models.functions import Substr

from vault.folders import subfolder_names
from vault.models import DEFAULT_MOUNT, Secret, SecretVersion
from vault.services.errors import InvalidSearch
from vault.services.lookup import secret_get
from vault.services.validation import folder_normalize

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
SEARCH_MAX_LENGTH = 100


@dataclass(frozen=True, slots=True)
class SecretPage:
    """One page of secrets in path order; pass `next_after` back as `after` for the next page (None: last)."""

    secrets: list[Secret]
    next_after: str | None


def _search_filter(queryset: QuerySet[Secret], query: str) -> QuerySet[Secret]:
    """Each word must match the path, name, a tag (`#tag` matches exactly) or a field name (`=name` exactly).

    The match runs over `search_text` within the owner's rows, which the (owner, path) index narrows to one
    user; values are never in that text, so search cannot find a secret by its content.
    """
    for word in query.lower().split()[:8]:
        if word.startswith(("#", "=")) and len(word) > 1:
            queryset = queryset.filter(search_text__contains=f"\n{word}\n")
        else:
            queryset = queryset.filter(search_text__contains=word)
    return queryset


def secret_queryset_for_user(*, user, folder: str = "", query: str = "", tag: str = "", after: str | None = None):
    """The filtered, path-ordered queryset behind secret_list_for_user (for callers that need to slice or explain)."""
    prefix = folder_normalize(folder)
    for text in (query, tag, after or ""):
        # No path, tag or field name holds one, and PostgreSQL refuses NUL in a query: a clear 400 instead.
        if any(ord(char) < 32 or char == "\x7f" for char in text):
            raise InvalidSearch("Search words and page cursors cannot contain control characters.")
    # The web UI shows the default mount; other mounts are reached through the API (vault.api).
    secrets = Secret.objects.filter(owner=user, mount=DEFAULT_MOUNT).defer("search_text", "custom_metadata")
    if prefix:
        secrets = secrets.filter(path__startswith=prefix)
    if query:
        secrets = _search_filter(secrets, query[:SEARCH_MAX_LENGTH])
    if tag:
        secrets = _search_filter(secrets, f"#{tag.strip().lower()}")
    if after:
        secrets = secrets.filter(path__gt=after)
    return secrets.order_by("path")


def secret_list_for_user(
    *, user, folder: str = "", query: str = "", tag: str = "", after: str | None = None, limit: int = PAGE_SIZE
) -> SecretPage:
    """The user's secrets under `folder` (recursively), optionally matching `query` and `tag`, by path.

    Keyset pagination on the unique (owner, path) index: every page costs the same at 10,000 secrets,
    and one query per page whatever the filters. InvalidPath for a malformed folder.
    """
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    secrets = secret_queryset_for_user(user=user, folder=folder, query=query, tag=tag, after=after)
    page = list(secrets[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return SecretPage(secrets=page, next_after=page[-1].path if more else None)


def secret_folders(*, user, folder: str = "") -> list[str]:
    """The names of the direct sub-folders of `folder` that hold at least one of the user's secrets."""
    return subfolder_names(owner_id=user.pk, prefix=folder_normalize(folder))


# Vault lists a folder whole; this bounds one answer.
MAX_KEYS = 10_000


def secret_keys(*, user, mount: str, folder: str = "") -> list[str]:
    """KV v2 LIST: the names of the secrets directly in `folder` and its sub-folders (ending in "/"), sorted.

    Two index range scans on (owner, mount, path); nothing is decrypted. InvalidPath for a malformed folder.
    """
    prefix = folder_normalize(folder)
    direct = (
        Secret.objects.filter(owner=user, mount=mount, path__startswith=prefix)
        .annotate(rest=Substr("path", len(prefix) + 1))
        .exclude(rest__contains="/")
        .values_list("rest", flat=True)[:MAX_KEYS]
    )
    folders = subfolder_names(owner_id=user.pk, prefix=prefix, mount=mount, limit=MAX_KEYS)
    return sorted([*direct, *(f"{name}/" for name in folders)])


def secret_detail(*, user, path: str) -> Secret:
    """The user's secret at `path` (metadata only), or SecretNotFound."""
    return secret_get(owner=user, path=path)


def secret_version_list(*, secret: Secret) -> list[SecretVersion]:
    """The secret's versions, newest first, without their blobs."""
    return list(secret.versions.defer("wrapped_key", "ciphertext").order_by("-version"))


def kek_census() -> dict[str, int]:
    """How many stored data keys each KEK wraps (destroyed versions hold none)."""
    rows = SecretVersion.objects.filter(destroyed=False).values("kek_id").annotate(count=Count("id")).order_by("kek_id")
    return {row["kek_id"]: row["count"] for row in rows}


TRASH_LIMIT = 200


def secret_trash_for_user(*, user, limit: int = TRASH_LIMIT) -> list[SecretVersion]:
    """The user's soft-deleted (not destroyed) versions, most recently deleted first, without their blobs."""
    versions = (
        SecretVersion.objects.filter(
            secret__owner=user, secret__mount=DEFAULT_MOUNT, deleted_at__isnull=False, destroyed=False
        )
        .select_related("secret")
        .defer("wrapped_key", "ciphertext", "secret__search_text", "secret__custom_metadata")
        .order_by("-deleted_at", "secret__path", "-version")
    )
    return list(versions[: max(1, min(int(limit), MAX_PAGE_SIZE))])
