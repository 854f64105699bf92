"""Which handler serves a /v1/ request, and what a token must be allowed to do for it (Vault's route table)."""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from vault.api import auth, kv_data, kv_metadata, openapi, system
from vault.api.http import ApiError

READ, WRITE = ("read",), ("write",)

# Per KV v2 operation: method -> (handler, token actions needed). PATCH reads the current version, so it needs both.
KV_ROUTES: dict[str, dict[str, tuple[Callable, tuple[str, ...]]]] = {
    "data": {
        "GET": (kv_data.data_read, READ),
        "POST": (kv_data.data_write, WRITE),
        "PUT": (kv_data.data_write, WRITE),
        "PATCH": (kv_data.data_patch, ("read", "write")),
        "DELETE": (kv_data.data_delete, WRITE),
    },
    "delete": {"POST": (kv_data.versions_delete, WRITE), "PUT": (kv_data.versions_delete, WRITE)},
    "undelete": {"POST": (kv_data.versions_undelete, WRITE), "PUT": (kv_data.versions_undelete, WRITE)},
    "destroy": {"POST": (kv_data.versions_destroy, WRITE), "PUT": (kv_data.versions_destroy, WRITE)},
    "subkeys": {"GET": (kv_data.subkeys_read, READ)},
    "metadata": {
        "GET": (kv_metadata.metadata_read, READ),
        "LIST": (kv_metadata.metadata_list, READ),
        "POST": (kv_metadata.metadata_write, WRITE),
        "PUT": (kv_metadata.metadata_write, WRITE),
        "PATCH": (kv_metadata.metadata_patch, WRITE),
        "DELETE": (kv_metadata.metadata_delete, WRITE),
    },
    "config": {
        "GET": (kv_metadata.config_read, READ),
        "POST": (kv_metadata.config_write, WRITE),
        "PUT": (kv_metadata.config_write, WRITE),
    },
}
# Operations on a whole mount or folder (no secret path needed).
PATHLESS_OK = {("metadata", "LIST"), ("config", "GET"), ("config", "POST"), ("config", "PUT")}


@dataclass(frozen=True, slots=True)
class Route:
    """A resolved request. `actions` and `policy_path` say what the token must allow (None: any valid token);
    `public` routes need no token at all (login)."""

    handler: Callable
    actions: tuple[str, ...] = ()
    policy_path: str | None = None
    mount: str = ""
    path: str = ""
    name: str = ""
    public: bool = False


def _segments(path_info: str) -> list[str]:
    rest = path_info.removeprefix("/v1/")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in rest) or "\\" in rest:
        raise ApiError(400, "invalid path: control characters or backslashes")
    # One trailing slash is how clients name a folder (LIST secret/metadata/app/); it adds no segment.
    segments = rest.removesuffix("/").split("/") if rest else []
    if any(segment in ("", ".", "..") for segment in segments):
        raise ApiError(400, "invalid path: empty, . or .. segments")
    return segments


def _pick(table: dict[str, Callable], method: str) -> Callable:
    if method not in table:
        raise ApiError(405, "unsupported operation", headers={"Allow": ", ".join(sorted(table))})
    return table[method]


def _not_found(where: str) -> ApiError:
    return ApiError(404, f'no handler for route "{where[:200]}"')


# Routes outside the mounts that any valid token may use (they act on the token itself).
TOKEN_SELF = {
    "lookup-self": {"GET": auth.lookup_self, "POST": auth.lookup_self},
    "renew-self": {"POST": auth.renew_self, "PUT": auth.renew_self},
    "revoke-self": {"POST": auth.revoke_self, "PUT": auth.revoke_self},
}
# Another token of the caller's (by value or accessor): only a token not limited to path prefixes may, reading to
# look up and writing to renew or revoke. The operation's name goes to the handler in Route.name.
TOKEN_OTHER = {
    "lookup": ({"POST": auth.lookup_other, "PUT": auth.lookup_other}, READ),
    "lookup-accessor": ({"POST": auth.lookup_other, "PUT": auth.lookup_other}, READ),
    "renew": ({"POST": auth.renew_other, "PUT": auth.renew_other}, WRITE),
    "renew-accessor": ({"POST": auth.renew_other, "PUT": auth.renew_other}, WRITE),
    "revoke": ({"POST": auth.revoke_other, "PUT": auth.revoke_other}, WRITE),
    "revoke-accessor": ({"POST": auth.revoke_other, "PUT": auth.revoke_other}, WRITE),
    "revoke-orphan": ({"POST": auth.revoke_other, "PUT": auth.revoke_other}, WRITE),
}
MOUNT_ADMIN = {"GET": system.mount_read, "POST": system.mount_create, "DELETE": system.mount_delete}
LOGIN = {"POST": auth.userpass_login, "PUT": auth.userpass_login}


def route_for(*, path_info: str, method: str) -> Route:
    """The route for a request (method already resolved: LIST for `GET ?list=true`). ApiError 400/404/405."""
    segments = _segments(path_info)
    where = "/".join(segments)
    match segments:
        case ["openapi.json"]:
            return Route(_pick({"GET": openapi.openapi_document}, method), public=True)
        case ["sys", "mounts"]:
            return Route(_pick({"GET": system.mounts_list}, method), actions=READ)
        case ["sys", "mounts", name]:
            return Route(_pick(MOUNT_ADMIN, method), actions=READ if method == "GET" else WRITE, name=name)
        case ["sys", "internal", "ui", "mounts", mount, *rest]:
            policy_path = "/".join([mount, *rest])
            return Route(_pick({"GET": system.ui_mount}, method), actions=READ, policy_path=policy_path, mount=mount)
        case ["auth", "userpass", "login", username]:
            return Route(_pick(LOGIN, method), name=username, public=True)
        case ["auth", "token", operation] if operation in TOKEN_SELF:
            return Route(_pick(TOKEN_SELF[operation], method))
        case ["auth", "token", operation] if operation in TOKEN_OTHER:
            table, actions = TOKEN_OTHER[operation]
            return Route(_pick(table, method), actions=actions, name=operation)
        case ["sys" | "auth", *_]:
            raise _not_found(where)
        case [mount, operation, *rest] if operation in KV_ROUTES:
            handler, actions = _pick(KV_ROUTES[operation], method)
            path = "/".join(rest)
            if not path and (operation, method) not in PATHLESS_OK:
                raise _not_found(where)
            if operation == "config" and path:
                raise _not_found(where)
            policy_path = f"{mount}/{path}" if path else mount
            return Route(handler, actions=actions, policy_path=policy_path, mount=mount, path=path)
    raise _not_found(where)
