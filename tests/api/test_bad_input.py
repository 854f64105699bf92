"""Hostile and malformed requests to /v1/: each a 4xx in Vault's `{"errors": [...]}` format, never a 500."""

import json

import pytest
from django.test import Client

from tests.api.conftest import make_token
from vault.services import secret_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_user):
    """A Django test client that enforces CSRF like a browser would, carrying a full token."""
    client = Client(enforce_csrf_checks=True, HTTP_X_VAULT_TOKEN=make_token(api_user))
    secret_update(owner=api_user, path="s", fields={"k": "v"}, mount="secret")
    return client


def refused(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert isinstance(body["errors"], list)
    return body


def send(api, method: str, url: str, body=None, content_type="application/json"):
    data = body if isinstance(body, bytes | str) else json.dumps(body) if body is not None else ""
    return api.generic(method, url, data=data, content_type=content_type)


def test_token_requests_need_no_csrf_token(api):
    response = send(api, "POST", "/v1/secret/data/new", {"data": {"k": "v"}})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "body",
    [b"{", b'{"data": ', b"[1, 2]", b'"text"', b"\xff\xfe{}", b"{" * 100_000 + b"}" * 100_000, b"NaN"],
    ids=["open", "cut", "array", "string", "not-utf8", "deep", "nan"],
)
def test_malformed_json_is_400(api, body):
    refused(send(api, "POST", "/v1/secret/data/s", body), 400)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_wrong_content_type_is_415(api, content_type):
    refused(send(api, "POST", "/v1/secret/data/s", '{"data": {"k": "v"}}', content_type), 415)


def test_patch_needs_merge_patch_content_type(api):
    refused(send(api, "PATCH", "/v1/secret/data/s", {"data": {"k": "x"}}), 415)
    response = send(api, "PATCH", "/v1/secret/data/s", {"data": {"k": "x"}}, "application/merge-patch+json")
    assert response.status_code == 200, response.content


def test_oversized_body_is_413(api):
    refused(send(api, "POST", "/v1/secret/data/s", {"data": {"k": "x" * 3_000_000}}), 413)


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/v1/secret/data/s", {"data": {"k": "v"}, "extra": 1}),
        ("/v1/secret/data/s", {"data": {"k": "v"}, "options": {"cas": 1, "ttl": 3}}),
        ("/v1/secret/metadata/s", {"max_versions": 2, "colour": "red"}),
        ("/v1/secret/config", {"max_versions": 2, "ttl": "1h"}),
        ("/v1/secret/delete/s", {"versions": [1], "all": True}),
        ("/v1/auth/userpass/login/api@example.test", {"password": "x", "otp": "1"}),
    ],
)
def test_unknown_fields_are_400(api, url, body):
    assert "unknown" in refused(send(api, "POST", url, body), 400)["errors"][0]


@pytest.mark.parametrize("cas", ["1", 1.5, True, -1, {}, [1]])
def test_wrong_cas_types_are_400(api, cas):
    refused(send(api, "POST", "/v1/secret/data/s", {"data": {"k": "v"}, "options": {"cas": cas}}), 400)


@pytest.mark.parametrize(
    "versions",
    [[], [0], [True], True, None, [1.0], 1.5, list(range(1, 1002)), "", ",", "0", "1, 2", "0x2", "-1", "1.0", "a",
     ["1,2"], [" 1"], {"1": 1}, ",".join(["1"] * 1001)],
)  # fmt: skip
@pytest.mark.parametrize("operation", ["delete", "undelete", "destroy"])
def test_wrong_versions_are_400(api, operation, versions):
    refused(send(api, "POST", f"/v1/secret/{operation}/s", {"versions": versions}), 400)


@pytest.mark.parametrize("versions", [[1], 1, "1", ["1"], "1,2", [1, "2"], "1,,2"])
def test_every_form_of_versions_vault_takes_is_taken(api, api_user, versions):
    # The Vault CLI sends ["1"]; Vault also takes numbers, numeric strings and comma-separated lists.
    assert send(api, "POST", "/v1/secret/delete/s", {"versions": versions}).status_code == 204
    metadata = api.get("/v1/secret/metadata/s").json()["data"]["versions"]
    assert metadata["1"]["deletion_time"] != ""
    assert send(api, "PUT", "/v1/secret/undelete/s", {"versions": versions}).status_code == 204
    assert api.get("/v1/secret/metadata/s").json()["data"]["versions"]["1"]["deletion_time"] == ""


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"k": 1}},
        {"data": {"k": None}},
        {"data": {"k": {"nested": "x"}}},
        {"data": "k=v"},
        {"data": {"": "v"}},
        {"data": {}},
        {"options": "cas"},
    ],
)
def test_wrong_data_is_400(api, body):
    refused(send(api, "POST", "/v1/secret/data/s", body), 400)


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/v1/secret/metadata/s", {"max_versions": "3"}),
        ("/v1/secret/metadata/s", {"max_versions": 5000}),
        ("/v1/secret/metadata/s", {"cas_required": "yes"}),
        ("/v1/secret/metadata/s", {"delete_version_after": "forever"}),
        ("/v1/secret/metadata/s", {"delete_version_after": "99999h"}),
        ("/v1/secret/metadata/s", {"custom_metadata": ["a"]}),
        ("/v1/secret/metadata/s", {"custom_metadata": {"k": 1}}),
        ("/v1/secret/metadata/s", {"custom_metadata": {"k": "v" * 513}}),
        ("/v1/secret/config", {"max_versions": -1}),
        ("/v1/sys/mounts/team", {"type": "kv", "options": {"version": "1"}}),
        ("/v1/sys/mounts/team", {"type": "kv", "options": "2"}),
        ("/v1/sys/mounts/sys", {"type": "kv", "options": {"version": "2"}}),
        ("/v1/sys/mounts/a%20b", {"type": "kv", "options": {"version": "2"}}),
        ("/v1/auth/userpass/login/api@example.test", {}),
        ("/v1/auth/userpass/login/api@example.test", {"password": ["x"]}),
        ("/v1/auth/token/renew-self", {"increment": "soon"}),
    ],
)
def test_wrong_setting_types_are_400(api, url, body):
    refused(send(api, "POST", url, body), 400)


@pytest.mark.parametrize(
    "url",
    [
        "/v1/secret/data/a/../s",
        "/v1/secret/data/./s",
        "/v1/secret/data/a//s",
        "/v1/secret//data/s",
        "/v1/secret/data/a%00b",
        "/v1/secret/data/a%0Ab",
        "/v1/secret/data/a%E2%80%AEb",
        "/v1/secret/data/a%5Cb",
        "/v1/../secret/data/s",
    ],
)
def test_traversal_empty_segments_and_control_characters_are_400(api, url):
    refused(api.get(url), 400)


@pytest.mark.parametrize(
    "url",
    ["/v1/", "/v1/secret", "/v1/secret/bogus/s", "/v1/sys/bogus", "/v1/auth/ldap/login/x", "/v1/secret/data/",
     "/v1/secret/config/extra", "/v1/secret/subkeys/"],
)  # fmt: skip
def test_unknown_routes_are_404(api, url):
    refused(api.get(url), 404)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("OPTIONS", "/v1/secret/data/s"),
        ("TRACE", "/v1/secret/data/s"),
        ("FROB", "/v1/secret/data/s"),
        ("LIST", "/v1/secret/data/s"),
        ("DELETE", "/v1/secret/subkeys/s"),
        ("GET", "/v1/secret/delete/s"),
        ("PATCH", "/v1/secret/config"),
        ("GET", "/v1/auth/userpass/login/x"),
        ("PUT", "/v1/sys/mounts"),
    ],
)
def test_unsupported_methods_are_405(api, method, url):
    response = refused(api.generic(method, url), 405)
    assert response["errors"] == ["unsupported operation"]


def test_bad_version_parameters_are_400(api):
    for version in ("abc", "-1", "1.5", "9" * 20):
        refused(api.get(f"/v1/secret/data/s?version={version}"), 400)


def test_list_with_get_query_matches_list_method(api):
    by_query = api.get("/v1/secret/metadata/?list=true")
    by_method = api.generic("LIST", "/v1/secret/metadata/")
    assert by_query.status_code == by_method.status_code == 200
    assert by_query.json()["data"] == by_method.json()["data"] == {"keys": ["s"]}


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/v1/auth/userpass/login/api@example.test", b'{"password": "\\ud800"}'),
        ("/v1/sys/mounts/team", b'{"type": "kv", "options": {"version": "2"}, "description": "\\udfff"}'),
        ("/v1/secret/data/s", b'{"data": {"\\ud800": "v"}}'),
        ("/v1/secret/data/s", b'{"data": {"k": "\\ud800"}}'),
        ("/v1/secret/metadata/s", b'{"custom_metadata": {"k": "\\ud800"}}'),
        ("/v1/secret/delete/s", b'{"versions": [99999999999999999999]}'),
        ("/v1/secret/data/s", b'{"data": {"k": "v"}, "options": {"cas": 1e999}}'),
        ("/v1/secret/data/s", b'{"data": {"k": "v"}, "options": {"cas": ' + b"9" * 5000 + b"}}"),
    ],
    ids=["password", "description", "name", "value", "metadata", "huge-version", "infinite-cas", "long-number"],
)
def test_lone_surrogates_and_out_of_range_numbers_are_400(api, url, body):
    refused(send(api, "POST", url, body), 400)


def test_openapi_description_is_served_without_a_token(client):
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    assert {"/v1/{mount}/data/{path}", "/v1/auth/userpass/login/{username}", "/v1/sys/mounts"} <= set(document["paths"])


def test_a_host_outside_allowed_hosts_is_400_on_the_lean_path(api):
    # /v1/ skips the browser middleware (config/leanpath.py), not Django's Host check.
    assert api.get("/v1/secret/config", HTTP_HOST="evil.example").status_code == 400
    assert api.get("/healthz", HTTP_HOST="evil.example").status_code == 400
