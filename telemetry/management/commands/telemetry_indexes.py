"""`manage.py telemetry_indexes`: create MongoDB indexes and apply changed retention settings (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from telemetry.mongo import MongoUnavailable, reachable
from telemetry.services.indexes import indexes_ensure


class Command(BaseCommand):
    help = "Create the telemetry MongoDB indexes and set the retention TTLs from the settings."

    def handle(self, *args, **options) -> None:
        try:
            with reachable():
                changes = indexes_ensure()
        except MongoUnavailable as exc:
            raise CommandError(str(exc)) from None
        for change in changes:
            self.stdout.write(change)
        self.stdout.write(f"telemetry indexes up to date ({len(changes)} change(s))")
