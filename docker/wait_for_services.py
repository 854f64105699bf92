"""Waits, up to a deadline, until the servers named by URL variables accept TCP connections.

Run by docker/entrypoint.sh before a role starts, so a fresh `docker compose up` does not crash-loop
while PostgreSQL, Redis or MongoDB are still starting. Usage: wait_for_services.py NAME...
where each NAME is a variable such as DATABASE_URL (or its NAME_FILE twin, as Django reads it).
The deadline comes from KEYHOLD_WAIT_SECONDS (default 60; 0 skips waiting).

Exit status: 0 when every server answered, 69 (EX_UNAVAILABLE) when one did not in time,
64 (EX_USAGE) on a bad KEYHOLD_WAIT_SECONDS. Only host:port is ever printed, never a URL,
because URLs carry passwords.
"""

import os
import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_PORTS = {
    "postgres": 5432,
    "postgresql": 5432,
    "pgsql": 5432,
    "postgis": 5432,
    "redis": 6379,
    "rediss": 6379,
    "mongodb": 27017,
}
EX_USAGE = 64
EX_UNAVAILABLE = 69
PREFIX = "keyhold-entrypoint:"


def log(message: str) -> None:
    print(f"{PREFIX} {message}", file=sys.stderr, flush=True)


def read_setting(name: str) -> str | None:
    """The variable's value, or the contents of the file named by NAME_FILE (Docker secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            # Django reports this properly when the role starts; waiting cannot help.
            log(f"{name}_FILE cannot be read ({exc.strerror}); not waiting for {name}")
            return None
    return os.environ.get(name)


def endpoints(url: str) -> list[tuple[str, int]]:
    """host:port pairs to try for `url`; empty for anything without a TCP address we can check.

    SQLite, Unix sockets, mongodb+srv (DNS seed lists) and Sentinel URLs are left to the client.
    A MongoDB URL may list several hosts (a replica set): any one answering is enough.
    """
    scheme, separator, rest = url.partition("://")
    default_port = DEFAULT_PORTS.get(scheme.lower())
    if not separator or default_port is None:
        return []
    netloc = rest.split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    found = []
    for item in netloc.split(","):
        try:
            parts = urlsplit(f"//{item}")
            host, port = parts.hostname, parts.port or default_port
        except ValueError:
            continue
        # PostgreSQL Unix-socket URLs put a percent-encoded path where the host goes.
        if host and "%2f" not in host.lower():
            found.append((host, port))
    return found


def reachable(address: tuple[str, int], timeout: float) -> bool:
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:  # refused, unresolvable (container not created yet), timed out
        return False


def wait(names: list[str], seconds: float) -> int:
    pending = {}
    for name in names:
        value = read_setting(name)
        targets = endpoints(value) if value else []
        if targets:
            pending[name] = targets
    if not pending:
        return 0
    shown = {name: ", ".join(f"{host}:{port}" for host, port in targets) for name, targets in pending.items()}
    log("waiting up to {:g} s for {}".format(seconds, "; ".join(f"{name} ({where})" for name, where in shown.items())))
    deadline = time.monotonic() + seconds
    while True:
        for name, targets in list(pending.items()):
            remaining = max(deadline - time.monotonic(), 0.05)
            if any(reachable(target, min(1.0, remaining)) for target in targets):
                del pending[name]
        if not pending:
            log("all dependencies accept connections")
            return 0
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            missing = "; ".join(f"{name} ({shown[name]})" for name in pending)
            log(f"gave up after {seconds:g} s: no answer from {missing}. Is that service running and healthy?")
            return EX_UNAVAILABLE
        time.sleep(min(1.0, remaining))


def main(argv: list[str]) -> int:
    raw = os.environ.get("KEYHOLD_WAIT_SECONDS", "60")
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # also catches nan
        log(f"KEYHOLD_WAIT_SECONDS must be a number of seconds >= 0, not {raw!r}")
        return EX_USAGE
    if seconds == 0:
        return 0
    return wait(argv, seconds)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
