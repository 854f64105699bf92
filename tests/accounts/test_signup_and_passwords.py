"""Sign-up, verification links, password change and reset: no enumeration, single-use links, sessions end."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent, UserSession
from tests.accounts.account_support import NEW_PASSWORD, PASSWORD, last_link

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(
        email="bob@example.test", password=PASSWORD, display_name="Bob", email_verified_at=timezone.now()
    )


def signup(client, email, password=PASSWORD, password2=None, name="New Person"):
    return client.post(
        "/accounts/signup/",
        {"email": email, "display_name": name, "password1": password, "password2": password2 or password},
    )


def signed_in(email, password=PASSWORD) -> Client:
    client = Client()
    assert client.post("/accounts/login/", {"username": email, "password": password}).status_code == 302
    return client


def test_signup_creates_an_unverified_account_and_mails_a_link_that_verifies_it(client):
    response = signup(client, "new@example.test")
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    user = User.objects.get(email="new@example.test")
    assert user.email_verified_at is None
    assert user.check_password(PASSWORD)
    link = last_link("new@example.test")
    verified = client.get(link)
    assert verified.status_code == 302
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert AuditEvent.objects.filter(actor=user, action="email_verified").exists()


def test_verification_link_is_single_use(client):
    signup(client, "once@example.test")
    link = last_link("once@example.test")
    assert client.get(link).status_code == 302
    replay = client.get(link)
    assert replay.status_code == 400
    assert "already been used" in replay.content.decode()


@pytest.mark.parametrize("mangle", [lambda link: link[:-3] + "abc/", lambda link: link.rsplit("/", 2)[0] + "/x/"])
def test_forged_verification_link_is_refused_with_a_clear_message(client, mangle):
    signup(client, "forge@example.test")
    response = client.get(mangle(last_link("forge@example.test")))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_expired_verification_link_is_refused(client, settings):
    signup(client, "late@example.test")
    settings.EMAIL_VERIFICATION_SECONDS = -1
    response = client.get(last_link("late@example.test"))
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert User.objects.get(email="late@example.test").email_verified_at is None


def test_signup_with_an_existing_address_looks_the_same_and_notifies_the_owner(client, user):
    new = signup(client, "fresh@example.test")
    existing = signup(client, user.email)
    assert new.status_code == existing.status_code == 200
    assert new.content.decode().replace("fresh@example.test", "X") == existing.content.decode().replace(user.email, "X")
    assert User.objects.filter(email=user.email).count() == 1
    user.refresh_from_db()
    assert user.check_password(PASSWORD), "the existing account must be untouched"
    notice = [m for m in mail.outbox if user.email in m.to]
    assert len(notice) == 1
    assert "already has one" in notice[0].body


@pytest.mark.parametrize(
    ("password", "password2", "message"),
    [
        ("short pass", None, "too short"),
        ("password1234", None, "too common"),
        ("new@example.test", None, "too similar"),
        ("x" * 129, None, "at most 128 characters"),
        (PASSWORD, "something else entirely", "differ"),
    ],
)
def test_signup_refuses_weak_or_mismatched_passwords(client, password, password2, message):
    response = signup(client, "new@example.test", password, password2)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(email="new@example.test").exists()


def test_long_password_up_to_128_is_kept_whole(client):
    long_password = "a quiet river bends " * 6 + "12345678"
    assert len(long_password) == 128
    signup(client, "long@example.test", long_password)
    user = User.objects.get(email="long@example.test")
    assert user.check_password(long_password)
    assert not user.check_password(long_password[:-1])


def test_unverified_user_can_sign_in_sees_a_banner_and_can_resend(client):
    signup(client, "pending@example.test")
    client.post("/accounts/login/", {"username": "pending@example.test", "password": PASSWORD})
    page = client.get("/").content.decode()
    assert 'data-testid="verify-banner"' in page
    mail.outbox.clear()
    assert client.post("/accounts/verify/resend/").status_code == 302
    assert client.get(last_link("pending@example.test")).status_code == 302
    assert 'data-testid="verify-banner"' not in client.get("/").content.decode()


def test_signups_from_one_address_are_throttled(client):
    for i in range(10):
        assert signup(client, f"many{i}@example.test").status_code == 200
    response = signup(client, "one-more@example.test")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert not User.objects.filter(email="one-more@example.test").exists()


def test_password_change_needs_the_old_password(user):
    client = signed_in(user.email)
    response = client.post(
        "/accounts/password/",
        {"old_password": "not it at all", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "incorrectly" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_ends_the_other_sessions_and_keeps_this_one(user):
    other, this = signed_in(user.email), signed_in(user.email)
    assert other.get("/accounts/sessions/").status_code == 200
    response = this.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert this.get("/accounts/sessions/").status_code == 200
    assert other.get("/accounts/sessions/").status_code == 302
    assert list(UserSession.objects.filter(user=user).values_list("session_key", flat=True)) == [
        this.session.session_key
    ]
    assert AuditEvent.objects.filter(actor=user, action="password_change").exists()


def test_password_reset_by_mail_sets_the_password_and_ends_every_session(client, user):
    other = signed_in(user.email)
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 200
    link = last_link(user.email)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert other.get("/accounts/sessions/").status_code == 302
    # The link is single-use.
    replay = Client().get(link, follow=True)
    assert replay.status_code == 400
    assert "invalid, has expired or has already been used" in replay.content.decode()


def test_password_reset_answers_the_same_for_unknown_addresses(client, user):
    known = client.post("/accounts/password/reset/", {"email": user.email})
    unknown = client.post("/accounts/password/reset/", {"email": "ghost@example.test"})
    assert known.status_code == unknown.status_code == 200
    assert known.content.decode().replace(user.email, "X") == unknown.content.decode().replace(
        "ghost@example.test", "X"
    )
    assert [m.to for m in mail.outbox] == [[user.email]]


def test_password_reset_requests_are_throttled_per_address_and_per_client(client, user):
    statuses = [client.post("/accounts/password/reset/", {"email": user.email}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert len(mail.outbox) == 3
    # Another address from another client is still served; the same address from elsewhere is not.
    assert client.post("/accounts/password/reset/", {"email": user.email}, REMOTE_ADDR="192.0.2.9").status_code == 429
    other = client.post("/accounts/password/reset/", {"email": "x@example.test"}, REMOTE_ADDR="192.0.2.9")
    assert other.status_code == 200


def test_password_reset_lifts_a_login_lockout(client, user):
    for i in range(5):
        client.post("/accounts/login/", {"username": user.email, "password": f"wrong {i}"})
    client.post("/accounts/password/reset/", {"email": user.email})
    form_page = client.get(last_link(user.email), follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert client.post("/accounts/login/", {"username": user.email, "password": NEW_PASSWORD}).status_code == 302
