"""API token pages: create with scopes, paths and expiry; the value shown once; list; revoke; hostile input."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import ApiToken
from accounts.services.tokens import token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(email="tokens@example.test", password="correct horse battery staple")


@pytest.fixture
def signed_in(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def create(client, **fields):
    data = {"name": "deploy", "can_read": "on", "path_prefixes": "", "expiry": "90"} | fields
    return client.post("/accounts/tokens/new/", {k: v for k, v in data.items() if v is not None})


def test_token_pages_need_a_signed_in_user(client):
    for url in ["/accounts/tokens/", "/accounts/tokens/new/"]:
        assert client.get(url)["Location"].startswith("/accounts/login/")


def test_the_new_token_is_shown_once_then_only_its_prefix(signed_in, user):
    response = create(signed_in, name="nas backup", can_write="on", path_prefixes="prod/db\n/backups/\n", expiry="30")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    value = re.search(rb'value="(khp_[0-9a-f]{8}_[A-Za-z0-9_-]{43})"', response.content).group(1).decode()
    token = ApiToken.objects.get(user=user)
    assert (token.name, token.can_read, token.can_write) == ("nas backup", True, True)
    assert token.path_prefixes == ["prod/db", "backups"]
    assert token.expires_at - token.created == timedelta(days=30)

    listing = signed_in.get("/accounts/tokens/")
    assert value.encode() not in listing.content
    assert token.prefix.encode() in listing.content
    assert b"nas backup" in listing.content
    assert b"read, write" in listing.content


def test_never_expiring_tokens_and_the_default_of_90_days(signed_in, user):
    create(signed_in, name="forever", expiry="never")
    assert ApiToken.objects.get(name="forever").expires_at is None
    page = signed_in.get("/accounts/tokens/new/")
    assert re.search(rb'<option value="90" selected>', page.content)


def test_the_list_shows_last_use_and_revoking_stops_the_token(signed_in, user):
    token, value = token_create(user=user, name="ci", can_read=True, can_write=False)
    Client().get("/accounts/tokens/whoami", HTTP_X_VAULT_TOKEN=value, REMOTE_ADDR="198.51.100.4")
    assert b"from 198.51.100.4" in signed_in.get("/accounts/tokens/").content

    response = signed_in.post(f"/accounts/tokens/{token.pk}/revoke/", follow=True)
    assert b"Token revoked" in response.content
    assert b"revoked" in response.content
    assert Client().get("/accounts/tokens/whoami", HTTP_X_VAULT_TOKEN=value).status_code == 401


def test_revoking_someone_elses_token_does_nothing(signed_in, django_user_model):
    other = django_user_model.objects.create_user(email="o@example.test", password="x" * 16)
    token, _ = token_create(user=other, name="theirs", can_read=True, can_write=False)
    response = signed_in.post(f"/accounts/tokens/{token.pk}/revoke/", follow=True)
    assert b"No such active token" in response.content
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"can_read": None}, b"Choose at least one scope"),
        ({"name": ""}, b"This field is required"),
        ({"name": "n" * 101}, b"at most 100 characters"),
        ({"path_prefixes": "prod/../etc"}, b"is not a vault path"),
        ({"path_prefixes": "prod db"}, b"is not a vault path"),
        ({"path_prefixes": "\n".join(f"p{i}" for i in range(21))}, b"At most 20 paths"),
        ({"path_prefixes": "a" * 201}, b"is not a vault path"),
        ({"expiry": "3650"}, b"Select a valid choice"),
        ({"name": "nul\x00byte"}, b"Null characters are not allowed"),
    ],
)
def test_bad_token_forms_are_form_errors(signed_in, fields, error):
    response = create(signed_in, **fields)
    assert response.status_code == 200
    assert error in response.content
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("body", [b"\xff\xfe\xfd", b"name=%ff%fe&can_read=on&expiry=90", b"name=a&name=b", b"=" * 9000])
def test_malformed_token_bodies_never_give_500(signed_in, body):
    response = signed_in.post("/accounts/tokens/new/", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in {200, 400}


def test_oversized_token_form_is_refused_with_400(signed_in):
    body = b"can_read=on&expiry=90&name=" + b"x" * (3 * 1024 * 1024)
    response = signed_in.post("/accounts/tokens/new/", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_token_forms_without_csrf_are_refused(user):
    token, _ = token_create(user=user, name="keep", can_read=True, can_write=False)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/accounts/tokens/new/", {"name": "x", "can_read": "on", "expiry": "90"}).status_code == 403
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 403
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert ApiToken.objects.count() == 1


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=150), paths=st.text(max_size=300), expiry=st.text(max_size=10))
def test_random_token_forms_are_created_or_refused_never_500(signed_in, name, paths, expiry):
    response = create(signed_in, name=name, path_prefixes=paths, expiry=expiry)
    assert response.status_code == 200
    for token in ApiToken.objects.all():
        assert all(re.fullmatch(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*", prefix) for prefix in token.path_prefixes)


def test_vault_policy_style_prefixes_are_stored_as_segment_prefixes(signed_in, user):
    create(signed_in, path_prefixes="secret/app/*\nteam/ci")
    assert ApiToken.objects.get(user=user).path_prefixes == ["secret/app", "team/ci"]
