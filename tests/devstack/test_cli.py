"""`python -m devstack run` refuses clearly: a taken port, an unreachable service (password redacted)."""

import socket
import subprocess
import sys

from devstack.console import redact
from devstack.ports import free_port, port_is_free
from tests.devstack.conftest import REPO_DIR, child_env


def _run_devstack(env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "devstack", "run"],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_redact_hides_passwords_and_keeps_the_rest():
    assert redact("postgres://u:hunter2@db:5432/x") == "postgres://u:***@db:5432/x"
    assert redact("redis://:hunter2@127.0.0.1:6379/2") == "redis://:***@127.0.0.1:6379/2"
    assert redact("mongodb://u:hunter2@a:1,b:2/db?replicaSet=rs") == "mongodb://u:***@a:1,b:2/db?replicaSet=rs"
    assert redact("mongodb://a/db?authSource=admin&password=hunter2") == "mongodb://a/db?authSource=admin&password=***"
    assert redact("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert redact("sqlite:////tmp/x/keyhold.sqlite3") == "sqlite:////tmp/x/keyhold.sqlite3"


def test_port_is_free_sees_a_listener():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert not port_is_free("127.0.0.1", sock.getsockname()[1])
    assert port_is_free("127.0.0.1", free_port())


def test_run_refuses_a_taken_port_before_starting_anything(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = _run_devstack(child_env(PORT=str(port), KEYHOLD_VAR_DIR=str(tmp_path)), timeout=30)
    assert result.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "postgres").exists()


def test_run_names_an_unreachable_service_in_one_line_with_the_password_redacted(running_stack, tmp_path):
    closed_port = free_port()
    env = child_env(
        PORT=str(free_port()),
        KEYHOLD_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"postgres://u:hunter2@127.0.0.1:{closed_port}/x",
        REDIS_URL=running_stack.urls["cache"],
        CELERY_BROKER_URL=running_stack.urls["broker"],
        MONGODB_URL=running_stack.urls["mongodb"],
    )
    result = _run_devstack(env)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "hunter2" not in output
    assert "Traceback" not in output
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1, result.stderr
    assert "PostgreSQL" in errors[0]
    assert f"postgres://u:***@127.0.0.1:{closed_port}/x" in errors[0]
    assert "DATABASE_URL" in errors[0]
    # Every URL was external, so nothing was started (and nothing is left to stop).
    assert not (tmp_path / "postgres").exists()
    assert not (tmp_path / "stack.json").exists()
