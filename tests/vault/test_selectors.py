"""Listing, folders and search: by path, name, tag and field name, never by value; fast at 10,000 secrets."""

import time

import pytest
from django.db import connection
from django.utils import timezone

from tests.vault import vault_support
from vault.models import Secret, SecretVersion
from vault.selectors import secret_folders, secret_list_for_user, secret_queryset_for_user, secret_version_list
from vault.services import InvalidPath, secret_create, secret_update
from vault.services.errors import InvalidSearch
from vault.services.sealing import version_seal
from vault.services.secrets import search_text
from vault.services.validation import CleanVersion

pytestmark = pytest.mark.django_db
other = vault_support.other
owner = vault_support.owner


def paths(page) -> list[str]:
    return [s.path for s in page.secrets]


@pytest.fixture
def stocked(owner, other):
    secret_create(owner=owner, path="prod/db", fields={"username": "app", "password": "hunter2-value"}, tags=["Ops"])
    secret_create(owner=owner, path="prod/api/stripe", fields={"api_key": "sk_live_x"}, tags=["billing"])
    secret_create(owner=owner, path="personal/bank", fields={"pin": "1234"})
    secret_create(owner=owner, path="readme", fields={"text": "prod"})
    secret_create(owner=other, path="prod/theirs", fields={"password": "p"})
    return owner


def test_folders_and_prefix_listing(stocked):
    assert secret_folders(user=stocked) == ["personal", "prod"]
    assert secret_folders(user=stocked, folder="prod") == ["api"]
    assert paths(secret_list_for_user(user=stocked, folder="prod/")) == ["prod/api/stripe", "prod/db"]
    assert paths(secret_list_for_user(user=stocked)) == ["personal/bank", "prod/api/stripe", "prod/db", "readme"]
    with pytest.raises(InvalidPath):
        secret_list_for_user(user=stocked, folder="../prod")


def test_folders_are_found_around_names_that_sort_next_to_the_slash(owner, other):
    # "-" and "." sort just before "/", "0" just after it: the index skip must step over each correctly.
    paths_made = [
        "a/b", "a/b/c", "a/b/d/e", "a/b-c/d", "a/b.d/e", "a/b0/x", "a/bz", "a/ü/x", "a/%_/y",
        "a0/z", "b/c", "a/B/q", "a/b/c2",
    ]  # fmt: skip
    for path in paths_made:
        secret_create(owner=owner, path=path, fields={"k": "v"})
    secret_create(owner=other, path="a/theirs/x", fields={"k": "v"})
    expected = sorted({path.split("/")[1] for path in paths_made if path.startswith("a/") and path.count("/") > 1})
    assert secret_folders(user=owner, folder="a/") == expected == ["%_", "B", "b", "b-c", "b.d", "b0", "ü"]
    assert secret_folders(user=owner) == ["a", "a0", "b"]
    assert secret_folders(user=owner, folder="a/b/") == ["d"]
    assert secret_folders(user=owner, folder="a/b/d/") == []
    assert secret_folders(user=owner, folder="nothing/") == []


def test_search_by_path_name_tag_and_field_name_but_never_value(stocked):
    assert paths(secret_list_for_user(user=stocked, query="stripe")) == ["prod/api/stripe"]
    assert paths(secret_list_for_user(user=stocked, query="#ops")) == ["prod/db"]
    assert paths(secret_list_for_user(user=stocked, tag="Billing")) == ["prod/api/stripe"]
    assert paths(secret_list_for_user(user=stocked, query="=password")) == ["prod/db"]
    assert paths(secret_list_for_user(user=stocked, query="PASS")) == ["prod/db"]
    assert paths(secret_list_for_user(user=stocked, query="hunter2")) == []
    assert paths(secret_list_for_user(user=stocked, query="sk_live")) == []
    # "prod" matches paths, and not the readme whose value is "prod".
    assert "readme" not in paths(secret_list_for_user(user=stocked, query="prod"))


def test_search_follows_the_current_version_field_names(owner):
    secret_create(owner=owner, path="s", fields={"old_name": "v"})
    secret_update(owner=owner, path="s", fields={"new_name": "v"})
    assert paths(secret_list_for_user(user=owner, query="=new_name")) == ["s"]
    assert paths(secret_list_for_user(user=owner, query="=old_name")) == []


def test_version_list_has_no_blobs_loaded(owner):
    secret_create(owner=owner, path="s", fields={"k": "v"})
    secret_update(owner=owner, path="s", fields={"k": "w"})
    versions = secret_version_list(secret=Secret.objects.get())
    assert [v.version for v in versions] == [2, 1]
    assert {"ciphertext", "wrapped_key"} <= versions[0].get_deferred_fields()


def _bulk_secrets(owner, count: int) -> None:
    now = timezone.now()
    secrets = Secret.objects.bulk_create(
        [
            Secret(
                owner=owner,
                path=f"team{i % 10}/app{i:05d}",
                tags=["even"] if i % 2 == 0 else [],
                search_text=search_text(
                    path=f"team{i % 10}/app{i:05d}", tags=["even"] if i % 2 == 0 else [], field_names=["password"]
                ),
                current_version=1,
                created=now,
                updated=now,
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    content = CleanVersion(fields={"password": "value-never-searchable"}, notes="")
    versions = []
    for secret in secrets:
        sealed = version_seal(owner_id=owner.pk, secret_id=secret.pk, number=1, content=content)
        versions.append(
            SecretVersion(
                secret=secret,
                version=1,
                wrapped_key=sealed.wrapped_key,
                ciphertext=sealed.ciphertext,
                kek_id=sealed.kek_id,
                field_names=["password"],
                created=now,
            )
        )
    SecretVersion.objects.bulk_create(versions, batch_size=2000)


def test_listing_and_search_at_10000_secrets_stay_indexed_and_one_query_a_page(owner, other, django_assert_num_queries):
    started = time.monotonic()
    _bulk_secrets(owner, 10_000)
    secret_create(owner=other, path="team0/app00000", fields={"password": "x"})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE vault_secret")
    with django_assert_num_queries(1):
        first = secret_list_for_user(user=owner)
    assert len(first.secrets) == 50
    assert first.secrets[0].path == "team0/app00000"
    with django_assert_num_queries(1):
        deep = secret_list_for_user(user=owner, after="team9/app09900", limit=200)
    assert deep.next_after is None
    assert len(deep.secrets) == 10  # team9/app09909 ... app09999
    with django_assert_num_queries(1):
        found = secret_list_for_user(user=owner, query="app04242")
    assert paths(found) == ["team2/app04242"]
    with django_assert_num_queries(1):
        tagged = secret_list_for_user(user=owner, tag="even", folder="team3")
    assert tagged.secrets == []  # every team3 index is odd
    assert secret_list_for_user(user=owner, query="value-never-searchable").secrets == []
    # Walking every page of a folder visits each secret once.
    seen, after = [], None
    while True:
        page = secret_list_for_user(user=owner, folder="team7", after=after, limit=200)
        seen += paths(page)
        if page.next_after is None:
            break
        after = page.next_after
    assert len(seen) == len(set(seen)) == 1000
    if connection.vendor == "postgresql":
        for queryset in (
            secret_queryset_for_user(user=owner)[:51],
            secret_queryset_for_user(user=owner, folder="team4", after="team4/app00004")[:51],
            secret_queryset_for_user(user=owner, query="=password")[:51],
        ):
            assert "vault_secret_owner_mount_path_unique" in queryset.explain()
    assert time.monotonic() - started < 20


@pytest.mark.parametrize("params", [{"query": "a\x00b"}, {"after": "prod\x00"}, {"tag": "x\ny"}])
def test_control_characters_in_search_or_cursor_are_refused_cleanly(stocked, params):
    with pytest.raises(InvalidSearch):
        secret_list_for_user(user=stocked, **params)
