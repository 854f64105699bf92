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
            {
                "fields": ["time"],
                "name": "retention",
                "expireAfterSeconds": settings.TELEMETRY_RAW_RETENTION_DAYS * 86400,
            },
        ],
    }
