"""Sensors: create one with its ingest token (shown once, stored hashed), replace the token, find by token."""

import hashlib
import hmac
import re
import secrets

from django.db import transaction

from telemetry.models import Sensor

# Marks Keyhold sensor tokens (keyhold sensor), so scanners and people can recognise a leaked one.
VALUE_TAG = "khs"
PREFIX_HEX_LENGTH = 8
SECRET_BYTES = 32
TOKEN_PATTERN = re.compile(r"khs_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _token_new() -> tuple[str, str]:
    prefix = f"{VALUE_TAG}_{secrets.token_hex(PREFIX_HEX_LENGTH // 2)}"
    return prefix, f"{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"


def sensor_create(*, owner, name: str, kind: str = "", units=None, location: str = "", tags=None) -> tuple[Sensor, str]:
    """Create a sensor and return it with its ingest token `khs_<prefix>_<secret>`, which exists only here."""
    prefix, raw = _token_new()
    sensor = Sensor.objects.create(
        owner=owner,
        name=name,
        kind=kind,
        units=dict(units or {}),
        location=location,
        tags=list(tags or []),
        token_prefix=prefix,
        token_hash=token_hash(raw),
    )
    return sensor, raw


def sensor_token_rotate(*, sensor: Sensor) -> str:
    """Give the sensor a new ingest token; the old one stops working at once."""
    prefix, raw = _token_new()
    with transaction.atomic():
        Sensor.objects.filter(pk=sensor.pk).update(token_prefix=prefix, token_hash=token_hash(raw))
    sensor.token_prefix, sensor.token_hash = prefix, token_hash(raw)
    return raw


def sensor_for_token(raw: str) -> Sensor | None:
    """The enabled sensor whose ingest token this is, or None (malformed, unknown or disabled)."""
    if not isinstance(raw, str) or not TOKEN_PATTERN.fullmatch(raw):
        return None
    digest = token_hash(raw)
    sensor = Sensor.objects.filter(token_hash=digest, enabled=True).first()
    # The lookup is by hash, so timing reveals nothing about the token; compare anyway for clarity.
    if sensor is None or not hmac.compare_digest(sensor.token_hash, digest):
        return None
    return sensor
