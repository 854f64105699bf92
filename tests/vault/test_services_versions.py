"""Per-version soft delete, undelete and destroy (KV v2 semantics) and the name-only diff."""

import pytest

from accounts.models import AuditEvent
from tests.vault import vault_support
from tests.vault.vault_support import fresh
from vault.models import SecretVersion
from vault.services import (
    VersionUnavailable,
    secret_create,
    secret_diff,
    secret_restore_version,
    secret_reveal,
    secret_update,
    secret_versions_delete,
    secret_versions_destroy,
    secret_versions_undelete,
)

pytestmark = pytest.mark.django_db
owner = vault_support.owner


def reveal(user, version=None):
    return secret_reveal(user=user, path="s", version=version, authenticated_at=fresh())


@pytest.fixture
def two_versions(owner):
    secret_create(owner=owner, path="s", fields={"k": "one"})
    secret_update(owner=owner, path="s", fields={"k": "two"})
    return owner


def test_soft_delete_hides_data_and_undelete_restores_it(two_versions):
    owner = two_versions
    assert secret_versions_delete(owner=owner, path="s", versions=[2, 99]) == [2]
    with pytest.raises(VersionUnavailable, match="deleted"):
        reveal(owner)
    assert reveal(owner, version=1).fields == {"k": "one"}
    # The blobs are kept: deletion is reversible.
    assert SecretVersion.objects.get(version=2).ciphertext is not None
    assert secret_versions_undelete(owner=owner, path="s", versions=[2]) == [2]
    assert reveal(owner).fields == {"k": "two"}


def test_destroyed_version_cannot_be_revealed_and_its_blobs_are_gone(two_versions):
    owner = two_versions
    assert secret_versions_destroy(owner=owner, path="s", versions=[1]) == [1]
    row = SecretVersion.objects.get(version=1)
    assert (row.ciphertext, row.wrapped_key, row.kek_id, row.destroyed) == (None, None, "", True)
    with pytest.raises(VersionUnavailable, match="destroyed"):
        reveal(owner, version=1)
    # Undelete cannot bring a destroyed version back, and restoring from it is refused.
    assert secret_versions_undelete(owner=owner, path="s", versions=[1]) == []
    with pytest.raises(VersionUnavailable):
        secret_restore_version(owner=owner, path="s", version=1)
    assert reveal(owner).fields == {"k": "two"}


def test_delete_undelete_destroy_are_audited_with_versions(two_versions):
    owner = two_versions
    secret_versions_delete(owner=owner, path="s", versions=[1])
    secret_versions_undelete(owner=owner, path="s", versions=[1])
    secret_versions_destroy(owner=owner, path="s", versions=[1, 2])
    events = list(AuditEvent.objects.filter(action__startswith="secret_").order_by("seq"))[-3:]
    assert [(e.action, e.detail["versions"]) for e in events] == [
        ("secret_delete", [1]),
        ("secret_undelete", [1]),
        ("secret_destroy", [1, 2]),
    ]


def test_diff_names_added_removed_and_changed_fields_without_values(owner):
    secret_create(owner=owner, path="s", fields={"user": "app", "password": "old-secret", "host": "db"})
    secret_update(owner=owner, path="s", fields={"user": "app", "password": "new-secret", "port": "5432"}, notes="n")
    diff = secret_diff(owner=owner, path="s", a=1, b=2)
    assert (diff.added, diff.removed, diff.changed, diff.notes_changed) == (["port"], ["host"], ["password"], True)
    assert "secret" not in repr(diff)
    event = AuditEvent.objects.get(action=AuditEvent.Action.SECRET_DIFF)
    assert (event.actor, event.target, event.detail["versions"]) == (owner, "s", [1, 2])
    assert "old-secret" not in str(event.detail)
    assert "new-secret" not in str(event.detail)


def test_diff_refuses_a_deleted_version(two_versions):
    secret_versions_delete(owner=two_versions, path="s", versions=[1])
    with pytest.raises(VersionUnavailable):
        secret_diff(owner=two_versions, path="s", a=1, b=2)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SECRET_DIFF).exists()
