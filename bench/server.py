"""A real gunicorn for the web benchmarks: config/gunicorn.conf.py on a free loopback port, against the bench stack."""

import os
import runpy
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import psutil

from devstack import reaper
from devstack.ports import LOOPBACK, free_port

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0
# Workers import Django after the port is bound: wait for them all, then this long for the last to finish.
SETTLE_SECONDS = 1.0


@dataclass(frozen=True)
class Server:
    port: int
    workers: int
    worker_class: str
    threads: int

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        """One request from this process, for setting a benchmark up (a CSRF token), never for measuring."""
        request = urllib.request.Request(f"http://{LOOPBACK}:{self.port}{path}", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own loopback server
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode()


@contextmanager
def gunicorn(
    *, worker_class: str | None = None, threads: int | None = None, workers: int | None = None, env: dict | None = None
) -> Iterator[Server]:
    """Run gunicorn with the site's config and `bench.settings` (site settings + bench switches) until the block ends.

    Only what is given overrides config/gunicorn.conf.py, so by default this is the production web role.
    """
    port = free_port()
    child_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", **(env or {})}
    command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "--bind", f"{LOOPBACK}:{port}"]
    if worker_class:
        command += ["--worker-class", worker_class]
    if threads:
        command += ["--threads", str(threads)]
    if workers:
        command += ["--workers", str(workers)]
    expected_workers = workers or _configured_workers(child_env)
    with tempfile.NamedTemporaryFile(prefix="keyhold-bench-gunicorn-", suffix=".log") as log:
        process = subprocess.Popen(
            [*command, "config.wsgi"],
            cwd=ROOT,
            env=child_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            server = Server(port, expected_workers, worker_class or "configured", threads or 0)
            _wait_ready(process, server, Path(log.name))
            yield server
        finally:
            reaper.stop_popen(process, signum=signal.SIGTERM, grace=10)


def _configured_workers(env: dict) -> int:
    """How many workers config/gunicorn.conf.py starts in `env` (its own default when WEB_CONCURRENCY is unset)."""
    with mock.patch.dict(os.environ, env, clear=True):
        return runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))["workers"]


def _wait_ready(process: subprocess.Popen, server: Server, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}: {log.read_text()[-3000:]}")
        try:
            workers = len(psutil.Process(process.pid).children())
            if workers >= server.workers and server.get("/healthz")[0] == 200:
                time.sleep(SETTLE_SECONDS)
                return
        except (OSError, psutil.Error):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT:.0f} s: {log.read_text()[-3000:]}")
