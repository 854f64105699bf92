"""Creating and changing secrets: round trips, versions, check-and-set, restore, move, pruning, bad input."""

import pytest
from django.test import RequestFactory, override_settings

from accounts.models import AuditEvent
from tests.vault import vault_support
from tests.vault.vault_support import counts, fresh
from vault.models import Secret, SecretVersion
from vault.services import (
    CheckAndSetMismatch,
    CheckAndSetRequired,
    InvalidFields,
    InvalidMetadata,
    InvalidPath,
    SecretExists,
    SecretNotFound,
    SecretTooLarge,
    VaultError,
    VersionNotFound,
    secret_create,
    secret_delete_all,
    secret_metadata_update,
    secret_move,
    secret_restore_version,
    secret_reveal,
    secret_update,
)

pytestmark = pytest.mark.django_db
other = vault_support.other
owner = vault_support.owner


def reveal(user, path, version=None):
    return secret_reveal(user=user, path=path, version=version, authenticated_at=fresh())


def test_create_then_reveal_round_trips_fields_and_notes(owner):
    version = secret_create(
        owner=owner, path="prod/db", fields={"user": "app", "password": "pa55 wörd ✓"}, notes="rotate monthly"
    )
    assert version.version == 1
    assert version.field_names == ["password", "user"]
    shown = reveal(owner, "prod/db")
    assert shown.fields == {"user": "app", "password": "pa55 wörd ✓"}
    assert shown.notes == "rotate monthly"
    assert "pa55" not in repr(shown)


def test_each_update_makes_a_new_version_and_old_ones_stay_readable(owner):
    secret_create(owner=owner, path="api/key", fields={"token": "one"})
    secret_update(owner=owner, path="api/key", fields={"token": "two"})
    third = secret_update(owner=owner, path="api/key", fields={"token": "three", "extra": "x"})
    assert third.version == 3
    assert Secret.objects.get(owner=owner, path="api/key").current_version == 3
    assert reveal(owner, "api/key").fields == {"token": "three", "extra": "x"}
    assert reveal(owner, "api/key", version=1).fields == {"token": "one"}
    with pytest.raises(VersionNotFound):
        reveal(owner, "api/key", version=4)


def test_update_with_stale_cas_is_refused_and_writes_nothing(owner):
    secret_create(owner=owner, path="a", fields={"k": "v1"})
    secret_update(owner=owner, path="a", fields={"k": "v2"}, cas=1)
    before = counts()
    with pytest.raises(CheckAndSetMismatch, match="current one is 2"):
        secret_update(owner=owner, path="a", fields={"k": "stale"}, cas=1)
    assert counts() == before
    assert reveal(owner, "a").fields == {"k": "v2"}


def test_cas_zero_creates_only(owner):
    assert secret_update(owner=owner, path="new", fields={"k": "v"}, cas=0).version == 1
    with pytest.raises(CheckAndSetMismatch, match="already exists"):
        secret_update(owner=owner, path="new", fields={"k": "again"}, cas=0)
    with pytest.raises(CheckAndSetMismatch):
        secret_update(owner=owner, path="missing", fields={"k": "v"}, cas=3)
    assert not Secret.objects.filter(path="missing").exists()


def test_cas_required_refuses_writes_without_cas(owner):
    secret_create(owner=owner, path="strict", fields={"k": "v"}, cas_required=True)
    with pytest.raises(CheckAndSetRequired):
        secret_update(owner=owner, path="strict", fields={"k": "w"})
    assert secret_update(owner=owner, path="strict", fields={"k": "w"}, cas=1).version == 2


def test_create_on_a_taken_path_is_refused(owner, other):
    secret_create(owner=owner, path="dup", fields={"k": "v"})
    with pytest.raises(SecretExists):
        secret_create(owner=owner, path="dup", fields={"k": "w"})
    # Paths are per owner: another user may use the same one.
    secret_create(owner=other, path="dup", fields={"k": "theirs"})


def test_other_users_secret_looks_missing(owner, other):
    secret_create(owner=owner, path="mine", fields={"k": "v"})
    with pytest.raises(SecretNotFound):
        reveal(other, "mine")
    with pytest.raises(CheckAndSetMismatch, match="no longer exists"):
        secret_update(owner=other, path="mine", fields={"k": "x"}, cas=1)
    assert Secret.objects.filter(path="mine").count() == 1


def test_restore_writes_an_old_version_as_the_newest(owner):
    secret_create(owner=owner, path="r", fields={"k": "first"}, notes="n1")
    secret_update(owner=owner, path="r", fields={"k": "second"})
    restored = secret_restore_version(owner=owner, path="r", version=1)
    assert restored.version == 3
    shown = reveal(owner, "r")
    assert (shown.fields, shown.notes) == ({"k": "first"}, "n1")


def test_move_keeps_history_and_still_reveals_without_reencryption(owner):
    secret_create(owner=owner, path="old/place", fields={"k": "v1"})
    secret_update(owner=owner, path="old/place", fields={"k": "v2"})
    blobs = list(SecretVersion.objects.order_by("version").values_list("ciphertext", "wrapped_key"))
    secret_move(owner=owner, path="old/place", new_path="new/home")
    assert not Secret.objects.filter(path="old/place").exists()
    assert reveal(owner, "new/home").fields == {"k": "v2"}
    assert reveal(owner, "new/home", version=1).fields == {"k": "v1"}
    # The associated data names the secret id, not the path: the blobs are untouched.
    after = list(SecretVersion.objects.order_by("version").values_list("ciphertext", "wrapped_key"))
    assert [(bytes(c), bytes(w)) for c, w in after] == [(bytes(c), bytes(w)) for c, w in blobs]


def test_move_onto_a_taken_path_is_refused(owner):
    secret_create(owner=owner, path="a", fields={"k": "v"})
    secret_create(owner=owner, path="b", fields={"k": "v"})
    with pytest.raises(SecretExists):
        secret_move(owner=owner, path="a", new_path="b")
    with pytest.raises(InvalidPath):
        secret_move(owner=owner, path="a", new_path="../b")


@override_settings(VAULT_DEFAULT_MAX_VERSIONS=3)
def test_versions_beyond_max_versions_are_pruned(owner):
    for n in range(5):
        secret_update(owner=owner, path="p", fields={"k": f"v{n}"})
    assert list(SecretVersion.objects.order_by("version").values_list("version", flat=True)) == [3, 4, 5]
    with pytest.raises(VersionNotFound):
        reveal(owner, "p", version=2)
    # A per-secret limit wins over the default and prunes at once when lowered.
    secret_metadata_update(owner=owner, path="p", max_versions=1)
    assert list(SecretVersion.objects.values_list("version", flat=True)) == [5]
    assert reveal(owner, "p").fields == {"k": "v4"}


def test_delete_all_removes_the_secret_and_every_version(owner):
    secret_create(owner=owner, path="gone", fields={"k": "v"})
    secret_update(owner=owner, path="gone", fields={"k": "w"})
    assert secret_delete_all(owner=owner, path="gone") == 2
    assert not Secret.objects.exists()
    assert not SecretVersion.objects.exists()
    with pytest.raises(SecretNotFound):
        reveal(owner, "gone")


def test_writes_are_audited_with_actor_path_version_and_client(owner):
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="pytest-agent")
    secret_create(owner=owner, path="aud/one", fields={"k": "topsecret"}, request=request)
    secret_update(owner=owner, path="aud/one", fields={"k": "topsecret2"}, request=request)
    secret_move(owner=owner, path="aud/one", new_path="aud/two", request=request)
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.action for e in events] == ["secret_create", "secret_update", "secret_move"]
    assert all(e.actor == owner and e.ip == "203.0.113.9" and e.user_agent == "pytest-agent" for e in events)
    assert events[1].target == "aud/one"
    assert events[1].detail["version"] == 2
    assert events[2].detail["to"] == "aud/two"
    assert not any("topsecret" in str(e.detail) + e.target for e in events)


BAD_PATHS = [
    "",
    "/lead",
    "trail/",
    "a//b",
    "../etc",
    "a/../b",
    "a/./b",
    "a\\b",
    "tab\there",
    "nul\x00x",
    "bidi\u202eevil",
    "x" * 256,
    " space",
    "a/ b",
    "lone\ud800",
]


@pytest.mark.parametrize("path", BAD_PATHS)
def test_traversal_looking_or_malformed_paths_are_refused(owner, path):
    before = counts()
    with pytest.raises(InvalidPath):
        secret_create(owner=owner, path=path, fields={"k": "v"})
    assert counts() == before


BAD_FIELDS = {
    "no fields": ({}, InvalidFields),
    "empty name": ({"": "v"}, InvalidFields),
    "blank name": ({"  ": "v"}, InvalidFields),
    "long name": ({"n" * 129: "v"}, InvalidFields),
    "control in name": ({"a\nb": "v"}, InvalidFields),
    "duplicate names": ([("user", "a"), ("user", "b")], InvalidFields),
    "duplicate after NFC": ([("caf\u00e9", "a"), ("cafe\u0301", "b")], InvalidFields),
    "lone surrogate value": ({"k": "bad\udc80"}, InvalidFields),
    "bytes value": ({"k": b"\xff\xfe"}, InvalidFields),
    "non-str name": ({1: "v"}, InvalidFields),
    "huge value": ({"k": "x" * (64 * 1024)}, SecretTooLarge),
}


@pytest.mark.parametrize(("fields", "error"), BAD_FIELDS.values(), ids=BAD_FIELDS.keys())
def test_bad_fields_are_refused_and_nothing_is_written(owner, fields, error):
    secret_create(owner=owner, path="existing", fields={"k": "v"})
    before = counts()
    with pytest.raises(error) as caught:
        secret_create(owner=owner, path="new", fields=fields)
    with pytest.raises(error):
        secret_update(owner=owner, path="existing", fields=fields)
    assert counts() == before
    assert isinstance(caught.value, VaultError)
    assert "xxxx" not in str(caught.value)


def test_size_limit_counts_notes_and_follows_the_setting(owner):
    with override_settings(VAULT_MAX_SECRET_BYTES=100), pytest.raises(SecretTooLarge):
        secret_create(owner=owner, path="n", fields={"k": "v"}, notes="n" * 100)
    assert secret_create(owner=owner, path="n", fields={"k": "v"}, notes="n" * 100).version == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"custom_metadata": {f"k{i}": "v" for i in range(65)}},
        {"custom_metadata": {"k" * 129: "v"}},
        {"custom_metadata": {"k": "v" * 513}},
        {"custom_metadata": {"k": 5}},
        {"tags": "not-a-list"},
        {"tags": [""]},
        {"max_versions": 0},
    ],
)
def test_metadata_over_vault_limits_is_refused(owner, kwargs):
    with pytest.raises(InvalidMetadata):
        secret_create(owner=owner, path="m", fields={"k": "v"}, **kwargs)
    assert not Secret.objects.exists()
