"""The soak's plan (a fixed-rate mix of sign-ins, secret reads and writes, telemetry ingest) and its figures."""

import json
import threading
import time
from dataclasses import dataclass, field

import psutil

from bench.loadclient import drive
from bench.server import Server
from bench.vault_pages import FIELDS
from bench.web_login import login_request
from bench.websetup import reveal_request
from tests.telemetry.ingest_support import V2

# Requests per second of each kind: 40 in all, a steady load the 2-core machine carries with room to spare.
# Sign-ins stay at 1/s: each hashes for about a core-second's fraction, far from every core hashing (a 503).
RATES = {"login": 1, "api_read": 15, "page_read": 8, "api_write": 6, "ingest": 10}
# Connections per kind: enough that a slow answer never delays the next scheduled request.
CONNECTIONS = {"login": 2, "api_read": 4, "page_read": 3, "api_write": 3, "ingest": 3}
LINES_PER_INGEST = 10
WRITE_PATH = "soak/written"
READ_PATH = "bench/web/reveal"


@dataclass(frozen=True)
class Accounts:
    """Who the load signs in as; the credentials stay out of repr, so a failing test's traceback never shows them."""

    email: str
    session_cookie: str = field(repr=False)
    api_token: str = field(repr=False)
    sensor_token: str = field(repr=False)


def ingest_body(base_seconds: int) -> str:
    """LINES_PER_INGEST readings, each its own metric; `{seq}` (the request's number) makes the timestamps unique."""
    return "\n".join(f"soak{line} value={line}.5 {base_seconds}{{seq}}" for line in range(LINES_PER_INGEST))


def ingest_timestamps(base_seconds: int, requests: int) -> set[int]:
    """The nanosecond timestamps the load client sends: `base_seconds` followed by the request number, 9 digits."""
    return {base_seconds * 1_000_000_000 + seq for seq in range(requests)}


def requests_of(seconds: float) -> dict[str, int]:
    return {kind: int(rate * seconds) for kind, rate in RATES.items()}


def plan(server: Server, accounts: Accounts, *, seconds: float, base_seconds: int) -> dict:
    api = {"X-Vault-Token": accounts.api_token, "Content-Type": "application/json"}
    requests = {
        "login": login_request(server, accounts.email),
        "api_read": {"path": f"/v1/secret/data/{READ_PATH}", "headers": api, "expect_text": FIELDS["username"]},
        "page_read": reveal_request(server, accounts.session_cookie),
        "api_write": {
            "method": "POST",
            "path": f"/v1/secret/data/{WRITE_PATH}",
            "headers": api,
            "body": json.dumps({"data": {"n": "{seq}"}}),
        },
        "ingest": {
            "method": "POST",
            "path": f"{V2}&precision=ns",
            "headers": {"Authorization": f"Token {accounts.sensor_token}", "Content-Type": "text/plain"},
            "body": ingest_body(base_seconds),
            "expect_status": 204,
        },
    }
    counts = requests_of(seconds)
    groups = [
        {"name": kind, "connections": CONNECTIONS[kind], "requests": counts[kind], "rate": RATES[kind], "request": req}
        for kind, req in requests.items()
    ]
    return {"port": server.port, "groups": groups, "samples": True}


class Load(threading.Thread):
    """The load client's run in a thread, so this process can measure the servers meanwhile."""

    def __init__(self, soak_plan: dict, *, seconds: float) -> None:
        super().__init__(daemon=True)
        self.soak_plan, self.seconds = soak_plan, seconds
        self.figures: dict | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            # Bounded in time too: the schedule takes `seconds`; a server that stops answering fails the run.
            self.figures = drive(self.soak_plan, timeout=self.seconds + 120)
        except BaseException as error:  # noqa: BLE001 - handed to the test thread, which raises it
            self.error = error

    def result(self) -> dict:
        self.join(timeout=self.seconds + 150)
        if self.error is not None:
            raise self.error
        assert self.figures is not None, "the load client did not finish"
        return self.figures


def percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    if not ordered:
        return {"n": 0, "p50": 0.0, "p99": 0.0}
    return {
        "n": len(ordered),
        "p50": ordered[int(0.50 * (len(ordered) - 1))],
        "p99": ordered[int(0.99 * (len(ordered) - 1))],
    }


def window(figures: dict, start: float, end: float, kinds=None) -> dict[str, float]:
    """p50/p99 (ms) of the requests sent between `start` and `end` seconds into the run."""
    return percentiles(
        [
            latency
            for kind, group in figures.items()
            if kinds is None or kind in kinds
            for sent, latency in group["samples"]
            if start <= sent < end
        ]
    )


def family_rss(process: psutil.Process) -> dict[int, int]:
    """Resident bytes of `process` and each of its descendants, by pid."""
    members = [process, *process.children(recursive=True)]
    return {member.pid: member.memory_info().rss for member in members}


def gunicorn_master(port: int) -> psutil.Process:
    """The gunicorn master this test process started for `port` (bench.server does not hand out the pid)."""
    bind = f":{port}"
    for child in psutil.Process().children(recursive=True):
        if "gunicorn" in " ".join(child.cmdline()) and any(arg.endswith(bind) for arg in child.cmdline()):
            return child
    raise LookupError(f"no gunicorn on port {port}")


def megabytes(rss: dict[int, int]) -> str:
    return " ".join(f"{pid}:{size / 2**20:.1f}" for pid, size in rss.items())


def wait_until_moment(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))
