"""The share-link admin: read-only metadata, never the box; the blob check covers the model's ciphertext."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.vault.share_support import make_share, stored_secret
from tests.vault.vault_support import fresh, owner
from vault.checks import check_admin_hides_blobs
from vault.models import ShareLink

__all__ = ["owner"]
pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser(email="root@example.test", password="x" * 24))
    return client


def test_staff_see_who_shared_what_but_no_box(admin_client, owner):
    stored_secret(owner)
    created = make_share(owner, max_views=4, authenticated_at=fresh())
    share = ShareLink.objects.get()
    markers = [bytes(share.ciphertext).hex()[:24], repr(bytes(share.ciphertext))[:24], share.proof_hash, share.box_mac]
    for url in (
        reverse("admin:vault_sharelink_changelist"),
        reverse("admin:vault_sharelink_change", args=[share.pk]),
    ):
        response = admin_client.get(url)
        page = response.content.decode()
        assert response.status_code == 200
        assert "prod/db/main" in page
        assert "active" in page
        assert [m for m in markers if m in page] == []
        assert created.fragment not in page
    assert admin_client.post(reverse("admin:vault_sharelink_delete", args=[share.pk])).status_code == 403
    assert ShareLink.objects.filter(pk=share.pk).exists()


def test_an_admin_showing_a_shares_ciphertext_fails_the_check():
    site = admin.AdminSite(name="share-check-test")
    site.register(ShareLink, type("LeakyShareAdmin", (admin.ModelAdmin,), {"list_display": ("owner", "ciphertext")}))
    errors = check_admin_hides_blobs(None, site=site)
    assert [e.id for e in errors] == ["vault.E002"]
    assert "ciphertext" in errors[0].msg
