"""Who may open sensor pages: signed in, and only their own sensors (anyone else's are 404)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from telemetry.models import Sensor


def sensor_page(*methods: str) -> Callable:
    """Signed in, given methods, `Cache-Control: no-store` (token pages must not sit in any cache)."""

    def decorator(view: Callable) -> Callable:
        return never_cache(login_required(require_http_methods(list(methods))(wraps(view)(view))))

    return decorator


def sensor_for_owner(request, sensor_id: int) -> Sensor:
    """The signed-in user's sensor, or 404 for a sensor that is not there or not theirs."""
    return get_object_or_404(Sensor, pk=sensor_id, owner=request.user)
