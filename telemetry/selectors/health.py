"""The pipeline's vital signs for the staff health page: ingest rate, queue depth, lag, dead letters, rejects."""

from datetime import UTC, datetime, timedelta

import redis
from django.conf import settings
from kombu.transport.redis import PRIORITY_STEPS

from telemetry import mongo
from telemetry.documents import BucketSummary, DeadLetter
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


def pipeline_health(*, now: datetime | None = None) -> dict:
    """What the staff health page shows; raises MongoUnavailable when MongoDB is down.

    - ingest_per_second: readings timestamped in the last 5 minutes (whole minutes, from the buckets'
      per-minute counts), per second (sensor clocks).
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
        summaries = BucketSummary._get_collection()
        since, until = (now - RATE_WINDOW).timestamp(), now.timestamp()
        recent = sum(
            entry[1]
            for summary in summaries.find({"t1": {"$gte": now - RATE_WINDOW}})
            for entry in summary["r"]
            if since <= entry[0] <= until
        )
        newest = None
        for window in LAG_WINDOWS:
            ends = [summary["t1"] for summary in summaries.find({"t1": {"$gte": now - window}})]
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
