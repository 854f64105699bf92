"""The OpenAPI 3.1 description of /v1/, written by hand so it says what the API promises, served as JSON."""

from django.http import JsonResponse

from vault.models import MOUNT_MAX_LENGTH, PATH_MAX_LENGTH

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"

_ERRORS = {"$ref": "#/components/responses/Errors"}
_NO_CONTENT = {"description": "Done; no body."}
_MOUNT = {
    "name": "mount",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$", "maxLength": MOUNT_MAX_LENGTH},
    "example": "secret",
}
_PATH = {
    "name": "path",
    "in": "path",
    "required": True,
    "description": "Secret path; folders separated by `/` (sent percent-encoded as one parameter here).",
    "schema": {"type": "string", "minLength": 1, "maxLength": PATH_MAX_LENGTH},
    "example": "app/db",
}
_VERSION = {"name": "version", "in": "query", "schema": {"type": "integer", "minimum": 0}}
_LIST = {"name": "list", "in": "query", "schema": {"type": "string", "enum": ["true"]}}
_STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
_CAS_OPTIONS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"cas": {"type": "integer", "minimum": 0}},
}
_SETTINGS = {
    "max_versions": {"type": "integer", "minimum": 0, "maximum": 1000},
    "cas_required": {"type": "boolean"},
    "delete_version_after": {"type": "string", "example": "30m"},
}


def _body(properties: dict, *, required: tuple[str, ...] = (), media: str = JSON) -> dict:
    schema = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["required"] = list(required)
    return {"required": bool(required), "content": {media: {"schema": schema}}}


def _op(summary: str, *, ok: str = "200", body: dict | None = None, params: tuple = (), public=False) -> dict:
    operation = {
        "summary": summary,
        "parameters": list(params),
        "responses": {
            ok: _NO_CONTENT if ok == "204" else {"$ref": "#/components/responses/Envelope"},
            "4XX": _ERRORS,
        },
    }
    if body is not None:
        operation["requestBody"] = body
    if public:
        operation["security"] = []
    return operation


_TOKEN = {"token": {"type": "string"}}
_ACCESSOR = {"accessor": {"type": "string"}}
_INCREMENT = {"increment": {"type": "string", "example": "1h"}}


def _document() -> dict:
    kv = (_MOUNT, _PATH)
    number = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    text = {"type": "string", "pattern": "^[1-9][0-9]{0,8}$"}
    # What Vault takes, and the Vault CLI sends (["5"]): numbers, numeric strings, "1,2", or a list of them.
    numbers = {
        "oneOf": [
            number,
            {"type": "string", "pattern": "^[1-9][0-9]{0,8}(,[1-9][0-9]{0,8})*$"},
            {"type": "array", "minItems": 1, "maxItems": 1000, "items": {"oneOf": [number, text]}},
        ]
    }
    versions = _body({"versions": numbers}, required=("versions",))
    data_body = {"data": _STRINGS, "options": _CAS_OPTIONS}
    metadata = {**_SETTINGS, "custom_metadata": {**_STRINGS, "maxProperties": 64}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Keyhold Vault API",
            "version": "1",
            "description": 'HashiCorp Vault KV v2 compatible. Values are strings. Errors are {"errors": [...]}.',
        },
        "servers": [{"url": "/"}],
        "security": [{"vaultToken": []}, {"bearer": []}],
        "paths": {
            "/v1/{mount}/data/{path}": {
                "get": _op("Read a version (a reveal: audited, counted)", params=(*kv, _VERSION)),
                "post": _op("Write a new version", body=_body(data_body, required=("data",)), params=kv),
                "put": _op("Write a new version", body=_body(data_body, required=("data",)), params=kv),
                "patch": _op("Merge-patch the current version", body=_body(data_body, media=MERGE_PATCH), params=kv),
                "delete": _op("Soft-delete the current version", ok="204", params=kv),
            },
            **{
                f"/v1/{{mount}}/{name}/{{path}}": {"post": _op(summary, ok="204", body=versions, params=kv)}
                for name, summary in (
                    ("delete", "Soft-delete versions"),
                    ("undelete", "Restore soft-deleted versions"),
                    ("destroy", "Erase versions for good"),
                )
            },
            "/v1/{mount}/metadata/{path}": {
                "get": _op("Metadata, or keys with list=true", params=(*kv, _LIST)),
                "post": _op("Update metadata", ok="204", body=_body(metadata), params=kv),
                "patch": _op("Merge-patch metadata", ok="204", body=_body(metadata, media=MERGE_PATCH), params=kv),
                "delete": _op("Delete the secret and all versions", ok="204", params=kv),
            },
            "/v1/{mount}/metadata/": {"get": _op("Keys at the top of a mount", params=(_MOUNT, _LIST))},
            "/v1/{mount}/subkeys/{path}": {"get": _op("Field names without values", params=(*kv, _VERSION))},
            "/v1/{mount}/config": {
                "get": _op("Mount settings", params=(_MOUNT,)),
                "post": _op("Change mount settings", ok="204", body=_body(_SETTINGS), params=(_MOUNT,)),
            },
            "/v1/sys/mounts": {"get": _op("The caller's mounts")},
            "/v1/sys/mounts/{mount}": {
                "get": _op("One mount", params=(_MOUNT,)),
                "post": _op(
                    "Create a KV v2 mount",
                    ok="204",
                    params=(_MOUNT,),
                    body=_body(
                        {
                            "type": {"type": "string", "enum": ["kv", "kv-v2"]},
                            "description": {"type": "string", "maxLength": 200},
                            "options": {"type": "object", "properties": {"version": {"type": "string", "enum": ["2"]}}},
                            "config": {"type": "object"},
                        },
                        required=("type",),
                    ),
                ),
                "delete": _op("Remove a mount and its secrets", ok="204", params=(_MOUNT,)),
            },
            "/v1/auth/userpass/login/{username}": {
                "post": _op(
                    "Log in; returns a short-lived renewable token in auth.client_token",
                    public=True,
                    params=({"name": "username", "in": "path", "required": True, "schema": {"type": "string"}},),
                    body=_body({"password": {"type": "string"}, "totp": {"type": "string"}}, required=("password",)),
                ),
            },
            "/v1/auth/token/lookup-self": {"get": _op("The calling token")},
            "/v1/auth/token/renew-self": {
                "post": _op("Extend a login token", body=_body({"increment": {"type": "string", "example": "1h"}}))
            },
            "/v1/auth/token/revoke-self": {"post": _op("Revoke the calling token", ok="204")},
            **{
                f"/v1/auth/token/{operation}": {"post": _op(summary, ok=ok, body=_body(fields, required=required))}
                for operation, summary, ok, fields, required in (
                    ("lookup", "Another token of the caller's, by value", "200", _TOKEN, ("token",)),
                    ("lookup-accessor", "Another token of the caller's, by accessor", "200", _ACCESSOR, ("accessor",)),
                    ("renew", "Extend a token of the caller's", "200", {**_TOKEN, **_INCREMENT}, ("token",)),
                    ("renew-accessor", "Extend a token by accessor", "200", {**_ACCESSOR, **_INCREMENT}, ("accessor",)),
                    ("revoke", "Revoke a token of the caller's", "204", _TOKEN, ("token",)),
                    ("revoke-accessor", "Revoke a token by accessor", "200", _ACCESSOR, ("accessor",)),
                    ("revoke-orphan", "Revoke a token of the caller's", "204", _TOKEN, ("token",)),
                )
            },
        },
        "components": {
            "securitySchemes": {
                "vaultToken": {"type": "apiKey", "in": "header", "name": "X-Vault-Token"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
            "responses": {
                "Envelope": {
                    "description": "Vault's envelope: request_id, lease_id, renewable, lease_duration, data, auth...",
                    "content": {JSON: {"schema": {"type": "object", "required": ["request_id", "data"]}}},
                },
                "Errors": {
                    "description": "Refused: 400 bad input, 403 permission denied, 404 not found, 405 method, "
                    "413 too large, 415 content type, 429 rate limit (Retry-After).",
                    "content": {
                        JSON: {
                            "schema": {
                                "type": "object",
                                "required": ["errors"],
                                "properties": {"errors": {"type": "array", "items": {"type": "string"}}},
                            }
                        }
                    },
                },
            },
        },
    }


DOCUMENT = _document()


def openapi_document(request, route):
    """The description above; public, like Vault's own (it holds no user data)."""
    return JsonResponse(DOCUMENT)
