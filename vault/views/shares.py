"""Share-link pages: the owner creates, lists and revokes; anyone with the link opens it in the browser.

The public page never sees the fragment (browsers do not send it); its script derives the proof and the
key, posts the proof as JSON with the page's CSRF token, and decrypts what comes back.
"""

import json

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from vault import selectors
from vault.crypto.share import b64url
from vault.forms_share import ShareCreateForm
from vault.services import (
    ReauthenticationFailed,
    ReauthenticationLocked,
    ReauthenticationRequired,
    VaultError,
    reveal_password_confirm,
    session_authenticated_at,
)
from vault.services.reauth import reauth_check
from vault.services.share_open import ShareThrottled, share_find, share_gone_message, share_open
from vault.services.shares import share_create, share_revoke
from vault.share_selectors import share_list_for_user
from vault.views.access import vault_error, vault_page

# A proof is 43 characters of base64url; anything much longer than its JSON is not a real client.
OPEN_BODY_MAX_BYTES = 512


def _private(response):
    """Pages carrying a link or a box: never cached (callers add never_cache), never sent on as a referrer."""
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def _reauth_needed(request) -> bool:
    try:
        reauth_check(authenticated_at=session_authenticated_at(request.session))
    except ReauthenticationRequired:
        return True
    return False


@sensitive_variables("created", "form")
@sensitive_post_parameters("passphrase", "passphrase_confirm", "password")
@vault_page("GET", "POST")
def share_create_view(request, secret_path: str):
    try:
        secret = selectors.secret_detail(user=request.user, path=secret_path)
    except VaultError as error:
        return vault_error(request, error, secret_path=secret_path)
    versions = [v.version for v in selectors.secret_version_list(secret=secret) if v.state == "active"]
    options = {"versions": versions, "initial": {"version": secret.current_version}}
    form = ShareCreateForm(request.POST or None, ask_password=_reauth_needed(request), **options)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data.get("password"):
                    reveal_password_confirm(
                        user=request.user, password=data["password"], session=request.session, request=request
                    )
                created = share_create(
                    user=request.user,
                    path=secret.path,
                    version=data["version"],
                    lifetime=data["lifetime"],
                    max_views=data["max_views"],
                    passphrase=data["passphrase"],
                    authenticated_at=session_authenticated_at(request.session),
                    request=request,
                )
            except (ReauthenticationFailed, ReauthenticationLocked) as error:
                form.add_error("password", str(error))
                status = error.status
            except ReauthenticationRequired as error:
                form = ShareCreateForm(request.POST, ask_password=True, **options)
                form.is_valid()
                form.add_error(None, str(error))
                status = error.status
            except VaultError as error:
                form.add_error(None, str(error))
                status = error.status
            else:
                # Shown in the POST response only, never redirected to: the link must not land in history.
                url = request.build_absolute_uri(reverse("share-open", args=[created.link_id]))
                context = {"share": created.share, "secret": secret, "link": f"{url}#{created.fragment}"}
                return _private(render(request, "vault/share_created.html", context))
    context = {"form": form, "secret": secret, "has_versions": bool(versions)}
    return render(request, "vault/share_create.html", context, status=status)


@vault_page("GET")
def share_list_view(request):
    return render(request, "vault/share_list.html", {"shares": share_list_for_user(user=request.user)})


@vault_page("POST")
def share_revoke_view(request, share_id: int):
    try:
        share = share_revoke(user=request.user, share_id=share_id, request=request)
    except VaultError as error:
        return vault_error(request, error)
    messages.success(request, f"The share link of {share.secret.path} (version {share.version}) is revoked.")
    return redirect("vault:share-list")


@never_cache
@require_GET
def share_open_page(request, link_id: str):
    """The recipient's page: whether the link can be opened and needs a passphrase. Counts no view."""
    try:
        share = share_find(link_id=link_id)
    except VaultError as error:
        return _private(render(request, "vault/share_open.html", {"error": str(error)}, status=error.status))
    gone = share_gone_message(share)
    context = {
        "share": share,
        "error": gone,
        "salt": b64url(bytes(share.salt)),
        "open_url": reverse("share-open-api", args=[link_id]),
    }
    return _private(render(request, "vault/share_open.html", context, status=410 if gone else 200))


def _json_error(message: str, status: int, **headers) -> JsonResponse:
    return _private(JsonResponse({"error": message}, status=status, headers=headers))


@sensitive_variables("opened")
@never_cache
@require_POST
def share_open_api(request, link_id: str):
    """POST {"proof": base64url}: one view counted and {"nonce", "ciphertext", "views_left"}, or an error."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = OPEN_BODY_MAX_BYTES + 1
    if length > OPEN_BODY_MAX_BYTES:
        return _json_error("The request is too large.", 413)
    # Checked before the body is read: a form-encoded body has already been consumed by the CSRF check.
    if request.content_type != "application/json":
        return _json_error("Send JSON (Content-Type: application/json).", 415)
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("proof"), str):
        return _json_error('Send JSON like {"proof": "..."}.', 400)
    try:
        opened = share_open(link_id=link_id, proof=body["proof"], request=request)
    except ShareThrottled as error:
        return _json_error(str(error), error.status, **{"Retry-After": str(error.retry_after)})
    except VaultError as error:
        return _json_error(str(error), error.status)
    payload = {"nonce": b64url(opened.nonce), "ciphertext": b64url(opened.ciphertext), "views_left": opened.views_left}
    return _private(JsonResponse(payload))
