"""The pipeline's vital signs for the staff health page: ingest rate, queue depth, lag, dead letters, rejects."""

from datetime import UTC, datetime, timedelta

import redis
from django.conf import settings
from kombu.transport.redis import PRIORITY_STEPS

from telemetry import mongo
from telemetry.bucketcodec import times_unpack
from telemetry.buckets import moment, ns_of
from telemetry.documents import Bucket, DeadLetter
from telemetry.services.rejects import rejects_since

RATE_WINDOW = timedelta(minutes=5)
# How far back the newest stored reading is looked for; older than that, the lag shows as unknown.
LAG_WINDOWS = (timedelta(hours=1), timedelta(days=8))
QUEUE = "telemetry"
# kombu's Redis transport keeps one list per priority step: "telemetry", then "telemetry\x06\x163", ...
QUEUE_SEPARATOR = "\x06\x16"


def queue_depth(queue: str = QUEUE) -> int | None:
    """Tasks waiting in the broker's `queue` (not those a worker holds), or None if Redis is unreachable."""
    keys = [queue if step == 0 else f"{queue}{QUEUE_SEPARATOR}{step}" for step in PRIORITY_STEPS]
    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2)
        with client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.llen(key)
            return sum(pipe.execute())
    except redis.RedisError:
        return None


def _readings_between(buckets, start_ns: int, end_ns: int) -> int:
    """How many stored readings are timestamped in [start_ns, end_ns]: whole buckets by their count."""
    count = 0
    for bucket in buckets.find({"t1": {"$gte": moment(start_ns)}}, {"n0": 1, "n1": 1, "n": 1}):
        if start_ns <= bucket["n0"] and bucket["n1"] <= end_ns:
            count += bucket["n"]
        elif bucket["n0"] <= end_ns and bucket["n1"] >= start_ns:
            (whole,) = buckets.find({"_id": bucket["_id"]}, {"ns": 1})
            count += sum(1 for at in times_unpack(whole) if start_ns <= at <= end_ns)
    return count


def pipeline_health(*, now: datetime | None = None) -> dict:
    """What the staff health page shows; raises MongoUnavailable when MongoDB is down.

    - ingest_per_second: readings timestamped in the last 5 minutes, per second (sensor clocks).
    - queue_depth: batches waiting on the `telemetry` queue (None when the broker is unreachable).
    - worker_lag_seconds: age of the newest stored reading. While sensors send, it stays near their
      interval; when it grows while the queue is not empty, the workers are behind (None: no reading
      in the last 8 days).
    - dead_letters: dead-letter documents kept (telemetry.documents.DeadLetter).
    - rejects_last_hour: rejected lines in this hour and the previous one's counters (rejects_since).
    """
    now = now or datetime.now(UTC)
    with mongo.reachable():
        mongo.connect()
        buckets = Bucket._get_collection()
        recent = _readings_between(buckets, ns_of(now - RATE_WINDOW), ns_of(now))
        newest = None
        for window in LAG_WINDOWS:
            ends = [bucket["t1"] for bucket in buckets.find({"t1": {"$gte": now - window}}, {"t1": 1})]
            if ends:
                newest = {"t": max(ends)}
                break
        dead_letters = DeadLetter._get_collection().estimated_document_count()
    rejects = rejects_since(now - timedelta(hours=1))
    return {
        "ingest_per_second": round(recent / RATE_WINDOW.total_seconds(), 2),
        "queue_depth": queue_depth(),
        "worker_lag_seconds": None if newest is None else max(0.0, (now - newest["t"]).total_seconds()),
        "dead_letters": dead_letters,
        "rejects_last_hour": sum(entry["count"] for entry in rejects.values()),
    }
