"""A small HTTP/1.1 load generator, run as its own process: fixed connections, keep-alive, latency percentiles.

`python -m bench.loadclient` reads a plan as JSON on stdin and prints the figures as JSON on stdout;
`bench.loadclient.drive()` does both from the benchmark process. A plan is one or more groups, each
`connections` connections sending one request over and over. A group with a `requests` count is
measured; a group without one is background load (a login flood) that runs until the measured
groups are done; with `honor_retry_after`, its connections pause as a 429 or 503 response's
Retry-After asks, as people told to try again in a moment do. Latency runs from sending the request
(or opening the connection, when the server closed the last one, as gunicorn's sync workers do) to the
last byte of the response.

For a soak, a group may also give `rate` (requests per second for the whole group, so its connections
send on a fixed schedule instead of as fast as answers come back), a request body holding `{seq}`
(replaced by the request's number, zero-padded to 9 digits, so every request differs) and, with the
plan's `samples`, the figures list each request's send time (seconds since the plan started) and latency.
"""

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A latency sample list this long bounds memory for any plan while keeping p99 exact enough.
MAX_SAMPLES = 200_000


def _raw_request(request: dict) -> bytes:
    body = request.get("body", "").encode()
    headers = {"Host": "127.0.0.1", "Connection": "keep-alive", **request.get("headers", {})}
    if body or request.get("method", "GET") == "POST":
        headers["Content-Length"] = str(len(body))
    head = f"{request.get('method', 'GET')} {request['path']} HTTP/1.1\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return head.encode("latin-1") + b"\r\n" + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in lines:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if status in (204, 304) or status < 200:
        body = b""  # no body by definition (RFC 9112 6.3), whatever the headers say
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while size := int((await reader.readline()).split(b";")[0], 16):
            chunks.append(await reader.readexactly(size))
            await reader.readline()
        await reader.readline()
        body = b"".join(chunks)
    else:
        body = await reader.read()
        headers["connection"] = "close"
    return status, headers, body


class _Group:
    def __init__(self, spec: dict) -> None:
        self.name = spec["name"]
        self.connections = spec["connections"]
        self.remaining = spec.get("requests")  # None: background, until the measured groups finish
        self.request = spec["request"]
        self.raw = _raw_request(spec["request"])
        self.varies = "{seq}" in spec["request"].get("body", "")
        self.rate = spec.get("rate")  # None: closed loop, the next request as soon as the answer is in
        self.sent = 0
        self.samples: list[tuple[float, float]] = []
        expected = spec["request"].get("expect_status", 200)
        self.expect_status = set(expected) if isinstance(expected, list) else {expected}
        self.expect_text = spec["request"].get("expect_text", "").encode()
        self.honor_retry_after = spec.get("honor_retry_after", False)
        self.latencies: list[float] = []
        self.errors = 0
        self.statuses: dict[int, int] = {}
        self.first_error = ""
        self.started = self.finished = 0.0

    def raw_for(self, seq: int) -> bytes:
        if not self.varies:
            return self.raw
        return _raw_request({**self.request, "body": self.request["body"].replace("{seq}", f"{seq:09d}")})

    async def wait_turn(self) -> int:
        """The number of this request; at a fixed rate, after sleeping until its scheduled send time."""
        seq, self.sent = self.sent, self.sent + 1
        if self.rate:
            await asyncio.sleep(max(0.0, self.started + seq / self.rate - time.perf_counter()))
        return seq

    def take(self, stop: asyncio.Event) -> bool:
        if self.remaining is None:
            return not stop.is_set()
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True

    def check(self, status: int, body: bytes) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status not in self.expect_status or self.expect_text not in body:
            self.errors += 1
            self.first_error = self.first_error or f"status {status}: {body[:200]!r}"

    def summary(self, *, samples: bool = False) -> dict:
        ordered = sorted(self.latencies)
        seconds = self.finished - self.started

        def pick(share: float) -> float:
            return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0

        return {
            "requests": len(ordered),
            "errors": self.errors,
            "statuses": self.statuses,
            "first_error": self.first_error,
            "seconds": seconds,
            "rate": len(ordered) / seconds if seconds else 0.0,
            "p50_ms": pick(0.50),
            "p90_ms": pick(0.90),
            "p99_ms": pick(0.99),
            "max_ms": pick(1.0),
            **({"samples": self.samples} if samples else {}),
        }


async def _connection(group: _Group, host: str, port: int, stop: asyncio.Event, origin: float = 0.0) -> None:
    reader = writer = None
    try:
        while group.take(stop):
            seq = await group.wait_turn()
            started = time.perf_counter()
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(group.raw_for(seq))
            status, headers, body = await _read_response(reader)
            if len(group.latencies) < MAX_SAMPLES:
                group.latencies.append(time.perf_counter() - started)
                group.samples.append((started - origin, (time.perf_counter() - started) * 1000))
            group.check(status, body)
            if headers.get("connection", "").lower() == "close":
                writer.close()
                writer = None
            if group.honor_retry_after and status in (429, 503) and "retry-after" in headers:
                # As a browser's user would: told to come back in a second, this connection pauses.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=float(headers["retry-after"]))
    finally:
        if writer is not None:
            writer.close()


async def _run(plan: dict) -> dict:
    host, port = plan.get("host", "127.0.0.1"), plan["port"]
    groups = [_Group(spec) for spec in plan["groups"]]
    stop = asyncio.Event()
    origin = time.perf_counter()
    background = [
        asyncio.create_task(_connection(group, host, port, stop))
        for group in groups
        if group.remaining is None
        for _ in range(group.connections)
    ]
    for group in groups:
        group.started = time.perf_counter()
    # Background load gets a head start, so the measured requests meet it at full strength.
    if background:
        await asyncio.sleep(plan.get("background_head_start", 0.5))
    measured = [group for group in groups if group.remaining is not None]
    for group in measured:
        group.started = time.perf_counter()
    await asyncio.gather(
        *(
            _timed(group, [_connection(group, host, port, stop, origin) for _ in range(group.connections)])
            for group in measured
        )
    )
    stop.set()
    await asyncio.gather(*background)
    for group in groups:
        if group.remaining is None:
            group.finished = time.perf_counter()
    return {group.name: group.summary(samples=plan.get("samples", False)) for group in groups}


async def _timed(group: _Group, connections: list) -> None:
    await asyncio.gather(*connections)
    group.finished = time.perf_counter()


def drive(plan: dict, *, timeout: float = 300) -> dict:
    """Run `plan` in a second process (so the client never competes for this one's GIL) and return its figures."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.loadclient"],
        input=json.dumps(plan),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the load client failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


if __name__ == "__main__":
    sys.stdout.write(json.dumps(asyncio.run(_run(json.load(sys.stdin)))))
