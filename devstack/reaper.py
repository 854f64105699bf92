"""Stopping processes for good: a graceful signal, a bounded wait, then SIGKILL for whatever is left."""

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import psutil

# Set in the environment of every process `make run` starts, so leftovers can be found by their
# environment even after they were re-parented to init.
OWNER_VARIABLE = "KEYHOLD_DEVSTACK"


def session_of(pid: int) -> list[psutil.Process]:
    """Every live process in the session led by `pid` (our servers start in their own session)."""
    members = []
    for proc in psutil.process_iter():
        try:
            if os.getsid(proc.pid) == pid and proc.status() != psutil.STATUS_ZOMBIE:
                members.append(proc)
        except (OSError, psutil.Error):
            continue
    return members


def stop_popen(proc: subprocess.Popen, *, signum: int, grace: float) -> None:
    """Stop a child started with `start_new_session=True`: `signum`, wait up to `grace` seconds, then
    SIGKILL the child and anything still in its session (e.g. PostgreSQL backends)."""
    if proc.poll() is None:
        try:
            proc.send_signal(signum)
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=grace)
    kill_all(session_of(proc.pid), grace=grace)


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def wait_gone(procs: list[psutil.Process], *, timeout: float) -> list[psutil.Process]:
    """Wait until every process has exited; return those still alive after `timeout` seconds.

    A zombie counts as gone: an orphan's zombie waits for init to reap it, which can take a
    while, and psutil.wait_procs would wait for that too.
    """
    deadline = time.monotonic() + timeout
    while (alive := [proc for proc in procs if _alive(proc)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def kill_all(procs: Iterable[psutil.Process], *, grace: float, signum: int = signal.SIGKILL) -> None:
    """Send `signum` to each process, wait up to `grace` seconds, then SIGKILL the survivors."""
    procs = [p for p in procs if p.pid != os.getpid()]
    for proc in procs:
        try:
            proc.send_signal(signum)
        except psutil.Error:
            continue
    alive = wait_gone(procs, timeout=grace)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            continue
    wait_gone(alive, timeout=grace)


def find(predicate: Callable[[psutil.Process], bool]) -> list[psutil.Process]:
    """Live processes (not us, not zombies) for which `predicate` is true; access errors mean "no"."""
    found = []
    for proc in psutil.process_iter():
        if proc.pid == os.getpid():
            continue
        try:
            if proc.status() != psutil.STATUS_ZOMBIE and predicate(proc):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def owned_by(var_dir: Path) -> list[psutil.Process]:
    """Processes started with the environment of the stack using `var_dir` (see OWNER_VARIABLE)."""
    marker = str(var_dir)
    return find(lambda proc: proc.environ().get(OWNER_VARIABLE) == marker)


def refers_to(args: Iterable[str], path: Path) -> bool:
    """Whether a command line names `path` or something inside it (`-D path`, `--dir=path/x` ...)."""
    root = str(path)
    for arg in args:
        value = arg.split("=", 1)[1] if arg.startswith("-") and "=" in arg else arg
        if value == root or value.startswith(root + os.sep):
            return True
    return False


def cwd_inside(proc: psutil.Process, path: Path) -> bool:
    try:
        cwd = proc.cwd()
    except psutil.Error:
        return False
    return cwd == str(path) or cwd.startswith(str(path) + os.sep)
