"""Shared pieces of the ingest tests: a sensor with its token, a user API token, and the broker queue read back.

The fixture functions here are plain; each test module registers the ones it uses with
`name = pytest.fixture(ingest_support.name)`.
"""

import base64
import json
import time

import redis
from django.conf import settings

from accounts.services.tokens import token_create
from telemetry.services.sensors import sensor_create

QUEUE = "telemetry"


def queued_readings() -> list[list]:
    """Take every task off the real broker's telemetry queue and return the readings they carry."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    readings = []
    while (raw := broker.lpop(QUEUE)) is not None:
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        readings.extend(args[0])
    return readings


def broker_queue(mongo_db):
    """The telemetry queue, empty before and after the test (no worker runs in these tests).

    It takes mongo_db so that the reject counters a test leaves behind are dropped after it too.
    """
    queued_readings()
    yield queued_readings
    queued_readings()


def owner(django_user_model):
    return django_user_model.objects.create_user(email="sensors@example.test", password="x" * 16)


def sensor(owner):
    """(sensor, its ingest token)."""
    return sensor_create(owner=owner, name="greenhouse")


def write_token(owner):
    """A user API token with the write scope."""
    _token, raw = token_create(user=owner, name="ingest", can_read=False, can_write=True)
    return raw


def lines(count: int, *, measurement: str = "temperature", start: int = 0) -> bytes:
    now = time.time_ns()
    return "\n".join(f"{measurement} value={i}.5 {now - i * 1000}" for i in range(start, start + count)).encode()


V2 = "/api/v2/write?org=o&bucket=b"


def write(client, sensor):
    """Post a body to the ingest endpoints with the sensor's token (InfluxDB's `Token` scheme)."""
    _sensor, token = sensor

    def send(body: bytes, *, url: str = V2, content_type: str = "text/plain", **headers):
        return client.post(
            url, data=body, content_type=content_type, headers={"Authorization": f"Token {token}", **headers}
        )

    return send
