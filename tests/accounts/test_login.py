"""Signing in: remember-me, lockouts that hold whatever the address, no enumeration, hash upgrades."""

import re
import statistics
import time
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.utils import timezone

from accounts.models import AuditEvent, TOTPDevice, UserSession
from tests.accounts.account_support import PASSWORD, clear_throttles

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"
CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
BAD = "Please enter a correct email address and password."


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(
        email="alice@example.test", password=PASSWORD, email_verified_at=timezone.now()
    )


def post(client, email, password, **extra):
    return client.post(LOGIN, {"username": email, "password": password, **extra.pop("data", {})}, **extra)


def test_login_without_remember_me_gives_a_browser_session_cookie(client, user):
    response = post(client, user.email, PASSWORD)
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["expires"] == ""
    assert cookie["max-age"] == ""
    assert client.session.get_expire_at_browser_close()
    row = UserSession.objects.get(user=user)
    assert row.session_key == client.session.session_key
    assert row.remember_me is False


def test_login_with_remember_me_lasts_thirty_days(client, user):
    response = post(client, user.email, PASSWORD, data={"remember_me": "on"})
    cookie = response.cookies["sessionid"]
    assert int(cookie["max-age"]) == 30 * 24 * 3600
    assert UserSession.objects.get(user=user).remember_me is True


def test_unknown_email_and_wrong_password_look_the_same(client, user):
    unknown = post(client, "nobody@example.test", "whatever it is here")
    wrong = post(client, user.email, "not the right password")
    assert unknown.status_code == wrong.status_code == 200
    assert BAD in unknown.content.decode()
    assert BAD in wrong.content.decode()

    # Apart from the echoed address and the (per-response masked) CSRF token, the pages are the same.
    def page(response, email):
        return CSRF_VALUE.sub("", response.content.decode().replace(email, "X"))

    assert page(unknown, "nobody@example.test") == page(wrong, user.email)


def test_unknown_email_and_wrong_password_take_about_the_same_time(client, user):
    def median(email):
        times = []
        for _ in range(7):
            clear_throttles()
            started = time.perf_counter()
            post(client, email, "not the right password")
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    median(user.email)  # warm-up
    unknown, wrong = median("nobody@example.test"), median(user.email)
    # Both pay one Argon2 hash (~50 ms); without the dummy hash the unknown case would be ~10x faster.
    assert 0.6 < unknown / wrong < 1.6, (unknown, wrong)


def test_five_failures_lock_the_account_even_for_the_right_password(client, user):
    statuses = [post(client, user.email, f"wrong password {i}").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    response = post(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert 800 < int(response["Retry-After"]) <= 900
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="lockout", actor=user).count() == 1
    assert AuditEvent.objects.filter(action="login", outcome="failure", actor=user).count() == 5


def test_locked_login_is_refused_before_the_password_is_hashed(client, django_user_model):
    # A correct check would upgrade this PBKDF2 hash to Argon2; a lockout must not even check it.
    legacy = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user = django_user_model.objects.create(email="old@example.test", password=legacy)
    for i in range(5):
        post(client, user.email, f"wrong password {i}")
    assert post(client, user.email, PASSWORD).status_code == 429
    user.refresh_from_db()
    assert user.password == legacy


@pytest.mark.parametrize("trusted", [[], ["10.0.0.0/8"]])
def test_lockout_cannot_be_dodged_by_rotating_addresses_or_forwarded_for(client, user, settings, trusted):
    settings.TRUSTED_PROXIES = trusted
    from accounts import clientinfo

    clientinfo._trusted_proxies.cache_clear()
    try:
        for i in range(5):
            post(client, user.email, "wrong password", REMOTE_ADDR=f"10.0.{i}.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
        fresh = post(client, user.email, PASSWORD, REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="198.51.100.77")
        assert fresh.status_code == 429
        other_case = post(client, "  ALICE@example.TEST ", PASSWORD, REMOTE_ADDR="192.0.2.50")
        assert other_case.status_code == 429
    finally:
        clientinfo._trusted_proxies.cache_clear()


def test_many_failures_from_one_address_lock_that_address_only(client, user, django_user_model):
    for i in range(50):
        post(client, f"someone{i}@example.test", "wrong password", REMOTE_ADDR="192.0.2.10")
    assert post(client, user.email, PASSWORD, REMOTE_ADDR="192.0.2.10").status_code == 429
    assert post(client, user.email, PASSWORD, REMOTE_ADDR="192.0.2.11").status_code == 302


def test_a_successful_login_resets_the_account_counter(client, user):
    for i in range(4):
        post(client, user.email, f"wrong password {i}")
    assert post(client, user.email, PASSWORD).status_code == 302
    client.logout()
    for i in range(4):
        assert post(client, user.email, f"wrong password {i}").status_code == 200


def test_inactive_user_is_refused_like_a_wrong_password(client, user):
    user.is_active = False
    user.save()
    response = post(client, user.email, PASSWORD)
    assert response.status_code == 200
    assert BAD in response.content.decode()


def test_pbkdf2_hash_is_upgraded_to_argon2_on_login(client, django_user_model):
    user = django_user_model.objects.create(
        email="legacy@example.test", password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )
    assert post(client, user.email, PASSWORD).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=32768,t=3,p=1$")
    assert user.check_password(PASSWORD)


def test_djangos_default_argon2_hash_is_rehashed_with_our_parameters(client, django_user_model):
    djangos = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    user = django_user_model.objects.create(email="a2@example.test", password=djangos)
    assert "m=102400" in user.password
    post(client, user.email, PASSWORD)
    user.refresh_from_db()
    assert "m=32768,t=3,p=1" in user.password


def test_successful_login_is_audited_with_address_and_device(client, user):
    post(client, user.email, PASSWORD, REMOTE_ADDR="192.0.2.44", HTTP_USER_AGENT="TestBrowser/1.0")
    event = AuditEvent.objects.get(action="login", outcome="success")
    assert (event.actor, event.ip, event.user_agent) == (user, "192.0.2.44", "TestBrowser/1.0")


def test_user_with_two_factor_is_sent_to_the_second_step(client, user):
    TOTPDevice.objects.create(user=user, secret="JBSWY3DPEHPK3PXP", confirmed_at=timezone.now())
    response = post(client, user.email, PASSWORD, data={"next": "/accounts/sessions/"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/login/?next=")
    assert "_auth_user_id" not in client.session


def test_account_pages_are_not_stored_by_caches(client, user):
    for url in (LOGIN, "/accounts/signup/", "/accounts/password/reset/"):
        assert "no-store" in client.get(url)["Cache-Control"]
    client.force_login(user)
    for url in ("/accounts/sessions/", "/accounts/activity/", "/accounts/password/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
    assert "no-store" not in client.get("/").get("Cache-Control", "")


def test_browser_length_session_ends_after_idle_time(client, user, settings):
    post(client, user.email, PASSWORD)
    session = client.session
    session["accounts.seen"] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 5
    session.save()
    response = client.get("/accounts/sessions/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not UserSession.objects.filter(user=user).exists()


def test_remembered_session_survives_idle_time_and_records_last_seen(client, user, settings):
    post(client, user.email, PASSWORD, data={"remember_me": "on"})
    UserSession.objects.filter(user=user).update(last_seen=timezone.now() - timedelta(hours=2))
    session = client.session
    session["accounts.seen"] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 5
    session.save()
    assert client.get("/accounts/sessions/").status_code == 200
    assert UserSession.objects.get(user=user).last_seen > timezone.now() - timedelta(minutes=1)
