"""What a process started by a test (worker, listener, web) needs to see this test session's databases."""

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"]


def database_url() -> str:
    """DATABASE_URL of the database this test session uses (PostgreSQL or SQLite), for a child process."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextlib.contextmanager
def telemetry_worker(broker_url: str, log_dir: Path, *, loglevel: str = "WARNING", **env: str) -> Iterator:
    """A solo Celery worker on the telemetry queue of a test's own broker, killed when the block ends."""
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker_url,
        "DATABASE_URL": database_url(),
        "MONGODB_URL": settings.MONGODB_URL,
        **env,
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "telemetry", "--pool", "solo"]
    command += ["--loglevel", loglevel, "--without-mingle", "--without-gossip"]
    with (log_dir / "worker.log").open("ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)


def web_server(env: dict, log: Path) -> subprocess.Popen:
    """gunicorn as production runs it (config/gunicorn.conf.py) with `env`, its output appended to `log`."""
    with log.open("ab") as sink:
        return subprocess.Popen(GUNICORN, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
