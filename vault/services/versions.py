"""Per-version soft delete, undelete and destroy, with Vault KV v2 semantics."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.services.audit import Action, audit_record
from vault.models import DEFAULT_MOUNT
from vault.services.lookup import secret_locked, versions_of
from vault.services.secrets import mount_detail


def _audit(action: str, *, owner, secret, versions: list[int], request) -> None:
    audit_record(
        action=action,
        actor=owner,
        request=request,
        target=secret.path,
        detail={"secret": secret.pk, **mount_detail(secret.mount), "versions": versions},
    )


def secret_versions_delete(
    *, owner, path: str, versions: Iterable[int], mount: str = DEFAULT_MOUNT, request=None
) -> list[int]:
    """Soft-delete versions: their data stops being readable until undeleted. Unknown, already deleted or
    destroyed versions are ignored. Returns the versions this call deleted."""
    with transaction.atomic():
        secret = secret_locked(owner=owner, path=path, mount=mount)
        rows = versions_of(secret=secret, versions=versions).filter(deleted_at__isnull=True, destroyed=False)
        changed = sorted(rows.values_list("version", flat=True))
        rows.update(deleted_at=timezone.now())
        _audit(Action.SECRET_DELETE, owner=owner, secret=secret, versions=changed, request=request)
    return changed


def secret_versions_undelete(
    *, owner, path: str, versions: Iterable[int], mount: str = DEFAULT_MOUNT, request=None
) -> list[int]:
    """Restore soft-deleted versions. Destroyed versions stay destroyed. Returns the versions restored."""
    with transaction.atomic():
        secret = secret_locked(owner=owner, path=path, mount=mount)
        rows = versions_of(secret=secret, versions=versions).filter(deleted_at__isnull=False, destroyed=False)
        changed = sorted(rows.values_list("version", flat=True))
        rows.update(deleted_at=None)
        _audit(Action.SECRET_UNDELETE, owner=owner, secret=secret, versions=changed, request=request)
    return changed


def secret_versions_destroy(
    *, owner, path: str, versions: Iterable[int], mount: str = DEFAULT_MOUNT, request=None
) -> list[int]:
    """Erase the ciphertext and wrapped key of versions for good; their metadata stays, marked destroyed.

    Irreversible: no key or backup of the keyring brings the data back. Returns the versions destroyed.
    """
    with transaction.atomic():
        secret = secret_locked(owner=owner, path=path, mount=mount)
        rows = versions_of(secret=secret, versions=versions).filter(destroyed=False)
        changed = sorted(rows.values_list("version", flat=True))
        rows.update(destroyed=True, ciphertext=None, wrapped_key=None, kek_id="")
        _audit(Action.SECRET_DESTROY, owner=owner, secret=secret, versions=changed, request=request)
    return changed
