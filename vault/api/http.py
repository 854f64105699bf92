"""Vault's HTTP conventions: response envelopes, `{"errors": [...]}` refusals and strict JSON request bodies."""

import json
import uuid

import orjson
from django.conf import settings
from django.http import HttpResponse
from django.utils.http import http_date

# KV v2 bodies hold one secret version (VAULT_MAX_SECRET_BYTES of text) plus JSON escaping, which can make
# a character six bytes ("\u0001"); anything larger is refused before it is read.
BODY_OVERHEAD = 16 * 1024
JSON_TYPES = frozenset({"application/json"})
MERGE_PATCH_TYPE = "application/merge-patch+json"


class ApiError(Exception):
    """A refusal in Vault's format. `messages` are shown to the client as is (never values)."""

    def __init__(self, status: int, *messages: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(*messages)
        self.status = status
        self.messages = list(messages)
        self.headers = headers or {}


# What django.utils.cache.add_never_cache_headers writes, set directly: patching them header by header cost more
# than encoding the whole answer (every API answer carries them).
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


def _finish(response: HttpResponse) -> HttpResponse:
    response.headers["Expires"] = http_date()
    response.headers["Cache-Control"] = NEVER_CACHE
    return response


def _json(body: dict, status: int) -> HttpResponse:
    """`body` as JSON: orjson, about ten times faster than the json module here, unless it cannot encode a value."""
    try:
        content = orjson.dumps(body)
    except (orjson.JSONEncodeError, TypeError):
        content = json.dumps(body).encode()
    return HttpResponse(content, content_type="application/json", status=status)


def envelope(data: dict | None = None, *, auth: dict | None = None, status: int = 200, **extra) -> HttpResponse:
    """Vault's response envelope around `data` (and `auth` for logins); `extra` adds top-level keys."""
    body = {
        "request_id": str(uuid.uuid4()),
        "lease_id": "",
        "renewable": False,
        "lease_duration": 0,
        "data": data,
        "wrap_info": None,
        "warnings": None,
        "auth": auth,
        **extra,
    }
    return _finish(_json(body, status))


def no_content() -> HttpResponse:
    return _finish(HttpResponse(status=204))


def error_response(status: int, messages: list[str], headers: dict[str, str] | None = None, **extra) -> HttpResponse:
    response = _json({"errors": messages, **extra}, status)
    for name, value in (headers or {}).items():
        response[name] = value
    return _finish(response)


def body_limit() -> int:
    return min(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.VAULT_MAX_SECRET_BYTES * 6 + BODY_OVERHEAD)


def json_body(request, *, allowed: set[str], merge_patch: bool = False) -> dict:
    """The request's JSON object, or ApiError: 413 too large, 415 wrong type, 400 malformed or unknown fields.

    An empty body is `{}` (hvac posts none to revoke-self). PATCH bodies must be application/merge-patch+json,
    as Vault requires; others application/json or untyped. A form-encoded type (curl's default for --data) is
    refused: the body would not be what it claims to be.
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiError(400, "invalid Content-Length") from None
    if length > body_limit():
        raise ApiError(413, "request body too large")
    raw = request.body
    # A chunked body has no Content-Length to refuse up front.
    if len(raw) > body_limit():
        raise ApiError(413, "request body too large")
    if not raw.strip():
        return {}
    content_type = request.content_type or ""
    if merge_patch and content_type != MERGE_PATCH_TYPE:
        raise ApiError(415, f"PATCH requires Content-Type {MERGE_PATCH_TYPE}")
    if not merge_patch and content_type and content_type not in JSON_TYPES:
        raise ApiError(415, "request body must be application/json")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "failed to parse JSON input") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(400, f"unknown fields: {', '.join(unknown)[:200]}")
    return body


# Version numbers and counts are stored as 32-bit integers on every database.
INT_MAX = 2**31 - 1


def int_field(value: object, *, name: str, minimum: int = 0, maximum: int = INT_MAX) -> int:
    """A whole number from `minimum` to `maximum` (JSON true/false and 1.0 are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ApiError(400, f"{name} must be a whole number from {minimum} to {maximum}")
    return value


def text_field(value: object, *, name: str, max_length: int) -> str:
    """A string that is valid UTF-8 (JSON may carry lone surrogates, which no database or hasher takes)."""
    if not isinstance(value, str) or len(value) > max_length:
        raise ApiError(400, f"{name} must be text of at most {max_length} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, f"{name} must be valid text") from None
    return value


def bool_field(value: object, *, name: str) -> bool:
    if not isinstance(value, bool):
        raise ApiError(400, f"{name} must be true or false")
    return value


def object_field(value: object, *, name: str) -> dict:
    if not isinstance(value, dict):
        raise ApiError(400, f"{name} must be a JSON object")
    return value
