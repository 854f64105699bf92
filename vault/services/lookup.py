"""Finding a user's secret and versions by path for the services, with row locks where writes need them."""

import json

from django.db import connection
from django.db.models import QuerySet

from vault.models import DEFAULT_MOUNT, Mount, Secret, SecretVersion
from vault.services.errors import SecretNotFound, VersionNotFound
from vault.services.validation import path_normalize


def secret_locked(*, owner, path: str, mount: str = DEFAULT_MOUNT) -> Secret:
    """The owner's secret at `path`, locked for the transaction (SELECT ... FOR UPDATE), or SecretNotFound.

    Locking serializes writers of one secret, so version numbers and check-and-set cannot race.
    """
    secret = Secret.objects.select_for_update().filter(owner=owner, mount=mount, path=path_normalize(path)).first()
    if secret is None:
        raise SecretNotFound("There is no secret at that path.")
    return secret


def secret_get(*, owner, path: str, mount: str = DEFAULT_MOUNT) -> Secret:
    """The owner's secret at `path` (no lock), or SecretNotFound."""
    secret = Secret.objects.filter(owner=owner, mount=mount, path=path_normalize(path)).first()
    if secret is None:
        raise SecretNotFound("There is no secret at that path.")
    return secret


def version_get(*, secret: Secret, version: int | None) -> SecretVersion:
    """Version `version` of `secret` (None: the current one), or VersionNotFound."""
    number = secret.current_version if version is None else version
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise VersionNotFound("Versions are numbered from 1.")
    found = SecretVersion.objects.filter(secret=secret, version=number).first()
    if found is None:
        raise VersionNotFound(f"Version {number} does not exist (never written, or pruned).")
    return found


# The reveal's hot read as one raw query: Django builds the equivalent join in about as long as the database
# takes to run it (bench vault_reveal measured 865 µs through the ORM, 383 µs raw). RawQuerySet still applies
# every field's converters, so the result is an ordinary SecretVersion.
# The secret's and its mount's delete_version_after come along (the mount row may not exist yet: default 0).
_VERSION_FOR_READ = (
    "SELECT v.*, s.path AS secret_path, s.custom_metadata AS secret_custom_metadata,"
    " s.delete_version_after AS secret_delete_after,"
    " COALESCE(m.delete_version_after, 0) AS mount_delete_after"
    " FROM {versions} v JOIN {secrets} s ON s.id = v.secret_id"
    " LEFT JOIN {mounts} m ON m.owner_id = s.owner_id AND m.path = s.mount"
    " WHERE s.owner_id = %s AND s.mount = %s AND s.path = %s AND v.version = COALESCE(%s, s.current_version)"
)


def version_for_read(*, owner, path: str, version: int | None, mount: str = DEFAULT_MOUNT) -> SecretVersion:
    """Version `version` (None: the current one) of the owner's secret at `path`, in one query.

    The result carries `secret_path` (the stored path), `custom_metadata` (the secret's, for KV v2 responses)
    and `delete_after` (seconds after its creation when the
    version counts as deleted, from the secret or else its mount; 0: never); its `.secret` is not loaded, so
    use `secret_id`.
    Only a miss costs more queries, to say which part is missing (SecretNotFound or VersionNotFound).
    """
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        raise VersionNotFound("Versions are numbered from 1.")
    sql = _VERSION_FOR_READ.format(
        versions=connection.ops.quote_name(SecretVersion._meta.db_table),
        secrets=connection.ops.quote_name(Secret._meta.db_table),
        mounts=connection.ops.quote_name(Mount._meta.db_table),
    )
    found = list(SecretVersion.objects.raw(sql, [owner.pk, mount, path_normalize(path), version]))
    if found:
        stored = found[0]
        stored.delete_after = stored.secret_delete_after or stored.mount_delete_after
        # An extra column of a raw query skips the field's converter: JSON arrives as text (or parsed, by driver).
        metadata = stored.secret_custom_metadata
        stored.custom_metadata = json.loads(metadata) if isinstance(metadata, str | bytes) else (metadata or {})
        return stored
    secret = secret_get(owner=owner, path=path, mount=mount)
    stored = version_get(secret=secret, version=version)
    # Written meanwhile: give it the same shape as the raw result.
    stored.secret_path = secret.path
    stored.custom_metadata = secret.custom_metadata
    mount_after = Mount.objects.filter(owner=owner, path=mount).values_list("delete_version_after", flat=True)
    stored.delete_after = secret.delete_version_after or next(iter(mount_after), 0)
    return stored


def versions_of(*, secret: Secret, versions) -> QuerySet[SecretVersion]:
    """The listed versions of `secret` that exist; unknown numbers are ignored, as in Vault KV v2."""
    numbers = {v for v in versions if isinstance(v, int) and not isinstance(v, bool) and v > 0}
    return SecretVersion.objects.filter(secret=secret, version__in=numbers)
