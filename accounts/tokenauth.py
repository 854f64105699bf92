"""Token authentication for the vault and telemetry APIs: `Authorization: Bearer` or `X-Vault-Token`.

A view decorated with `@token_required(scope="read")` gets `request.token_principal` and answers
401 (no, unknown, expired or revoked token) or 403 (token lacks the scope) as JSON by itself.
Path prefixes are the view's check: `request.token_principal.allows(action="read", path=path)`.
"""

import re
import time
from dataclasses import dataclass
from functools import wraps

from django.http import JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt

from accounts import tokencache
from accounts.clientinfo import client_ip
from accounts.models import ApiToken
from accounts.selectors_tokens import token_for_value
from accounts.services.ratelimit import WINDOW_SECONDS, rate_key, rate_verdict
from accounts.services.tokens import token_hash, token_mark_used

ACTIONS = ("read", "write")
# Exactly what token_create issues; anything else is refused before hashing or touching the database.
TOKEN_PATTERN = re.compile(r"khp_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")
WWW_AUTHENTICATE = 'Bearer realm="keyhold"'


class TokenRefused(Exception):
    """Why a request's token was not accepted; `str(error)` is safe to show the client."""


@dataclass(frozen=True)
class TokenPrincipal:
    """Who a token-authenticated request acts for, and what the token lets it do."""

    user: object
    token: ApiToken

    @property
    def scopes(self) -> list[str]:
        return [
            action for action, granted in (("read", self.token.can_read), ("write", self.token.can_write)) if granted
        ]

    def allows(self, *, action: str, path: str | None = None) -> bool:
        """True when the token has `action` and, if it is limited to path prefixes, `path` lies under one.

        Prefixes match whole segments: "prod" covers "prod" and "prod/db", never "production/x".
        A limited token with no path (a whole-vault action) is refused, as is any path with empty,
        "." or ".." segments.
        """
        if action not in self.scopes:
            return False
        prefixes = self.token.path_prefixes or []
        if path is None:
            return not prefixes
        segments = path.strip("/").split("/")
        if any(segment in {"", ".", ".."} for segment in segments):
            return False
        if not prefixes:
            return True
        path = "/".join(segments)
        return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


def _token_value(request) -> str | None:
    """The token the request carries, or None when it carries none. Raises TokenRefused on a malformed header."""
    values = set()
    authorization = request.META.get("HTTP_AUTHORIZATION")
    if authorization:
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() == "bearer":
            values.add(credentials.strip())
    vault_token = request.META.get("HTTP_X_VAULT_TOKEN")
    if vault_token:
        values.add(vault_token.strip())
    if not values:
        return None
    if len(values) > 1:
        raise TokenRefused("Two different tokens were sent.")
    value = values.pop()
    if not TOKEN_PATTERN.fullmatch(value):
        raise TokenRefused("The token is not valid.")
    return value


def presented_token(request) -> str | None:
    """The well-formed token value the request carries, or None (Vault echoes it back in lookups and renewals)."""
    try:
        return _token_value(request)
    except TokenRefused:
        return None


def _checked(token: ApiToken | None) -> ApiToken:
    if token is None:
        raise TokenRefused("The token is not valid.")
    if token.revoked_at is not None:
        raise TokenRefused("The token has been revoked.")
    if not token.is_usable(timezone.now()):
        raise TokenRefused("The token has expired.")
    if not token.user.is_active:
        raise TokenRefused("The token is not valid.")
    return token


def _authenticate(request) -> TokenPrincipal:
    value = _token_value(request)
    if value is None:
        raise TokenRefused("An API token is required (Authorization: Bearer <token> or X-Vault-Token).")
    token = _checked(token_for_value(value))
    token_mark_used(token=token, ip=client_ip(request))
    return TokenPrincipal(user=token.user, token=token)


@dataclass(frozen=True)
class ApiAuthentication:
    """A request's principal (None: no usable token) and, past the token's rate limit, the seconds to wait."""

    principal: TokenPrincipal | None
    retry_after: int | None = None


def api_authenticate(request, *, rate_limit: int) -> ApiAuthentication:
    """Token authentication for the Vault API, counting the request against the token's per-minute `rate_limit`.

    Same answers as authenticate_token, with the token cache (accounts.tokencache) in front of the database: its
    epoch and the rate count come in one Redis round trip, and a token proved usable in the last seconds needs
    no query. Only tokens of active, verified users are cached. The count is kept per token hash, so it is known
    before the token is looked up; an unusable token gets no retry_after (its 403 says enough).
    """
    try:
        value = _token_value(request)
    except TokenRefused:
        return ApiAuthentication(None)
    if value is None:
        return ApiAuthentication(None)
    digest = token_hash(value)
    now = time.time()
    counted = rate_key(f"token:{digest[:32]}", now=now) if rate_limit > 0 else None
    epoch, count = tokencache.check(rate_key=counted, rate_seconds=WINDOW_SECONDS + 1)
    token = tokencache.cached(digest, epoch)
    if token is None or not token.is_usable(timezone.now()):
        try:
            token = _checked(token_for_value(value))
        except TokenRefused:
            return ApiAuthentication(None)
        if token.user.email_verified:
            tokencache.remember(digest, epoch, token)
    used = token.last_used_at
    token_mark_used(token=token, ip=client_ip(request))
    if token.last_used_at != used:
        tokencache.note_used(digest, token)
    principal = TokenPrincipal(user=token.user, token=token)
    return ApiAuthentication(principal, rate_verdict(count=count, limit=rate_limit, now=now))


def authenticate_token(request) -> TokenPrincipal | None:
    """The principal for the request's token, or None when it has no usable one."""
    try:
        return _authenticate(request)
    except TokenRefused:
        return None


def _json_error(message: str, status: int) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = WWW_AUTHENTICATE
    add_never_cache_headers(response)
    return response


def token_required(scope: str | None = None):
    """Decorate an API view: token auth with a 401/403 JSON answer, and no CSRF (no cookies are used)."""
    if scope is not None and scope not in ACTIONS:
        raise ValueError(f"scope must be one of {ACTIONS} or None, not {scope!r}")

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                principal = _authenticate(request)
            except TokenRefused as refusal:
                return _json_error(str(refusal), 401)
            if scope is not None and scope not in principal.scopes:
                return _json_error(f"This token does not have the {scope} scope.", 403)
            request.token_principal = principal
            response = view(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response

        return wrapped

    return decorator
