"""The trash: soft-deleted versions of every secret, to undelete or destroy."""

from django.contrib import messages
from django.shortcuts import redirect, render

from vault import selectors
from vault.forms import TrashActionForm
from vault.services import VaultError, secret_versions_destroy, secret_versions_undelete
from vault.views.access import bad_request, vault_error, vault_page


@vault_page("GET")
def secret_trash(request):
    versions = selectors.secret_trash_for_user(user=request.user)
    return render(request, "vault/secret_trash.html", {"versions": versions, "limit": selectors.TRASH_LIMIT})


@vault_page("POST")
def secret_trash_action(request, secret_path: str):
    form = TrashActionForm(request.POST)
    if not form.is_valid():
        return bad_request(request, "That is not a trash action.", secret_path=secret_path)
    action, version = form.cleaned_data["action"], form.cleaned_data["version"]
    if action == "destroy" and not form.cleaned_data["confirm"]:
        # version_destroy.html posts back here with confirm=on; Cancel leads to the secret.
        return render(request, "vault/version_destroy.html", {"secret_path": secret_path, "version": version})
    operation = secret_versions_undelete if action == "undelete" else secret_versions_destroy
    try:
        changed = operation(owner=request.user, path=secret_path, versions=[version], request=request)
    except VaultError as error:
        return vault_error(request, error, secret_path=secret_path)
    if changed:
        done = "undeleted" if action == "undelete" else "destroyed for good"
        messages.success(request, f"{secret_path} version {version} {done}.")
    else:
        messages.info(request, f"{secret_path} version {version} was not in the trash; nothing changed.")
    return redirect("vault:secret-trash")
