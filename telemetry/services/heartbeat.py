"""The heartbeat: one document proving web, broker, worker and MongoDB work together."""

from telemetry import mongo
from telemetry.documents import Heartbeat


def heartbeat_record(*, worker: str, requested_by: str) -> Heartbeat:
    """Store one heartbeat in MongoDB; raises MongoUnavailable-class errors when the server is down."""
    mongo.connect()
    return Heartbeat(worker=worker, requested_by=requested_by).save()
