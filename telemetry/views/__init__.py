"""Telemetry pages."""
