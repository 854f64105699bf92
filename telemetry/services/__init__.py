"""Telemetry writes: sensors, the reading pipeline and the heartbeat."""
