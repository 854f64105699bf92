"""Comparing two versions by field name: the service decrypts both, the page only ever gets names."""

from django.shortcuts import render

from vault.crypto import DecryptError
from vault.forms import VersionDiffForm
from vault.services import VaultError, secret_diff
from vault.views.access import bad_request, vault_error, vault_page


@vault_page("GET")
def secret_diff_view(request, secret_path: str):
    form = VersionDiffForm(request.GET)
    if not form.is_valid():
        return bad_request(request, "Choose two version numbers to compare.", secret_path=secret_path)
    try:
        versions = {"a": form.cleaned_data["a"], "b": form.cleaned_data["b"]}
        diff = secret_diff(owner=request.user, path=secret_path, request=request, **versions)
    except VaultError as error:
        return vault_error(request, error, secret_path=secret_path)
    except DecryptError:
        # A tampered or misplaced blob: say so without a 500 (the reveal of it is refused the same way).
        context = {"error": "One of these versions cannot be decrypted; it may be damaged.", "secret_path": secret_path}
        return render(request, "vault/secret_error.html", context, status=409)
    return render(request, "vault/secret_diff.html", {"diff": diff, "secret_path": secret_path})
