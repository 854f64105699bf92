"""auth/ endpoints: userpass login (with TOTP for two-factor accounts), and token lookup, renew and revoke: of the
calling token, or of another token of its owner's by value or accessor (what `bao token ...` sends)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.clientinfo import client_ip
from accounts.selectors_tokens import token_for_accessor, token_for_value
from accounts.services.audit import Action, audit_record
from accounts.services.hashslots import RETRY_AFTER_SECONDS
from accounts.services.limits import ip_subject
from accounts.services.login import login_attempt
from accounts.services.ratelimit import rate_take
from accounts.services.tokens import token_create, token_renew, token_revoke
from accounts.services.twofactor import CodeRejected, TwoFactorLocked, twofactor_check, twofactor_enabled
from accounts.tokenauth import TOKEN_PATTERN, presented_token
from vault.api.http import ApiError, envelope, json_body, no_content, text_field
from vault.api.shapes import duration_seconds, timestamp

# Vault's legacy login MFA header; Keyhold takes "totp:<code>" or the bare code.
MFA_HEADER = "HTTP_X_VAULT_MFA"
LOGIN_REFUSED = "invalid username or password"


def _ttl(token, now) -> int:
    """Seconds left, to the nearest: a token just issued or renewed for an hour has 3600 left, as Vault says."""
    return max(0, round((token.expires_at - now).total_seconds())) if token.expires_at else 0


def _token_auth(token, *, client_token: str = "") -> dict:
    auth = {
        "accessor": token.prefix,
        "policies": ["default"],
        "token_policies": ["default"],
        "metadata": {"username": token.user.email},
        "lease_duration": _ttl(token, timezone.now()),
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


def _lookup(token, *, token_id: str) -> dict:
    """What Vault's token lookups answer; `token_id` is the token's value when the caller sent it, else ""."""
    ttl = _ttl(token, timezone.now())
    scopes = ",".join(action for action, granted in (("read", token.can_read), ("write", token.can_write)) if granted)
    meta = {"username": token.user.email, "scopes": scopes}
    if token.path_prefixes:
        meta["path_prefixes"] = ",".join(token.path_prefixes)
    return {
        "accessor": token.prefix,
        "creation_time": int(token.created.timestamp()),
        "creation_ttl": round((token.expires_at - token.created).total_seconds()) if token.expires_at else 0,
        "display_name": f"token-{token.name}"[:100],
        "entity_id": "",
        "expire_time": timestamp(token.expires_at) or None,
        "explicit_max_ttl": 0,
        "id": token_id,
        "issue_time": timestamp(token.created),
        "meta": meta,
        "num_uses": 0,
        "orphan": True,
        "path": "auth/userpass/login" if token.renewable_until else "auth/token/create",
        "policies": ["default"],
        "renewable": token.renewable_until is not None,
        "ttl": ttl,
        "type": "service",
    }


def _increment(body: dict) -> timedelta:
    increment = settings.VAULT_API_LOGIN_TTL
    if body.get("increment") is not None:
        increment = duration_seconds(body["increment"], name="increment") or increment
    return timedelta(seconds=increment)


def lookup_self(request, route):
    return envelope(_lookup(request.token_principal.token, token_id=presented_token(request) or ""))


def renew_self(request, route):
    body = json_body(request, allowed={"increment"})
    token = token_renew(token=request.token_principal.token, increment=_increment(body))
    if token is None:
        raise ApiError(400, "lease is not renewable")
    return envelope(None, auth=_token_auth(token, client_token=presented_token(request) or ""))


def revoke_self(request, route):
    json_body(request, allowed=set())
    principal = request.token_principal
    token_revoke(user=principal.user, token_id=principal.token.pk, request=request)
    return no_content()


# Another token of the caller's own (`bao token lookup|renew|revoke TOKEN` or `-accessor`). Tokens of other users
# are answered as Vault answers unknown ones, so a token cannot learn that someone else's exists.
@sensitive_variables("body", "value")
def _target(request, body: dict, *, by_accessor: bool):
    user = request.token_principal.user
    if by_accessor:
        accessor = text_field(body.get("accessor"), name="accessor", max_length=64)
        return token_for_accessor(user=user, accessor=accessor), ""
    value = text_field(body.get("token"), name="token", max_length=200)
    found = token_for_value(value) if TOKEN_PATTERN.fullmatch(value) else None
    return (found if found is not None and found.user_id == user.pk else None), value


def _live(token):
    return token if token is not None and token.is_usable(timezone.now()) else None


def lookup_other(request, route):
    by_accessor = route.name == "lookup-accessor"
    token, value = _target(
        request, json_body(request, allowed={"accessor" if by_accessor else "token"}), by_accessor=by_accessor
    )
    if _live(token) is None:
        raise ApiError(400, "invalid accessor") if by_accessor else ApiError(403, "bad token")
    return envelope(_lookup(token, token_id=value))


def renew_other(request, route):
    by_accessor = route.name == "renew-accessor"
    body = json_body(request, allowed={"accessor" if by_accessor else "token", "increment"})
    token, value = _target(request, body, by_accessor=by_accessor)
    if _live(token) is None:
        raise ApiError(400, "invalid accessor" if by_accessor else "token not found")
    renewed = token_renew(token=token, increment=_increment(body))
    if renewed is None:
        raise ApiError(400, "lease is not renewable")
    return envelope(None, auth=_token_auth(renewed, client_token=value))


def revoke_other(request, route):
    by_accessor = route.name == "revoke-accessor"
    token, _ = _target(
        request, json_body(request, allowed={"accessor" if by_accessor else "token"}), by_accessor=by_accessor
    )
    if _live(token) is not None:
        token_revoke(user=request.token_principal.user, token_id=token.pk, request=request)
    elif by_accessor:
        return envelope(None, warnings=["No token found with this accessor"])
    # Like Vault: revoking what is not (or no longer) there succeeds.
    return no_content()
