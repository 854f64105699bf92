"""Share-link pages: create with password re-confirmation, the owner's list and revoke, the public open API."""

import json
import time

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from tests.vault.share_support import CANARY, DAY, clear_share_throttle, make_share, proof_for, stored_secret
from tests.vault.vault_support import PASSWORD, fresh, make_user
from vault.models import ShareLink
from vault.services.reauth import REAUTH_SESSION_KEY
from vault.services.shares import share_create

__all__ = ["clear_share_throttle"]
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_share_throttle")]


def create_url(path: str = "prod/db/main") -> str:
    return reverse("vault:share-create", kwargs={"secret_path": path})


def share_form(**changes) -> dict:
    return {"version": "1", "lifetime": "1d", "max_views": "1", "passphrase": "", "passphrase_confirm": "", **changes}


def open_api(client, link_id: str, body, **extra):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(reverse("share-open-api", args=[link_id]), data, content_type="application/json", **extra)


def test_sharing_confirms_the_password_then_shows_the_link_once(signed_in, person):
    stored_secret(person)
    page = signed_in.get(create_url())
    assert page.status_code == 200
    assert "Your account password" in page.content.decode()

    wrong = signed_in.post(create_url(), share_form(password="not it"))
    assert wrong.status_code == 400
    assert "That password is not right" in wrong.content.decode()
    assert not ShareLink.objects.exists()
    # The same throttled, audited confirmation as a reveal's (vault.services.reveal_password_confirm).
    confirmations = AuditEvent.objects.filter(actor=person, action=AuditEvent.Action.REVEAL_CONFIRM)
    assert list(confirmations.values_list("outcome", flat=True)) == ["failure"]

    response = signed_in.post(create_url(), share_form(password=PASSWORD, max_views="3", lifetime="7d"))
    body = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    share = ShareLink.objects.get()
    assert (share.max_views, share.owner, share.version) == (3, person, 1)
    assert "http://testserver/share/" in body
    assert "#" in body.split("http://testserver/share/")[1][:80]
    assert CANARY not in body
    assert list(confirmations.order_by("id").values_list("outcome", flat=True)) == ["failure", "success"]
    # Confirmed a moment ago: the next share needs no password.
    assert "Your account password" not in signed_in.get(create_url()).content.decode()


def test_a_bad_form_is_refused_without_revealing(signed_in, person):
    stored_secret(person)
    for changes in (
        {"max_views": "0"},
        {"max_views": "101"},
        {"lifetime": "90d"},
        {"version": "7"},
        {"passphrase": "a", "passphrase_confirm": "b"},
    ):
        response = signed_in.post(create_url(), share_form(password=PASSWORD, **changes))
        assert response.status_code == 400, changes
    assert not ShareLink.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SECRET_REVEAL).exists()


def test_the_list_shows_only_my_links_and_only_i_revoke_them(signed_in, person, django_user_model):
    stored_secret(person)
    mine = make_share(person, authenticated_at=fresh())
    stranger = make_user(django_user_model, "stranger@example.test")
    stored_secret(stranger, "theirs/api")
    theirs = make_share_for(stranger)

    listing = signed_in.get(reverse("vault:share-list")).content.decode()
    assert "prod/db/main" in listing
    assert "theirs/api" not in listing
    assert "0 / 1" in listing

    refused = signed_in.post(reverse("vault:share-revoke", kwargs={"share_id": theirs.share.pk}))
    assert refused.status_code == 404
    assert ShareLink.objects.get(pk=theirs.share.pk).state == "active"

    done = signed_in.post(reverse("vault:share-revoke", kwargs={"share_id": mine.share.pk}))
    assert done.status_code == 302
    assert ShareLink.objects.get(pk=mine.share.pk).state == "revoked"
    assert "revoked" in signed_in.get(reverse("vault:share-list")).content.decode()
    assert signed_in.get(reverse("vault:share-revoke", kwargs={"share_id": mine.share.pk})).status_code == 405


def make_share_for(user):
    return share_create(user=user, path="theirs/api", version=None, lifetime=DAY, authenticated_at=fresh())


def test_the_public_page_tells_state_without_counting_a_view(client, person):
    stored_secret(person)
    created = make_share(person, authenticated_at=fresh())
    page = client.get(reverse("share-open", args=[created.link_id]))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="share-app"' in body
    assert "js/share-open.js" in body
    assert page["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page["Cache-Control"]
    assert "prod/db/main" not in body
    assert person.email not in body
    assert CANARY not in body
    assert ShareLink.objects.get().views == 0
    assert client.get(reverse("share-open", args=["A" * 22])).status_code == 404
    assert client.get(reverse("share-open", args=["nonsense"])).status_code == 404

    assert open_api(client, created.link_id, {"proof": proof_for(created)}).status_code == 200
    gone = client.get(reverse("share-open", args=[created.link_id]))
    assert gone.status_code == 410
    assert "used up" in gone.content.decode()


def test_the_open_api_answers_json_and_refuses_garbage(client, person):
    stored_secret(person)
    created = make_share(person, authenticated_at=fresh())
    # No body at all carries no content type either: that is the 415 below, not a 400.
    assert open_api(client, created.link_id, b"").status_code == 415
    for body in (b"not json", b"[1, 2]", b'{"proof": 5}', b"\xff\xfe", json.dumps({"nope": "x"})):
        response = open_api(client, created.link_id, body)
        assert response.status_code == 400, body
        assert "error" in response.json()
    assert open_api(client, created.link_id, {"proof": "x" * 2000}).status_code == 413
    # A form or multipart body is refused before it is read (the CSRF check may have consumed it already).
    url = reverse("share-open-api", args=[created.link_id])
    for content_type in ("multipart/form-data; boundary=broken", "application/x-www-form-urlencoded", "text/plain"):
        assert client.post(url, b"--broken\r\n", content_type=content_type).status_code == 415
    wrong = open_api(client, created.link_id, {"proof": "B" * 43})
    assert (wrong.status_code, wrong.json()["error"]) == (403, "Wrong passphrase or damaged link.")
    assert open_api(client, "A" * 22, {"proof": proof_for(created)}).status_code == 404
    assert client.get(reverse("share-open-api", args=[created.link_id])).status_code == 405
    assert ShareLink.objects.get().views == 0

    opened = open_api(client, created.link_id, {"proof": proof_for(created)})
    assert opened.status_code == 200
    assert "no-store" in opened["Cache-Control"]
    assert set(opened.json()) == {"nonce", "ciphertext", "views_left"}
    assert opened.json()["views_left"] == 0
    again = open_api(client, created.link_id, {"proof": proof_for(created)})
    assert again.status_code == 410
    assert "used up" in again.json()["error"]


def test_the_open_api_needs_the_pages_csrf_token(person):
    stored_secret(person)
    created = make_share(person, authenticated_at=fresh())
    browser = Client(enforce_csrf_checks=True)
    assert open_api(browser, created.link_id, {"proof": proof_for(created)}).status_code == 403
    assert ShareLink.objects.get().views == 0
    page = browser.get(reverse("share-open", args=[created.link_id])).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    opened = open_api(browser, created.link_id, {"proof": proof_for(created)}, HTTP_X_CSRFTOKEN=token)
    assert opened.status_code == 200


def test_a_sign_in_that_goes_stale_before_posting_asks_for_the_password(signed_in, person):
    stored_secret(person)
    assert signed_in.post(create_url(), share_form(password=PASSWORD)).status_code == 200
    session = signed_in.session
    session[REAUTH_SESSION_KEY] = int(time.time()) - 3600
    session.save()
    response = signed_in.post(create_url(), share_form())
    assert response.status_code == 400
    assert "Your account password" in response.content.decode()
    assert "This field is required" in response.content.decode()
    assert ShareLink.objects.count() == 1
