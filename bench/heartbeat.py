"""heartbeat_write: the heartbeat service's MongoDB write against a raw pymongo insert of the same document.

The baseline is the least the work can cost: one `insert_one` of an identical document through the
same client to the same server. The ratio is what mongoengine's validation and document mapping
cost on top; the heartbeat is the simplest write in the telemetry app, so this is the floor every
later telemetry write builds on.
"""

from django.utils import timezone

from bench.harness import compare, rate
from telemetry import mongo
from telemetry.services.heartbeat import heartbeat_record

WRITES_PER_ROUND = 300


def heartbeat_write():
    collection = mongo.database()["bench_heartbeats_raw"]

    def keyhold() -> float:
        return rate(lambda: heartbeat_record(worker="bench", requested_by="schedule"), WRITES_PER_ROUND)

    def baseline() -> float:
        return rate(
            lambda: collection.insert_one({"created": timezone.now(), "worker": "bench", "requested_by": "schedule"}),
            WRITES_PER_ROUND,
        )

    try:
        return compare("heartbeat_write", keyhold=keyhold, baseline=baseline, bar=0.5, unit="writes/s")
    finally:
        collection.drop()
        mongo.database()["heartbeats"].delete_many({"worker": "bench"})


BENCHMARKS = {"heartbeat_write": heartbeat_write}
