"""Vault pages. Secret paths contain slashes, so each view has its own prefix before the path."""

from django.urls import path

from vault.views import diff, manage, reveal, secrets, shares, transfer, trash, versions

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
    path("import/", transfer.secret_import, name="secret-import"),
    path("import/commit/", transfer.secret_import_commit, name="secret-import-commit"),
    path("export/", transfer.secret_export, name="secret-export"),
    path("trash/", trash.secret_trash, name="secret-trash"),
    path("trash/<path:secret_path>", trash.secret_trash_action, name="secret-trash-action"),
    path("share/<path:secret_path>", shares.share_create_view, name="share-create"),
    path("shares/", shares.share_list_view, name="share-list"),
    path("shares/<int:share_id>/revoke", shares.share_revoke_view, name="share-revoke"),
]
