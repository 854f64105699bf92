"""/readyz names each dependency that is down, within 3 s, against real servers stopped by the test.

A private embedded stack, a gunicorn and a Celery worker run as separate processes, so stopping
their servers cannot disturb the rest of the suite."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from devstack import ports
from devstack.stack import SERVICES, Stack
from tests import processes

pytestmark = [pytest.mark.e2e, pytest.mark.fault]

REPO = Path(__file__).resolve().parents[2]
SERVICE_VARIABLES = {service.env for service in SERVICES} | {"KEYHOLD_VAR_DIR", "PORT", "HOST"}


def readyz(base_url: str) -> tuple[int, dict, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"{base_url}/readyz", timeout=10) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return status, json.loads(body), time.monotonic() - started


def failing(payload: dict) -> set[str]:
    return {name for name, value in payload["checks"].items() if value != "ok"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("readyz-stack")
    stack = Stack(var_dir, environ={}, web_url="http://127.0.0.1", throwaway=True)
    stack_env = stack.start()
    env = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    env |= stack_env | {"PORT": str(ports.free_port()), "WEB_CONCURRENCY": "1", "PYTHONUNBUFFERED": "1"}
    logs = var_dir / "processes.log"
    with logs.open("ab") as log:
        web = processes.web_server(env, logs)
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "telemetry,maintenance",
             "--pool", "solo", "--loglevel", "WARNING"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base_url = f"http://127.0.0.1:{env['PORT']}"
    try:
        yield {"url": base_url, "stack": stack, "worker": worker, "log": logs}
    finally:
        for process in (web, worker):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (web, worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        stack.stop()


def wait_all_ok(site, timeout: float) -> None:
    """Wait for a 200 from /readyz; on failure say what it last answered and what the processes logged."""
    last: object = "no answer yet"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if site["worker"].poll() is not None:
            break
        try:
            status, payload, _ = readyz(site["url"])
        except (OSError, ValueError) as exc:
            last = repr(exc)
        else:
            if status == 200 and not failing(payload):
                return
            last = payload
        time.sleep(0.5)
    log_tail = site["log"].read_text(errors="replace")[-4000:]
    pytest.fail(f"/readyz never answered all ok; last answer: {last}\nprocess log tail:\n{log_tail}")


def test_readyz_names_each_dependency_as_it_goes_down(site):
    # Generous: on a loaded 2-core CI machine the worker's first start can take a while.
    wait_all_ok(site, timeout=120)

    expected: set[str] = set()
    # The worker first: with the broker gone it could not answer anyway.
    for name in ("worker", "mongodb", "cache", "postgres", "broker"):
        if name == "worker":
            site["worker"].send_signal(signal.SIGTERM)
            site["worker"].wait(timeout=20)
        else:
            site["stack"].servers[name].stop()
        expected.add(name)

        status, payload, elapsed = readyz(site["url"])
        assert status == 503, payload
        assert payload["status"] == "fail"
        assert failing(payload) == expected, (name, payload)
        assert elapsed < 3, f"/readyz took {elapsed:.1f} s with {name} down"
        # A short reason, never a URL, password or traceback.
        assert all(len(value) < 60 and "://" not in value for value in payload["checks"].values())

    status, payload, _ = readyz(site["url"])
    assert set(payload["checks"]) == {"postgres", "cache", "broker", "mongodb", "worker"}
    # /healthz only says the process is up, whatever its dependencies do.
    with urllib.request.urlopen(f"{site['url']}/healthz", timeout=5) as response:
        assert json.loads(response.read()) == {"status": "ok"}
