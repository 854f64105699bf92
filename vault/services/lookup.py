"""Finding a user's secret and versions by path for the services, with row locks where writes need them."""

from functools import cache

from django.db import connection, connections
from django.db.models import QuerySet

from config.prepared import prepared_fetchone
from vault.models import DEFAULT_MOUNT, Mount, Secret, SecretVersion
from vault.services.errors import SecretNotFound, VersionNotFound
from vault.services.rowread import column_list, converted
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


# The reveal's hot read as one hand-written query: Django builds the equivalent join in about as long as the
# database takes to run it (bench vault_reveal measured 865 µs through the ORM, 383 µs raw), and RawQuerySet
# spends another 300 µs a call finding columns and converters (vault.services.rowread reads the row instead).
# On PostgreSQL it is a prepared statement (config.prepared): planning this join took 240 µs of the
# 260 µs the server spent on it. The columns are listed, not v.*, so a column added by a migration leaves the
# prepared statement's result as it was.
# The secret's and its mount's delete_version_after come along (the mount row may not exist yet: default 0).
_VERSION_FOR_READ = (
    "SELECT {columns}, s.path, s.custom_metadata, s.delete_version_after, COALESCE(m.delete_version_after, 0)"
    " FROM {versions} v JOIN {secrets} s ON s.id = v.secret_id"
    " LEFT JOIN {mounts} m ON m.owner_id = s.owner_id AND m.path = s.mount"
    " WHERE s.owner_id = %s AND s.mount = %s AND s.path = %s AND v.version = COALESCE(%s, s.current_version)"
)
# The version column's range.
MAX_VERSION = 2**31 - 1
# Owner id, mount, path, version (NULL: the current one).
_PARAM_TYPES = ("bigint", "text", "text", "integer")
_VERSION_FIELDS = tuple(SecretVersion._meta.concrete_fields)
_VERSION_ATTNAMES = tuple(field.attname for field in _VERSION_FIELDS)
# The row: the version's fields, then these of its secret (the last column, the mount's, needs no converting).
_ROW_FIELDS = (
    *_VERSION_FIELDS,
    *(Secret._meta.get_field(name) for name in ("path", "custom_metadata", "delete_version_after")),
)


@cache
def _version_for_read_sql(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    return _VERSION_FOR_READ.format(
        columns=column_list(_VERSION_FIELDS, "v", connections[alias]),
        versions=quote(SecretVersion._meta.db_table),
        secrets=quote(Secret._meta.db_table),
        mounts=quote(Mount._meta.db_table),
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
    if version is not None and version > MAX_VERSION:
        # The column's range; past it the prepared statement's integer parameter would be a database error.
        raise VersionNotFound(f"Version {version} does not exist (never written, or pruned).")
    sql = _version_for_read_sql(connection.alias)
    params = [owner.pk, mount, path_normalize(path), version]
    row = prepared_fetchone(connection, name="keyhold_version_for_read", types=_PARAM_TYPES, sql=sql, params=params)
    if row is not None:
        values = converted(row, _ROW_FIELDS, connection)
        stored = SecretVersion.from_db(connection.alias, _VERSION_ATTNAMES, values[: len(_VERSION_FIELDS)])
        stored.secret_path, stored.custom_metadata, secret_after = values[len(_VERSION_FIELDS) : len(_ROW_FIELDS)]
        stored.delete_after = secret_after or row[-1]
        return stored
    secret = secret_get(owner=owner, path=path, mount=mount)
    stored = version_get(secret=secret, version=version)
    # Written meanwhile: give it the same shape as the one-query result.
    stored.secret_path = secret.path
    stored.custom_metadata = secret.custom_metadata
    mount_after = Mount.objects.filter(owner=owner, path=mount).values_list("delete_version_after", flat=True)
    stored.delete_after = secret.delete_version_after or next(iter(mount_after), 0)
    return stored


def versions_of(*, secret: Secret, versions) -> QuerySet[SecretVersion]:
    """The listed versions of `secret` that exist; unknown numbers are ignored, as in Vault KV v2."""
    numbers = {v for v in versions if isinstance(v, int) and not isinstance(v, bool) and v > 0}
    return SecretVersion.objects.filter(secret=secret, version__in=numbers)
