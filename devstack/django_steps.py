"""The Django steps of `devstack run` before the processes start: migrate, then the first admin."""

import json
import subprocess
import sys
import time
from pathlib import Path

from devstack.console import say
from devstack.errors import DevstackError

REPO_DIR = Path(__file__).resolve().parent.parent
STEP_TIMEOUT_SECONDS = 600
OUTPUT_TAIL_LINES = 30


def _run(what: str, command: list[str], env: dict[str, str]) -> str:
    """Run one step in a child process and return its stdout; a failure raises with the output's tail."""
    try:
        result = subprocess.run(
            command, cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        raise DevstackError(f"{what} did not finish within {STEP_TIMEOUT_SECONDS} s.") from None
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()
        tail = "\n".join(output[-OUTPUT_TAIL_LINES:])
        raise DevstackError(f"{what} failed (exit code {result.returncode}):\n{tail}")
    return result.stdout


def migrate(env: dict[str, str]) -> None:
    say("migrating the database...")
    started = time.monotonic()
    output = _run("manage.py migrate", [sys.executable, "manage.py", "migrate", "--noinput"], env)
    applied = sum(1 for line in output.splitlines() if line.strip().startswith("Applying "))
    say(f"database migrated ({applied} migration(s) applied, {time.monotonic() - started:.1f} s)")
    # MongoDB indexes, and retention TTLs brought in line with the settings before any worker writes.
    _run("manage.py telemetry_indexes", [sys.executable, "manage.py", "telemetry_indexes"], env)
    # Readings stored one per document before buckets (an older var/) move into buckets; at once when none.
    moved = _run("manage.py telemetry_migrate_buckets", [sys.executable, "manage.py", "telemetry_migrate_buckets"], env)
    say(moved.strip().splitlines()[-1])


def ensure_admin(env: dict[str, str], site_url: str) -> None:
    """Create the first superuser if there is none and print its credentials, this once."""
    output = _run("creating the first admin", [sys.executable, "-m", "devstack.superuser"], env)
    result = json.loads(output.strip().splitlines()[-1])
    if result.get("problem"):
        say(f"no superuser created: {result['problem']}; run `manage.py createsuperuser`")
    elif result["created"]:
        say(f"first admin created; log in at {site_url}/admin/ with")
        say(f"    email:    {result['email']}")
        say(f"    password: {result['password']}")
        say("  shown this once and stored nowhere: keep it in your password manager")
    else:
        say("a superuser exists already")
