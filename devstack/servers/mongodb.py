"""The MongoDB wire protocol from the SecantusDB package (secantusd), data in var/."""

import sys
from pathlib import Path

import psutil
import pymongo

from devstack import reaper
from devstack.ports import LOOPBACK
from devstack.servers.base import EmbeddedServer

DATABASE = "keyhold"


class MongoServer(EmbeddedServer):
    name = "mongodb"
    title = "MongoDB (SecantusDB)"

    @property
    def url(self) -> str:
        return f"mongodb://{LOOPBACK}:{self.port}/{DATABASE}"

    @property
    def storage_path(self) -> Path:
        return self.data_dir / "data"

    @property
    def config_path(self) -> Path:
        return self.data_dir / "secantusd.toml"

    def prepare(self) -> None:
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.storage_path.mkdir(mode=0o700, exist_ok=True)
        # An explicit (empty) config file turns off secantusd's search of ./, ~/.secantus and /etc.
        if not self.config_path.exists():
            self.config_path.write_text("# devstack: settings come from the command line.\n", encoding="utf-8")

    def command(self, port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "secantus",
            "--config",
            str(self.config_path),
            "--host",
            LOOPBACK,
            "--port",
            str(port),
            "--storage-path",
            str(self.storage_path),
            # WiredTiger's default cache is 1G: too much to reserve on a laptop for development data.
            "--cache-size",
            "256M",
        ]

    def answers(self) -> bool:
        client = pymongo.MongoClient(
            LOOPBACK, self.port, serverSelectionTimeoutMS=1000, connectTimeoutMS=1000, directConnection=True
        )
        try:
            client.admin.command("ping")
        finally:
            client.close()
        return True

    def holds_data_dir(self, proc: psutil.Process) -> bool:
        cmdline = proc.cmdline()
        return any("secantus" in arg for arg in cmdline) and reaper.refers_to(cmdline, self.data_dir)
