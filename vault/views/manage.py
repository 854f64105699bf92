"""Whole-secret changes from the detail page: move to a new path, and delete with all its history."""

from django.contrib import messages
from django.shortcuts import redirect, render

from vault import selectors
from vault.forms import ConfirmForm, SecretMoveForm
from vault.services import VaultError, secret_delete_all, secret_move
from vault.views.access import bad_request, vault_error, vault_page


@vault_page("POST")
def secret_move_view(request, secret_path: str):
    form = SecretMoveForm(request.POST)
    if not form.is_valid():
        return bad_request(request, "Enter the new path (at most the path length limit).", secret_path=secret_path)
    try:
        secret = secret_move(
            owner=request.user, path=secret_path, new_path=form.cleaned_data["new_path"], request=request
        )
    except VaultError as error:
        return vault_error(request, error, secret_path=secret_path)
    messages.success(request, f"Moved to {secret.path}; its history moved with it.")
    return redirect("vault:secret-detail", secret_path=secret.path)


@vault_page("GET", "POST")
def secret_delete_view(request, secret_path: str):
    """GET (or a POST without `confirm`) asks first; a confirmed POST deletes every version for good."""
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and form.cleaned_data["confirm"]:
        try:
            count = secret_delete_all(owner=request.user, path=secret_path, request=request)
        except VaultError as error:
            return vault_error(request, error, secret_path=secret_path)
        messages.success(request, f"Deleted {secret_path} and its {count} version(s).")
        return redirect("vault:secret-list")
    try:
        secret = selectors.secret_detail(user=request.user, path=secret_path)
    except VaultError as error:
        return vault_error(request, error, secret_path="")
    return render(request, "vault/secret_delete.html", {"secret": secret})
