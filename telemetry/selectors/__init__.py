"""Telemetry reads for pages and the API: heartbeats, series, latest readings and pipeline health."""

from telemetry.selectors.health import pipeline_health
from telemetry.selectors.heartbeat import heartbeat_latest
from telemetry.selectors.readings import last_values, latest_readings, metrics_for_sensor, readings_range
from telemetry.selectors.series import series_read

__all__ = [
    "heartbeat_latest",
    "last_values",
    "latest_readings",
    "metrics_for_sensor",
    "pipeline_health",
    "readings_range",
    "series_read",
]
