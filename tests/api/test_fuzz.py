"""Generated requests to /v1/ (methods, paths, bodies, content types): never a server error, always Vault's format."""

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import make_token
from vault.services import secret_update

pytestmark = pytest.mark.django_db

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "LIST", "HEAD", "OPTIONS", "FROB", "POST", "GET", "PATCH"]
SEGMENTS = st.one_of(
    st.sampled_from(["secret", "team", "data", "metadata", "delete", "undelete", "destroy", "subkeys", "config",
                     "sys", "mounts", "internal", "ui", "auth", "token", "userpass", "login", "lookup-self",
                     "renew-self", "revoke-self", "app", "s", "..", ".", "", "%00", "%2F", "a%20b", "%E2%80%AE"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12).map(
        lambda text: "".join(ch if ch.isalnum() else f"%{ord(ch) % 256:02X}" for ch in text)
    ),
)  # fmt: skip
# Mostly well-formed routes, so bodies reach the handlers rather than the router's refusals.
ROUTES = st.one_of(
    st.tuples(st.sampled_from(["secret", "team"]),
              st.sampled_from(["data", "metadata", "delete", "undelete", "destroy", "subkeys"]),
              st.sampled_from(["app/s", "app", "s", "new/x", "app/s/deeper"])).map("/".join),
    st.sampled_from(["secret/config", "secret/metadata/", "sys/mounts", "sys/mounts/team", "sys/mounts/secret",
                     "auth/token/lookup-self", "auth/token/renew-self", "auth/userpass/login/api@example.test",
                     "sys/internal/ui/mounts/secret/app"]),
    st.lists(SEGMENTS, min_size=1, max_size=6).map("/".join),
)  # fmt: skip
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
KEYS = st.sampled_from(["data", "options", "cas", "versions", "max_versions", "cas_required",
                        "delete_version_after", "custom_metadata", "type", "description", "password", "totp",
                        "increment", "extra"])  # fmt: skip
BODIES = st.one_of(
    st.dictionaries(KEYS, JSON_VALUES, max_size=4).map(lambda body: json.dumps(body).encode()),
    st.binary(max_size=64),
    st.just(b""),
)
CONTENT_TYPES = st.sampled_from(["application/json", "application/merge-patch+json", "text/plain", ""])


@pytest.fixture
def api(api_user):
    secret_update(owner=api_user, path="app/s", fields={"k": "v"})
    return Client(HTTP_X_VAULT_TOKEN=make_token(api_user))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(METHODS),
    route=ROUTES,
    query=st.sampled_from(["", "?list=true", "?version=1", "?version=x", "?version=99999999999"]),
    body=BODIES,
    content_type=CONTENT_TYPES,
)
def test_generated_requests_never_fail_on_the_server(api, method, route, query, body, content_type):
    response = api.generic(method, f"/v1/{route}{query}", data=body, content_type=content_type)
    assert response.status_code < 500, (method, route, body, response.content[:200])
    if response.status_code >= 400 and method != "HEAD":
        assert isinstance(response.json()["errors"], list)
