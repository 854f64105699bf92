"""`manage.py telemetry_rollup --since ... --until ...`: recompute minute then hour rollups (backfill)."""

from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError

from telemetry.mongo import MongoUnavailable, reachable
from telemetry.services.rollups import rollup_hours, rollup_minutes

MAX_DAYS = 400
_DAY = timedelta(days=1)


def _moment(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"Not an ISO 8601 time: {raw[:40]!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Command(BaseCommand):
    help = "Recompute the minute rollups from raw readings, then the hour rollups, for a time range (UTC if no offset)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", required=True, help="Start, ISO 8601 (e.g. 2026-01-31T00:00).")
        parser.add_argument("--until", help="End, ISO 8601; default now.")

    def handle(self, *args, since: str, until: str | None = None, **options) -> None:
        start = _moment(since)
        end = _moment(until) if until else datetime.now(UTC)
        if start >= end:
            raise CommandError("--since must be before --until.")
        if (end - start).days > MAX_DAYS:
            raise CommandError(f"At most {MAX_DAYS} days at a time.")
        try:
            with reachable():
                # A day at a time, so one aggregation never holds more than a day of readings.
                minutes = hours = 0
                cursor = start
                while cursor < end:
                    step_end = min(end, cursor.replace(hour=0, minute=0, second=0, microsecond=0) + _DAY)
                    minutes += rollup_minutes(start=cursor, end=step_end).windows
                    hours += rollup_hours(start=cursor, end=step_end).windows
                    cursor = step_end
        except MongoUnavailable as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"rolled up {minutes} minute window(s) and {hours} hour window(s) from {start} to {end}")
