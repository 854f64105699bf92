"""Count rejected readings per sensor and hour in MongoDB, with the latest reason, for the pages."""

import logging
from datetime import UTC, datetime

from pymongo import UpdateOne

from telemetry import mongo

COLLECTION = "rejects"
# Lines that never reached a sensor (bad token, unparseable datagram) are counted under sensor 0.
UNKNOWN_SENSOR = 0
MAX_REASON_CHARS = 200
# Distinct reasons kept per sensor for the log line: reasons may quote input, so they are bounded.
MAX_REASONS_LOGGED = 5


def _hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def rejects_record(counts: dict[int, tuple[int, str]], *, now: datetime | None = None) -> None:
    """Add {sensor_id: (rejected, latest_reason)} to this hour's counters, in one round trip."""
    if not counts:
        return
    hour = _hour(now or datetime.now(UTC))
    operations = [
        UpdateOne(
            {"_id": f"{sensor_id}:{int(hour.timestamp())}"},
            {"$inc": {"n": rejected}, "$set": {"s": sensor_id, "h": hour, "last": reason[:MAX_REASON_CHARS]}},
            upsert=True,
        )
        for sensor_id, (rejected, reason) in counts.items()
        if rejected > 0
    ]
    if operations:
        mongo.connect()
        mongo.database()[COLLECTION].bulk_write(operations, ordered=False)


def rejects_since(since: datetime, sensor_ids: list[int] | None = None) -> dict[int, dict]:
    """{sensor_id: {"count": n, "last": reason}} for hours starting at or after `since`'s hour."""
    query: dict = {"h": {"$gte": _hour(since)}}
    if sensor_ids is not None:
        query["s"] = {"$in": sensor_ids}
    with mongo.reachable():
        mongo.connect()
        rows = mongo.database()[COLLECTION].find(query).sort("h", 1)
        totals: dict[int, dict] = {}
        for row in rows:
            entry = totals.setdefault(row["s"], {"count": 0, "last": ""})
            entry["count"] += row["n"]
            entry["last"] = row["last"]
    return totals


class RejectTally:
    """Refused lines per sensor, gathered over one batch: how many, the latest reason, and each reason's count.

    The socket listener (bad credentials) and the worker that parses what it forwards (bad lines) both
    keep one per batch and report it once, so a flood of bad lines costs one log line and one write.
    """

    def __init__(self) -> None:
        self.sensors: dict[int, list] = {}
        self.count = 0

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, sensor_id: int, reason: str) -> None:
        self.count += 1
        entry = self.sensors.setdefault(sensor_id, [0, reason, {}])
        entry[0] += 1
        entry[1] = reason
        if reason in entry[2] or len(entry[2]) < MAX_REASONS_LOGGED:
            entry[2][reason] = entry[2].get(reason, 0) + 1

    def report(self, log: logging.Logger) -> None:
        """One warning per sensor, then the counters for the pages; a failed write is logged, never raised."""
        for sensor_id, (count, _latest, reasons) in self.sensors.items():
            shown = "; ".join(f"{reason} ({times})" for reason, times in reasons.items())
            log.warning("listener: rejected %d line(s) from sensor %d: %s", count, sensor_id, shown)
        try:
            rejects_record({sensor_id: (count, latest) for sensor_id, (count, latest, _) in self.sensors.items()})
        except Exception:
            # Counters are a convenience for the pages; losing them must not stop readings.
            log.exception("listener: could not store reject counters")
