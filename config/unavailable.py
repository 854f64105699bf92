"""The 500 handler: a database that cannot be reached is a 503 with Retry-After, not an internal error."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.views.defaults import server_error

# Long enough for PostgreSQL's crash recovery or a failover; clients (and the KV v2 SDKs) retry after it.
RETRY_AFTER_SECONDS = 5
MESSAGE = "The database is unavailable; try again in a moment."


def server_error_or_unavailable(request):
    """Django's 500 page, except when the exception being handled says the database is unreachable."""
    # Called by Django inside its except block, so the exception is the one being handled.
    if not isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return server_error(request)
    if request.path.startswith("/v1/"):
        response = JsonResponse({"errors": [MESSAGE]}, status=503)
    else:
        response = HttpResponse(MESSAGE, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
