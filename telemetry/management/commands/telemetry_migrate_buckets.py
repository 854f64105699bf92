"""`manage.py telemetry_migrate_buckets`: convert per-reading documents into buckets (resumable, idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from telemetry.mongo import MongoUnavailable, reachable
from telemetry.services.bucket_migration import CHUNK_READINGS, buckets_migrate


class Command(BaseCommand):
    help = "Move readings and rollups stored one per document (before buckets) into buckets; safe to stop and rerun."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--chunk", type=int, default=CHUNK_READINGS, help="readings converted per step")

    def handle(self, *args, **options) -> None:
        if not 1 <= options["chunk"] <= 1_000_000:
            raise CommandError("--chunk must be from 1 to 1000000")

        def progress(result, left: int) -> None:
            self.stdout.write(f"{result.readings} readings moved into {result.buckets} buckets, about {left} left")

        try:
            with reachable():
                result = buckets_migrate(chunk=options["chunk"], progress=progress)
        except MongoUnavailable as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"telemetry buckets up to date: {result.readings} readings moved in {result.chunks} chunk(s), "
            f"{result.rollup_windows} rollup window(s) rewritten, {result.series_from_rollups} metric(s) listed "
            "from their rollups"
        )
