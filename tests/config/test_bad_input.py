"""Hostile input to the foundation's pages gets a 4xx or a form error, never a 500."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


def test_oversized_login_body_is_refused_with_400(client):
    client.raise_request_exception = False
    response = client.post(
        "/accounts/login/",
        data=b"username=a&password=" + b"x" * (3 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


def test_login_without_csrf_token_is_refused(csrf_client):
    response = csrf_client.post("/accounts/login/", {"username": "a@example.test", "password": "whatever"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe\xfd", b"username=%ff%fe&password=%00", b"username[]=1&username[]=2", b"=" * 10_000],
)
def test_malformed_login_bodies_give_a_form_error(client, body):
    client.raise_request_exception = False
    response = client.post("/accounts/login/", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert b"Sign in" in response.content


def test_too_many_form_fields_is_refused_with_400(client):
    client.raise_request_exception = False
    body = "&".join(f"f{i}=1" for i in range(1500)).encode()
    response = client.post("/accounts/login/", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_unknown_url_is_a_404_page(client):
    client.raise_request_exception = False
    assert client.get("/no/such/page/%ff").status_code == 404


def test_open_redirect_after_login_is_refused(client, django_user_model):
    django_user_model.objects.create_user(email="u@example.test", password="correct horse battery staple")
    response = client.post(
        "/accounts/login/?next=https://evil.example/",
        {"username": "u@example.test", "password": "correct horse battery staple", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_login_is_case_insensitive_on_email(client, django_user_model):
    django_user_model.objects.create_user(email="Mixed@Example.test", password="correct horse battery staple")
    response = client.post(
        "/accounts/login/", {"username": "MIXED@example.TEST", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302


def test_duplicate_email_differing_in_case_is_refused(django_user_model):
    from django.db import IntegrityError, transaction

    django_user_model.objects.create_user(email="dup@example.test", password="x" * 16)
    with pytest.raises(IntegrityError), transaction.atomic():
        django_user_model.objects.create_user(email="DUP@example.test", password="x" * 16)


@pytest.mark.parametrize("next_url", ["ៅ'; DROP TABLE x; --", "accounts:logout", "evil.example/x", "//evil.example/"])
def test_a_next_that_is_not_a_local_path_goes_home(client, django_user_model, next_url):
    user = django_user_model.objects.create_user(email="n@example.test", password="correct horse battery staple")
    client.force_login(user)
    # Signed in already: the login page sends people on, and garbage must not reach redirect() as a view name.
    response = client.get("/accounts/login/", {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"
