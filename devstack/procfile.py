"""The long-running processes of `make run`: one table of name -> command, run together by honcho."""

import shlex
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from honcho.manager import Manager

# Add a process here and `make run` starts, prefixes and stops it with the others. `{python}` is
# this interpreter (the venv's), `{var}` the var directory.
PROCESSES: dict[str, str] = {
    "web": "{python} -m gunicorn -c config/gunicorn.conf.py config.wsgi",
    "worker": "{python} -m celery -A config worker -Q telemetry,maintenance --loglevel INFO --concurrency 2",
    "beat": "{python} -m celery -A config beat --loglevel INFO --schedule {var}/celerybeat-schedule",
    # Ports come from TELEMETRY_UDP_PORT / TELEMETRY_TCP_PORT, free ones chosen by `run` (see stack.json).
    "listener": "{python} manage.py telemetry_listener",
}

# honcho's return code when it stopped the processes because of our SIGINT or SIGTERM.
INTERRUPTED_CODES = {130, 143}


def shell_command(command: str, *, var_dir: Path) -> str:
    """honcho runs commands through `sh -c`; `exec` makes the process itself honcho's child, so the
    signals honcho sends reach it directly. Placeholders are filled in per word, then quoted."""
    words = [word.format(python=sys.executable, var=var_dir) for word in shlex.split(command)]
    return "exec " + shlex.join(words)


class _Manager(Manager):
    """honcho's Manager, calling `on_started` once every process has been launched."""

    def __init__(self, on_started: Callable[[], None]) -> None:
        super().__init__()
        self._on_started = on_started

    def _start(self) -> None:
        super()._start()
        # After honcho's forks, so no thread of ours exists while it forks.
        self._on_started()


def run_processes(env: dict[str, str], *, cwd: Path, var_dir: Path, on_started: Callable[[], None]) -> int:
    """Run every process until one stops or we get SIGINT/SIGTERM; then stop them all (honcho sends
    SIGTERM to each process group, SIGKILL after 5 s). Returns honcho's return code."""
    manager = _Manager(on_started)
    for name, command in PROCESSES.items():
        manager.add_process(name, shell_command(command, var_dir=var_dir), env=env, cwd=str(cwd))
    # honcho installs its own SIGINT/SIGTERM handlers and leaves them: put ours back afterwards.
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        manager.loop()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return manager.returncode if manager.returncode is not None else 1
