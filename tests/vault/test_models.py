"""The vault tables hold ciphertext and metadata only: a canary value is nowhere in any column."""

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import AuditEvent
from tests.vault import vault_support
from tests.vault.vault_support import fresh
from vault.models import Secret, SecretVersion
from vault.services import (
    secret_create,
    secret_diff,
    secret_move,
    secret_restore_version,
    secret_reveal,
    secret_update,
    secret_versions_delete,
)

pytestmark = pytest.mark.django_db
owner = vault_support.owner
CANARY = "CANARY-5d1e8b-do-not-store"
NOTE_CANARY = "NOTE-CANARY-77aa10"


def _column_texts(model) -> list[str]:
    """Every column of every row as text, as a dump would show it: blobs both hex-encoded and read as raw bytes."""
    table = connection.ops.quote_name(model._meta.db_table)
    texts = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT t::text FROM {table} t")  # noqa: S608  (the whole row, as pg_dump prints it)
            texts += [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
        for row in cursor.fetchall():
            for value in row:
                if isinstance(value, bytes | memoryview):
                    texts += [bytes(value).hex(), bytes(value).decode("latin-1")]
                else:
                    texts.append(str(value))
    return texts


def test_no_plaintext_at_rest_in_any_vault_column(owner):
    secret_create(owner=owner, path="canary/one", fields={"password": CANARY}, notes=NOTE_CANARY, tags=["ops"])
    secret_update(owner=owner, path="canary/one", fields={"password": CANARY, "user": "app"}, notes=NOTE_CANARY)
    secret_reveal(user=owner, path="canary/one", authenticated_at=fresh())
    secret_diff(owner=owner, path="canary/one", a=1, b=2)
    secret_restore_version(owner=owner, path="canary/one", version=1)
    secret_versions_delete(owner=owner, path="canary/one", versions=[2])
    secret_move(owner=owner, path="canary/one", new_path="canary/two")
    texts = [t for model in (Secret, SecretVersion, AuditEvent) for t in _column_texts(model)]
    assert texts, "the dump should not be empty"
    needles = [CANARY, NOTE_CANARY, CANARY.encode().hex(), NOTE_CANARY.encode().hex()]
    for needle in needles:
        assert not [t for t in texts if needle.lower() in t.lower()], f"{needle} found at rest"
    # The field names are metadata and are stored; that is what makes search work.
    assert any("password" in t for t in _column_texts(SecretVersion))


def test_path_is_unique_per_owner_in_the_database(owner):
    secret_create(owner=owner, path="dup", fields={"k": "v"})
    with pytest.raises(IntegrityError), transaction.atomic():
        Secret.objects.create(owner=owner, path="dup")


def test_version_states_and_name(owner):
    version = secret_create(owner=owner, path="a/b/name", fields={"k": "v"})
    assert version.secret.name == "name"
    assert version.state == "active"
    secret_versions_delete(owner=owner, path="a/b/name", versions=[1])
    version.refresh_from_db()
    assert version.state == "deleted"
