"""KV v2 data endpoints: read (a reveal), write with check-and-set, merge patch, delete, version ops, subkeys."""

import time

from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from vault.api.http import ApiError, envelope, error_response, int_field, json_body, no_content, object_field
from vault.api.shapes import deletion_time, timestamp, version_metadata
from vault.models import SecretVersion
from vault.services import (
    SecretNotFound,
    VersionUnavailable,
    secret_reveal,
    secret_update,
    secret_versions_delete,
    secret_versions_destroy,
    secret_versions_undelete,
)
from vault.services.lookup import secret_get, version_get
from vault.services.mounts import mount_settings
from vault.services.patch import secret_patch


def _token_authenticated_at() -> float:
    # A token proves who is calling on every request (it was checked a moment ago), and nobody is at a browser
    # to re-type a password: the reveal's recent-sign-in rule, which guards a session left open, is met by
    # "now". The reveal budget and the audit record apply to token reads in full.
    return time.time()


def _version_param(request) -> int | None:
    raw = request.GET.get("version", "")
    if raw in ("", "0"):
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise ApiError(400, "version must be a whole number")
    return int(raw)


def _cas(options: dict) -> int | None:
    unknown = sorted(set(options) - {"cas"})
    if unknown:
        raise ApiError(400, f"unknown options: {', '.join(unknown)[:200]}")
    return None if options.get("cas") is None else int_field(options["cas"], name="cas")


@sensitive_variables("data")
def _fields(data: dict, *, allow_null: bool = False) -> dict:
    for name, value in data.items():
        if not (isinstance(value, str) or (allow_null and value is None)):
            # Names only: a value in the message could leak into a client's logs.
            raise ApiError(400, f"the value of {name[:100]!r} must be a string (Keyhold stores text fields)")
    return data


def _written(request, route, version: SecretVersion):
    mount = mount_settings(owner=request.token_principal.user, path=route.mount)
    return envelope(version_metadata(version, secret=version.secret, mount=mount))


def _unavailable(request, route, version: int | None):
    """Vault's 404 for a deleted or destroyed version still carries its metadata (hvac reads deletion_time)."""
    user = request.token_principal.user
    secret = secret_get(owner=user, path=route.path, mount=route.mount)
    stored = version_get(secret=secret, version=version)
    mount = mount_settings(owner=user, path=route.mount)
    metadata = version_metadata(stored, secret=secret, mount=mount)
    return error_response(404, [], data={"data": None, "metadata": metadata})


@sensitive_variables("revealed")
def data_read(request, route):
    version = _version_param(request)
    user = request.token_principal.user
    try:
        revealed = secret_reveal(
            user=user,
            path=route.path,
            authenticated_at=_token_authenticated_at(),
            version=version,
            mount=route.mount,
            request=request,
        )
    except VersionUnavailable:
        return _unavailable(request, route, version)
    metadata = {
        "created_time": timestamp(revealed.created),
        "custom_metadata": revealed.custom_metadata or None,
        "deletion_time": timestamp(revealed.deletion_due),
        "destroyed": False,
        "version": revealed.version,
    }
    return envelope({"data": revealed.fields, "metadata": metadata})


@sensitive_variables("body", "data")
def data_write(request, route):
    body = json_body(request, allowed={"data", "options"})
    data = _fields(object_field(body.get("data"), name="data"))
    cas = _cas(object_field(body.get("options") or {}, name="options"))
    version = secret_update(
        owner=request.token_principal.user,
        path=route.path,
        fields=data,
        cas=cas,
        mount=route.mount,
        keep_notes=True,
        request=request,
    )
    return _written(request, route, version)


@sensitive_variables("body", "data")
def data_patch(request, route):
    body = json_body(request, allowed={"data", "options"}, merge_patch=True)
    data = _fields(object_field(body.get("data"), name="data"), allow_null=True)
    cas = _cas(object_field(body.get("options") or {}, name="options"))
    version = secret_patch(
        user=request.token_principal.user,
        path=route.path,
        patch=data,
        cas=cas,
        authenticated_at=_token_authenticated_at(),
        mount=route.mount,
        request=request,
    )
    return _written(request, route, version)


def data_delete(request, route):
    """Soft-delete the current version. Like Vault, deleting what is not there succeeds."""
    json_body(request, allowed=set())
    user = request.token_principal.user
    try:
        current = secret_get(owner=user, path=route.path, mount=route.mount).current_version
        secret_versions_delete(owner=user, path=route.path, versions=[current], mount=route.mount, request=request)
    except SecretNotFound:
        pass
    return no_content()


MAX_VERSIONS_LISTED = 1000
NO_VERSIONS = "no version number provided: versions must be 1 to 1000 version numbers"


def _version_number(value: object) -> int:
    # A numeric string is how the Vault CLI sends each number (`-versions=5` is ["5"]); JSON true is not a number.
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    return int_field(value, name="versions", minimum=1)


def versions_list(raw: object) -> list[int]:
    """Version numbers in every form Vault's API takes: a number, a numeric string, a comma-separated string
    ("1,2"; empty items skipped), or a list of numbers and numeric strings. ApiError 400 otherwise."""
    if isinstance(raw, str):
        raw = [item for item in raw.split(",", MAX_VERSIONS_LISTED + 1) if item]
    elif isinstance(raw, int) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, list) or not raw or len(raw) > MAX_VERSIONS_LISTED:
        raise ApiError(400, NO_VERSIONS)
    return [_version_number(value) for value in raw]


def _versions(request) -> list[int]:
    return versions_list(json_body(request, allowed={"versions"}).get("versions"))


def _versions_op(service):
    def handler(request, route):
        service(
            owner=request.token_principal.user,
            path=route.path,
            versions=_versions(request),
            mount=route.mount,
            request=request,
        )
        return no_content()

    return handler


versions_delete = _versions_op(secret_versions_delete)
versions_undelete = _versions_op(secret_versions_undelete)
versions_destroy = _versions_op(secret_versions_destroy)


def subkeys_read(request, route):
    """The field names of a version with null for each value (Keyhold fields are flat), nothing decrypted."""
    user = request.token_principal.user
    secret = secret_get(owner=user, path=route.path, mount=route.mount)
    stored = version_get(secret=secret, version=_version_param(request))
    mount = mount_settings(owner=user, path=route.mount)
    due = deletion_time(stored, secret=secret, mount=mount)
    if stored.destroyed or (due is not None and due <= timezone.now()):
        raise VersionUnavailable("That version is deleted or destroyed.")
    metadata = version_metadata(stored, secret=secret, mount=mount)
    return envelope({"subkeys": dict.fromkeys(stored.field_names), "metadata": metadata})
