"""auth/ endpoints: userpass login (with TOTP for two-factor accounts) and the token's own lookup, renew, revoke."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.clientinfo import client_ip
from accounts.services.audit import Action, audit_record
from accounts.services.hashslots import RETRY_AFTER_SECONDS
from accounts.services.limits import ip_subject
from accounts.services.login import login_attempt
from accounts.services.ratelimit import rate_take
from accounts.services.tokens import token_create, token_renew, token_revoke
from accounts.services.twofactor import CodeRejected, TwoFactorLocked, twofactor_check, twofactor_enabled
from vault.api.http import ApiError, envelope, json_body, no_content, text_field
from vault.api.shapes import duration_seconds, timestamp

# Vault's legacy login MFA header; Keyhold takes "totp:<code>" or the bare code.
MFA_HEADER = "HTTP_X_VAULT_MFA"
LOGIN_REFUSED = "invalid username or password"


def _token_auth(token, *, client_token: str = "") -> dict:
    ttl = max(0, int((token.expires_at - timezone.now()).total_seconds())) if token.expires_at else 0
    auth = {
        "accessor": token.prefix,
        "policies": ["default"],
        "token_policies": ["default"],
        "metadata": {"username": token.user.email},
        "lease_duration": ttl,
        "renewable": token.renewable_until is not None,
        "entity_id": "",
        "token_type": "service",
        "orphan": True,
        "mfa_requirement": None,
        "num_uses": 0,
    }
    return {"client_token": client_token, **auth} if client_token else auth


@sensitive_variables("body", "password", "code", "raw")
def userpass_login(request, route):
    """Password (and a TOTP code when the account has two-factor) for a short-lived, renewable token.

    Same lockouts as the sign-in page (per account and per address, before any hashing).
    """
    # Logins have no token to count against: they count per client address, at the same rate.
    retry_after = rate_take(subject=f"login:{ip_subject(client_ip(request))}", limit=settings.VAULT_API_RATE_LIMIT)
    if retry_after:
        raise ApiError(429, "rate limit quota exceeded", headers={"Retry-After": str(retry_after)})
    body = json_body(request, allowed={"password", "totp"})
    password = text_field(body.get("password"), name="password", max_length=4096)
    if not password:
        raise ApiError(400, "missing password")
    attempt = login_attempt(request=request, email=route.name, password=password)
    if attempt.busy:
        raise ApiError(503, "too many logins in progress, retry", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if attempt.retry_after:
        raise ApiError(429, "too many failed logins", headers={"Retry-After": str(attempt.retry_after)})
    user = attempt.user
    if user is None:
        raise ApiError(400, LOGIN_REFUSED)
    if twofactor_enabled(user):
        sent = body.get("totp") or request.META.get(MFA_HEADER, "").removeprefix("totp:")
        code = text_field(sent, name="totp", max_length=64)
        if not code.strip():
            raise ApiError(400, "two-factor code required: send totp in the body or the X-Vault-MFA header")
        try:
            twofactor_check(user=user, code=code.strip(), request=request, allow_recovery=False)
        except TwoFactorLocked as locked:
            raise ApiError(429, str(locked), headers={"Retry-After": str(locked.retry_after)}) from None
        except CodeRejected:
            raise ApiError(400, "the two-factor code is not right") from None
    if not user.email_verified:
        raise ApiError(403, "verify your email address before using the vault")
    token, raw = token_create(
        user=user,
        name="userpass login",
        can_read=True,
        can_write=True,
        ttl=timedelta(seconds=settings.VAULT_API_LOGIN_TTL),
        renewable_for=timedelta(seconds=settings.VAULT_API_LOGIN_MAX_TTL),
        request=request,
    )
    audit_record(action=Action.LOGIN, actor=user, request=request, detail={"api": "userpass", "token": token.prefix})
    return envelope(None, auth=_token_auth(token, client_token=raw))


def lookup_self(request, route):
    token = request.token_principal.token
    now = timezone.now()
    ttl = max(0, int((token.expires_at - now).total_seconds())) if token.expires_at else 0
    return envelope(
        {
            "accessor": token.prefix,
            "creation_time": int(token.created.timestamp()),
            "creation_ttl": int((token.expires_at - token.created).total_seconds()) if token.expires_at else 0,
            "display_name": f"token-{token.name}"[:100],
            "entity_id": "",
            "expire_time": timestamp(token.expires_at) or None,
            "explicit_max_ttl": 0,
            "issue_time": timestamp(token.created),
            "meta": {"username": token.user.email, "scopes": ",".join(request.token_principal.scopes)},
            "num_uses": 0,
            "orphan": True,
            "path": "auth/userpass/login" if token.renewable_until else "auth/token/create",
            "policies": ["default"],
            "renewable": token.renewable_until is not None,
            "ttl": ttl,
            "type": "service",
            "path_prefixes": token.path_prefixes,
        }
    )


def renew_self(request, route):
    body = json_body(request, allowed={"increment"})
    increment = settings.VAULT_API_LOGIN_TTL
    if body.get("increment") is not None:
        increment = duration_seconds(body["increment"], name="increment") or increment
    token = token_renew(token=request.token_principal.token, increment=timedelta(seconds=increment))
    if token is None:
        raise ApiError(400, "lease is not renewable")
    return envelope(None, auth=_token_auth(token))


def revoke_self(request, route):
    json_body(request, allowed=set())
    principal = request.token_principal
    token_revoke(user=principal.user, token_id=principal.token.pk, request=request)
    return no_content()
