"""Revealing values: an explicit POST, with a password confirmation when the last sign-in is too old."""

from django.shortcuts import render

from vault.forms import PasswordConfirmForm, VersionForm
from vault.services import (
    ReauthenticationFailed,
    ReauthenticationLocked,
    ReauthenticationRequired,
    RevealedSecret,
    VaultError,
    reveal_password_confirm,
    secret_reveal,
    session_authenticated_at,
)
from vault.views.access import bad_request, vault_error, vault_page


def _confirm_posted_password(request):
    """None when the posted password was right (the session is marked); else (form with the reason, status, headers)."""
    form = PasswordConfirmForm(request.POST)
    if not form.is_valid():
        return form, 400, {}
    try:
        reveal_password_confirm(
            user=request.user, password=form.cleaned_data["password"], session=request.session, request=request
        )
    except ReauthenticationLocked as error:
        form.add_error("password", str(error))
        return form, error.status, {"Retry-After": str(error.retry_after)}
    except ReauthenticationFailed as error:
        form.add_error("password", str(error))
        return form, error.status, {}
    return None


def reveal_or_confirm(request, *, secret_path: str, version: int | None, hidden: dict) -> RevealedSecret | object:
    """The revealed version, or a response to send instead: the password form, or the refusal.

    A posted `password` is checked first (throttled and audited by the service); when right, the session is
    marked as freshly confirmed. `hidden` is what the password form must post back so the same action
    resumes afterwards.
    """
    refused = _confirm_posted_password(request) if "password" in request.POST else None
    if refused is None:
        try:
            return secret_reveal(
                user=request.user,
                path=secret_path,
                authenticated_at=session_authenticated_at(request.session),
                version=version,
                request=request,
            )
        except ReauthenticationRequired as error:
            refused = PasswordConfirmForm(), error.status, {}
        except VaultError as error:
            return vault_error(request, error, secret_path=secret_path)
    form, status, headers = refused
    context = {"form": form, "secret_path": secret_path, "hidden": hidden, "action": request.path}
    response = render(request, "vault/secret_confirm.html", context, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


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
