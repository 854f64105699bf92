"""Create the telemetry collections' indexes, and bring their retention (TTL) in line with the settings."""

from django.conf import settings

from telemetry import mongo
from telemetry.documents import Bucket, DeadLetter, Heartbeat, RollupHour, RollupMinute, Series

RETENTION_INDEX = "retention"
# Which setting (in days) each collection's "retention" TTL index on `t` follows.
RETENTION_SETTINGS = {
    Bucket: "TELEMETRY_RAW_RETENTION_DAYS",
    RollupMinute: "TELEMETRY_ROLLUP_RETENTION_DAYS",
    RollupHour: "TELEMETRY_ROLLUP_RETENTION_DAYS",
}
DOCUMENTS = (Bucket, Series, RollupMinute, RollupHour, DeadLetter, Heartbeat)


def retention_seconds(document) -> int:
    return getattr(settings, RETENTION_SETTINGS[document]) * 86400


def indexes_ensure() -> list[str]:
    """Create missing indexes, then set each retention TTL from the settings; return what changed.

    A TTL index cannot be re-created with another expiry (MongoDB answers IndexOptionsConflict), so
    a changed setting is applied in place with collMod. Run after changing a retention setting and
    before starting workers (devstack runs it after migrate): idempotent, and cheap when nothing changed.
    """
    database = mongo.database()
    changes = []
    for document in DOCUMENTS:
        name = document._meta["collection"]
        existing = database[name].index_information()
        if document in RETENTION_SETTINGS and RETENTION_INDEX in existing:
            wanted = retention_seconds(document)
            current = existing[RETENTION_INDEX].get("expireAfterSeconds")
            if current != wanted:
                database.command("collMod", name, index={"name": RETENTION_INDEX, "expireAfterSeconds": wanted})
                changes.append(f"{name}.{RETENTION_INDEX}: expireAfterSeconds {current} -> {wanted}")
        created = [_create(database[name], document, spec) for spec in document._meta["index_specs"]]
        if len(database[name].index_information()) != len(existing):
            changes.append(f"{name}: indexes created ({', '.join(sorted(set(created) - set(existing)))})")
    return changes


def _create(collection, document, spec: dict) -> str:
    """Create one index as mongoengine would (a no-op when it exists), the retention TTL from the settings."""
    options = {key: value for key, value in spec.items() if key != "fields"}
    if document in RETENTION_SETTINGS and options.get("name") == RETENTION_INDEX:
        options["expireAfterSeconds"] = retention_seconds(document)
    return collection.create_index(spec["fields"], background=False, **options)
