"""Two-factor pages: set-up, the login's second step, settings actions, the admin gate and hostile input."""

import re

import pytest
from django.conf import settings
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.services import twofactor
from tests.accounts.twofactor_support import (
    PASSWORD,
    away_from_step_boundary,
    code_at,
    enrol,
    pending_login_session,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(email="pages@example.test", password=PASSWORD)


@pytest.fixture
def pending_client(user):
    """A browser whose password step is done and which now owes its second factor."""
    client = Client(raise_request_exception=False)
    client.cookies[settings.SESSION_COOKIE_NAME] = pending_login_session(user)
    return client


def signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def test_two_factor_pages_need_a_signed_in_user(client):
    for url in ["/accounts/2fa/", "/accounts/2fa/setup/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_enrolment_shows_qr_and_secret_then_recovery_codes_once(client, user):
    client.force_login(user)
    assert b"is <strong>off</strong>" in client.get("/accounts/2fa/").content
    assert client.post("/accounts/2fa/start/")["Location"] == "/accounts/2fa/setup/"

    page = client.get("/accounts/2fa/setup/")
    assert "no-store" in page["Cache-Control"]
    secret = re.search(rb'data-testid="totp-secret">([A-Z2-7]+)<', page.content).group(1).decode()
    assert b'src="data:image/svg+xml' in page.content
    assert secret == user.totp_device.secret

    away_from_step_boundary()
    shown = client.post("/accounts/2fa/setup/", {"code": code_at(secret)})
    assert shown.status_code == 200
    codes = re.findall(rb"<li><code>([0-9a-z-]{19})</code></li>", shown.content)
    assert len(codes) == 10
    assert "no-store" in shown["Cache-Control"]
    settings_page = client.get("/accounts/2fa/")
    assert b"is <strong>on</strong>" in settings_page.content
    assert codes[0] not in settings_page.content
    assert b"10 of 10 recovery codes left" in settings_page.content
    # The set-up page is gone once confirmed: no way to see the secret again.
    assert client.get("/accounts/2fa/setup/")["Location"] == "/accounts/2fa/"


def test_a_wrong_set_up_code_is_a_form_error(client, user):
    client.force_login(user)
    client.post("/accounts/2fa/start/")
    response = client.post("/accounts/2fa/setup/", {"code": "12345x"})
    assert response.status_code == 200
    assert b"That code is not valid" in response.content
    assert not twofactor.twofactor_enabled(user)


def test_second_step_signs_in_with_a_totp_code_and_marks_the_session(pending_client, user):
    secret, _ = enrol(user)
    assert pending_client.get("/accounts/2fa/login/").status_code == 200
    assert signed_in_user_id(pending_client) is None

    response = pending_client.post("/accounts/2fa/login/?next=/accounts/tokens/", {"code": code_at(secret)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/tokens/"
    assert signed_in_user_id(pending_client) == str(user.pk)
    assert pending_client.session.get(twofactor.VERIFIED_SESSION_KEY)


def test_a_replayed_code_does_not_sign_in_a_second_browser(user):
    secret, _ = enrol(user)
    code = code_at(secret)
    first, second = Client(), Client()
    first.cookies[settings.SESSION_COOKIE_NAME] = pending_login_session(user)
    second.cookies[settings.SESSION_COOKIE_NAME] = pending_login_session(user)
    assert first.post("/accounts/2fa/login/", {"code": code}).status_code == 302
    replay = second.post("/accounts/2fa/login/", {"code": code})
    assert replay.status_code == 200
    assert b"That code is not valid" in replay.content
    assert signed_in_user_id(second) is None


def test_second_step_accepts_a_recovery_code_once(pending_client, user):
    _, codes = enrol(user)
    response = pending_client.post("/accounts/2fa/login/", {"code": codes[0]}, follow=True)
    assert b"You used a recovery code; 9 left" in response.content
    assert signed_in_user_id(pending_client) == str(user.pk)

    again = Client()
    again.cookies[settings.SESSION_COOKIE_NAME] = pending_login_session(user)
    assert again.post("/accounts/2fa/login/", {"code": codes[0]}).status_code == 200
    assert signed_in_user_id(again) is None


def test_second_step_without_a_password_step_goes_back_to_login(client):
    assert client.get("/accounts/2fa/login/")["Location"] == "/accounts/login/"
    assert client.post("/accounts/2fa/login/", {"code": "123456"})["Location"] == "/accounts/login/"


def test_second_step_refuses_an_off_site_next(pending_client, user):
    secret, _ = enrol(user)
    response = pending_client.post("/accounts/2fa/login/", {"code": code_at(secret), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_wrong_codes_lock_the_second_step_with_429_and_retry_after(pending_client, user):
    secret, _ = enrol(user)
    statuses = [pending_client.post("/accounts/2fa/login/", {"code": "000000x"}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    locked = pending_client.post("/accounts/2fa/login/", {"code": code_at(secret)})
    assert locked.status_code == 429
    assert 0 < int(locked["Retry-After"]) <= 900
    assert b"Too many wrong codes. Try again in about 15 minutes." in locked.content
    assert signed_in_user_id(pending_client) is None


def test_regenerating_recovery_codes_needs_a_fresh_code(client, user):
    secret, old = enrol(user)
    client.force_login(user)
    refused = client.post("/accounts/2fa/recovery-codes/", {"regenerate-code": old[0]})
    assert b"That code is not valid" in refused.content
    shown = client.post("/accounts/2fa/recovery-codes/", {"regenerate-code": code_at(secret)})
    codes = re.findall(rb"<li><code>([0-9a-z-]{19})</code></li>", shown.content)
    assert len(codes) == 10
    assert old[0].encode() not in codes


def test_disabling_from_the_settings_page_needs_a_code(client, user):
    secret, _ = enrol(user)
    client.force_login(user)
    refused = client.post("/accounts/2fa/disable/", {"disable-code": ""})
    assert refused.status_code == 200
    assert twofactor.twofactor_enabled(user)
    response = client.post("/accounts/2fa/disable/", {"disable-code": code_at(secret)}, follow=True)
    assert b"Two-factor authentication is off" in response.content
    assert not twofactor.twofactor_enabled(user)


# --- The admin gate ---------------------------------------------------------------------------


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(email="admin@example.test", password=PASSWORD, is_staff=True)


def test_staff_without_two_factor_are_sent_to_set_it_up(client, staff, settings):
    settings.ADMIN_REQUIRES_2FA = True
    client.force_login(staff)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/2fa/"
    assert b"Staff need two-factor authentication to use the admin" in response.content


def test_staff_with_two_factor_must_have_used_it_in_this_session(client, staff, settings):
    settings.ADMIN_REQUIRES_2FA = True
    staff.is_superuser = True
    staff.save()
    secret, _ = enrol(staff)
    client.force_login(staff)
    response = client.get("/admin/accounts/apitoken/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/login/?next=%2Fadmin%2Faccounts%2Fapitoken%2F"
    stepped_up = client.post(response["Location"], {"code": code_at(secret)})
    assert stepped_up["Location"] == "/admin/accounts/apitoken/"
    assert client.get("/admin/accounts/apitoken/").status_code == 200


def test_staff_signed_in_through_the_second_step_reach_the_admin(staff, settings):
    settings.ADMIN_REQUIRES_2FA = True
    secret, _ = enrol(staff)
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = pending_login_session(staff)
    client.post("/accounts/2fa/login/", {"code": code_at(secret)})
    assert client.get("/admin/").status_code == 200


def test_the_gate_is_off_when_the_setting_is(client, staff, settings):
    settings.ADMIN_REQUIRES_2FA = False
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_form_is_replaced_by_the_site_login(client):
    # Its password-only form would otherwise skip a user's second factor.
    response = client.get("/admin/login/?next=/admin/")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert client.post("/admin/login/", {"username": "a", "password": "b"}).status_code in {302, 403}


def test_admin_never_shows_the_totp_secret(client, staff, settings):
    settings.ADMIN_REQUIRES_2FA = False
    staff.is_superuser = True
    staff.save()
    secret, _ = enrol(staff)
    client.force_login(staff)
    device = staff.totp_device
    for url in ["/admin/accounts/totpdevice/", f"/admin/accounts/totpdevice/{device.pk}/change/"]:
        response = client.get(url)
        assert response.status_code == 200
        assert secret.encode() not in response.content
    assert b"10" in client.get(f"/admin/accounts/totpdevice/{device.pk}/change/").content


# --- Hostile input ----------------------------------------------------------------------------


def test_oversized_code_body_is_refused_with_400(pending_client):
    response = pending_client.post(
        "/accounts/2fa/login/",
        data=b"code=" + b"1" * (3 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body", [b"\xff\xfe\xfd", b"code=%ff%fe%00", b"code=1&code=2", b"code=" + b"9" * 5000, b"=" * 10_000]
)
def test_malformed_code_bodies_give_a_form_error(pending_client, user, body):
    enrol(user)
    response = pending_client.post("/accounts/2fa/login/", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert b"Two-factor code" in response.content
    assert signed_in_user_id(pending_client) is None


def test_code_posts_without_csrf_token_are_refused(user):
    enrol(user)
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.SESSION_COOKIE_NAME] = pending_login_session(user)
    assert client.post("/accounts/2fa/login/", {"code": "123456"}).status_code == 403
    client.force_login(user)
    for url in ["/accounts/2fa/start/", "/accounts/2fa/disable/", "/accounts/2fa/recovery-codes/"]:
        assert client.post(url, {"disable-code": "123456"}).status_code == 403
    assert twofactor.twofactor_enabled(user)


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=st.one_of(st.text(max_size=80), st.binary(max_size=80).map(lambda b: b.decode("latin-1"))))
def test_random_codes_never_sign_in_or_crash(user, code):
    if not twofactor.twofactor_enabled(user):
        enrol(user)
    client = Client(raise_request_exception=False)
    client.cookies[settings.SESSION_COOKIE_NAME] = pending_login_session(user)
    response = client.post("/accounts/2fa/login/", {"code": code})
    assert response.status_code in {200, 429}
    assert signed_in_user_id(client) is None
