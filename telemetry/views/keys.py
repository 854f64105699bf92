"""The device HMAC key page: create or rotate the key and show it once; the old one lasts a grace period."""

import base64

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.debug import sensitive_variables

from telemetry.services.devicekeys import hmac_path, sensor_hmac_rotate
from telemetry.views.access import sensor_for_owner, sensor_page
from vault.services.errors import VaultError


@sensor_page("GET", "POST")
# Innermost: the filter hides `key` only in the frame the wrapper calls directly.
@sensitive_variables("key", "context")
def sensor_key(request, sensor_id: int):
    sensor = sensor_for_owner(request, sensor_id)
    context = {
        "sensor": sensor,
        "has_key": sensor.hmac_secret_id is not None,
        "grace_seconds": settings.TELEMETRY_HMAC_GRACE_SECONDS,
        "secret_path": sensor.hmac_secret.path if sensor.hmac_secret_id else hmac_path(sensor.pk),
    }
    if request.method == "GET":
        return render(request, "telemetry/sensor_key.html", context)
    if not request.user.email_verified:
        # The key is kept in the vault, which opens only to verified accounts.
        return render(request, "vault/account_unverified.html", status=403)
    try:
        key = sensor_hmac_rotate(sensor=sensor, request=request)
    except VaultError as error:
        context["error"] = str(error)
        return render(request, "telemetry/sensor_key.html", context, status=error.status)
    context["key"] = base64.urlsafe_b64encode(key).decode()
    context["rotated"] = context["has_key"]
    return render(request, "telemetry/sensor_key_created.html", context)
