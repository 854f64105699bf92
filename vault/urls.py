"""Vault pages. Secret paths contain slashes, so each view has its own prefix before the path."""

from django.urls import path

from vault.views import diff, manage, reveal, secrets, trash, versions

app_name = "vault"

urlpatterns = [
    path("", secrets.secret_list, name="secret-list"),
    path("new/", secrets.secret_new, name="secret-create"),
    path("s/<path:secret_path>", secrets.secret_detail, name="secret-detail"),
    path("edit/<path:secret_path>", secrets.secret_edit, name="secret-edit"),
    path("reveal/<path:secret_path>", reveal.secret_reveal_view, name="secret-reveal"),
    path("versions/<path:secret_path>", versions.secret_version_action, name="secret-version-action"),
    path("move/<path:secret_path>", manage.secret_move_view, name="secret-move"),
    path("delete/<path:secret_path>", manage.secret_delete_view, name="secret-delete"),
    path("diff/<path:secret_path>", diff.secret_diff_view, name="secret-diff"),
    path("trash/", trash.secret_trash, name="secret-trash"),
    path("trash/<path:secret_path>", trash.secret_trash_action, name="secret-trash-action"),
]
