"""MongoDB documents (mongoengine) for telemetry."""

import mongoengine as me
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
