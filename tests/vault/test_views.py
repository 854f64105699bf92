"""Vault pages through the Django test client: access, listing, create, metadata-only detail, reveal, edit."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.vault.vault_support import PASSWORD, counts, make_user
from vault.models import Secret
from vault.services import secret_create, secret_update

pytestmark = pytest.mark.django_db

CANARY = "canary-Zq8vXw3-never-in-html"


@pytest.fixture
def stored(person):
    secret_create(owner=person, path="prod/db/main", fields={"password": CANARY, "user": "app"}, tags=["db"])
    return Secret.objects.get(owner=person, path="prod/db/main")


def detail_url(path: str) -> str:
    return reverse("vault:secret-detail", kwargs={"secret_path": path})


def reveal(client, path: str, version: int, **extra):
    return client.post(reverse("vault:secret-reveal", kwargs={"secret_path": path}), {"version": version, **extra})


def test_every_page_requires_sign_in(client, stored):
    for url in [reverse("vault:secret-list"), reverse("vault:secret-create"), detail_url(stored.path)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert reveal(client, stored.path, 1).status_code == 302


def test_unverified_user_is_pointed_at_the_verification_banner(client, django_user_model):
    client.force_login(make_user(django_user_model, "new@example.test"))
    response = client.get(reverse("vault:secret-list"))
    assert response.status_code == 403
    assert "Verify your email first" in response.content.decode()
    assert 'data-testid="verify-banner"' in response.content.decode()


def test_pages_are_never_cached(signed_in, stored):
    for response in [signed_in.get(reverse("vault:secret-list")), signed_in.get(detail_url(stored.path))]:
        assert "no-store" in response["Cache-Control"]


def test_empty_list_offers_a_new_secret(signed_in):
    response = signed_in.get(reverse("vault:secret-list"))
    assert response.status_code == 200
    assert 'data-testid="secret-empty"' in response.content.decode()
    assert "New secret" in response.content.decode()


def test_list_shows_folders_and_searches_names_but_never_values(signed_in, person, stored):
    secret_create(owner=person, path="prod/api", fields={"token": "t"})
    secret_create(owner=person, path="home/wifi", fields={"psk": "p"})
    body = signed_in.get(reverse("vault:secret-list")).content.decode()
    assert "prod/" in body
    assert "home/" in body
    assert CANARY not in body
    body = signed_in.get(reverse("vault:secret-list"), {"folder": "prod"}).content.decode()
    assert "prod/api" in body
    assert "home/wifi" not in body
    body = signed_in.get(reverse("vault:secret-list"), {"q": "=password"}).content.decode()
    assert "prod/db/main" in body
    assert "prod/api" not in body
    body = signed_in.get(reverse("vault:secret-list"), {"q": CANARY}).content.decode()
    assert "prod/db/main" not in body


def test_list_paginates(signed_in, person):
    for n in range(55):
        secret_create(owner=person, path=f"bulk/s{n:03}", fields={"k": "v"})
    first = signed_in.get(reverse("vault:secret-list"))
    assert first.context["next_after"] == "bulk/s049"
    second = signed_in.get(reverse("vault:secret-list"), {"after": first.context["next_after"]})
    assert [s.path for s in second.context["secrets"]] == [f"bulk/s{n:03}" for n in range(50, 55)]


def test_create_saves_rows_and_redirects_to_detail(signed_in, person):
    response = signed_in.post(
        reverse("vault:secret-create"),
        {
            "path": "svc/mail",
            "field_name": ["user", "password", ""],
            "field_value": ["bob", CANARY, ""],
            "notes": "rotate yearly",
            "tags": "mail, prod",
        },
    )
    assert response.status_code == 302
    secret = Secret.objects.get(owner=person, path="svc/mail")
    assert secret.tags == ["mail", "prod"]
    body = signed_in.get(response["Location"]).content.decode()
    assert "password" in body
    assert "user" in body
    assert CANARY not in body


def test_create_form_offers_three_rows_without_javascript(signed_in):
    body = signed_in.get(reverse("vault:secret-create")).content.decode()
    assert body.count('name="field_name"') >= 3
    assert body.count('name="field_value"') >= 3


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"path": "../etc/passwd", "field_name": ["a"], "field_value": ["b"]}, 400),
        ({"path": "a//b", "field_name": ["a"], "field_value": ["b"]}, 400),
        ({"path": "a\x00b", "field_name": ["a"], "field_value": ["b"]}, 400),
        ({"path": "a/\u202eb", "field_name": ["a"], "field_value": ["b"]}, 400),
        ({"path": "ok", "field_name": ["a", "a"], "field_value": ["b", "c"]}, 400),
        ({"path": "ok", "field_name": ["a"], "field_value": ["b", "c"]}, 400),
        ({"path": "ok", "field_name": [""], "field_value": ["x"]}, 400),
        ({"path": "ok", "field_name": ["a"], "field_value": ["x" * (70 * 1024)]}, 413),
        ({"path": "ok", "field_name": ["a"], "field_value": ["b"], "tags": "x" * 200}, 400),
        ({"path": "x" * 300, "field_name": ["a"], "field_value": ["b"]}, 400),
        ({}, 400),
    ],
)
def test_hostile_create_input_is_refused_and_writes_nothing(signed_in, data, status):
    before = counts()
    response = signed_in.post(reverse("vault:secret-create"), data)
    assert response.status_code == status
    assert 'role="alert"' in response.content.decode()
    assert counts() == before


def test_create_on_a_taken_path_is_refused(signed_in, stored):
    response = signed_in.post(
        reverse("vault:secret-create"), {"path": stored.path, "field_name": ["a"], "field_value": ["b"]}
    )
    assert response.status_code == 409
    assert "already exists" in response.content.decode()


def test_detail_shows_metadata_and_never_decrypts(signed_in, stored):
    response = signed_in.get(detail_url(stored.path))
    body = response.content.decode()
    assert response.status_code == 200
    assert "password" in body
    assert "db" in body
    assert "active" in body
    assert CANARY not in body
    assert "Reveal values" in body


def test_someone_elses_secret_is_not_found(client, django_user_model, stored):
    intruder = make_user(django_user_model, "intruder@example.test")
    intruder.email_verified_at = timezone.now()
    intruder.save()
    client.force_login(intruder)
    assert client.get(detail_url(stored.path)).status_code == 404
    response = reveal(client, stored.path, 1, password=PASSWORD)
    assert response.status_code == 404
    assert CANARY not in response.content.decode()


def test_reveal_asks_for_the_password_then_shows_values(signed_in, stored):
    response = reveal(signed_in, stored.path, 1)
    assert response.status_code == 401
    assert CANARY not in response.content.decode()
    assert "Confirm your password" in response.content.decode()

    wrong = reveal(signed_in, stored.path, 1, password="not it")
    assert wrong.status_code == 400
    assert CANARY not in wrong.content.decode()

    shown = reveal(signed_in, stored.path, 1, password=PASSWORD)
    assert shown.status_code == 200
    assert CANARY in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    assert "Copy" in shown.content.decode()
    # The confirmation holds for the next reveal within the window.
    assert CANARY in reveal(signed_in, stored.path, 1).content.decode()


def test_reveal_of_bad_or_deleted_versions_is_a_clear_refusal(signed_in, person, stored):
    reveal(signed_in, stored.path, 1, password=PASSWORD)
    assert reveal(signed_in, stored.path, "x").status_code == 400
    assert reveal(signed_in, stored.path, 99).status_code == 404
    assert reveal(signed_in, "no/such", 1).status_code == 404
    signed_in.post(
        reverse("vault:secret-version-action", kwargs={"secret_path": stored.path}),
        {"action": "delete", "version": 1},
    )
    response = reveal(signed_in, stored.path, 1)
    assert response.status_code == 404
    assert CANARY not in response.content.decode()


def test_reveal_budget_refusal_shows_its_status(signed_in, person, stored, settings):
    settings.VAULT_REVEAL_BUDGET = 1
    secret_create(owner=person, path="other", fields={"k": "v"})
    assert reveal(signed_in, stored.path, 1, password=PASSWORD).status_code == 200
    response = reveal(signed_in, "other", 1)
    assert response.status_code == 429
    assert 'data-testid="vault-error"' in response.content.decode()


def edit_url(path: str) -> str:
    return reverse("vault:secret-edit", kwargs={"secret_path": path})


def test_edit_shows_names_only_until_revealed(signed_in, stored):
    body = signed_in.get(edit_url(stored.path)).content.decode()
    assert 'value="password"' in body
    assert CANARY not in body
    assert 'name="cas" value="1"' in body
    revealed = signed_in.post(edit_url(stored.path), {"reveal": "1", "password": PASSWORD})
    assert revealed.status_code == 200
    assert CANARY in revealed.content.decode()


def test_edit_saves_a_new_version(signed_in, person, stored):
    response = signed_in.post(
        edit_url(stored.path),
        {"cas": 1, "field_name": ["password"], "field_value": ["new"], "notes": "", "tags": "db, rotated"},
    )
    assert response.status_code == 302
    stored.refresh_from_db()
    assert stored.current_version == 2
    assert stored.tags == ["db", "rotated"]


def test_stale_edit_is_refused_and_overwrites_nothing(signed_in, person, stored):
    secret_update(owner=person, path=stored.path, fields={"password": "theirs"}, cas=1)
    before = counts()
    response = signed_in.post(
        edit_url(stored.path), {"cas": 1, "field_name": ["password"], "field_value": ["mine"], "tags": "db"}
    )
    assert response.status_code == 409
    assert "changed since you loaded it" in response.content.decode()
    assert counts() == before


def test_edit_without_values_is_refused(signed_in, stored):
    before = counts()
    response = signed_in.post(edit_url(stored.path), {"cas": 1, "field_name": ["password"], "field_value": [""]})
    assert response.status_code == 400
    assert counts() == before


@pytest.mark.parametrize("params", [{"folder": "../x"}, {"folder": "a//b"}, {"folder": "\x01"}, {"q": "x" * 5000}])
def test_hostile_list_parameters_are_4xx_never_500(signed_in, params):
    assert signed_in.get(reverse("vault:secret-list"), params).status_code in (200, 400)


def version_action(client, path: str, **data):
    return client.post(reverse("vault:secret-version-action", kwargs={"secret_path": path}), data)


def test_version_restore_delete_undelete_and_destroy(signed_in, person, stored):
    secret_update(owner=person, path=stored.path, fields={"password": "v2"}, cas=1)
    assert version_action(signed_in, stored.path, action="restore", version=1, cas=2).status_code == 302
    stored.refresh_from_db()
    assert stored.current_version == 3
    assert version_action(signed_in, stored.path, action="restore", version=1, cas=2).status_code == 409

    assert version_action(signed_in, stored.path, action="delete", version=2).status_code == 302
    assert stored.versions.get(version=2).state == "deleted"
    assert version_action(signed_in, stored.path, action="undelete", version=2).status_code == 302
    assert stored.versions.get(version=2).state == "active"

    confirm = version_action(signed_in, stored.path, action="destroy", version=2)
    assert confirm.status_code == 200
    assert "Destroy version 2" in confirm.content.decode()
    assert stored.versions.get(version=2).state == "active"
    assert version_action(signed_in, stored.path, action="destroy", version=2, confirm="on").status_code == 302
    assert stored.versions.get(version=2).state == "destroyed"
    assert "destroyed" in signed_in.get(detail_url(stored.path)).content.decode()


@pytest.mark.parametrize(
    "data", [{}, {"action": "explode", "version": 1}, {"action": "delete", "version": "-1"}, {"action": "delete"}]
)
def test_hostile_version_actions_are_4xx(signed_in, stored, data):
    before = counts()
    assert version_action(signed_in, stored.path, **data).status_code == 400
    assert counts() == before
