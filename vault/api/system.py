"""sys/ endpoints: the caller's own mounts (list, read, create a KV v2 mount, remove) and the UI mount lookup."""

from vault.api.http import ApiError, envelope, json_body, no_content, object_field, text_field
from vault.api.shapes import mount_entry
from vault.services.mounts import mount_create as mount_create_service
from vault.services.mounts import mount_delete as mount_delete_service
from vault.services.mounts import mount_get, mount_list, mount_name_clean

# What hvac's enable_secrets_engine sends; anything else is refused as an unknown field.
MOUNT_FIELDS = {
    "type",
    "description",
    "config",
    "options",
    "plugin_name",
    "plugin_version",
    "local",
    "seal_wrap",
    "external_entropy_access",
}


def mounts_list(request, route):
    """Every mount of the caller, keyed "path/", at the top level and under data as Vault answers."""
    entries = {f"{mount.path}/": mount_entry(mount) for mount in mount_list(owner=request.token_principal.user)}
    return envelope(entries, **entries)


def mount_read(request, route):
    mount = mount_get(owner=request.token_principal.user, path=mount_name_clean(route.name))
    return envelope(mount_entry(mount))


def mount_create(request, route):
    body = json_body(request, allowed=MOUNT_FIELDS)
    kind = body.get("type")
    options = object_field(body.get("options") or {}, name="options")
    version = options.get("version")
    if kind == "kv-v2":
        version = version or "2"
    elif kind != "kv":
        raise ApiError(400, "only KV secrets engines can be mounted here (type kv, options.version 2)")
    if str(version) != "2":
        raise ApiError(400, "only KV version 2 is supported: set options.version to 2")
    description = text_field(body.get("description") or "", name="description", max_length=200)
    mount_create_service(owner=request.token_principal.user, path=route.name, description=description, request=request)
    return no_content()


def mount_delete(request, route):
    json_body(request, allowed=set())
    mount_delete_service(owner=request.token_principal.user, path=route.name, request=request)
    return no_content()


def ui_mount(request, route):
    """What Vault's UI and some clients ask first to learn a path's engine and KV version."""
    mount = mount_get(owner=request.token_principal.user, path=route.mount)
    return envelope({"path": f"{mount.path}/", **mount_entry(mount)})
