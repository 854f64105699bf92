"""KV v2 metadata endpoints: read, update, merge patch, delete with all versions, LIST, and the mount's config."""

import contextlib

from vault.api.http import ApiError, bool_field, envelope, error_response, int_field, json_body, no_content
from vault.api.shapes import duration_seconds, mount_config, secret_metadata
from vault.selectors import secret_keys, secret_version_list
from vault.services import SecretNotFound, secret_delete_all, secret_metadata_update
from vault.services.lookup import secret_get
from vault.services.mounts import mount_configure, mount_get, mount_settings

METADATA_FIELDS = {"max_versions", "cas_required", "delete_version_after", "custom_metadata"}
CONFIG_FIELDS = {"max_versions", "cas_required", "delete_version_after"}


def _settings(body: dict) -> dict:
    """max_versions, cas_required and delete_version_after from a body, typed; absent ones are left out."""
    found = {}
    if body.get("max_versions") is not None:
        found["max_versions"] = int_field(body["max_versions"], name="max_versions")
    if body.get("cas_required") is not None:
        found["cas_required"] = bool_field(body["cas_required"], name="cas_required")
    if body.get("delete_version_after") is not None:
        found["delete_version_after"] = duration_seconds(body["delete_version_after"], name="delete_version_after")
    return found


def metadata_read(request, route):
    user = request.token_principal.user
    secret = secret_get(owner=user, path=route.path, mount=route.mount)
    mount = mount_settings(owner=user, path=route.mount)
    return envelope(secret_metadata(secret, secret_version_list(secret=secret), mount=mount))


def metadata_list(request, route):
    keys = secret_keys(user=request.token_principal.user, mount=route.mount, folder=route.path)
    if not keys:
        return error_response(404, [])
    return envelope({"keys": keys})


def metadata_write(request, route):
    """Vault creates metadata for a path with no versions yet; Keyhold secrets begin with a version, so 404."""
    body = json_body(request, allowed=METADATA_FIELDS)
    custom = body.get("custom_metadata")
    if custom is not None and not isinstance(custom, dict):
        raise ApiError(400, "custom_metadata must be a JSON object of strings")
    secret_metadata_update(
        owner=request.token_principal.user,
        path=route.path,
        custom_metadata=custom,
        mount=route.mount,
        request=request,
        **_settings(body),
    )
    return no_content()


def metadata_patch(request, route):
    """Merge patch: only the given settings change; in custom_metadata a null removes a key."""
    body = json_body(request, allowed=METADATA_FIELDS, merge_patch=True)
    user = request.token_principal.user
    custom = None
    if "custom_metadata" in body:
        patch = body["custom_metadata"]
        if not isinstance(patch, dict):
            raise ApiError(400, "custom_metadata must be a JSON object")
        custom = dict(secret_get(owner=user, path=route.path, mount=route.mount).custom_metadata)
        for key, value in patch.items():
            if value is None:
                custom.pop(key, None)
            else:
                custom[key] = value
    secret_metadata_update(
        owner=user, path=route.path, custom_metadata=custom, mount=route.mount, request=request, **_settings(body)
    )
    return no_content()


def metadata_delete(request, route):
    """Delete the secret with every version. Like Vault, deleting what is not there succeeds."""
    json_body(request, allowed=set())
    with contextlib.suppress(SecretNotFound):
        secret_delete_all(owner=request.token_principal.user, path=route.path, mount=route.mount, request=request)
    return no_content()


def config_read(request, route):
    return envelope(mount_config(mount_get(owner=request.token_principal.user, path=route.mount)))


def config_write(request, route):
    body = json_body(request, allowed=CONFIG_FIELDS)
    mount_configure(owner=request.token_principal.user, path=route.mount, request=request, **_settings(body))
    return no_content()
