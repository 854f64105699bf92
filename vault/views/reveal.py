"""Revealing values: an explicit POST, with a password confirmation when the last sign-in is too old."""

from django.shortcuts import render

from vault.forms import PasswordConfirmForm, VersionForm
from vault.services import (
    ReauthenticationRequired,
    RevealedSecret,
    VaultError,
    reveal_reauth_mark,
    secret_reveal,
    session_authenticated_at,
)
from vault.views.access import bad_request, vault_error, vault_page


def reveal_or_confirm(request, *, secret_path: str, version: int | None, hidden: dict) -> RevealedSecret | object:
    """The revealed version, or a response to send instead: the password form, or the refusal.

    A posted `password` is checked first; when right, the session is marked as freshly confirmed. `hidden`
    is what the password form must post back so the same action resumes afterwards.
    """
    form = None
    if "password" in request.POST:
        form = PasswordConfirmForm(request.POST, user=request.user)
        if form.is_valid():
            reveal_reauth_mark(session=request.session)
            form = None
    if form is None:
        try:
            return secret_reveal(
                user=request.user,
                path=secret_path,
                authenticated_at=session_authenticated_at(request.session),
                version=version,
                request=request,
            )
        except ReauthenticationRequired as error:
            form, status = PasswordConfirmForm(user=request.user), error.status
        except VaultError as error:
            return vault_error(request, error, secret_path=secret_path)
    else:
        status = 400
    context = {"form": form, "secret_path": secret_path, "hidden": hidden, "action": request.path}
    return render(request, "vault/secret_confirm.html", context, status=status)


@vault_page("POST")
def secret_reveal_view(request, secret_path: str):
    form = VersionForm(request.POST)
    if not form.is_valid():
        return bad_request(request, "Choose a version to reveal.", secret_path=secret_path)
    version = form.cleaned_data["version"]
    revealed = reveal_or_confirm(request, secret_path=secret_path, version=version, hidden={"version": version})
    if not isinstance(revealed, RevealedSecret):
        return revealed
    # Rendered in the POST response, never redirected: values must not land in a URL, session or GET cache.
    return render(request, "vault/secret_reveal.html", {"revealed": revealed, "secret_path": secret_path})
