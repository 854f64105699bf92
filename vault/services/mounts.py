"""Mounts: each user's KV v2 namespaces (the default `secret` made on first use), their settings and removal."""

import re

from django.db import IntegrityError, transaction

from accounts.services.audit import Action, audit_record
from vault.models import DEFAULT_MOUNT, MOUNT_MAX_LENGTH, Mount, Secret
from vault.services.errors import InvalidMetadata, InvalidMount, MountExists, MountNotFound
from vault.services.validation import DELETE_AFTER_LIMIT, MAX_VERSIONS_LIMIT

MOUNT_PATTERN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_.-]{{0,{MOUNT_MAX_LENGTH - 1}}}")
# Top-level names the API routes itself (vault.api.routing), plus Vault's own built-in mounts.
RESERVED_MOUNTS = frozenset({"sys", "auth", "identity", "cubbyhole", "openapi.json", "v1"})
MAX_MOUNTS = 100


def mount_name_clean(path: object) -> str:
    """A mount path without surrounding slashes: one segment of letters, digits, `_`, `.` and `-`."""
    if not isinstance(path, str):
        raise InvalidMount("The mount path must be text.")
    name = path.strip("/")
    if not MOUNT_PATTERN.fullmatch(name) or name in {".", ".."}:
        raise InvalidMount(f"Mount paths are one segment of 1 to {MOUNT_MAX_LENGTH} letters, digits, _ . or -.")
    if name.lower() in RESERVED_MOUNTS:
        raise InvalidMount(f"The mount path {name!r} is reserved.")
    return name


def mount_get(*, owner, path: str) -> Mount:
    """The owner's mount at `path`, or MountNotFound. The default mount always exists (made on first use)."""
    found = Mount.objects.filter(owner=owner, path=path).first()
    if found is not None:
        return found
    if path != DEFAULT_MOUNT:
        raise MountNotFound("No mount at that path.")
    Mount.objects.bulk_create([Mount(owner=owner, path=DEFAULT_MOUNT)], ignore_conflicts=True)
    return Mount.objects.get(owner=owner, path=DEFAULT_MOUNT)


def mount_settings(*, owner, path: str) -> Mount:
    """The settings writes obey: the mount row, or for a default mount not yet made, its defaults (no write)."""
    found = Mount.objects.filter(owner=owner, path=path).first()
    if found is not None:
        return found
    if path != DEFAULT_MOUNT:
        raise MountNotFound("No mount at that path.")
    return Mount(owner=owner, path=DEFAULT_MOUNT)


def mount_list(*, owner) -> list[Mount]:
    """The owner's mounts by path, the default one included."""
    mount_get(owner=owner, path=DEFAULT_MOUNT)
    return list(Mount.objects.filter(owner=owner).order_by("path"))


def mount_create(*, owner, path: str, description: str = "", request=None) -> Mount:
    """Make a new, empty KV v2 mount. MountExists if the owner has one at `path`; InvalidMount if malformed."""
    name = mount_name_clean(path)
    if not isinstance(description, str) or len(description) > 200:
        raise InvalidMount("The description is text of at most 200 characters.")
    mount_get(owner=owner, path=DEFAULT_MOUNT)
    with transaction.atomic():
        if Mount.objects.filter(owner=owner).count() >= MAX_MOUNTS:
            raise InvalidMount(f"At most {MAX_MOUNTS} mounts.")
        try:
            with transaction.atomic():
                mount = Mount.objects.create(owner=owner, path=name, description=description)
        except IntegrityError:
            raise MountExists(f"path is already in use at {name}/") from None
        audit_record(action=Action.MOUNT_CREATE, actor=owner, request=request, target=f"{name}/")
    return mount


def mount_delete(*, owner, path: str, request=None) -> int:
    """Remove a mount with every secret and version in it. Returns the secrets removed; a missing mount is 0.

    The default mount holds what the web UI shows, so it cannot be removed (InvalidMount).
    """
    name = mount_name_clean(path)
    if name == DEFAULT_MOUNT:
        raise InvalidMount("The default mount secret/ cannot be removed.")
    with transaction.atomic():
        mount = Mount.objects.select_for_update().filter(owner=owner, path=name).first()
        if mount is None:
            return 0
        secrets = Secret.objects.filter(owner=owner, mount=name)
        removed = secrets.count()
        secrets.delete()
        mount.delete()
        audit_record(
            action=Action.MOUNT_DELETE, actor=owner, request=request, target=f"{name}/", detail={"removed": removed}
        )
    return removed


def _bounded(value, *, name: str, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise InvalidMetadata(f"{name} must be a whole number from 0 to {limit}.")
    return value


def mount_configure(
    *,
    owner,
    path: str,
    max_versions: int | None = None,
    cas_required: bool | None = None,
    delete_version_after: int | None = None,
    request=None,
) -> Mount:
    """Change a mount's defaults (arguments left None are kept). Secrets' own settings still win."""
    with transaction.atomic():
        mount = mount_get(owner=owner, path=path)
        mount = Mount.objects.select_for_update().get(pk=mount.pk)
        changed = []
        if max_versions is not None:
            mount.max_versions = _bounded(max_versions, name="max_versions", limit=MAX_VERSIONS_LIMIT)
            changed.append("max_versions")
        if cas_required is not None:
            if not isinstance(cas_required, bool):
                raise InvalidMetadata("cas_required must be true or false.")
            mount.cas_required = cas_required
            changed.append("cas_required")
        if delete_version_after is not None:
            mount.delete_version_after = _bounded(
                delete_version_after, name="delete_version_after", limit=DELETE_AFTER_LIMIT
            )
            changed.append("delete_version_after")
        if changed:
            mount.save(update_fields=changed)
            audit_record(
                action=Action.MOUNT_CONFIG,
                actor=owner,
                request=request,
                target=f"{mount.path}/",
                detail={"changed": changed},
            )
    return mount
