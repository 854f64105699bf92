"""Mounts: per-user namespaces of paths, their settings, and the web UI staying on the default mount."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from tests.vault import vault_support
from tests.vault.vault_support import fresh
from vault.models import DEFAULT_MOUNT, Mount, Secret, SecretVersion
from vault.selectors import secret_folders, secret_list_for_user
from vault.services import (
    CheckAndSetRequired,
    SecretNotFound,
    VersionUnavailable,
    secret_create,
    secret_metadata_update,
    secret_reveal,
    secret_update,
)
from vault.services.errors import InvalidMount, MountExists, MountNotFound
from vault.services.mounts import mount_configure, mount_create, mount_delete, mount_get, mount_list

pytestmark = pytest.mark.django_db
owner, other = vault_support.owner, vault_support.other


def test_default_mount_is_made_on_first_use_and_listed_once(owner):
    assert [m.path for m in mount_list(owner=owner)] == [DEFAULT_MOUNT]
    assert Mount.objects.filter(owner=owner).count() == 1


def test_same_path_in_two_mounts_are_two_secrets(owner):
    mount_create(owner=owner, path="team")
    secret_create(owner=owner, path="app/db", fields={"password": "ui"})
    secret_create(owner=owner, path="app/db", fields={"password": "team"}, mount="team")
    assert secret_reveal(user=owner, path="app/db", authenticated_at=fresh()).fields == {"password": "ui"}
    revealed = secret_reveal(user=owner, path="app/db", authenticated_at=fresh(), mount="team")
    assert revealed.fields == {"password": "team"}
    reveals = AuditEvent.objects.filter(action=AuditEvent.Action.SECRET_REVEAL).order_by("id")
    assert [event.detail.get("mount") for event in reveals] == [None, "team"]
    # The web UI lists and browses the default mount only.
    assert len(secret_list_for_user(user=owner).secrets) == 1
    secret_create(owner=owner, path="only/in/team", fields={"k": "v"}, mount="team")
    assert secret_folders(user=owner) == ["app"]


def test_mounts_belong_to_their_owner(owner, other):
    mount_create(owner=owner, path="team")
    with pytest.raises(MountNotFound):
        secret_create(owner=other, path="x", fields={"k": "v"}, mount="team")
    mount_create(owner=other, path="team")  # the same name is free for another user
    with pytest.raises(MountExists):
        mount_create(owner=owner, path="team")


@pytest.mark.parametrize("path", ["", "a/b", "..", "sys", "auth", "with space", "x" * 65, None])
def test_malformed_or_reserved_mount_paths_are_refused(owner, path):
    with pytest.raises(InvalidMount):
        mount_create(owner=owner, path=path)


def test_mount_delete_removes_its_secrets_and_is_audited(owner):
    mount_create(owner=owner, path="scratch")
    secret_create(owner=owner, path="a", fields={"k": "v"}, mount="scratch")
    secret_create(owner=owner, path="a", fields={"k": "v"})
    assert mount_delete(owner=owner, path="scratch") == 1
    assert list(Secret.objects.filter(owner=owner).values_list("mount", flat=True)) == [DEFAULT_MOUNT]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.MOUNT_DELETE, target="scratch/").exists()
    with pytest.raises(SecretNotFound):
        secret_reveal(user=owner, path="a", authenticated_at=fresh(), mount="scratch")
    with pytest.raises(InvalidMount):
        mount_delete(owner=owner, path=DEFAULT_MOUNT)


def test_mount_settings_apply_to_its_secrets(owner):
    mount_create(owner=owner, path="strict")
    mount_configure(owner=owner, path="strict", cas_required=True, max_versions=2)
    with pytest.raises(CheckAndSetRequired):
        secret_update(owner=owner, path="s", fields={"k": "1"}, mount="strict")
    secret_update(owner=owner, path="s", fields={"k": "1"}, cas=0, mount="strict")
    for version in (1, 2, 3):
        secret_update(owner=owner, path="s", fields={"k": str(version)}, cas=version, mount="strict")
    secret = Secret.objects.get(owner=owner, mount="strict", path="s")
    assert sorted(secret.versions.values_list("version", flat=True)) == [3, 4]
    # The default mount is unaffected.
    secret_update(owner=owner, path="s", fields={"k": "1"})
    assert mount_get(owner=owner, path=DEFAULT_MOUNT).cas_required is False


def test_versions_past_delete_version_after_read_as_deleted(owner):
    mount_create(owner=owner, path="short")
    mount_configure(owner=owner, path="short", delete_version_after=60)
    secret_create(owner=owner, path="s", fields={"k": "v"}, mount="short")
    assert secret_reveal(user=owner, path="s", authenticated_at=fresh(), mount="short").deletion_due is not None
    SecretVersion.objects.filter(secret__mount="short").update(created=timezone.now() - timedelta(seconds=61))
    with pytest.raises(VersionUnavailable):
        secret_reveal(user=owner, path="s", authenticated_at=fresh(), mount="short")
    # The secret's own setting wins over its mount's.
    secret_metadata_update(owner=owner, path="s", delete_version_after=3600, mount="short")
    assert secret_reveal(user=owner, path="s", authenticated_at=fresh(), mount="short").fields == {"k": "v"}
