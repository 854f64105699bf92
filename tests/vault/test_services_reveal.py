"""Revealing: recent authentication, the reveal budget, audit before plaintext, and tamper detection."""

import time

import pytest
from django.db import connection
from django.test import override_settings

from accounts.models import AuditEvent
from accounts.services import auditchain
from tests.vault import vault_support
from tests.vault.vault_support import fresh, make_user
from vault.crypto import DecryptError, UnknownKeyError
from vault.models import Secret, SecretVersion
from vault.services import (
    ReauthenticationRequired,
    RevealBudgetExceeded,
    reveal_reauth_mark,
    secret_create,
    secret_reveal,
    session_authenticated_at,
)

pytestmark = pytest.mark.django_db
owner = vault_support.owner
CANARY = "canary-7f3a9c-plaintext"


def test_reveal_with_stale_or_missing_authentication_is_refused(owner):
    secret_create(owner=owner, path="s", fields={"k": CANARY})
    before = AuditEvent.objects.count()
    for stamp in (None, time.time() - 15 * 60 - 5, time.time() + 3600):
        with pytest.raises(ReauthenticationRequired) as caught:
            secret_reveal(user=owner, path="s", authenticated_at=stamp)
        assert CANARY not in str(caught.value)
    assert AuditEvent.objects.count() == before
    with override_settings(VAULT_REVEAL_REAUTH_SECONDS=3600):
        assert secret_reveal(user=owner, path="s", authenticated_at=time.time() - 30 * 60).fields == {"k": CANARY}


def test_session_stamp_comes_from_password_reconfirmation_or_two_factor():
    session = {}
    assert session_authenticated_at(session) is None
    session["accounts.2fa_verified_at"] = 1000
    assert session_authenticated_at(session) == 1000
    reveal_reauth_mark(session=session)
    assert session_authenticated_at(session) >= time.time() - 5


@override_settings(VAULT_REVEAL_BUDGET=3)
def test_reveal_budget_counts_distinct_secrets_per_hour(owner):
    for n in range(4):
        secret_create(owner=owner, path=f"s{n}", fields={"k": f"v{n}"})
    for n in range(3):
        secret_reveal(user=owner, path=f"s{n}", authenticated_at=fresh())
    # The same secret again costs nothing; a fourth distinct one is refused and the refusal is audited.
    assert secret_reveal(user=owner, path="s0", authenticated_at=fresh()).fields == {"k": "v0"}
    with pytest.raises(RevealBudgetExceeded) as caught:
        secret_reveal(user=owner, path="s3", authenticated_at=fresh())
    assert 0 < caught.value.retry_after <= 3600
    denied = AuditEvent.objects.filter(action="secret_reveal", outcome="denied").get()
    assert denied.target == "s3"
    assert denied.actor == owner
    assert AuditEvent.objects.filter(action="secret_reveal", outcome="success").count() == 4


def test_audit_write_failure_means_no_plaintext(owner):
    secret_create(owner=owner, path="s", fields={"k": CANARY})
    before = AuditEvent.objects.count()

    # A real failure mode of the chain: its MAC key is gone from the keyring (the provider raises as
    # vault.crypto.audit_key does for an unknown key id), so audit_record cannot write.
    def missing_key(key_id):
        raise UnknownKeyError("The vault keyring holds no key with that id.")

    previous = auditchain.register_key_provider(missing_key)
    try:
        with pytest.raises(UnknownKeyError) as caught:
            secret_reveal(user=owner, path="s", authenticated_at=fresh())
    finally:
        auditchain.register_key_provider(previous)
    assert CANARY not in repr(caught.value) + str(caught.value)
    assert AuditEvent.objects.count() == before
    assert secret_reveal(user=owner, path="s", authenticated_at=fresh()).fields == {"k": CANARY}


def _copy_column(column: str, source: SecretVersion, target: SecretVersion) -> None:
    # Raw SQL, as an attacker with database access would do it.
    table = SecretVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = (SELECT {column} FROM {table} WHERE id = %s) WHERE id = %s",  # noqa: S608
            [source.pk, target.pk],
        )


@pytest.mark.parametrize("columns", [("ciphertext",), ("wrapped_key",), ("ciphertext", "wrapped_key")])
def test_blobs_copied_between_rows_fail_to_decrypt(owner, columns):
    secret_create(owner=owner, path="a", fields={"k": "value-a"})
    secret_create(owner=owner, path="b", fields={"k": "value-b"})
    source = SecretVersion.objects.get(secret__path="a")
    target = SecretVersion.objects.get(secret__path="b")
    for column in columns:
        _copy_column(column, source, target)
    with pytest.raises(DecryptError):
        secret_reveal(user=owner, path="b", authenticated_at=fresh())
    failure = AuditEvent.objects.filter(action="secret_reveal").latest("seq")
    assert (failure.outcome, failure.detail["reason"]) == ("failure", "decrypt failed")


def test_blob_copied_to_another_version_of_the_same_secret_fails(owner):
    secret_create(owner=owner, path="a", fields={"k": "one"})
    from vault.services import secret_update

    secret_update(owner=owner, path="a", fields={"k": "two"})
    v1, v2 = SecretVersion.objects.order_by("version")
    _copy_column("ciphertext", v1, v2)
    _copy_column("wrapped_key", v1, v2)
    with pytest.raises(DecryptError):
        secret_reveal(user=owner, path="a", authenticated_at=fresh())


@pytest.mark.parametrize("position", [0, 1, 5, 20, -1])
def test_flipped_or_truncated_ciphertext_fails(owner, position):
    secret_create(owner=owner, path="a", fields={"k": "v"})
    row = SecretVersion.objects.get()
    blob = bytearray(row.ciphertext)
    blob[position] ^= 0x01
    SecretVersion.objects.filter(pk=row.pk).update(ciphertext=bytes(blob))
    with pytest.raises(DecryptError):
        secret_reveal(user=owner, path="a", authenticated_at=fresh())
    SecretVersion.objects.filter(pk=row.pk).update(ciphertext=bytes(row.ciphertext)[:-1])
    with pytest.raises(DecryptError):
        secret_reveal(user=owner, path="a", authenticated_at=fresh())


def test_secret_moved_to_another_owner_fails_to_decrypt(owner, django_user_model):
    intruder = make_user(django_user_model, "intruder@example.test")
    secret_create(owner=owner, path="a", fields={"k": "v"})
    Secret.objects.filter(path="a").update(owner=intruder)
    with pytest.raises(DecryptError):
        secret_reveal(user=intruder, path="a", authenticated_at=fresh())


@pytest.mark.django_db
def test_a_fresh_sign_in_counts_as_recent_authentication_for_reveals(client, django_user_model):
    django_user_model.objects.create_user(email="fresh@example.test", password="correct horse battery staple")
    before = time.time()
    response = client.post(
        "/accounts/login/", {"username": "fresh@example.test", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    stamp = session_authenticated_at(client.session)
    assert stamp is not None
    assert before - 1 <= stamp <= time.time() + 1
