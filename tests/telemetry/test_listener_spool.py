"""Broker down: the listener spools to disk, keeps the spool across a restart, and replays it with 0 lost."""

import socket
import subprocess
import sys

import pytest
import redis

from devstack.ports import LOOPBACK, free_port
from devstack.servers.redis import REDIS_SERVER
from telemetry.services.sensors import sensor_create
from tests.telemetry import held
from tests.telemetry.listener_support import (
    BASE_DIR,
    lines_for,
    listener_process,
    send_tcp,
    send_udp,
    stop_process,
    subprocess_env,
)
from tests.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e, pytest.mark.fault]


@pytest.fixture
def sensor(django_user_model):
    owner = django_user_model.objects.create_user(email="spool@example.test", password="x" * 16)
    return sensor_create(owner=owner, name="well")


@pytest.fixture
def processes():
    started: list[subprocess.Popen] = []
    yield started
    for process in reversed(started):
        stop_process(process)


def spooled(spool_dir) -> int:
    return len(list(spool_dir.glob("*.jsonl")))


def redis_answers(port: int) -> bool:
    client = redis.Redis(host=LOOPBACK, port=port, socket_connect_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def test_broker_outage_spools_survives_a_restart_and_replays_everything(
    sensor, mongo_db, tmp_path, processes, django_db_blocker
):
    sensor, token = sensor
    port = free_port()  # nothing listens here yet: the broker is "down"
    # Batches of 1,000 lines, so each restart leaves several batches on disk and their order is tested.
    env = subprocess_env(f"redis://{LOOPBACK}:{port}/0") | {"TELEMETRY_LISTENER_BATCH": "1000"}
    spool_dir, log = tmp_path / "spool", tmp_path / "listener.log"

    first, udp, tcp = listener_process(env, spool_dir, log)
    processes.append(first)
    send_udp(udp, lines_for(token, 1500, metric="a"))
    send_tcp(tcp, lines_for(token, 1500, metric="b"))
    wait_until(lambda: spooled(spool_dir) >= 3, timeout=30)
    stop_process(first)
    on_disk = spooled(spool_dir)
    assert on_disk >= 3
    assert "0 batches left" not in log.read_text()

    # A new listener keeps the old batches, spools new ones behind them while the broker is still down...
    second, udp, tcp = listener_process(env, spool_dir, log)
    processes.append(second)
    send_udp(udp, lines_for(token, 1000, metric="c"))
    wait_until(lambda: spooled(spool_dir) > on_disk, timeout=30)
    assert mongo_db["buckets"].count_documents({}) == 0

    # ...and once the broker answers, replays all of it; a worker on that broker stores it.
    broker = subprocess.Popen(
        [str(REDIS_SERVER), "--port", str(port), "--bind", LOOPBACK, "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    processes.append(broker)
    wait_until(lambda: redis_answers(port), timeout=20)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "telemetry", "--pool", "solo"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "worker.log").open("ab"),
    )
    processes.append(worker)
    wait_until(lambda: spooled(spool_dir) == 0, timeout=60)
    wait_until(lambda: held.count(mongo_db, sensor.pk) >= 4000, timeout=90)
    for metric, count in {"a": 1500, "b": 1500, "c": 1000}.items():
        assert held.count(mongo_db, sensor.pk, metric) == count


def test_the_command_refuses_a_taken_port_with_a_clear_error(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind((LOOPBACK, 0))
        port = taken.getsockname()[1]
        command = [sys.executable, "manage.py", "telemetry_listener", "--udp-port", str(port), "--tcp-port", "0"]
        result = subprocess.run(
            [*command, "--spool-dir", str(tmp_path)],
            cwd=BASE_DIR,
            env=subprocess_env("redis://127.0.0.1:1/0"),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert "could not bind its ports" in result.stderr
    assert "Traceback" not in result.stderr
