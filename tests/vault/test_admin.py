"""The vault admin shows metadata only, and a startup check refuses any admin that exposes a blob."""

import pytest
from django.contrib import admin
from django.core.checks import run_checks
from django.urls import reverse

from tests.vault import vault_support
from vault.checks import check_admin_hides_blobs
from vault.models import Secret, SecretVersion
from vault.services import secret_create, secret_update

pytestmark = pytest.mark.django_db
owner = vault_support.owner
CANARY = "admin-canary-value-31c"


@pytest.fixture
def admin_client(client, django_user_model):
    superuser = django_user_model.objects.create_superuser(email="root@example.test", password="x" * 24)
    client.force_login(superuser)
    return client


@pytest.fixture
def secret(owner):
    secret_create(owner=owner, path="prod/db", fields={"password": CANARY})
    secret_update(owner=owner, path="prod/db", fields={"password": CANARY, "user": "app"})
    return Secret.objects.get()


def _blob_markers(secret) -> list[str]:
    markers = []
    for version in SecretVersion.objects.filter(secret=secret):
        for blob in (bytes(version.ciphertext), bytes(version.wrapped_key)):
            markers += [blob.hex()[:24], repr(blob)[:24]]
    return markers


def test_secret_list_shows_path_owner_versions_and_kek_but_no_value(admin_client, secret):
    response = admin_client.get(reverse("admin:vault_secret_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "prod/db" in page
    assert "owner@example.test" in page
    assert secret.versions.first().kek_id in page
    assert CANARY not in page
    assert not [m for m in _blob_markers(secret) if m in page]


def test_secret_page_is_read_only_and_shows_versions_without_blobs(admin_client, secret):
    url = reverse("admin:vault_secret_change", args=[secret.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "password" in page  # field names are metadata
    assert CANARY not in page
    assert "ciphertext" not in page.lower()
    assert not [m for m in _blob_markers(secret) if m in page]
    assert admin_client.post(url, {"path": "moved"}).status_code == 403
    assert admin_client.get(reverse("admin:vault_secret_add")).status_code == 403
    assert admin_client.post(reverse("admin:vault_secret_delete", args=[secret.pk]), {"post": "yes"}).status_code == 403
    assert Secret.objects.get().path == "prod/db"


def test_the_registered_admins_pass_the_blob_check():
    assert check_admin_hides_blobs(None) == []
    assert not [e for e in run_checks() if e.id == "vault.E002"]


def _site_with(model, admin_class) -> admin.AdminSite:
    site = admin.AdminSite(name="check-test")
    site.register(model, admin_class)
    return site


BAD_ADMINS = {
    "list_display": type("A", (admin.ModelAdmin,), {"list_display": ("version", "ciphertext")}),
    "readonly_fields": type("B", (admin.ModelAdmin,), {"readonly_fields": ("wrapped_key",)}),
    "fields": type("C", (admin.ModelAdmin,), {"fields": ("version", ("kek_id", "ciphertext"))}),
    "fieldsets": type("D", (admin.ModelAdmin,), {"fieldsets": ((None, {"fields": ("wrapped_key",)}),)}),
    "search through relation": type("E", (admin.ModelAdmin,), {"search_fields": ("secret__versions__ciphertext",)}),
}


@pytest.mark.parametrize("admin_class", BAD_ADMINS.values(), ids=BAD_ADMINS.keys())
def test_an_admin_exposing_a_blob_fails_the_check(admin_class):
    errors = check_admin_hides_blobs(None, site=_site_with(SecretVersion, admin_class))
    assert [e.id for e in errors] == ["vault.E002"]


def test_an_inline_exposing_a_blob_on_another_models_admin_fails_the_check():
    inline = type("LeakyInline", (admin.TabularInline,), {"model": SecretVersion, "fields": ("ciphertext",)})
    leaky = type("SecretLeakyAdmin", (admin.ModelAdmin,), {"inlines": (inline,)})
    errors = check_admin_hides_blobs(None, site=_site_with(Secret, leaky))
    assert [e.id for e in errors] == ["vault.E002"]
    assert "LeakyInline" in errors[0].msg
