"""Fixtures the telemetry tests share across modules."""

import pytest

from tests.telemetry import ingest_support

ingest_broker = pytest.fixture(scope="session")(ingest_support.ingest_broker)
