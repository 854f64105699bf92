"""The ingest endpoints: token-authenticated, CSRF-exempt (no cookies are used), POST only.

Each view authenticates, checks the media type, reads the body within its limits, hands it to a
parser module and submits the batch; a refusal anywhere becomes its status with InfluxDB's error
shape (`{"code", "message"}`; the v1 endpoint answers `{"error"}` as InfluxDB 1.x does).
"""

import logging
from functools import wraps

from django.http import HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from telemetry.ingest.auth import ingest_authenticate
from telemetry.ingest.batch import Batch, batch_submit
from telemetry.ingest.body import body_read, media_type
from telemetry.ingest.errors import IngestRefused, UnsupportedMediaType
from telemetry.ingest.jsonbatch import json_batch
from telemetry.ingest.linebatch import line_batch, precision_for
from telemetry.ingest.plainforward import plain_forward
from telemetry.readings import now_ns
from telemetry.services.enqueue import BrokerUnavailable

logger = logging.getLogger(__name__)

# InfluxDB's clients send text/plain; curl --data-binary sends form encoding; both are line protocol here.
LINE_MEDIA_TYPES = {"", "text/plain", "application/octet-stream", "application/x-www-form-urlencoded"}
MAX_LISTED_ERRORS = 100
MAX_MESSAGE_CHARS = 2000


def _error(message: str, status: int, code: str, *, v1: bool) -> JsonResponse:
    body = {"error": message} if v1 else {"code": code, "message": message}
    response = JsonResponse(body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Token realm="keyhold"'
    return response


def _ingest_view(*, v1: bool = False):
    """POST only, no CSRF, and every refusal (including a down broker) answered in the endpoint's shape."""

    def decorator(view):
        @csrf_exempt
        @require_POST
        @wraps(view)
        def wrapped(request):
            try:
                response = view(request, ingest_authenticate(request, v1=v1))
            except IngestRefused as refusal:
                response = _error(str(refusal), refusal.status, refusal.code, v1=v1)
            except BrokerUnavailable as exc:
                logger.warning("telemetry ingest refused with 503: %s", exc)
                response = _error("The queue is unavailable; retry later.", 503, "unavailable", v1=v1)
                response["Retry-After"] = str(exc.retry_after)
            add_never_cache_headers(response)
            return response

        return wrapped

    return decorator


def _line_protocol(request, principal, *, v1: bool) -> HttpResponse:
    precision, scale = precision_for(request.GET.get("precision") or ("n" if v1 else "ns"), v1=v1)
    if media_type(request) not in LINE_MEDIA_TYPES:
        raise UnsupportedMediaType("Send line protocol as text/plain.")
    body = body_read(request)
    now = now_ns()
    if plain_forward(body, principal, precision=precision, scale=scale, now=now):
        return HttpResponse(status=204)
    batch = line_batch(body, principal, precision=precision, scale=scale, now=now)
    if not batch.readings and not batch.rejections:
        raise IngestRefused("Writing requires points.")
    batch_submit(batch)
    if not batch.rejections:
        return HttpResponse(status=204)
    listed = "; ".join(f"line {r.position}: {r.reason}" for r in batch.rejections[:MAX_LISTED_ERRORS])
    message = f"{len(batch.rejections)} lines rejected: {listed}"
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 3] + "..."
    return _error(message, 400, "invalid", v1=v1)


@_ingest_view(v1=False)
def write_v2(request, principal):
    """InfluxDB v2 `POST /api/v2/write?org=&bucket=&precision=`: org and bucket are accepted and ignored."""
    return _line_protocol(request, principal, v1=False)


@_ingest_view(v1=True)
def write_v1(request, principal):
    """InfluxDB 1.x `POST /write?db=&precision=`: db, rp and consistency are accepted and ignored."""
    return _line_protocol(request, principal, v1=True)


def _json_rejected(batch: Batch) -> JsonResponse:
    errors = [{"index": r.position, "reason": r.reason} for r in batch.rejections[:MAX_LISTED_ERRORS]]
    body = {"errors": errors, "accepted": len(batch.readings), "rejected": len(batch.rejections)}
    return JsonResponse(body, status=400)


@_ingest_view()
def readings_post(request, principal):
    """`POST /api/telemetry/readings`: a JSON list of readings; 204, or 400 listing the rejected entries."""
    if media_type(request) != "application/json":
        raise UnsupportedMediaType("Send readings as application/json.")
    batch = json_batch(body_read(request), principal, now=now_ns())
    batch_submit(batch)
    return HttpResponse(status=204) if not batch.rejections else _json_rejected(batch)
