"""Version actions from the detail page: restore as new, soft delete, undelete, destroy (after confirmation)."""

from django.contrib import messages
from django.shortcuts import redirect, render

from vault.forms import VersionActionForm
from vault.services import (
    VaultError,
    secret_restore_version,
    secret_versions_delete,
    secret_versions_destroy,
    secret_versions_undelete,
)
from vault.views.access import bad_request, vault_error, vault_page

DONE = {
    "delete": "Version {v} deleted: undelete it to read it again.",
    "undelete": "Version {v} restored to readable.",
    "destroy": "Version {v} destroyed for good.",
}


@vault_page("POST")
def secret_version_action(request, secret_path: str):
    form = VersionActionForm(request.POST)
    if not form.is_valid():
        return bad_request(request, "That is not a version action.", secret_path=secret_path)
    action, version = form.cleaned_data["action"], form.cleaned_data["version"]
    if action == "destroy" and not form.cleaned_data["confirm"]:
        context = {"secret_path": secret_path, "version": version}
        return render(request, "vault/version_destroy.html", context)
    try:
        if action == "restore":
            written = secret_restore_version(
                owner=request.user, path=secret_path, version=version, cas=form.cleaned_data["cas"], request=request
            )
            messages.success(request, f"Version {version} restored as version {written.version}.")
        else:
            operation = {
                "delete": secret_versions_delete,
                "undelete": secret_versions_undelete,
                "destroy": secret_versions_destroy,
            }[action]
            changed = operation(owner=request.user, path=secret_path, versions=[version], request=request)
            if changed:
                messages.success(request, DONE[action].format(v=version))
            else:
                messages.info(request, f"Version {version} was already in that state; nothing changed.")
    except VaultError as error:
        return vault_error(request, error, secret_path=secret_path)
    return redirect("vault:secret-detail", secret_path=secret_path)
