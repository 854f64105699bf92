"""JSON read API: a sensor metric's series in buckets, for the signed-in owner or an owner's read token."""

from datetime import UTC, datetime, timedelta

import orjson
from django.http import HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from accounts.tokenauth import WWW_AUTHENTICATE, authenticate_token
from telemetry.models import Sensor
from telemetry.mongo import MongoUnavailable
from telemetry.readings import MAX_METRIC_CHARS
from telemetry.selectors import series_read

# A chart is a few hundred points wide: 5,000 buckets is plenty and bounds every answer's size.
MAX_BUCKETS = 5000
MAX_STEP_SECONDS = 31 * 86400
DEFAULT_STEP_SECONDS = 60
DEFAULT_SPAN = timedelta(hours=1)
PARAMETERS = {"metric", "start", "end", "step"}
MAX_TIME_CHARS = 40


class BadRequest(ValueError):
    """A query parameter is wrong; the message says which and why."""


def _error(message: str, status: int) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = WWW_AUTHENTICATE
    add_never_cache_headers(response)
    return response


def _time(query, name: str, default: datetime) -> datetime:
    raw = query.get(name)
    if raw is None:
        return default
    if len(raw) > MAX_TIME_CHARS:
        raise BadRequest(f"{name} is too long")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an ISO 8601 time with a UTC offset, e.g. 2026-01-31T12:00:00Z") from None
    if moment.tzinfo is None:
        raise BadRequest(f"{name} needs a UTC offset (Z or +hh:mm)")
    return moment.astimezone(UTC)


def _step(query) -> int:
    raw = query.get("step", str(DEFAULT_STEP_SECONDS))
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        raise BadRequest("step must be a whole number of seconds")
    step = int(raw)
    if not 1 <= step <= MAX_STEP_SECONDS:
        raise BadRequest(f"step must be from 1 to {MAX_STEP_SECONDS} seconds")
    return step


def series_parameters(query, *, now: datetime) -> tuple[str, datetime, datetime, int]:
    """(metric, start, end, step) from the query string, or BadRequest with the reason."""
    unknown = set(query) - PARAMETERS
    if unknown:
        raise BadRequest(f"unknown parameter: {sorted(unknown)[0][:50]}")
    if any(len(query.getlist(name)) > 1 for name in query):
        raise BadRequest("each parameter may be given once")
    metric = query.get("metric", "")
    if not 0 < len(metric) <= MAX_METRIC_CHARS or not metric.isprintable():
        raise BadRequest(f"metric is required: 1 to {MAX_METRIC_CHARS} printable characters")
    end = _time(query, "end", now)
    start = _time(query, "start", end - DEFAULT_SPAN)
    step = _step(query)
    if start >= end:
        raise BadRequest("start must be before end")
    if (end - start).total_seconds() / step > MAX_BUCKETS:
        raise BadRequest(f"more than {MAX_BUCKETS} buckets: raise step or shorten the range")
    return metric, start, end, step


def _user(request):
    """The signed-in user, or the owner of a usable read token; (None, error response) otherwise."""
    if "HTTP_AUTHORIZATION" in request.META or "HTTP_X_VAULT_TOKEN" in request.META:
        principal = authenticate_token(request)
        if principal is None:
            return None, _error("The token is not valid.", 401)
        # Tokens limited to vault paths are for the vault; reading telemetry needs an unlimited read token.
        if not principal.allows(action="read"):
            return None, _error("This token does not have the read scope for telemetry.", 403)
        return principal.user, None
    if request.user.is_authenticated:
        return request.user, None
    return None, _error("Sign in or send an API token (Authorization: Bearer <token>).", 401)


def _source(step: int) -> str:
    return "hour" if step >= 3600 else "minute" if step >= 60 else "raw"


@require_GET
def sensor_series(request, sensor_id: int):
    user, refusal = _user(request)
    if refusal is not None:
        return refusal
    # Someone else's sensor and no sensor look the same: ids are not secret, contents are.
    if not Sensor.objects.filter(pk=sensor_id, owner=user).exists():
        return _error("No such sensor.", 404)
    try:
        metric, start, end, step = series_parameters(request.GET, now=datetime.now(UTC))
    except BadRequest as exc:
        return _error(str(exc), 400)
    try:
        buckets = series_read(sensor_id, metric, start, end, step)
    except MongoUnavailable:
        response = _error("Telemetry storage is unavailable; try again shortly.", 503)
        response["Retry-After"] = "10"
        return response
    body = {
        "sensor": sensor_id,
        "metric": metric,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "step": step,
        "source": _source(step),
        "buckets": buckets,
    }
    # orjson: an hour at step=10 is 360 windows, which the json module takes a millisecond to encode. It
    # writes each window's aware UTC datetime as isoformat() does (whole seconds, "+00:00").
    response = HttpResponse(orjson.dumps(body), content_type="application/json")
    add_never_cache_headers(response)
    return response
