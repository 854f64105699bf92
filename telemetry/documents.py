"""MongoDB documents (mongoengine) for telemetry."""

import mongoengine as me
from django.conf import settings
from django.utils import timezone


class Heartbeat(me.Document):
    """One pass of the heartbeat task: proof that web, broker, worker and MongoDB work together."""

    created = me.DateTimeField(required=True, default=timezone.now)
    worker = me.StringField(required=True, max_length=200)
    requested_by = me.StringField(max_length=20, choices=("schedule", "staff"), default="schedule")

    meta = {
        "collection": "heartbeats",
        "indexes": [{"fields": ["-created"]}, {"fields": ["created"], "expireAfterSeconds": 7 * 24 * 3600}],
        "ordering": ["-created"],
    }


class Reading(me.Document):
    """One raw reading. Short field names because there are millions; see telemetry.readings.

    `_id` is "sensor:metric:ts_ns:seq" (readings.reading_id), which makes inserts idempotent. The
    TTL index on `t` is the retention of raw readings (TELEMETRY_RAW_RETENTION_DAYS).
    """

    id = me.StringField(primary_key=True)
    sensor = me.IntField(db_field="s", required=True)
    metric = me.StringField(db_field="m", required=True)
    time = me.DateTimeField(db_field="t", required=True)
    ns = me.LongField(required=True)
    value = me.DynamicField(db_field="v")
    seq = me.LongField(db_field="q", default=0)
    tags = me.DictField(db_field="g")

    meta = {
        "collection": "readings",
        "indexes": [
            # Per-sensor time ranges: the sensor page, the series API, CSV export and rollups.
            {"fields": ["sensor", "metric", "time"], "name": "sensor_metric_time"},
            # A sensor's newest readings whatever the metric: its page and the list's last values.
            {"fields": ["sensor", "-time"], "name": "sensor_newest"},
            {
                "fields": ["time"],
                "name": "retention",
                "expireAfterSeconds": settings.TELEMETRY_RAW_RETENTION_DAYS * 86400,
            },
        ],
    }


class DeadLetter(me.Document):
    """Readings the worker could not store: malformed, or still failing after the task's retries.

    They are kept, with why and when, for a person to look at and replay (readings are not secret).
    """

    created = me.DateTimeField(required=True, default=timezone.now)
    task_id = me.StringField(max_length=200, default="")
    reason = me.StringField(required=True, max_length=1000)
    # One reason per entry of `readings` when they failed one by one, empty when the batch failed whole.
    reasons = me.ListField(me.StringField(max_length=300))
    readings = me.ListField(me.DynamicField())

    meta = {"collection": "dead_letters", "indexes": [{"fields": ["-created"]}], "ordering": ["-created"]}


def _rollup_meta(collection: str) -> dict:
    return {
        "collection": collection,
        "indexes": [
            {"fields": ["sensor", "metric", "time"], "name": "sensor_metric_time"},
            {
                "fields": ["time"],
                "name": "retention",
                "expireAfterSeconds": settings.TELEMETRY_ROLLUP_RETENTION_DAYS * 86400,
            },
        ],
    }


class _Rollup(me.Document):
    """count/min/max/sum/mean/last of one sensor's numeric metric over one window (telemetry.services.rollups).

    `_id` is "sensor:metric:window_start_epoch_seconds", so recomputing a window replaces it.
    """

    id = me.StringField(primary_key=True)
    sensor = me.IntField(db_field="s", required=True)
    metric = me.StringField(db_field="m", required=True)
    time = me.DateTimeField(db_field="t", required=True)
    count = me.IntField(db_field="n", required=True)
    min = me.DynamicField()
    max = me.DynamicField()
    sum = me.DynamicField()
    mean = me.FloatField()
    last = me.DynamicField()

    meta = {"abstract": True}


class RollupMinute(_Rollup):
    meta = _rollup_meta("rollups_minute")


class RollupHour(_Rollup):
    meta = _rollup_meta("rollups_hour")
