"""Writing secrets: create, new versions with check-and-set, restore, move, metadata and whole-secret delete."""

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.services.audit import Action, audit_record
from vault.models import DEFAULT_MOUNT, Mount, Secret, SecretVersion
from vault.services.errors import CheckAndSetMismatch, CheckAndSetRequired, InvalidMetadata, SecretExists
from vault.services.lookup import secret_locked, version_get
from vault.services.mounts import mount_settings
from vault.services.sealing import version_open, version_seal
from vault.services.validation import (
    CleanVersion,
    delete_after_clean,
    max_versions_clean,
    metadata_clean,
    path_normalize,
    tags_clean,
    version_clean,
)

Fields = Mapping[str, str] | Iterable[tuple[str, str]]


def search_text(*, path: str, tags: list[str], field_names: list[str]) -> str:
    """What search matches: lower-cased path, name, tags and field names, one per line (never values)."""
    lines = [path.lower(), path.rpartition("/")[2].lower()]
    lines += [f"#{tag}" for tag in tags]
    lines += [f"={name.lower()}" for name in field_names]
    return "\n" + "\n".join(lines) + "\n"


def mount_detail(mount: str) -> dict:
    """What audit records add to name a secret outside the default mount (their target is the path alone)."""
    return {} if mount == DEFAULT_MOUNT else {"mount": mount}


def _audit(action: str, *, owner, secret: Secret, request, **detail) -> None:
    detail = {"secret": secret.pk, **mount_detail(secret.mount), **detail}
    audit_record(action=action, actor=owner, request=request, target=secret.path, detail=detail)


def _cas_check(*, secret: Secret | None, cas: int | None, mount: Mount) -> None:
    current = secret.current_version if secret is not None else 0
    if cas is None:
        if mount.cas_required or (secret is not None and secret.cas_required):
            raise CheckAndSetRequired("This secret requires check-and-set: send the version your edit is based on.")
        return
    if isinstance(cas, bool) or not isinstance(cas, int) or cas < 0:
        raise CheckAndSetMismatch("cas must be a version number (0 for create-only).")
    if cas != current:
        if cas == 0:
            raise CheckAndSetMismatch("The secret already exists (cas=0 allows creating it only).")
        if secret is None:
            raise CheckAndSetMismatch("The secret no longer exists: it was deleted since you loaded it.")
        raise CheckAndSetMismatch(
            f"The secret changed since you loaded it: you edited version {cas}, the current one is {current}. "
            "Reload it and apply your change again."
        )


@sensitive_variables("content")
def _version_write(*, secret: Secret, content: CleanVersion, actor, mount: Mount) -> SecretVersion:
    """Append the next version to a locked secret and prune versions beyond its max_versions."""
    number = secret.current_version + 1
    sealed = version_seal(owner_id=secret.owner_id, secret_id=secret.pk, number=number, content=content)
    now = timezone.now()
    version = SecretVersion.objects.create(
        secret=secret,
        version=number,
        wrapped_key=sealed.wrapped_key,
        ciphertext=sealed.ciphertext,
        kek_id=sealed.kek_id,
        field_names=content.field_names,
        created=now,
        created_by=actor,
    )
    secret.current_version = number
    secret.updated = now
    secret.search_text = search_text(path=secret.path, tags=secret.tags, field_names=content.field_names)
    secret.save(update_fields=["current_version", "updated", "search_text"])
    _prune(secret, mount=mount)
    return version


def _prune(secret: Secret, *, mount: Mount) -> int:
    """Remove versions older than the newest max_versions (their rows and blobs go: destroyed for good).

    As in Vault, the lower of the secret's and the mount's non-zero max_versions applies, else the setting.
    """
    keep = min((n for n in (secret.max_versions, mount.max_versions) if n), default=settings.VAULT_DEFAULT_MAX_VERSIONS)
    deleted, _ = SecretVersion.objects.filter(secret=secret, version__lte=secret.current_version - keep).delete()
    return deleted


@sensitive_variables("content")
def _current_notes(secret: Secret) -> str:
    """The notes of the secret's current version, or "" when it has none readable (deleted or destroyed)."""
    current = SecretVersion.objects.filter(secret=secret, version=secret.current_version).first()
    if current is None or current.destroyed or current.deleted_at is not None:
        return ""
    return version_open(version=current, owner_id=secret.owner_id).notes


@sensitive_variables("fields", "notes", "content")
def secret_create(
    *,
    owner,
    path: str,
    fields: Fields,
    notes: str = "",
    tags: Iterable[str] | None = None,
    custom_metadata: Mapping[str, str] | None = None,
    max_versions: int | None = None,
    cas_required: bool = False,
    mount: str = DEFAULT_MOUNT,
    request=None,
) -> SecretVersion:
    """Create the secret at `path` with version 1. SecretExists if the path is taken; VaultError on bad input.

    Nothing is written unless everything is valid and the audit record is stored.
    """
    path = path_normalize(path)
    content = version_clean(fields=fields, notes=notes)
    tags = tags_clean(tags)
    metadata = metadata_clean(custom_metadata)
    max_versions = max_versions_clean(max_versions)
    with transaction.atomic():
        settings_ = mount_settings(owner=owner, path=mount)
        try:
            # Its own savepoint, so only the unique (owner, path) constraint is read as "taken" (a concurrent
            # create included), never a failure of the version or audit writes below.
            with transaction.atomic():
                secret = Secret.objects.create(
                    owner=owner,
                    mount=mount,
                    path=path,
                    tags=tags,
                    custom_metadata=metadata,
                    max_versions=max_versions,
                    cas_required=bool(cas_required),
                )
        except IntegrityError:
            raise SecretExists("A secret already exists at that path.") from None
        version = _version_write(secret=secret, content=content, actor=owner, mount=settings_)
        _audit(Action.SECRET_CREATE, owner=owner, secret=secret, request=request, version=version.version)
    return version


@sensitive_variables("fields", "notes", "content")
def secret_update(
    *,
    owner,
    path: str,
    fields: Fields,
    notes: str = "",
    cas: int | None = None,
    mount: str = DEFAULT_MOUNT,
    keep_notes: bool = False,
    request=None,
) -> SecretVersion:
    """Write a new version holding exactly `fields` and `notes` (a full replacement, like KV v2 PUT).

    `keep_notes`: carry the current version's notes over instead (the KV v2 API has no notes, and a script's
    write must not drop what a person wrote); they are decrypted inside this call and never leave it.

    Creates the secret when missing (as KV v2 does), unless `cas` says otherwise. `cas=0`: create only;
    `cas=N`: only if the current version is N; else CheckAndSetMismatch and nothing is written. A secret with
    cas_required refuses writes without `cas` (CheckAndSetRequired).
    """
    path = path_normalize(path)
    content = version_clean(fields=fields, notes=notes)
    with transaction.atomic():
        settings_ = mount_settings(owner=owner, path=mount)
        secret = Secret.objects.select_for_update().filter(owner=owner, mount=mount, path=path).first()
        _cas_check(secret=secret, cas=cas, mount=settings_)
        action = Action.SECRET_UPDATE
        if secret is None:
            try:
                with transaction.atomic():
                    secret = Secret.objects.create(owner=owner, mount=mount, path=path)
                action = Action.SECRET_CREATE
            except IntegrityError:
                if cas is not None:
                    raise CheckAndSetMismatch("The secret was created by another write at the same moment.") from None
                # Without cas a write wins, as in KV v2: it becomes the next version of the secret another
                # write created a moment ago (that write has committed, or the insert would still be waiting).
                secret = Secret.objects.select_for_update().get(owner=owner, mount=mount, path=path)
                _cas_check(secret=secret, cas=None, mount=settings_)
        if keep_notes and action == Action.SECRET_UPDATE:
            content = version_clean(fields=content.fields, notes=_current_notes(secret))
        version = _version_write(secret=secret, content=content, actor=owner, mount=settings_)
        _audit(action, owner=owner, secret=secret, request=request, version=version.version)
    return version


def secret_restore_version(
    *, owner, path: str, version: int, cas: int | None = None, mount: str = DEFAULT_MOUNT, request=None
) -> SecretVersion:
    """Write the content of an older `version` as a new current version. VersionUnavailable if it is
    deleted or destroyed; CheckAndSet errors as for secret_update. The plaintext never leaves this call."""
    with transaction.atomic():
        settings_ = mount_settings(owner=owner, path=mount)
        secret = secret_locked(owner=owner, path=path, mount=mount)
        _cas_check(secret=secret, cas=cas, mount=settings_)
        source = version_get(secret=secret, version=version)
        content = version_open(version=source, owner_id=secret.owner_id)
        written = _version_write(secret=secret, content=content, actor=owner, mount=settings_)
        _audit(
            Action.SECRET_RESTORE, owner=owner, secret=secret, request=request, version=written.version, source=version
        )
    return written


def secret_move(*, owner, path: str, new_path: str, request=None) -> Secret:
    """Rename or move a secret to `new_path`, keeping every version. SecretExists if `new_path` is taken.

    No re-encryption: each version's associated data names owner, secret id and version, not the path.
    """
    new_path = path_normalize(new_path)
    try:
        with transaction.atomic():
            secret = secret_locked(owner=owner, path=path)
            old_path = secret.path
            if new_path == old_path:
                return secret
            if Secret.objects.filter(owner=owner, mount=secret.mount, path=new_path).exists():
                raise SecretExists("A secret already exists at the new path.")
            current = secret.versions.filter(version=secret.current_version).values_list("field_names", flat=True)
            secret.path = new_path
            secret.search_text = search_text(path=new_path, tags=secret.tags, field_names=next(iter(current), []))
            secret.updated = timezone.now()
            secret.save(update_fields=["path", "search_text", "updated"])
            _audit(
                Action.SECRET_MOVE, owner=owner, secret=secret, request=request, **{"from": old_path, "to": new_path}
            )
    except IntegrityError:
        raise SecretExists("A secret already exists at the new path.") from None
    return secret


def secret_metadata_update(
    *,
    owner,
    path: str,
    tags: Iterable[str] | None = None,
    custom_metadata: Mapping[str, str] | None = None,
    max_versions: int | None = None,
    cas_required: bool | None = None,
    delete_version_after: int | None = None,
    mount: str = DEFAULT_MOUNT,
    request=None,
) -> Secret:
    """Change the secret's metadata; arguments left None are kept. A lower max_versions prunes at once.

    max_versions 0 and delete_version_after 0 mean "as the mount says" (Vault's meaning).
    """
    with transaction.atomic():
        settings_ = mount_settings(owner=owner, path=mount)
        secret = secret_locked(owner=owner, path=path, mount=mount)
        changed = []
        if tags is not None:
            secret.tags = tags_clean(tags)
            changed.append("tags")
        if custom_metadata is not None:
            secret.custom_metadata = metadata_clean(custom_metadata)
            changed.append("custom_metadata")
        if max_versions is not None:
            secret.max_versions = max_versions_clean(max_versions) if max_versions != 0 else None
            changed.append("max_versions")
        if delete_version_after is not None:
            secret.delete_version_after = delete_after_clean(delete_version_after)
            changed.append("delete_version_after")
        if cas_required is not None:
            if not isinstance(cas_required, bool):
                raise InvalidMetadata("cas_required must be true or false.")
            secret.cas_required = cas_required
            changed.append("cas_required")
        if not changed:
            return secret
        current = secret.versions.filter(version=secret.current_version).values_list("field_names", flat=True)
        secret.search_text = search_text(path=secret.path, tags=secret.tags, field_names=next(iter(current), []))
        secret.updated, secret.metadata_version = timezone.now(), secret.metadata_version + 1
        secret.save(update_fields=[*changed, "search_text", "updated", "metadata_version"])
        _prune(secret, mount=settings_)
        _audit(Action.SECRET_METADATA, owner=owner, secret=secret, request=request, changed=changed)
    return secret


def secret_delete_all(*, owner, path: str, mount: str = DEFAULT_MOUNT, request=None) -> int:
    """Delete the secret with all its versions and blobs (KV v2 metadata delete). Returns versions removed."""
    with transaction.atomic():
        secret = secret_locked(owner=owner, path=path, mount=mount)
        count = secret.versions.count()
        # The audit row is written before the delete so it can name the secret; both commit or neither.
        _audit(Action.SECRET_DELETE_ALL, owner=owner, secret=secret, request=request, versions=count)
        secret.delete()
    return count
