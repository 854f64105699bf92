"""Where to send someone after signing in: the `next` parameter, only when it is a path on this site."""

from django.conf import settings
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request) -> str:
    """The posted or queried `next` when it is a local path, else LOGIN_REDIRECT_URL.

    Only paths starting with "/" pass: anything else would reach `redirect()` as a view name (a 500 on
    garbage) or as a relative URL that resolves somewhere unexpected.
    """
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)
