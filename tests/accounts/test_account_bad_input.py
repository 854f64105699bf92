"""Hostile input to the account forms: oversized, malformed, missing CSRF, random. Never a 500."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import AuditEvent
from tests.accounts.account_support import PASSWORD, clear_throttles

pytestmark = pytest.mark.django_db
MEGABYTE = "x" * (1024 * 1024)
FORMS = {
    "/accounts/login/": {"username": "a@example.test", "password": "p"},
    "/accounts/signup/": {"email": "a@example.test", "display_name": "A", "password1": "p", "password2": "p"},
    "/accounts/password/reset/": {"email": "a@example.test"},
}


@pytest.fixture
def lenient():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("url", sorted(FORMS))
def test_every_form_refuses_a_missing_csrf_token(url):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    assert client.post(url, FORMS[url]).status_code == 403


@pytest.mark.parametrize("url", sorted(FORMS))
@pytest.mark.parametrize("field_index", [0, -1])
def test_a_megabyte_field_is_a_form_error_and_never_hashed(lenient, django_user_model, url, field_index):
    django_user_model.objects.create_user(email="a@example.test", password=PASSWORD)
    data = dict(FORMS[url])
    name = list(data)[field_index]
    data[name] = MEGABYTE
    response = lenient.post(url, data)
    assert response.status_code == 200
    assert "at most" in response.content.decode()
    # Refused at the form: no sign-in was attempted, so nothing was counted or audited.
    assert not AuditEvent.objects.filter(action__in=["login", "signup"]).exists()


def test_a_megabyte_password_is_refused_by_password_change(lenient, django_user_model):
    user = django_user_model.objects.create_user(email="a@example.test", password=PASSWORD)
    lenient.force_login(user)
    # One oversized field: three of them would pass DATA_UPLOAD_MAX_MEMORY_SIZE and be a plain 400.
    data = {"old_password": PASSWORD, "new_password1": MEGABYTE, "new_password2": "short"}
    response = lenient.post("/accounts/password/", data)
    assert response.status_code == 200
    assert "at most" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("url", sorted(FORMS))
@pytest.mark.parametrize("body", [b"\xff\xfe\xfd", b"email=%ff%fe&password1=%00", b"username[]=1&username[]=2"])
def test_invalid_utf8_and_odd_bodies_give_a_form_error(lenient, url, body):
    response = lenient.post(url, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/verify/%ff%fe/",
        "/accounts/verify/" + "a" * 5000 + "/",
        "/accounts/password/reset/zz/%00set-password/",
    ],
)
def test_garbage_links_are_a_4xx_with_a_message(lenient, url):
    response = lenient.get(url, follow=True)
    assert 400 <= response.status_code < 500


text = st.text(max_size=300)


@hypothesis_settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(username=text, password=text, remember=st.sampled_from(["", "on", "\x00", "yes"]))
def test_login_never_fails_with_a_server_error(lenient, username, password, remember):
    clear_throttles()
    response = lenient.post("/accounts/login/", {"username": username, "password": password, "remember_me": remember})
    assert response.status_code in {200, 302, 429}


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(email=text, name=text, password1=text, password2=text)
def test_signup_never_fails_with_a_server_error(lenient, email, name, password1, password2):
    clear_throttles()
    data = {"email": email, "display_name": name, "password1": password1, "password2": password2}
    assert lenient.post("/accounts/signup/", data).status_code in {200, 429}
