"""Online rotation: re-wrapping data keys under a new KEK in batches, and the census that tracks it."""

import pytest
from django.test import override_settings

from tests.vault import keys, vault_support
from tests.vault.vault_support import fresh
from vault.crypto import UnknownKeyError
from vault.models import SecretVersion
from vault.selectors import kek_census
from vault.services import (
    secret_create,
    secret_reveal,
    secret_update,
    secret_versions_destroy,
    secret_versions_rewrap,
)

pytestmark = pytest.mark.django_db
owner = vault_support.owner


@pytest.fixture
def found():
    return keys.entries("old", "new")


def _store(owner) -> dict[tuple[str, int], dict[str, str]]:
    expected = {}
    for n in range(7):
        secret_create(owner=owner, path=f"s/{n}", fields={"k": f"value-{n}"})
        expected[(f"s/{n}", 1)] = {"k": f"value-{n}"}
    secret_update(owner=owner, path="s/0", fields={"k": "second"})
    expected[("s/0", 2)] = {"k": "second"}
    secret_update(owner=owner, path="s/1", fields={"k": "gone"})
    secret_versions_destroy(owner=owner, path="s/1", versions=[2])
    return expected


def test_rewrap_moves_every_data_key_to_the_new_kek_and_everything_still_reveals(owner, found):
    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        expected = _store(owner)
        assert kek_census() == {"old": 8}
        ciphertexts = {pk: bytes(c) for pk, c in SecretVersion.objects.values_list("pk", "ciphertext") if c}
    with override_settings(VAULT_KEYS=keys.setting(found["new"], found["old"])):
        assert secret_versions_rewrap(batch_size=3) == 8
        assert kek_census() == {"new": 8}
        # Idempotent: a second run (or a resumed one) finds nothing left to do.
        assert secret_versions_rewrap(batch_size=3) == 0
        after = {pk: bytes(c) for pk, c in SecretVersion.objects.values_list("pk", "ciphertext") if c}
        assert after == ciphertexts, "rotation must not re-encrypt values"
    # The old KEK can now be retired: everything opens with the new one alone.
    with override_settings(VAULT_KEYS=keys.setting(found["new"])):
        for (path, version), fields in expected.items():
            assert secret_reveal(user=owner, path=path, version=version, authenticated_at=fresh()).fields == fields


def test_interrupted_rotation_resumes_where_it_stopped(owner, found, monkeypatch):
    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        _store(owner)
    with override_settings(VAULT_KEYS=keys.setting(found["new"], found["old"])):
        # A worker dying mid-rotation cannot be caused inside this process, so the second batch's write
        # raises instead: the first batch has committed, the second rolls back.
        real_bulk_update = SecretVersion.objects.bulk_update
        calls = []

        def crash_on_second_batch(rows, fields, **kwargs):
            calls.append(len(rows))
            if len(calls) == 2:
                raise RuntimeError("worker lost")
            return real_bulk_update(rows, fields, **kwargs)

        monkeypatch.setattr(SecretVersion.objects, "bulk_update", crash_on_second_batch)
        with pytest.raises(RuntimeError):
            secret_versions_rewrap(batch_size=3)
        monkeypatch.undo()
        assert kek_census() == {"new": 3, "old": 5}
        assert secret_versions_rewrap(batch_size=3) == 5
        assert kek_census() == {"new": 8}


def test_a_row_that_does_not_open_is_skipped_without_stalling_the_rotation(owner, found):
    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        _store(owner)
    bad = SecretVersion.objects.filter(destroyed=False).order_by("pk").first()
    blob = bytearray(bad.wrapped_key)
    blob[-1] ^= 1
    SecretVersion.objects.filter(pk=bad.pk).update(wrapped_key=bytes(blob))
    with override_settings(VAULT_KEYS=keys.setting(found["new"], found["old"])):
        assert secret_versions_rewrap(batch_size=2) == 7
        assert kek_census() == {"new": 7, "old": 1}


def test_rewrap_to_an_unknown_kek_is_refused(owner):
    with pytest.raises(UnknownKeyError):
        secret_versions_rewrap(to_kek="nope")
