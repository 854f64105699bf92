"""Container health check for one role: `healthcheck.py web|worker|beat|listener` exits 0 when healthy.

Docker runs it inside the container, where the slim base image has no curl. Each check is cheap and
local to the container; /readyz (which probes every dependency) is for load balancers, not for this.
"""

import glob
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

# Beat rewrites its schedule file at least every three minutes (Celery's sync interval).
BEAT_STALE_SECONDS = 600
BEAT_SCHEDULE_GLOB = "/tmp/celerybeat-schedule*"  # noqa: S108 - the container's private tmpfs


def _setting(name: str) -> str:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, "")


def _host_header() -> str:
    # Django answers 400 to a Host it does not allow, so ask as one of ALLOWED_HOSTS.
    first = next((item.strip() for item in _setting("ALLOWED_HOSTS").split(",") if item.strip()), "")
    host = first.lstrip(".")
    return "localhost" if host in {"", "*"} else host


def web() -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", int(os.environ.get("PORT", "8000")), timeout=4)
    try:
        connection.request("GET", "/healthz", headers={"Host": _host_header()})
        return connection.getresponse().status == 200
    finally:
        connection.close()


def worker() -> bool:
    # Ping this container's own node only, so one healthy worker cannot vouch for a stuck one.
    node = f"celery@{socket.gethostname()}"
    command = ["celery", "-A", "config", "inspect", "ping", "--timeout", "5", "--destination", node]
    return subprocess.run(command, check=False, timeout=12).returncode == 0


def beat() -> bool:
    mtimes = [os.stat(path).st_mtime for path in glob.glob(BEAT_SCHEDULE_GLOB)]
    return bool(mtimes) and time.time() - max(mtimes) < BEAT_STALE_SECONDS


def listener() -> bool:
    port = int(os.environ.get("TELEMETRY_TCP_PORT", "8094"))
    with socket.create_connection(("127.0.0.1", port), timeout=3):
        return True


CHECKS = {"web": web, "worker": worker, "beat": beat, "listener": listener}


def main(argv: list[str]) -> int:
    role = argv[0] if argv else "web"
    check = CHECKS.get(role)
    if check is None:
        print(f"healthcheck: unknown role {role!r}; expected one of {', '.join(CHECKS)}", file=sys.stderr)
        return 2
    try:
        healthy = check()
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"healthcheck {role}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
