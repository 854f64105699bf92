"""Fault proofs with a real prefork worker process: killed children, a killed worker, MongoDB restarted.

Each test runs its own broker (redis-server) and MongoDB wire server (secantusd) on free ports, so
no other worker of the session can take its tasks. The visibility timeout is 30 s (above a 20 s task
time limit) so that a killed worker's unacknowledged batches come back within the test.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil
import pymongo
import pytest
import redis

from devstack.ports import free_port
from devstack.servers.redis import BrokerRedisServer
from tests.processes import database_url
from tests.telemetry import held
from tests.telemetry.fault_stream import stream_readings
from tests.waiting import wait_until

pytestmark = [pytest.mark.fault, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
COUNT = 10_000
SENSOR = 42


class Mongo:
    """secantusd on a fixed free port, so it can be stopped and started again at the same address."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._client: pymongo.MongoClient | None = None

    def start(self) -> None:
        self.directory.mkdir(exist_ok=True)
        command = [sys.executable, "-m", "secantus", "--host", "127.0.0.1", "--port", str(self.port)]
        log = (self.directory.parent / "mongo.log").open("ab")
        self.process = subprocess.Popen([*command, "--storage-path", str(self.directory)], stdout=log, stderr=log)
        wait_until(self.answers, timeout=30)

    def answers(self) -> bool:
        try:
            return bool(self.client().admin.command("ping"))
        except pymongo.errors.PyMongoError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None

    def client(self) -> pymongo.MongoClient:
        if self._client is None:
            self._client = pymongo.MongoClient(
                "127.0.0.1", self.port, serverSelectionTimeoutMS=2000, directConnection=True
            )
        return self._client


@pytest.fixture
def servers(tmp_path):
    broker = BrokerRedisServer(tmp_path / "broker", throwaway=True)
    broker.start()
    mongo = Mongo(tmp_path / "mongo")
    try:
        mongo.start()
    except BaseException:
        mongo.stop()
        broker.stop()
        raise
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker.url,
        "MONGODB_URL": f"mongodb://127.0.0.1:{mongo.port}/fault",
        "MONGODB_TIMEOUT_MS": "2000",
        "DATABASE_URL": database_url(),
        "CELERY_TASK_TIME_LIMIT": "20",
        "CELERY_TASK_SOFT_TIME_LIMIT": "15",
        "CELERY_VISIBILITY_TIMEOUT": "30",
        # Tasks of 500 readings take the worker long enough (10-20 ms) for a kill to land while it holds one.
        "TELEMETRY_TASK_BATCH": "500",
    }
    yield env, mongo, tmp_path
    mongo.client().close()
    mongo.stop()
    broker.stop()


class Workers:
    """Worker processes started by a test; every one (and its pool children) is killed at the end."""

    def __init__(self, env: dict, log_dir: Path) -> None:
        self.env, self.log_dir, self.started = env, log_dir, []

    def start(self) -> psutil.Process:
        name = f"fault-{uuid.uuid4().hex[:6]}@%h"
        log = (self.log_dir / "worker.log").open("ab")
        command = ["-m", "celery", "-A", "config", "worker", "-Q", "telemetry,maintenance", "-n", name]
        command += ["--pool", "prefork", "-c", "2", "--loglevel", "INFO", "--without-mingle", "--without-gossip"]
        popen = subprocess.Popen([sys.executable, *command], cwd=ROOT, env=self.env, stdout=log, stderr=log)
        process = psutil.Process(popen.pid)
        self.started.append((popen, process))
        wait_until(lambda: len(process.children()) == 2, timeout=30)
        return process

    def stop_all(self) -> None:
        for popen, process in self.started:
            family = [process]
            with contextlib.suppress(psutil.NoSuchProcess):
                family += process.children(recursive=True)
            for member in family:
                with contextlib.suppress(psutil.NoSuchProcess):
                    member.kill()
            popen.wait(timeout=10)


@pytest.fixture
def workers(servers):
    env, _mongo, tmp_path = servers
    started = Workers(env, tmp_path)
    yield started
    started.stop_all()


def stream(env: dict, base_ns: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "tests.telemetry.fault_stream", str(SENSOR), str(COUNT), str(base_ns)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE)


def assert_exactly_once(mongo: Mongo, base_ns: int, timeout: float) -> None:
    database = mongo.client()["fault"]
    # Poll once a second: SecantusDB reads every matching document, and polling must not slow the inserts.
    counts = []

    def all_stored() -> bool:
        counts.append(held.count(database, SENSOR))
        return counts[-1] >= COUNT

    try:
        wait_until(all_stored, timeout=timeout, interval=1.0)
    except pytest.fail.Exception:
        pytest.fail(f"{counts[-1]} of {COUNT} readings stored after {timeout} s (counts seen: {counts[-12:]})")
    # Every reading exactly once in the buckets themselves, not merely shown once: a redelivered batch
    # inserted nothing a first delivery had inserted.
    expected = sorted((reading[2], reading[4]) for reading in stream_readings(SENSOR, COUNT, base_ns))
    readings = sorted((ns, seq) for _metric, _tags, ns, seq, _value in held.physical(database, SENSOR))
    assert len(readings) == COUNT
    assert readings == expected
    assert len(held.visible(database, SENSOR)) == COUNT


def stored(mongo: Mongo) -> int:
    return held.count(mongo.client()["fault"], SENSOR)


def test_killing_a_pool_child_mid_stream_loses_and_doubles_nothing(servers, workers):
    env, mongo, _tmp = servers
    worker = workers.start()
    base_ns = time.time_ns()
    sender = stream(env, base_ns)
    wait_until(lambda: stored(mongo) >= 2000, timeout=30)
    victim = worker.children()[0].pid
    os.kill(victim, signal.SIGKILL)
    # The worker noticed: it replaced the child it lost.
    wait_until(lambda: victim not in {child.pid for child in worker.children()}, timeout=10)
    assert sender.wait(timeout=60) == 0
    assert_exactly_once(mongo, base_ns, timeout=60)


def test_killing_the_whole_worker_mid_stream_then_restarting_it_loses_and_doubles_nothing(servers, workers):
    env, mongo, _tmp = servers
    worker = workers.start()
    base_ns = time.time_ns()
    sender = stream(env, base_ns)
    broker = redis.Redis.from_url(env["CELERY_BROKER_URL"])
    # Killed while it holds tasks mid-write: a worker stores a task in milliseconds, so a kill timed from
    # outside lands as often between tasks as in one, or while it takes the next (which kombu's Redis
    # transport can lose). Frozen first, it is killed in the state this test is about.
    run_on = frozen_holding_tasks(mongo, sender, broker)
    children = worker.children()
    os.kill(worker.pid, signal.SIGKILL)
    for child in children:
        # Pool children outlive a SIGKILLed parent for a moment; the new worker must not race them.
        child.kill()
    run_on()
    # Batches the dead worker had taken and never acknowledged: kombu keeps them in its "unacked" hash.
    assert broker.hlen("unacked") > 0
    assert sender.wait(timeout=60) == 0
    assert stored(mongo) < COUNT
    workers.start()
    # They come back once the 30 s visibility timeout has passed, and are acknowledged this time. The
    # bound leaves room for a machine busy with the load soak beside this test.
    assert_exactly_once(mongo, base_ns, timeout=150)
    wait_until(lambda: broker.hlen("unacked") == 0, timeout=60)
    broker.close()


def frozen_holding_tasks(mongo: Mongo, sender: subprocess.Popen, broker: redis.Redis) -> Callable[[], None]:
    """Bring the worker to a state where it holds unacknowledged tasks it can neither finish nor add to.

    MongoDB is stopped (SIGSTOP), so the worker's writes hang, and so is the sender, so no task is on its
    way: killed then, the worker drops exactly the tasks in kombu's "unacked" hash. (Killed while taking a
    task from the queue, before kombu records it there, it would lose that task: docs/reliability.md.)
    Returns what lets MongoDB and the sender run on.
    """
    wait_until(lambda: stored(mongo) >= 2000, timeout=30)
    sending, storing = psutil.Process(sender.pid), psutil.Process(mongo.process.pid)
    storing.suspend()

    def run_on() -> None:
        storing.resume()
        sending.resume()

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        sending.suspend()
        if settled_unacked(broker) > 0:
            return run_on
        sending.resume()  # between bursts with nothing held: let the next burst come
        time.sleep(0.1)
    run_on()
    raise AssertionError("the worker never held a task")


def settled_unacked(broker: redis.Redis) -> int:
    """How many tasks kombu holds as unacknowledged, once neither that nor the queue has moved for 0.5 s."""
    seen = None
    while (now := (broker.llen("telemetry"), broker.hlen("unacked"))) != seen:
        seen = now
        time.sleep(0.5)
    return seen[1]


def test_mongodb_stopped_mid_stream_and_restarted_loses_nothing(servers, workers):
    env, mongo, _tmp = servers
    workers.start()
    base_ns = time.time_ns()
    sender = stream(env, base_ns)
    wait_until(lambda: stored(mongo) >= 2000, timeout=30)
    mongo.stop()
    assert sender.wait(timeout=60) == 0
    time.sleep(5)
    mongo.start()
    # Failed batches retry with backoff (1, 2, 4, 8, 16 s ...) until MongoDB answers again.
    assert_exactly_once(mongo, base_ns, timeout=80)
