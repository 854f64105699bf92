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


def _retention(field: str, setting: str) -> dict:
    return {"fields": [field], "name": "retention", "expireAfterSeconds": getattr(settings, setting) * 86400}


class Bucket(me.Document):
    """The readings one batch brought for one sensor, by series, in packed columns (telemetry.buckets).

    `_id` is "batch:sensor:part", derived from the batch, so a batch stored twice inserts nothing twice.
    `t0`/`t1` (dates) and `n0`/`n1` (ns) are its first and last reading; the series and their columns
    are in `sx`, `ns`, `vd`, `vq`, `vj` and `q` (telemetry.bucketcodec). Reads find buckets by sensor and
    end; a bucket expires when its newest reading is TELEMETRY_RAW_RETENTION_DAYS old.
    """

    id = me.StringField(primary_key=True)
    sensor = me.IntField(db_field="s", required=True)
    batch = me.StringField(db_field="b", required=True)
    start = me.DateTimeField(db_field="t0", required=True)
    end = me.DateTimeField(db_field="t1", required=True)
    first_ns = me.LongField(db_field="n0", required=True)
    last_ns = me.LongField(db_field="n1", required=True)
    count = me.IntField(db_field="n", required=True)
    series_table = me.BinaryField(db_field="sx", required=True)
    times = me.BinaryField(db_field="ns", required=True)
    floats = me.BinaryField(db_field="vd")
    integers = me.BinaryField(db_field="vq")
    others = me.BinaryField(db_field="vj")
    seqs = me.BinaryField(db_field="q")

    meta = {
        "collection": "buckets",
        "indexes": [
            # A sensor's time range: charts, the series API, exports, its newest readings.
            {"fields": ["sensor", "end"], "name": "sensor_end"},
            # Also the minute rollups' range: every bucket that ends after a moment.
            _retention("end", "TELEMETRY_RAW_RETENTION_DAYS"),
        ],
    }


class Series(me.Document):
    """One (sensor, metric, tags) ever stored: which metrics a sensor has, without reading its buckets."""

    id = me.StringField(primary_key=True)
    sensor = me.IntField(db_field="s", required=True)
    metric = me.StringField(db_field="m", required=True)
    tags = me.DictField(db_field="g")

    meta = {"collection": "series", "indexes": [{"fields": ["sensor", "metric"], "name": "sensor_metric"}]}


class Reading(me.Document):
    """One raw reading per document, as stored before buckets: only manage.py telemetry_migrate_buckets reads it.

    `_id` is "sensor:metric:ts_ns:seq"; `t` the time, `ns` the exact time, `v` the value, `q` the seq and
    `g` the tags. No index of it is created any more.
    """

    id = me.StringField(primary_key=True)
    sensor = me.IntField(db_field="s", required=True)
    metric = me.StringField(db_field="m", required=True)
    time = me.DateTimeField(db_field="t", required=True)
    ns = me.LongField(required=True)
    value = me.DynamicField(db_field="v")
    seq = me.LongField(db_field="q", default=0)
    tags = me.DictField(db_field="g")

    meta = {"collection": "readings", "indexes": [], "auto_create_index": False}


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
            _retention("time", "TELEMETRY_ROLLUP_RETENTION_DAYS"),
        ],
    }


class _Rollup(me.Document):
    """count/min/max/sum/last of one sensor's numeric metric over each window of a span (telemetry.services.rollups).

    One document per (sensor, metric, span): a minute rollup holds the minutes of an hour, an hour rollup
    the hours of a day, so a day's chart reads 24 documents, not 1,440. `_id` is
    "sensor:metric:span_start_epoch_seconds"; `windows` (`w`) packs [offset (s) from `t`, count, min, max,
    sum, last] per window that had numeric readings, as JSON; recomputing a window replaces its entry.
    """

    id = me.StringField(primary_key=True)
    sensor = me.IntField(db_field="s", required=True)
    metric = me.StringField(db_field="m", required=True)
    time = me.DateTimeField(db_field="t", required=True)
    windows = me.BinaryField(db_field="w", required=True)

    meta = {"abstract": True}


class RollupMinute(_Rollup):
    """The minutes of one hour."""

    SPAN_SECONDS = 3600
    meta = _rollup_meta("rollup_minutes")


class RollupHour(_Rollup):
    """The hours of one day."""

    SPAN_SECONDS = 86400
    meta = _rollup_meta("rollup_hours")
