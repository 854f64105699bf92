"""Vault pages. Secret paths contain slashes, so each view has its own prefix before the path."""

from django.urls import path

from vault.views import reveal, secrets, versions

app_name = "vault"

urlpatterns = [
    path("", secrets.secret_list, name="secret-list"),
    path("new/", secrets.secret_new, name="secret-create"),
    path("s/<path:secret_path>", secrets.secret_detail, name="secret-detail"),
    path("edit/<path:secret_path>", secrets.secret_edit, name="secret-edit"),
    path("reveal/<path:secret_path>", reveal.secret_reveal_view, name="secret-reveal"),
    path("versions/<path:secret_path>", versions.secret_version_action, name="secret-version-action"),
]
