"""Helpers for the devstack tests: a shared embedded stack, child environments, and process checks."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from devstack.stack import Stack

REPO_DIR = Path(__file__).resolve().parents[2]
# `make test` exports these for the session's servers; a child that should start its own must not see them.
STACK_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "MONGODB_URL",
    "KEYHOLD_VAR_DIR",
    "KEYHOLD_DEVSTACK",
    "PORT",
    "HOST",
)


def child_env(**overrides: str) -> dict[str, str]:
    # Without xdist's worker variables: a child pytest would take itself for one of our workers.
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in STACK_VARIABLES and not name.startswith("PYTEST_XDIST_")
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


def devstack(*args: str, env: dict[str, str], **kwargs) -> subprocess.Popen:
    """Start `python -m devstack ARGS` in its own process group, as a terminal would run it."""
    return subprocess.Popen(
        [sys.executable, "-m", "devstack", *args], cwd=REPO_DIR, env=env, start_new_session=True, **kwargs
    )


def is_alive(proc: psutil.Process) -> bool:
    """Running and not a zombie: a killed orphan stays a zombie until init reaps it, holding nothing."""
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _mentions(proc: psutil.Process, path: Path) -> bool:
    root = str(path)
    try:
        words = [*proc.cmdline(), proc.cwd()]
    except psutil.Error:
        return False
    return any(word == root or word.startswith(root + os.sep) or f"={root}" in word for word in words)


def processes_using(path: Path) -> list[psutil.Process]:
    """Live processes whose command line or working directory is in `path` (our servers' data)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.pid != os.getpid() and proc.status() != psutil.STATUS_ZOMBIE and _mentions(proc, path):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def kill_processes_using(path: Path) -> None:
    """Last-resort cleanup so a failing test leaves no server behind for the next one."""
    procs = processes_using(path)
    for proc in procs:
        try:
            proc.send_signal(signal.SIGKILL)
        except psutil.Error:
            continue
    psutil.wait_procs(procs, timeout=10)


@pytest.fixture(scope="session")
def running_stack(tmp_path_factory):
    """One embedded stack (all four servers) shared by the tests that only talk to it."""
    var_dir = tmp_path_factory.mktemp("stack")
    stack = Stack(var_dir, environ={}, web_url="http://127.0.0.1:8000", throwaway=True)
    stack.start()
    yield stack
    stack.stop()
    kill_processes_using(var_dir)
