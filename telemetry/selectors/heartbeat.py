"""The latest heartbeat, for the status page: proof that web, broker, worker and MongoDB worked together."""

from telemetry import mongo
from telemetry.documents import Heartbeat


def heartbeat_latest() -> Heartbeat | None:
    """The most recent heartbeat, or None if none was ever written."""
    with mongo.reachable():
        mongo.connect()
        return Heartbeat.objects.order_by("-created").first()
