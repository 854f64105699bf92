"""Token-authenticated API requests and liveness probes skip the browser middleware and URL resolution.

A /v1/ request carries its own credentials (a token header) and never a session, a CSRF form token or a message;
`/healthz` answers without reading anything. Sessions, CSRF, authentication, messages, the session upkeep, the
admin guard, CSP and the URL resolver added about 0.3 ms to each (of a KV read's 2.8 ms; see the README's
Performance) for nothing they use, so this middleware, right after SecurityMiddleware (HTTPS redirect, HSTS,
nosniff: kept for every answer), hands them to their view directly, after the Host check CommonMiddleware made.
Errors still go through Django's handler (400 for a disallowed Host, 500, or 503 for a database outage) like any
other request's.
"""

from django.http import HttpRequest, HttpResponse

from config.health import healthz
from vault.api.views import api_entry

API_PREFIX = "/v1/"
HEALTHZ = "/healthz"
X_FRAME_OPTIONS = ("X-Frame-Options", "DENY")


class LeanPathMiddleware:
    """Serve /v1/ and /healthz directly; everything else goes down the whole middleware chain."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith(API_PREFIX) or path == HEALTHZ:
            # What CommonMiddleware would check first: a Host outside ALLOWED_HOSTS is a 400 (DisallowedHost).
            request.get_host()
        if path.startswith(API_PREFIX):
            response = api_entry(request, route=path.removeprefix(API_PREFIX))
        elif path == HEALTHZ:
            response = healthz(request)
        else:
            return self.get_response(request)
        # What the skipped middleware would have added and a client may rely on: a length (so the connection
        # can be kept alive without chunking) and the frame refusal every other answer of the site carries.
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))
        response.headers.setdefault(*X_FRAME_OPTIONS)
        return response
