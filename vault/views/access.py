"""Who may open vault pages, and how a refused vault operation is shown."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from vault.services import VaultError


def vault_page(*methods: str) -> Callable:
    """Signed in, email verified, `Cache-Control: no-store` (secrets must not sit in any cache), given methods."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not request.user.email_verified:
                return render(request, "vault/account_unverified.html", status=403)
            return view(request, *args, **kwargs)

        return never_cache(login_required(require_http_methods(list(methods))(checked)))

    return decorator


def vault_error(request, error: VaultError, *, secret_path: str = ""):
    """A page with the service's own (value-free) message and its suggested status."""
    return render(
        request, "vault/secret_error.html", {"error": str(error), "secret_path": secret_path}, status=error.status
    )


def bad_request(request, message: str, *, secret_path: str = ""):
    return render(request, "vault/secret_error.html", {"error": message, "secret_path": secret_path}, status=400)
