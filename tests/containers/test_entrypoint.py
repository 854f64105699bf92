"""docker/entrypoint.sh picks a role, waits a bounded time for that role's servers, then execs its
command; docker/healthcheck.py tells Docker whether a role is healthy. Both run here on the host
with the same interpreter and code the image has."""

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time

import django
import pytest

from tests.containers.files import ENTRYPOINT, ROOT, clean_env, image_env, load_docker_module
from tests.waiting import wait_until

wait_for_services = load_docker_module("wait_for_services")
healthcheck = load_docker_module("healthcheck")


def run_entrypoint(home, *args, timeout=30, **env):
    # From another directory on purpose: the entrypoint finds the app by its own location.
    env.setdefault("KEYHOLD_VAR_DIR", str(home / "var"))  # development keys go there, not in the repo
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *args],
        cwd=home,
        env=clean_env(home, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_scripts_are_valid_posix_sh_and_executable():
    for script in (ENTRYPOINT, ROOT / "scripts" / "make-secrets.sh"):
        assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0, script
        assert os.access(script, os.X_OK), f"{script} must be executable (the image runs it directly)"
        assert script.read_text(encoding="utf-8").startswith("#!/bin/sh\n")


def test_unknown_role_is_refused_with_a_clear_message(tmp_path):
    result = run_entrypoint(tmp_path, "nonsense")
    assert result.returncode == 64
    assert "unknown role 'nonsense'" in result.stderr
    assert "web worker beat migrate listener manage" in result.stderr
    assert result.stdout == ""


def test_missing_role_is_refused(tmp_path):
    result = run_entrypoint(tmp_path)
    assert result.returncode == 64
    assert "no role given" in result.stderr


def test_waiting_gives_up_within_its_bound_and_never_prints_the_password(tmp_path):
    port = free_port()  # closed: nothing listens there
    started = time.monotonic()
    result = run_entrypoint(
        tmp_path,
        "manage",
        "version",
        KEYHOLD_WAIT_SECONDS="1",
        DATABASE_URL=f"postgres://keyhold:hunter2-secret@127.0.0.1:{port}/keyhold",
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 69, result.stderr
    assert elapsed < 4, f"gave up after {elapsed:.1f} s with a 1 s bound"
    assert f"DATABASE_URL (127.0.0.1:{port})" in result.stderr
    assert "gave up after 1 s" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
    assert result.stdout == "", "the role's command must not run when its servers are missing"


def test_role_starts_once_its_server_listens_and_extra_arguments_pass_through(tmp_path):
    url_file = tmp_path / "database_url"
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        url_file.write_text(f"postgres://keyhold:pw@127.0.0.1:{server.getsockname()[1]}/keyhold\n")
        result = run_entrypoint(
            tmp_path, "manage", "version", KEYHOLD_WAIT_SECONDS="5", DATABASE_URL_FILE=str(url_file)
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == django.get_version()
    assert "all dependencies accept connections" in result.stderr


def test_migrate_waits_for_mongodb_too_because_it_creates_the_indexes(tmp_path):
    closed = free_port()
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        result = run_entrypoint(
            tmp_path,
            "migrate",
            KEYHOLD_WAIT_SECONDS="1",
            DATABASE_URL=f"postgres://keyhold:pw@127.0.0.1:{server.getsockname()[1]}/keyhold",
            MONGODB_URL=f"mongodb://127.0.0.1:{closed}/keyhold",
        )
    assert result.returncode == 69, result.stderr
    assert f"no answer from MONGODB_URL (127.0.0.1:{closed})" in result.stderr


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_a_malformed_wait_bound_is_refused(tmp_path, value):
    result = run_entrypoint(tmp_path, "migrate", KEYHOLD_WAIT_SECONDS=value, DATABASE_URL="postgres://h:1/x")
    assert result.returncode == 64
    assert "KEYHOLD_WAIT_SECONDS" in result.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@postgres:5432/keyhold", [("postgres", 5432)]),
        ("postgresql://postgres/keyhold", [("postgres", 5432)]),
        ("redis://cache:6379/0", [("cache", 6379)]),
        ("rediss://:pw@broker/1", [("broker", 6379)]),
        ("mongodb://u:p@a:27018,b,c:27019/db?replicaSet=rs0", [("a", 27018), ("b", 27017), ("c", 27019)]),
        ("postgres://u@[::1]:6543/db", [("::1", 6543)]),
        # Nothing to wait for over TCP: left to the client library.
        ("sqlite:///var/keyhold.sqlite3", []),
        ("postgres://%2Fvar%2Frun%2Fpostgresql/keyhold", []),
        ("mongodb+srv://cluster.example.com/db", []),
        ("unix:///run/redis.sock", []),
        ("not a url", []),
    ],
)
def test_wait_helper_finds_host_and_port_in_each_url_form(url, expected):
    assert wait_for_services.endpoints(url) == expected


@pytest.mark.parametrize(
    ("allowed_hosts", "host"),
    [
        ("vault.example.com,other", "vault.example.com"),
        (".example.com", "example.com"),
        ("*", "localhost"),
        ("", "localhost"),
    ],
)
def test_web_health_check_asks_as_an_allowed_host(monkeypatch, allowed_hosts, host):
    monkeypatch.setenv("ALLOWED_HOSTS", allowed_hosts)
    monkeypatch.delenv("ALLOWED_HOSTS_FILE", raising=False)
    assert healthcheck._host_header() == host


def test_beat_health_follows_the_schedule_files_age(monkeypatch, tmp_path):
    monkeypatch.setattr(healthcheck, "BEAT_SCHEDULE_GLOB", str(tmp_path / "celerybeat-schedule*"))
    assert healthcheck.main(["beat"]) == 1, "no schedule yet"
    schedule = tmp_path / "celerybeat-schedule"
    schedule.write_bytes(b"")
    assert healthcheck.main(["beat"]) == 0
    stale = time.time() - healthcheck.BEAT_STALE_SECONDS - 5
    os.utime(schedule, (stale, stale))
    assert healthcheck.main(["beat"]) == 1


def test_listener_health_needs_its_tcp_port_open(monkeypatch):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        monkeypatch.setenv("TELEMETRY_TCP_PORT", str(server.getsockname()[1]))
        assert healthcheck.main(["listener"]) == 0
    assert healthcheck.main(["listener"]) == 1


def test_health_check_refuses_an_unknown_role():
    assert healthcheck.main(["nonsense"]) == 2


@pytest.mark.e2e
def test_web_role_serves_with_the_image_settings_passes_its_health_check_and_stops_cleanly(tmp_path):
    port = free_port()
    env = image_env(tmp_path, HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="1", ALLOWED_HOSTS="vault.example.com")
    env["KEYHOLD_WAIT_SECONDS"] = "0"  # the image's throw-away URLs name no real servers
    log = (tmp_path / "web.log").open("w")
    # Its own process group, so cleanup reaches gunicorn even if the entrypoint failed to exec it.
    web = subprocess.Popen(
        ["sh", str(ENTRYPOINT), "web"], cwd=tmp_path, env=env, stdout=log, stderr=log, start_new_session=True
    )
    check = [sys.executable, str(ROOT / "docker" / "healthcheck.py"), "web"]
    try:
        wait_until(lambda: subprocess.run(check, env=env, capture_output=True, check=False).returncode == 0, timeout=30)
        # Django refuses a Host outside ALLOWED_HOSTS, which is why the check names an allowed one.
        bare = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        bare.request("GET", "/healthz")
        assert bare.getresponse().status == 400
        bare.close()
        web.send_signal(signal.SIGTERM)  # what `docker stop` sends
        assert web.wait(timeout=30) == 0, (tmp_path / "web.log").read_text()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(web.pid, signal.SIGKILL)
        web.wait()
        log.close()
    assert subprocess.run(check, env=env, capture_output=True, check=False).returncode == 1
