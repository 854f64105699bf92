"""API token pages: list, create (the value shown once), revoke; and `whoami` for scripts to test a token."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors_tokens import token_list_for_user
from accounts.services.tokens import token_create, token_revoke
from accounts.token_forms import TokenCreateForm
from accounts.tokenauth import token_required


@never_cache
@login_required
@require_GET
def token_list(request):
    return render(request, "accounts/token_list.html", {"tokens": token_list_for_user(user=request.user)})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_new(request):
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, value = token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            can_read=form.cleaned_data["can_read"],
            can_write=form.cleaned_data["can_write"],
            path_prefixes=form.cleaned_data["path_prefixes"],
            expires_in_days=form.expires_in_days(),
            request=request,
        )
        # Rendered, not redirected: the value must never sit in a URL, a session or a later page.
        return render(request, "accounts/token_created.html", {"token": token, "value": value})
    return render(request, "accounts/token_create.html", {"form": form})


@never_cache
@login_required
@require_POST
def token_revoke_view(request, token_id: int):
    if token_revoke(user=request.user, token_id=token_id, request=request):
        messages.success(request, "Token revoked: it no longer works.")
    else:
        messages.error(request, "No such active token.")
    return redirect("accounts:token-list")


@require_GET
@token_required()
def whoami(request):
    principal = request.token_principal
    token = principal.token
    return JsonResponse(
        {
            "email": principal.user.email,
            "token": {
                "name": token.name,
                "prefix": token.prefix,
                "scopes": principal.scopes,
                "path_prefixes": token.path_prefixes,
                "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            },
        }
    )
