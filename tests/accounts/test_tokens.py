"""API tokens: stored hashed, refused when expired, revoked or out of scope, and `whoami` for scripts."""

import hashlib
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import ApiToken, AuditEvent
from accounts.services.tokens import token_create, token_revoke
from accounts.tokenauth import TokenPrincipal

pytestmark = pytest.mark.django_db

WHOAMI = "/accounts/tokens/whoami"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(email="script@example.test", password="correct horse battery staple")


@pytest.fixture
def api():
    return Client(raise_request_exception=False)


def whoami(api, value, header="HTTP_AUTHORIZATION"):
    return api.get(WHOAMI, **{header: f"Bearer {value}" if header == "HTTP_AUTHORIZATION" else value})


def test_a_token_is_shown_once_and_stored_only_as_its_sha256(user):
    token, value = token_create(user=user, name="backup", can_read=True, can_write=False)
    assert re.fullmatch(r"khp_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", value)
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.token_hash == hashlib.sha256(value.encode()).hexdigest()
    assert value.startswith(stored.prefix + "_")
    # The secret is everything after the visible prefix; it may itself contain "_" (base64url).
    secret_part = value[len(stored.prefix) + 1 :]
    assert len(secret_part) == 43
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert not any(secret_part in str(field) for field in row.values())
    assert stored.expires_at - stored.created == timedelta(days=90)
    event = AuditEvent.objects.get(actor=user, action="token_created")
    assert secret_part not in str(event.detail) + event.target


def test_whoami_answers_for_a_bearer_or_vault_token_header(api, user):
    _, value = token_create(user=user, name="ci", can_read=True, can_write=True, path_prefixes=["prod"])
    for header in ["HTTP_AUTHORIZATION", "HTTP_X_VAULT_TOKEN"]:
        response = whoami(api, value, header)
        assert response.status_code == 200
        body = response.json()
        assert body["email"] == user.email
        assert body["token"]["name"] == "ci"
        assert body["token"]["scopes"] == ["read", "write"]
        assert body["token"]["path_prefixes"] == ["prod"]
        assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "An API token is required"),
        ({"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"}, "An API token is required"),
        ({"HTTP_AUTHORIZATION": "Bearer khp_00000000_" + "A" * 43}, "not valid"),
        ({"HTTP_AUTHORIZATION": "Bearer " + "x" * 100_000}, "not valid"),
        ({"HTTP_X_VAULT_TOKEN": "khp_zz_short"}, "not valid"),
    ],
)
def test_missing_or_unknown_tokens_get_401_json(api, headers, message):
    response = api.get(WHOAMI, **headers)
    assert response.status_code == 401
    assert message in response.json()["error"]
    assert response["WWW-Authenticate"] == 'Bearer realm="keyhold"'


def test_two_different_tokens_in_one_request_are_refused(api, user):
    _, first = token_create(user=user, name="a", can_read=True, can_write=False)
    _, second = token_create(user=user, name="b", can_read=True, can_write=False)
    response = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {first}", HTTP_X_VAULT_TOKEN=second)
    assert response.status_code == 401


def test_revoked_expired_and_inactive_user_tokens_are_refused(api, user, django_user_model):
    token, value = token_create(user=user, name="r", can_read=True, can_write=False)
    assert whoami(api, value).status_code == 200
    assert token_revoke(user=user, token_id=token.pk)
    assert whoami(api, value).json()["error"] == "The token has been revoked."
    assert not token_revoke(user=user, token_id=token.pk)

    token, value = token_create(user=user, name="e", can_read=True, can_write=False, expires_in_days=7)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert whoami(api, value).json()["error"] == "The token has expired."

    _, value = token_create(user=user, name="i", can_read=True, can_write=False, expires_in_days=None)
    assert whoami(api, value).status_code == 200
    user.is_active = False
    user.save()
    assert whoami(api, value).status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(user, django_user_model):
    other = django_user_model.objects.create_user(email="other@example.test", password="x" * 16)
    token, _ = token_create(user=other, name="theirs", can_read=True, can_write=False)
    assert not token_revoke(user=user, token_id=token.pk)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_last_use_is_recorded_with_ip_at_most_once_a_minute(api, user):
    token, value = token_create(user=user, name="u", can_read=True, can_write=False)
    api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {value}", REMOTE_ADDR="192.0.2.7")
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    assert token.last_used_ip == "192.0.2.7"

    api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {value}", REMOTE_ADDR="192.0.2.8")
    token.refresh_from_db()
    assert (token.last_used_at, token.last_used_ip) == (first_use, "192.0.2.7")

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - timedelta(minutes=2))
    api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {value}", REMOTE_ADDR="192.0.2.8")
    token.refresh_from_db()
    assert token.last_used_ip == "192.0.2.8"
    assert token.last_used_at > first_use


def principal(*, read=True, write=False, prefixes=()):
    return TokenPrincipal(
        user=SimpleNamespace(), token=ApiToken(can_read=read, can_write=write, path_prefixes=list(prefixes))
    )


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("prod", True),
        ("prod/db", True),
        ("/prod/db/", True),
        ("prod/db/password", True),
        ("production/x", False),
        ("produ", False),
        ("staging/prod", False),
        ("prod/../staging", False),
        ("prod//db", False),
        ("", False),
        (None, False),
    ],
)
def test_path_prefixes_match_whole_segments(path, allowed):
    assert principal(prefixes=["prod"]).allows(action="read", path=path) is allowed


def test_scopes_limit_the_action():
    reader = principal(read=True, write=False)
    assert reader.allows(action="read", path="any/thing")
    assert not reader.allows(action="write", path="any/thing")
    assert not reader.allows(action="delete", path="any/thing")
    assert principal(read=False, write=True).allows(action="write")
    assert not principal(read=False, write=True).allows(action="read")


def test_a_token_without_a_scope_cannot_be_made(user):
    with pytest.raises(ValueError, match="at least one scope"):
        token_create(user=user, name="none", can_read=False, can_write=False)


HEADER_TEXT = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")),
    st.builds(lambda tail: "Bearer khp_" + tail, st.text(max_size=80)),
)


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(authorization=HEADER_TEXT, vault_token=st.one_of(st.none(), HEADER_TEXT))
def test_random_token_headers_are_answered_with_401_never_500(api, authorization, vault_token):
    headers = {"HTTP_AUTHORIZATION": authorization}
    if vault_token is not None:
        headers["HTTP_X_VAULT_TOKEN"] = vault_token
    response = api.get(WHOAMI, **headers)
    assert response.status_code == 401
    assert "error" in response.json()


@pytest.mark.urls("tests.accounts.token_api_urls")
def test_decorated_apis_answer_403_outside_scope_or_paths(user):
    api = Client(enforce_csrf_checks=True, raise_request_exception=False)
    _, reader = token_create(user=user, name="reader", can_read=True, can_write=False, path_prefixes=["prod"])
    _, writer = token_create(user=user, name="writer", can_read=False, can_write=True)
    auth = {"reader": {"HTTP_X_VAULT_TOKEN": reader}, "writer": {"HTTP_AUTHORIZATION": f"Bearer {writer}"}}

    assert api.get("/read/prod/db", **auth["reader"]).json() == {"path": "prod/db"}
    assert api.get("/read/production/db", **auth["reader"]).status_code == 403
    forbidden = api.post("/write/prod/db", **auth["reader"])
    assert forbidden.status_code == 403
    assert forbidden.json()["error"] == "This token does not have the write scope."
    # Token-authenticated POSTs need no CSRF token: no cookie carries the credentials.
    assert api.post("/write/staging/x", **auth["writer"]).json() == {"written": "staging/x"}
    assert api.get("/read/staging/x", **auth["writer"]).status_code == 403
    assert api.post("/write/staging/x").status_code == 401
