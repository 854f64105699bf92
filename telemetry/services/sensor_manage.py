"""What an owner does to their sensors from the pages: register, change, switch off, replace the token, delete.

Every change is audited. Only the owner may act: each function checks `sensor.owner_id` itself, so a
view that forgot its own check still cannot touch another person's sensor.
"""

import logging

from django.db import IntegrityError, transaction
from pymongo.errors import PyMongoError

from accounts.services.audit import Action, audit_record
from telemetry import mongo
from telemetry.models import Sensor
from telemetry.services import rejects
from telemetry.services.devicekeys import sensor_hmac_remove
from telemetry.services.sensors import sensor_create, sensor_token_rotate

logger = logging.getLogger(__name__)

# MongoDB collections that hold per-sensor data under the field "s": buckets and their summaries and series,
# rollups, reject counters, and per-reading documents from before buckets.
SENSOR_DATA_PREFIXES = ("bucket", "series", "readings", "rollup", rejects.COLLECTION)


class SensorError(Exception):
    """A refused change, with a message safe to show."""


def _own(sensor: Sensor, actor) -> None:
    if sensor.owner_id != actor.pk:
        raise Sensor.DoesNotExist("No such sensor.")


def _target(sensor: Sensor) -> str:
    return f"sensor:{sensor.pk}"


def sensor_register(*, owner, name: str, kind: str = "", units=None, location: str = "", tags=None, request=None):
    """Create a sensor (audited) and return (sensor, raw ingest token); a taken name raises SensorError."""
    try:
        with transaction.atomic():
            sensor, raw = sensor_create(owner=owner, name=name, kind=kind, units=units, location=location, tags=tags)
            audit_record(action=Action.SENSOR_CREATE, actor=owner, request=request, target=_target(sensor))
    except IntegrityError as error:
        raise SensorError("You already have a sensor with this name.") from error
    return sensor, raw


EDITABLE = ("name", "kind", "units", "location", "tags")


def sensor_update(*, sensor: Sensor, actor, request=None, **changes) -> Sensor:
    """Change the descriptive fields given in `changes`; audited with the names of the fields changed."""
    _own(sensor, actor)
    changed = [name for name in EDITABLE if name in changes and changes[name] != getattr(sensor, name)]
    if not changed:
        return sensor
    for name in changed:
        setattr(sensor, name, changes[name])
    try:
        with transaction.atomic():
            sensor.save(update_fields=changed)
            audit_record(
                action=Action.SENSOR_UPDATE,
                actor=actor,
                request=request,
                target=_target(sensor),
                detail={"fields": changed},
            )
    except IntegrityError as error:
        sensor.refresh_from_db()
        raise SensorError("You already have a sensor with this name.") from error
    return sensor


def sensor_enabled_set(*, sensor: Sensor, actor, enabled: bool, request=None) -> Sensor:
    """Switch ingest on or off; a disabled sensor's token and key are refused at once (sensor_for_token)."""
    _own(sensor, actor)
    if sensor.enabled == enabled:
        return sensor
    with transaction.atomic():
        Sensor.objects.filter(pk=sensor.pk).update(enabled=enabled)
        audit_record(
            action=Action.SENSOR_UPDATE,
            actor=actor,
            request=request,
            target=_target(sensor),
            detail={"enabled": enabled},
        )
    sensor.enabled = enabled
    return sensor


def sensor_token_replace(*, sensor: Sensor, actor, request=None) -> str:
    """A new ingest token (returned once, audited); the old one stops working at once."""
    _own(sensor, actor)
    with transaction.atomic():
        raw = sensor_token_rotate(sensor=sensor)
        audit_record(action=Action.SENSOR_TOKEN, actor=actor, request=request, target=_target(sensor))
    return raw


def sensor_readings_erase(sensor_id: int) -> int:
    """Delete everything MongoDB holds for one sensor; returns the documents deleted."""
    database = mongo.database()
    deleted = 0
    for name in database.list_collection_names():
        if name.startswith(SENSOR_DATA_PREFIXES):
            deleted += database[name].delete_many({"s": sensor_id}).deleted_count
    return deleted


def sensor_delete(*, sensor: Sensor, actor, request=None) -> None:
    """Delete the sensor, its HMAC key (a vault secret) and its readings, rollups and reject counts.

    The row goes first, in one transaction with the audit record, so its token stops working at
    once. The MongoDB data is erased after the commit; if MongoDB is down then, the orphaned
    readings belong to an id PostgreSQL never hands out again and expire with the raw retention.
    """
    _own(sensor, actor)
    sensor_id = sensor.pk
    with transaction.atomic():
        if sensor.hmac_secret_id is not None:
            sensor_hmac_remove(sensor=sensor, request=request)
        audit_record(
            action=Action.SENSOR_DELETE,
            actor=actor,
            request=request,
            target=f"sensor:{sensor_id}",
            detail={"name": sensor.name},
        )
        sensor.delete()
    try:
        with mongo.reachable():
            sensor_readings_erase(sensor_id)
    except (mongo.MongoUnavailable, PyMongoError):
        logger.warning("sensor %s deleted; its MongoDB data was not erased (it expires with retention)", sensor_id)
