"""A throw-away InfluxDB 1.6 (Debian's `influxd`) on free loopback ports, with a config and data of its own.

The peer of telemetry_vs_influxdb: the package's defaults (port 8086, /var/lib/influxdb) are never used,
so it runs beside anything else on the machine. Its own internal monitoring and usage reporting are off,
as they would only add writes and outbound connections to the run; everything else is as shipped.
"""

import contextlib
import http.client
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

from bench.processes import running
from devstack.ports import LOOPBACK, free_port

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 30

CONFIG = """reporting-disabled = true
bind-address = "{host}:{rpc_port}"
[meta]
  dir = "{data}/meta"
[data]
  dir = "{data}/data"
  wal-dir = "{data}/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "{host}:{http_port}"
  log-enabled = false
[subscriber]
  enabled = false
[continuous_queries]
  enabled = false
"""


class InfluxDB:
    """The running server: `request` talks to its HTTP API."""

    def __init__(self, port: int) -> None:
        self.port = port

    def request(self, method: str, path: str, body: bytes | None = None, **query) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=60)
        try:
            target = f"{path}?{urlencode(query)}" if query else path
            connection.request(method, target, body=body)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def query(self, statement: str, database: str = "") -> bytes:
        status, body = self.request("POST", "/query", q=statement, db=database)
        if status != 200:
            raise RuntimeError(f"influxd: {statement!r} answered {status}: {body[:200]!r}")
        return body


@contextlib.contextmanager
def influxd() -> Iterator[InfluxDB]:
    """Start influxd under var/bench/ and stop it (and remove its data) afterwards."""
    binary = shutil.which("influxd")
    if binary is None:
        raise RuntimeError("influxd is missing: `make bench` installs Debian's influxdb (make influxdb)")
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="influxdb-", dir=ROOT / "var" / "bench") as data:
        http_port, rpc_port = free_port(), free_port()
        config = Path(data) / "influxdb.conf"
        config.write_text(CONFIG.format(host=LOOPBACK, rpc_port=rpc_port, http_port=http_port, data=data))
        with (
            (Path(data) / "influxd.log").open("wb") as log,
            running([binary, "-config", str(config)], stdout=log, stderr=log) as process,
        ):
            server = InfluxDB(http_port)
            _wait_ready(server, process)
            yield server


def _wait_ready(server: InfluxDB, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"influxd exited with {process.returncode} while starting")
        with contextlib.suppress(OSError):
            if server.request("GET", "/ping")[0] == 204:
                return
        time.sleep(0.1)
    raise RuntimeError(f"influxd did not answer /ping within {STARTUP_SECONDS} s")
