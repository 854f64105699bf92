"""The sessions and activity pages, and what staff do in admin: disable, clear lockouts, read the trail."""

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent, TOTPDevice, UserSession
from tests.accounts.account_support import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(
        email="carol@example.test", password=PASSWORD, email_verified_at=timezone.now()
    )


@pytest.fixture
def staff_client(staff_user):
    # Superuser: these tests are about what the admin pages do, not about staff permissions.
    staff_user.is_superuser = True
    staff_user.save()
    client = Client()
    client.force_login(staff_user)
    return client


def signed_in(email, agent="Agent") -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    assert client.post("/accounts/login/", {"username": email, "password": PASSWORD}).status_code == 302
    return client


def test_sessions_page_lists_each_browser_with_device_and_address(user):
    signed_in(user.email, agent="Phone/1")
    desk = signed_in(user.email, agent="Desk/2")
    page = desk.get("/accounts/sessions/").content.decode()
    assert "Phone/1" in page
    assert "Desk/2" in page
    assert "(this browser)" in page


def test_revoking_a_session_signs_that_browser_out(user):
    phone, desk = signed_in(user.email, "Phone/1"), signed_in(user.email, "Desk/2")
    row = UserSession.objects.get(user=user, user_agent="Phone/1")
    assert desk.post(f"/accounts/sessions/{row.pk}/revoke/").status_code == 302
    assert phone.get("/accounts/sessions/").status_code == 302
    assert desk.get("/accounts/sessions/").status_code == 200
    assert AuditEvent.objects.filter(actor=user, action="session_revoked").exists()


def test_a_user_cannot_revoke_someone_elses_session(user, django_user_model):
    django_user_model.objects.create_user(email="mallory@example.test", password=PASSWORD)
    victim = signed_in(user.email)
    mallory = signed_in("mallory@example.test")
    row = UserSession.objects.get(user=user)
    mallory.post(f"/accounts/sessions/{row.pk}/revoke/")
    assert victim.get("/accounts/sessions/").status_code == 200


def test_revoke_others_and_log_out_everywhere(user):
    a, b, c = signed_in(user.email), signed_in(user.email), signed_in(user.email)
    c.post("/accounts/sessions/revoke-others/")
    assert a.get("/accounts/sessions/").status_code == 302
    assert b.get("/accounts/sessions/").status_code == 302
    assert c.get("/accounts/sessions/").status_code == 200
    c.post("/accounts/sessions/logout-everywhere/")
    assert c.get("/accounts/sessions/").status_code == 302
    assert not UserSession.objects.filter(user=user).exists()


def test_logout_needs_post_and_forgets_the_session(user):
    client = signed_in(user.email)
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert not UserSession.objects.filter(user=user).exists()


def test_activity_page_shows_only_your_own_events_paginated(user, django_user_model):
    other = django_user_model.objects.create_user(email="dave@example.test", password=PASSWORD)
    for _ in range(30):
        AuditEvent.objects.create(actor=user, actor_email=user.email, action="login", outcome="failure")
    AuditEvent.objects.create(actor=other, actor_email=other.email, action="login", target="dave-only-marker")
    client = signed_in(user.email)
    first = client.get("/accounts/activity/").content.decode()
    assert "Page 1 of 2" in first
    assert "dave-only-marker" not in first
    assert "Page 2 of 2" in client.get("/accounts/activity/?page=2").content.decode()
    assert client.get("/accounts/activity/?page=zzz").status_code == 200


def test_staff_disabling_a_user_ends_their_sessions(user, staff_client):
    victim = signed_in(user.email)
    response = staff_client.post(
        "/admin/accounts/user/", {"action": "deactivate", "_selected_action": [user.pk]}, follow=True
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert not user.is_active
    assert victim.get("/accounts/sessions/").status_code == 302
    assert not UserSession.objects.filter(user=user).exists()


def test_staff_clear_a_lockout_and_see_who_is_locked(user, staff_client, django_user_model):
    TOTPDevice.objects.create(user=user, secret="JBSWY3DPEHPK3PXP", confirmed_at=timezone.now())
    anon = Client()
    for i in range(5):
        anon.post("/accounts/login/", {"username": user.email, "password": f"wrong {i}"})
    locked_list = staff_client.get("/admin/accounts/user/?locked=yes").content.decode()
    assert user.email in locked_list
    assert "staff@example.test" not in locked_list
    assert user.email in staff_client.get("/admin/accounts/user/?twofactor=yes").content.decode()
    assert user.email not in staff_client.get("/admin/accounts/user/?twofactor=no").content.decode()
    staff_client.post("/admin/accounts/user/", {"action": "clear_lockout", "_selected_action": [user.pk]})
    assert user.email not in staff_client.get("/admin/accounts/user/?locked=yes").content.decode()
    assert anon.post("/accounts/login/", {"username": user.email, "password": PASSWORD}).status_code == 302
    assert AuditEvent.objects.filter(action="lockout_cleared", target=user.email).exists()


def test_audit_events_are_read_only_in_admin(staff_client):
    client = staff_client
    event = AuditEvent.objects.create(actor_email="x@example.test", action="login")
    assert client.get("/admin/accounts/auditevent/").status_code == 200
    assert client.get("/admin/accounts/auditevent/add/").status_code == 403
    assert client.post(f"/admin/accounts/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(f"/admin/accounts/auditevent/{event.pk}/change/", {"action": "logout"})
    event.refresh_from_db()
    assert event.action == "login"


def test_staff_revoke_a_session_in_admin(user, staff_client):
    victim = signed_in(user.email)
    row = UserSession.objects.get(user=user)
    assert "carol@example.test" in staff_client.get("/admin/accounts/usersession/").content.decode()
    staff_client.post("/admin/accounts/usersession/", {"action": "revoke", "_selected_action": [row.pk]})
    assert victim.get("/accounts/sessions/").status_code == 302
