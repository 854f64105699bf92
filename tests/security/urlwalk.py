"""Every URL the project routes, as concrete paths, and a seeded generator of hostile requests for them."""

import json
import random
import re
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver

# A sample value per path converter: real enough to reach the view, not necessarily an existing object.
SAMPLES = {
    "path": "prod/db/main",
    "str": "abc123",
    "int": "1",
    "slug": "a-slug",
    "uuid": "00000000-0000-0000-0000-000000000000",
}
_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>[^>]+)>[^)]*\)")
# Catch-all routes dispatch on the rest of the path themselves (the KV v2 API): walk each kind of route.
CATCH_ALL = {
    "route": [
        "secret/data/prod/db/main",
        "secret/metadata/prod/db/main",
        "secret/metadata/prod",
        "secret/delete/prod/db/main",
        "secret/undelete/prod/db/main",
        "secret/destroy/prod/db/main",
        "secret/subkeys/prod/db/main",
        "secret/config",
        "sys/mounts",
        "sys/mounts/team",
        "sys/internal/ui/mounts/secret/prod",
        "auth/userpass/login/walker@example.test",
        "auth/token/lookup-self",
        "auth/token/renew-self",
        "auth/token/revoke-self",
        "openapi.json",
    ]
}


def _bare(route: str) -> str:
    return route.lstrip("^").removesuffix("\\Z").rstrip("$").replace("\\", "")


def _concrete(route: str) -> list[str]:
    """The concrete paths to walk for one route (several for a catch-all)."""
    if not route.startswith("^"):
        return [_PARAMETER.sub(lambda m: SAMPLES.get(m.group("converter") or "str", "abc123"), route)]
    # A regex pattern (admin's, the API's): fill each named group, drop anchors and escapes.
    names = _REGEX_GROUP.findall(route)
    fills = CATCH_ALL.get(names[0], ["1"]) if len(names) == 1 else ["1"]
    return [_bare(_REGEX_GROUP.sub(lambda _match, fill=fill: fill, route)) for fill in fills]


def project_urls() -> list[str]:
    """One concrete path per URL pattern of the project (admin included), sorted and distinct."""
    found: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            for route in _concrete(str(entry.pattern)):
                if isinstance(entry, URLResolver):
                    walk(entry.url_patterns, prefix + route)
                elif isinstance(entry, URLPattern):
                    found.add("/" + (prefix + route).lstrip("/"))

    walk(get_resolver().url_patterns, "")
    return sorted(found)


@dataclass
class HostileRequest:
    method: str
    path: str
    body: bytes = b""
    content_type: str = "application/x-www-form-urlencoded"
    headers: dict[str, str] = field(default_factory=dict)
    csrf: str = "none"  # "none": no token; "wrong": a made-up one; "cookie": the client's own


_CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/json",
    "application/merge-patch+json",
    "multipart/form-data; boundary=broken",
    "text/plain",
    "application/octet-stream",
    "application/json; charset=latin-1",
]
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "LIST", "TRACE", "PROPFIND"]
_NASTY_TEXT = [
    "\x00",
    "\r\n",
    "../../etc/passwd",
    "%00",
    "\u202e",
    "'; DROP TABLE x; --",
    "<script>",
    "\ud800x",
    "🔑" * 40,
]


def _random_text(rng: random.Random, size: int) -> str:
    parts = [rng.choice(_NASTY_TEXT) if rng.random() < 0.3 else chr(rng.randint(1, 0x2FFF)) for _ in range(size)]
    return "".join(parts)


def _body(rng: random.Random, oversized: bytes) -> tuple[bytes, str]:
    kind = rng.randrange(8)
    if kind == 0:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300))), rng.choice(_CONTENT_TYPES)
    if kind == 1:
        depth = rng.choice([50, 1000, 20000])
        return (b"[" * depth + b"]" * depth), "application/json"
    if kind == 2:
        value = {
            "data": {_random_text(rng, 5): _random_text(rng, 20)},
            "options": {"cas": rng.choice([-1, "x", 1e99, None, [], True])},
        }
        return json.dumps(value, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass"), "application/json"
    if kind == 3:
        fields = {
            rng.choice(
                ["path", "password", "version", "field_name", "field_value", "a", "b", "q", "cas"]
            ): _random_text(rng, 12)
            for _ in range(rng.randint(1, 8))
        }
        body = "&".join(f"{k}={v}" for k, v in fields.items())
        return body.encode("utf-8", "surrogatepass"), "application/x-www-form-urlencoded"
    if kind == 4:
        return oversized, rng.choice(_CONTENT_TYPES)
    if kind == 5:
        return b"&".join(b"f%d=1" % i for i in range(1200)), "application/x-www-form-urlencoded"
    if kind == 6:
        return (
            b'--broken\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n\r\n\xff\xfe\r\n',
            "multipart/form-data; boundary=broken",
        )
    return b"", rng.choice(_CONTENT_TYPES)


def _query(rng: random.Random) -> str:
    keys = ["q", "after", "folder", "version", "a", "b", "list", "next", "page", "start", "end", "metric"]
    pairs = [f"{rng.choice(keys)}={_random_text(rng, rng.randint(0, 30))}" for _ in range(rng.randint(0, 4))]
    return "&".join(pairs)


def hostile_requests(path: str, *, count: int, seed: int, oversized: bytes) -> list[HostileRequest]:
    """`count` seeded requests for `path`: wrong methods, broken and huge bodies, odd query strings and
    headers, and missing, wrong or right CSRF tokens."""
    rng = random.Random(f"{seed}:{path}")
    requests = []
    for _ in range(count):
        method = rng.choice(_METHODS)
        body, content_type = _body(rng, oversized) if method not in {"GET", "HEAD"} else (b"", "text/plain")
        query = _query(rng)
        target = path + ("?" + query if query else "")
        headers = {}
        if rng.random() < 0.3:
            headers["HTTP_X_VAULT_TOKEN"] = rng.choice(["", "x", "khp_00000000_" + "A" * 43, _random_text(rng, 10)])
        if rng.random() < 0.2:
            headers["HTTP_AUTHORIZATION"] = rng.choice(["Bearer", "Basic Zm9vOmJhcg==", "Bearer \x00", "Token abc"])
        if rng.random() < 0.1:
            headers["HTTP_X_FORWARDED_FOR"] = rng.choice(["1.2.3.4, 5.6.7.8", "not-an-ip", "::1", ""])
        csrf = rng.choice(["none", "wrong", "cookie"])
        requests.append(HostileRequest(method, target, body, content_type, headers, csrf))
    return requests
