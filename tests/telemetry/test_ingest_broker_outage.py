"""The broker stops for 10 s while a sensor posts over HTTP: it gets 503s, retries, and nothing is lost or doubled.

Its own redis-server (append-only, like the production broker) is stopped and started again on the same
port; a real worker process consumes from it into the session's MongoDB.
"""

import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis

from devstack.ports import LOOPBACK, free_port
from devstack.servers.redis import REDIS_SERVER
from telemetry.services.sensors import sensor_create
from tests.broker import publishing_to
from tests.processes import telemetry_worker
from tests.telemetry import held
from tests.waiting import wait_until

pytestmark = [pytest.mark.fault, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BATCHES, PER_BATCH = 40, 250
OUTAGE_SECONDS = 10


class Broker:
    """redis-server with an append-only file, restartable on the same port."""

    def __init__(self, directory: Path) -> None:
        self.directory, self.port, self.process = directory, free_port(), None
        self.url = f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> None:
        options = ["--port", str(self.port), "--bind", LOOPBACK, "--dir", str(self.directory)]
        options += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen([str(REDIS_SERVER), *options], stdout=log, stderr=log)
        wait_until(self.answers, timeout=20)

    def answers(self) -> bool:
        try:
            return redis.Redis(host=LOOPBACK, port=self.port, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture
def broker(tmp_path):
    server = Broker(tmp_path)
    server.start()
    # This process publishes (the web side) to the private broker; the session's worker does not consume it.
    with publishing_to(server.url):
        yield server
    server.stop()


@pytest.fixture
def worker(broker, tmp_path, settings):
    with telemetry_worker(broker.url, tmp_path, SECRET_KEY=settings.SECRET_KEY) as process:
        yield process


def post_until_accepted(client, token: str, body: bytes) -> int:
    """Post like a well-behaved client: on 503, wait as told (capped for the test) and send again."""
    refusals = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        response = client.post(
            "/api/v2/write?org=o&bucket=b", data=body, content_type="text/plain", HTTP_AUTHORIZATION=f"Token {token}"
        )
        if response.status_code == 204:
            return refusals
        assert response.status_code == 503, response.content
        assert int(response["Retry-After"]) > 0
        refusals += 1
        time.sleep(0.5)
    pytest.fail("the write was never accepted after the broker came back")


def test_broker_down_for_10_s_loses_and_doubles_nothing(client, django_user_model, broker, worker, mongo_db):
    owner = django_user_model.objects.create_user(email="outage@example.test", password="x" * 16)
    sensor, token = sensor_create(owner=owner, name="outage")
    base = time.time_ns() - 60 * 10**9
    refusals = 0
    outage = threading.Timer(OUTAGE_SECONDS, broker.start)
    for batch in range(BATCHES):
        if batch == BATCHES // 4:
            broker.stop()
            outage.start()
        start = batch * PER_BATCH
        body = "\n".join(f"load value={i}i {base + i}" for i in range(start, start + PER_BATCH)).encode()
        refusals += post_until_accepted(client, token, body)
    outage.join()

    assert refusals > 0, "the broker outage was never noticed"
    total = BATCHES * PER_BATCH
    wait_until(lambda: held.count(mongo_db, sensor.pk) >= total, timeout=90)
    # A refused request queued nothing (one task per body), so not even a copy was stored twice.
    times = sorted(reading[2] for reading in held.physical(mongo_db, sensor.pk))
    assert times == [base + i for i in range(total)]
