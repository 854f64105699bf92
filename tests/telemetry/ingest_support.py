"""Shared pieces of the ingest tests: a sensor with its token, a user API token, and the broker queue read back.

The fixture functions here are plain; each test module registers the ones it uses with
`name = pytest.fixture(ingest_support.name)`.
"""

import base64
import functools
import json
import time

import redis

from accounts.services.tokens import token_create
from config.celery import READINGS_CONTENT_TYPE
from devstack.servers.redis import BrokerRedisServer
from telemetry.services.columns import entry_check
from telemetry.services.sensors import sensor_create
from tests.broker import publishing_to

QUEUE = "telemetry"


def queued_readings(url: str) -> list[list]:
    """Take every task off the broker's telemetry queue at `url` and return the readings they carry.

    A plain line-protocol body travels as columns (telemetry.services.columns): unpacked here into readings.
    """
    broker = redis.Redis.from_url(url)
    readings = []
    while (raw := broker.lpop(QUEUE)) is not None:
        message = json.loads(raw)
        assert message["content-type"] == READINGS_CONTENT_TYPE
        args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        assert len(kwargs["batch"]) == 24
        if message["headers"]["task"] == "telemetry.tasks.store_columns":
            for entry in args[0]:
                sensor_id, tags, times, metrics, seqs = entry_check(entry)
                for metric, values in metrics:
                    seqs = seqs or [0] * len(times)
                    readings += [
                        [sensor_id, metric, *reading, tags] for reading in zip(times, values, seqs, strict=True)
                    ]
        else:
            readings.extend(args[0])
    broker.close()
    return readings


def ingest_broker(tmp_path_factory):
    """A broker of the ingest tests' own (session scope), so the session's worker never takes their tasks."""
    server = BrokerRedisServer(tmp_path_factory.mktemp("ingest-broker"), throwaway=True)
    server.start()
    yield server
    server.stop()


def broker_queue(mongo_db, ingest_broker):
    """The telemetry queue, empty before and after the test: what the views publish, read back.

    It takes mongo_db so that the reject counters a test leaves behind are dropped after it too.
    """
    take = functools.partial(queued_readings, ingest_broker.url)
    with publishing_to(ingest_broker.url):
        take()
        yield take
        take()


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
