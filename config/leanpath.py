"""Token-authenticated API requests and liveness probes skip the browser middleware and URL resolution.

A /v1/ request carries its own credentials (a token header) and never a session, a CSRF form token or a message;
the telemetry write endpoints likewise (a sensor or API token; they are CSRF-exempt and read no session);
`/healthz` answers without reading anything. Sessions, CSRF, authentication, messages, the session upkeep, the
admin guard, CSP and the URL resolver added about 0.3 ms to each (of a KV read's 2.8 ms; see the README's
Performance) for nothing they use, so this middleware, right after SecurityMiddleware (HTTPS redirect, HSTS,
nosniff: kept for every answer), hands them to their view directly, after the Host check CommonMiddleware made.
Errors still go through Django's handler (400 for a disallowed Host, 500, or 503 for a database outage) like any
other request's.
"""

from django.http import HttpRequest, HttpResponse

from config.health import healthz
from telemetry.ingest.views import readings_post, write_v1, write_v2
from vault.api.views import api_entry

API_PREFIX = "/v1/"
HEALTHZ = "/healthz"
# The ingest endpoints, by exact path (what telemetry/api_urls.py routes them at).
TOKEN_VIEWS = {
    HEALTHZ: healthz,
    "/write": write_v1,
    "/api/v2/write": write_v2,
    "/api/telemetry/readings": readings_post,
}
X_FRAME_OPTIONS = ("X-Frame-Options", "DENY")


class LeanPathMiddleware:
    """Serve /v1/, /healthz and the telemetry write endpoints directly; everything else goes down the whole chain."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        view = TOKEN_VIEWS.get(path)
        if view is None and not path.startswith(API_PREFIX):
            return self.get_response(request)
        # What CommonMiddleware would check first: a Host outside ALLOWED_HOSTS is a 400 (DisallowedHost).
        request.get_host()
        response = api_entry(request, route=path.removeprefix(API_PREFIX)) if view is None else view(request)
        # What the skipped middleware would have added and a client may rely on: a length (so the connection
        # can be kept alive without chunking) and the frame refusal every other answer of the site carries.
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        response.headers.setdefault(*X_FRAME_OPTIONS)
        return response
