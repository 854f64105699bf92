"""Vault management pages through the Django test client: move, delete with history, trash, version diff."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.vault.vault_support import counts, make_user
from vault.models import Secret, SecretVersion
from vault.services import secret_create, secret_update, secret_versions_delete

pytestmark = pytest.mark.django_db

CANARY = "canary-Mv4nG8r-never-in-html"
CANARY_NEW = "canary-Mv4nG8r-second-never-in-html"


@pytest.fixture
def stored(person):
    secret_create(owner=person, path="prod/db/main", fields={"password": CANARY, "user": "app"})
    return Secret.objects.get(owner=person, path="prod/db/main")


def url(name: str, path: str) -> str:
    return reverse(f"vault:{name}", kwargs={"secret_path": path})


def test_every_new_page_requires_sign_in(client, stored):
    pages = [
        ("post", url("secret-move", stored.path), {"new_path": "x"}),
        ("get", url("secret-delete", stored.path), {}),
        ("post", url("secret-delete", stored.path), {"confirm": "on"}),
        ("get", url("secret-diff", stored.path), {"a": 1, "b": 1}),
        ("get", reverse("vault:secret-trash"), {}),
        ("post", url("secret-trash-action", stored.path), {"action": "destroy", "version": 1, "confirm": "on"}),
    ]
    for method, target, data in pages:
        response = getattr(client, method)(target, data)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert Secret.objects.filter(pk=stored.pk, path="prod/db/main").exists()


def test_unverified_user_is_refused_the_new_pages(client, django_user_model, stored):
    client.force_login(make_user(django_user_model, "new@example.test"))
    assert client.get(reverse("vault:secret-trash")).status_code == 403
    assert client.get(url("secret-diff", stored.path), {"a": 1, "b": 1}).status_code == 403


def test_new_pages_are_never_cached_and_changes_need_post(signed_in, stored):
    for target in [reverse("vault:secret-trash"), url("secret-delete", stored.path)]:
        assert "no-store" in signed_in.get(target)["Cache-Control"]
    assert signed_in.get(url("secret-move", stored.path), {"new_path": "x"}).status_code == 405
    assert signed_in.get(url("secret-trash-action", stored.path)).status_code == 405
    assert signed_in.post(url("secret-diff", stored.path), {"a": 1, "b": 1}).status_code == 405


def test_changes_are_refused_without_a_csrf_token(client, person, stored):
    client.handler.enforce_csrf_checks = True
    client.force_login(person)
    assert client.post(url("secret-move", stored.path), {"new_path": "moved"}).status_code == 403
    assert client.post(url("secret-delete", stored.path), {"confirm": "on"}).status_code == 403
    assert Secret.objects.filter(pk=stored.pk, path="prod/db/main").exists()


def test_detail_offers_move_delete_and_compare(signed_in, person, stored):
    secret_update(owner=person, path=stored.path, fields={"password": CANARY_NEW}, cas=1)
    body = signed_in.get(url("secret-detail", stored.path)).content.decode()
    assert 'data-testid="move-form"' in body
    assert 'data-testid="diff-form"' in body
    assert url("secret-delete", stored.path) in body
    assert CANARY not in body
    assert CANARY_NEW not in body


def test_move_keeps_history_and_redirects_to_the_new_path(signed_in, person, stored):
    secret_update(owner=person, path=stored.path, fields={"password": "v2"}, cas=1)
    response = signed_in.post(url("secret-move", stored.path), {"new_path": "staging/db/main"})
    assert response.status_code == 302
    assert response["Location"] == url("secret-detail", "staging/db/main")
    stored.refresh_from_db()
    assert stored.path == "staging/db/main"
    assert stored.versions.count() == 2
    assert signed_in.get(url("secret-detail", "prod/db/main")).status_code == 404


def test_move_onto_a_taken_path_is_refused_with_its_status(signed_in, person, stored):
    secret_create(owner=person, path="prod/db/other", fields={"k": "v"})
    before = counts()
    response = signed_in.post(url("secret-move", stored.path), {"new_path": "prod/db/other"})
    assert response.status_code == 409
    assert "already exists" in response.content.decode()
    assert counts() == before
    stored.refresh_from_db()
    assert stored.path == "prod/db/main"


@pytest.mark.parametrize(
    ("new_path", "status"),
    [("", 400), ("../etc/passwd", 400), ("a//b", 400), ("/abs", 400), ("bad\x01path", 400), ("x" * 5000, 400)],
)
def test_move_to_a_hostile_path_is_4xx_and_changes_nothing(signed_in, stored, new_path, status):
    before = counts()
    assert signed_in.post(url("secret-move", stored.path), {"new_path": new_path}).status_code == status
    assert counts() == before
    stored.refresh_from_db()
    assert stored.path == "prod/db/main"


def test_move_of_someone_elses_secret_is_not_found(client, django_user_model, stored):
    intruder = make_user(django_user_model, "intruder@example.test")
    intruder.email_verified_at = timezone.now()
    intruder.save(update_fields=["email_verified_at"])
    client.force_login(intruder)
    assert client.post(url("secret-move", stored.path), {"new_path": "mine"}).status_code == 404
    assert client.post(url("secret-delete", stored.path), {"confirm": "on"}).status_code == 404
    assert client.get(url("secret-diff", stored.path), {"a": 1, "b": 1}).status_code == 404
    assert (
        client.post(
            url("secret-trash-action", stored.path), {"action": "destroy", "version": 1, "confirm": "on"}
        ).status_code
        == 404
    )
    stored.refresh_from_db()
    assert stored.path == "prod/db/main"
    assert not stored.versions.get(version=1).destroyed


def test_delete_asks_first_then_removes_the_secret_and_its_history(signed_in, person, stored):
    secret_update(owner=person, path=stored.path, fields={"password": "v2"}, cas=1)
    confirm = signed_in.get(url("secret-delete", stored.path))
    assert confirm.status_code == 200
    assert "all its history" in confirm.content.decode()
    # A POST without the confirmation only asks again.
    assert signed_in.post(url("secret-delete", stored.path)).status_code == 200
    assert Secret.objects.filter(pk=stored.pk).exists()

    response = signed_in.post(url("secret-delete", stored.path), {"confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("vault:secret-list")
    assert not Secret.objects.filter(pk=stored.pk).exists()
    assert not SecretVersion.objects.filter(secret_id=stored.pk).exists()
    assert signed_in.get(url("secret-detail", stored.path)).status_code == 404
    assert signed_in.get(url("secret-delete", stored.path)).status_code == 404


def test_trash_lists_deleted_versions_with_undelete_and_destroy(signed_in, person, stored):
    assert 'data-testid="trash-empty"' in signed_in.get(reverse("vault:secret-trash")).content.decode()
    secret_update(owner=person, path=stored.path, fields={"password": CANARY_NEW}, cas=1)
    secret_versions_delete(owner=person, path=stored.path, versions=[1, 2])
    body = signed_in.get(reverse("vault:secret-trash")).content.decode()
    assert 'data-testid="trash-table"' in body
    assert body.count('data-path="prod/db/main"') == 2
    assert "Undelete" in body
    assert "Destroy" in body
    assert CANARY not in body
    assert CANARY_NEW not in body

    action = url("secret-trash-action", stored.path)
    response = signed_in.post(action, {"action": "undelete", "version": 1})
    assert response.status_code == 302
    assert response["Location"] == reverse("vault:secret-trash")
    assert stored.versions.get(version=1).state == "active"

    confirm = signed_in.post(action, {"action": "destroy", "version": 2})
    assert confirm.status_code == 200
    assert "Destroy version 2" in confirm.content.decode()
    assert stored.versions.get(version=2).state == "deleted"
    assert signed_in.post(action, {"action": "destroy", "version": 2, "confirm": "on"}).status_code == 302
    assert stored.versions.get(version=2).state == "destroyed"
    assert 'data-testid="trash-empty"' in signed_in.get(reverse("vault:secret-trash")).content.decode()


def test_trash_shows_only_the_users_own_versions(signed_in, django_user_model, stored):
    other = make_user(django_user_model, "other-trash@example.test")
    secret_create(owner=other, path="their/secret", fields={"k": "v"})
    secret_versions_delete(owner=other, path="their/secret", versions=[1])
    assert "their/secret" not in signed_in.get(reverse("vault:secret-trash")).content.decode()


@pytest.mark.parametrize(
    "data",
    [{}, {"action": "delete", "version": 1}, {"action": "undelete", "version": "-1"}, {"action": "destroy"}],
)
def test_hostile_trash_actions_are_4xx(signed_in, stored, data):
    before = counts()
    assert signed_in.post(url("secret-trash-action", stored.path), data).status_code == 400
    assert counts() == before


def test_diff_shows_field_names_and_never_values(signed_in, person, stored):
    secret_update(
        owner=person, path=stored.path, fields={"password": CANARY_NEW, "host": "db.internal"}, notes="n", cas=1
    )
    response = signed_in.get(url("secret-diff", stored.path), {"a": 1, "b": 2})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert "<code>host</code>" in body.split('data-testid="diff-added"')[1].split("</dd>")[0]
    assert "<code>user</code>" in body.split('data-testid="diff-removed"')[1].split("</dd>")[0]
    assert "<code>password</code>" in body.split('data-testid="diff-changed"')[1].split("</dd>")[0]
    for value in [CANARY, CANARY_NEW, "db.internal", "app"]:
        assert value not in body


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"a": "x", "b": 1}, 400),
        ({"a": 0, "b": 1}, 400),
        ({"a": 1, "b": 99}, 404),
        ({"a": 2**40, "b": 1}, 400),
    ],
)
def test_hostile_diff_parameters_are_4xx(signed_in, stored, params, status):
    assert signed_in.get(url("secret-diff", stored.path), params).status_code == status


def test_diff_of_a_deleted_version_is_refused_with_its_status(signed_in, person, stored):
    secret_update(owner=person, path=stored.path, fields={"password": "v2"}, cas=1)
    secret_versions_delete(owner=person, path=stored.path, versions=[1])
    response = signed_in.get(url("secret-diff", stored.path), {"a": 1, "b": 2})
    assert response.status_code == 404
    assert "undelete it" in response.content.decode()


def test_create_and_edit_forms_offer_the_generator_without_breaking_plain_forms(signed_in, stored):
    for target in [reverse("vault:secret-create"), url("secret-edit", stored.path)]:
        body = signed_in.get(target).content.decode()
        assert "js/password-generator.js" in body
        assert 'data-testid="password-generator"' in body
        assert "<script>" not in body  # CSP: no inline scripts
    # The generator's inputs have no names, so a plain submission posts only the secret's own fields.
    response = signed_in.post(
        reverse("vault:secret-create"), {"path": "plain/form", "field_name": ["k"], "field_value": ["v"]}
    )
    assert response.status_code == 302


def test_wordlist_is_bundled_and_large_enough(settings):
    from pathlib import Path

    words = (Path(settings.BASE_DIR) / "static" / "vault" / "wordlist.txt").read_text().split()
    assert len(set(words)) == len(words) >= 1000
    assert all(word.isalpha() and word.islower() and len(word) <= 8 for word in words)
