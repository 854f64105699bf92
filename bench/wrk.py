"""wrk (Debian's package), the load client that compares Keyhold with OpenBao: one thread, keep-alive connections.

wrk is a C client that keeps each connection open and sends the next request as soon as an answer is in, so
the server, not the client, is what is measured (the asyncio client in bench/loadclient.py tops out near the
rates OpenBao reaches here). Its Lua `done` hook prints the figures as one JSON line, which `run` returns.
"""

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

SCRIPT = """\
{headers}
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'WRK {{"requests": %d, "seconds": %f, "errors": %d, "non_2xx": %d, ' ..
    '"p50_ms": %f, "p90_ms": %f, "p99_ms": %f, "max_ms": %f}}\\n',
    summary.requests, summary.duration / 1e6, errors, summary.errors.status,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3))
end
"""


def executable() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed: run make wrk (make bench does)")
    return found


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run(url: str, *, seconds: float, connections: int = 16, headers: dict[str, str] | None = None) -> dict:
    """Load `url` for `seconds` over `connections` keep-alive connections; rate, latency percentiles, errors.

    Raises when any request failed (connect, read or timeout errors, or a status outside 2xx/3xx): a
    benchmark of refusals would measure the wrong thing.
    """
    lines = [f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}" for name, value in (headers or {}).items()]
    with tempfile.TemporaryDirectory(prefix="keyhold-wrk-") as scratch:
        script = Path(scratch) / "report.lua"
        script.write_text(SCRIPT.format(headers="\n".join(lines)))
        command = [executable(), "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
        done = subprocess.run(
            [*command, "-s", str(script), url], capture_output=True, text=True, timeout=seconds + 60, check=False
        )
    report = next((line for line in done.stdout.splitlines() if line.startswith("WRK ")), None)
    if done.returncode != 0 or report is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-1000:]} {done.stdout[-1000:]}")
    figures = json.loads(report.removeprefix("WRK "))
    if figures["errors"] or figures["non_2xx"]:
        raise RuntimeError(f"wrk against {url}: {figures['errors']} errors, {figures['non_2xx']} non-2xx answers")
    figures["rate"] = figures["requests"] / figures["seconds"]
    return figures
