"""End to end: `python -m devstack run` serves a ready site, and Ctrl+C stops every process it started."""

import json
import os
import re
import signal
import stat
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from devstack.ports import free_port, port_is_free
from tests.devstack.conftest import child_env, devstack, is_alive, kill_processes_using, processes_using
from tests.waiting import wait_until

READY_WITHIN_SECONDS = 60
STOPPED_WITHIN_SECONDS = 60


def _readyz(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        return json.load(exc)
    except OSError:
        return None


def _all_ok(port: int) -> bool:
    answer = _readyz(port)
    return bool(answer) and answer["status"] == "ok" and set(answer["checks"].values()) == {"ok"}


def _run_until_ready_then_ctrl_c(var_dir: Path, port: int, output: Path) -> tuple[str, float]:
    """One `devstack run`: wait for every /readyz check ok, check it, press Ctrl+C, check nothing is left."""
    with output.open("wb") as log:
        started = time.monotonic()
        cli = devstack("run", env=child_env(KEYHOLD_VAR_DIR=str(var_dir), PORT=str(port)), stdout=log, stderr=log)
        try:
            wait_until(lambda: _all_ok(port) or cli.poll() is not None, timeout=READY_WITHIN_SECONDS)
            assert cli.poll() is None, output.read_text()
            ready_after = time.monotonic() - started

            stack_json = var_dir / "stack.json"
            assert stat.S_IMODE(stack_json.stat().st_mode) == 0o600
            urls = json.loads(stack_json.read_text())
            assert urls["web"] == f"http://127.0.0.1:{port}"
            # The telemetry listener runs too, on the free ports stack.json names.
            tcp_host, tcp_port = urls["tcp"].rsplit(":", 1)
            wait_until(lambda: not port_is_free(tcp_host, int(tcp_port)), timeout=READY_WITHIN_SECONDS)
            assert urls["udp"].startswith("127.0.0.1:")
            started_processes = psutil.Process(cli.pid).children(recursive=True)
            # Four servers (plus PostgreSQL backends), web, worker, beat, listener and their children.
            assert len(started_processes) >= 10

            # Ctrl+C in a terminal signals the foreground process group.
            os.killpg(cli.pid, signal.SIGINT)
            assert cli.wait(timeout=STOPPED_WITHIN_SECONDS) == 0, output.read_text()
        finally:
            if cli.poll() is None:
                os.killpg(cli.pid, signal.SIGKILL)
                cli.wait(timeout=10)

    def everything_stopped() -> bool:
        return not any(is_alive(proc) for proc in started_processes)

    wait_until(everything_stopped, timeout=10)
    assert processes_using(var_dir) == []
    assert port_is_free("127.0.0.1", port)
    assert not stack_json.exists()
    return output.read_text(), ready_after


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and needle in path.read_bytes():
            found.append(path)
    return found


@pytest.mark.e2e
def test_run_serves_a_ready_site_and_ctrl_c_leaves_nothing_running_cold_and_warm(tmp_path):
    var_dir = tmp_path / "var"
    port = free_port()
    try:
        cold_output, cold_seconds = _run_until_ready_then_ctrl_c(var_dir, port, tmp_path / "cold.out")
        # The first run creates the admin and shows its password once; it is stored nowhere.
        password = re.search(r"password: +(\S+)", cold_output).group(1)
        assert "admin@keyhold.localhost" in cold_output
        assert _files_containing(var_dir, password.encode()) == []
        assert "Traceback" not in cold_output

        warm_output, warm_seconds = _run_until_ready_then_ctrl_c(var_dir, port, tmp_path / "warm.out")
        # Same data: the migrations and the admin are already there.
        assert "a superuser exists already" in warm_output
        assert "password:" not in warm_output
        assert "(0 migration(s) applied" in warm_output
        print(f"ready after {cold_seconds:.1f} s cold, {warm_seconds:.1f} s warm")
    finally:
        kill_processes_using(var_dir)
