"""The /v1/ entry point: resolve the route, authenticate the token, rate-limit it, then one thin handler."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import UnreadablePostError
from django.views.decorators.csrf import csrf_exempt

from accounts.tokenauth import api_authenticate
from vault.api.errors import vault_error_response
from vault.api.http import ApiError, error_response
from vault.api.routing import route_for
from vault.services.errors import VaultError

PERMISSION_DENIED = "permission denied"


def _method(request) -> str:
    method = request.method.upper()
    # Vault's LIST verb, or GET with ?list=true for clients and proxies that cannot send it.
    if method == "GET" and request.GET.get("list", "").lower() in ("true", "1"):
        return "LIST"
    return method


def _serve(request):
    route = route_for(path_info=request.path_info, method=_method(request))
    if route.public:
        return route.handler(request, route)
    # One Redis round trip counts the request and tells whether a cached token is still good (accounts.tokencache).
    authenticated = api_authenticate(request, rate_limit=settings.VAULT_API_RATE_LIMIT)
    principal = authenticated.principal
    # Vault answers a missing, unknown, expired or revoked token like any other denial: 403, no detail.
    if principal is None or not principal.user.email_verified:
        raise ApiError(403, PERMISSION_DENIED)
    if authenticated.retry_after:
        raise ApiError(429, "rate limit quota exceeded", headers={"Retry-After": str(authenticated.retry_after)})
    # Checked before any lookup, so a token learns nothing about paths it may not use (no 404 vs 403).
    for action in route.actions:
        if not principal.allows(action=action, path=route.policy_path):
            raise ApiError(403, PERMISSION_DENIED)
    request.token_principal = principal
    return route.handler(request, route)


# Only token-authenticated API views are exempt: no cookie is ever read here, so there is nothing to forge.
@csrf_exempt
def api_entry(request, route: str = ""):
    """Every /v1/ request. Refusals are Vault's `{"errors": [...]}` with a 4xx, never an HTML page."""
    try:
        return _serve(request)
    except ApiError as error:
        return error_response(error.status, error.messages, error.headers)
    except VaultError as error:
        return vault_error_response(error)
    except RequestDataTooBig:
        return error_response(413, ["request body too large"])
    except UnreadablePostError:
        return error_response(400, ["the request body could not be read"])
