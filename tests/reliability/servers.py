"""Redis servers a fault test owns, configured as docker-compose.yml configures them, killable and restartable."""

import contextlib
import signal
import subprocess
from pathlib import Path

import redis
import yaml

from devstack.ports import LOOPBACK, free_port
from devstack.servers.redis import REDIS_SERVER
from tests.waiting import wait_until

COMPOSE_FILE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
# Options the tests must not take from compose: where the server listens and keeps its files.
PLACE_OPTIONS = {"port", "bind", "dir", "daemonize", "logfile"}


def compose_redis_options(service: str) -> dict[str, str]:
    """The `--option value` pairs docker-compose.yml gives `service`'s redis-server, so tests prove that config."""
    command = yaml.safe_load(COMPOSE_FILE.read_text())["services"][service]["command"]
    assert command[0] == "redis-server", command
    pairs = zip(command[1::2], command[2::2], strict=True)
    return {name.removeprefix("--"): str(value) for name, value in pairs}


class RestartableRedis:
    """A redis-server on a fixed free port and data directory, so it comes back at the same address."""

    def __init__(self, directory: Path, options: dict[str, str]) -> None:
        self.directory, self.port, self.process = directory, free_port(), None
        self.options = {key: value for key, value in options.items() if key not in PLACE_OPTIONS}
        self.url = f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [str(REDIS_SERVER), "--port", str(self.port), "--bind", LOOPBACK, "--dir", str(self.directory)]
        for key, value in self.options.items():
            command += [f"--{key}", value]
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        wait_until(self.answers, timeout=20, interval=0.02)

    def answers(self) -> bool:
        try:
            return self.client().ping()
        except redis.RedisError:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis(host=LOOPBACK, port=self.port, socket_connect_timeout=0.5, socket_timeout=5)

    def stop(self, *, hard: bool = False) -> None:
        """SIGTERM (Redis flushes and exits) or, with `hard`, SIGKILL (nothing gets a chance to flush)."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
            self.process.wait(timeout=20)
            self.process = None


def queued(client: redis.Redis, queue: str) -> int:
    """Messages waiting in a kombu Redis queue (the plain list plus its priority lists)."""
    return sum(client.llen(key) for key in client.scan_iter(f"{queue}*") if client.type(key) == b"list")
