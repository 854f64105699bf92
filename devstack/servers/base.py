"""What every embedded server does: clear a crashed run's leftovers, start on a free port, stop for good."""

import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import ClassVar

import psutil

from devstack import ports, reaper
from devstack.console import say
from devstack.errors import ServerStartError

LOG_TAIL_LINES = 25
# Another process can take the port between our check and the server's bind: try a few others.
PORT_ATTEMPTS = 5
POLL_SECONDS = 0.1


class EmbeddedServer:
    """A server run as our own foreground child, in its own session, with its data in `data_dir`.

    Subclasses say how to prepare the data directory, the command line for a port, how to tell that
    the server answers, and which processes hold their data directory.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    start_timeout: ClassVar[float] = 30.0
    stop_timeout: ClassVar[float] = 10.0
    stop_signal: ClassVar[int] = signal.SIGTERM

    def __init__(self, data_dir: Path, *, log_dir: Path | None = None, throwaway: bool = False) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.log_path = (log_dir or self.data_dir.parent / "log").resolve() / f"{self.name}.log"
        # Throw-away servers (tests) may trade durability for speed.
        self.throwaway = throwaway
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        self._cancelled = threading.Event()

    # --- what subclasses provide ---------------------------------------------------------------

    @property
    def url(self) -> str:
        raise NotImplementedError

    def prepare(self) -> None:
        """Create (or check) the data directory before the first start attempt."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)

    def command(self, port: int) -> list[str]:
        raise NotImplementedError

    def spawn_options(self) -> dict:
        """Extra `subprocess.Popen` arguments (PostgreSQL runs as an unprivileged user)."""
        return {}

    def answers(self) -> bool:
        """One quick round trip; False (or an exception) means not ready yet."""
        raise NotImplementedError

    def after_ready(self) -> None:
        """One-time setup once the server answers (PostgreSQL creates its database)."""

    def holds_data_dir(self, proc: psutil.Process) -> bool:
        """Whether `proc` is one of our server's processes using this data directory."""
        raise NotImplementedError

    def remove_stale_files(self) -> None:
        """Delete files a killed server leaves behind that would stop the next start."""

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the server and return once it answers; raise ServerStartError (with its log) if not."""
        self.clear_leftovers()
        self.prepare()
        self.log_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        for _attempt in range(PORT_ATTEMPTS):
            self._raise_if_cancelled()
            if self._run_until_ready(ports.free_port()):
                self.after_ready()
                return
        raise ServerStartError(f"{self.title} found no free port in {PORT_ATTEMPTS} attempts.")

    def stop(self) -> None:
        """Stop gracefully, then kill after `stop_timeout`; safe to call twice or after a failed start."""
        proc, self.process = self.process, None
        if proc is not None:
            reaper.stop_popen(proc, signum=self.stop_signal, grace=self.stop_timeout)

    def cancel(self) -> None:
        """Ask a start() running in another thread to give up soon (Ctrl+C during startup)."""
        self._cancelled.set()

    def clear_leftovers(self) -> None:
        """Stop servers a crashed run left holding our data directory, and delete their stale files."""
        orphans = reaper.find(self.holds_data_dir)
        if orphans:
            pids = ", ".join(str(p.pid) for p in orphans)
            say(f"stopping {self.title} left running by an earlier run (pid {pids})")
            reaper.kill_all(orphans, signum=self.stop_signal, grace=self.stop_timeout)
        self.remove_stale_files()

    def _run_until_ready(self, port: int) -> bool:
        """Run the server on `port` until it answers (True) or lost the port to another process (False)."""
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            log.write(f"--- devstack: starting {self.title} on port {port} ---\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self.command(port),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                # Our own session: the terminal's Ctrl+C reaches devstack only, which then stops
                # the servers in order, after the processes that use them.
                start_new_session=True,
                **self.spawn_options(),
            )
        self.port = port
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self._cancelled.is_set():
                self.stop()
                self._raise_if_cancelled()
            code = self.process.poll()
            if code is not None:
                output = self._log_since(offset)
                self.process = None
                if "address already in use" in output.lower():
                    return False
                raise ServerStartError(self._failure(f"exited with code {code} while starting", output))
            if ports.is_listening(self.process.pid, port) and self._answers_quietly():
                return True
            if time.monotonic() > deadline:
                output = self._log_since(offset)
                self.stop()
                raise ServerStartError(self._failure(f"did not answer within {self.start_timeout:.0f} s", output))
            time.sleep(POLL_SECONDS)

    def _raise_if_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise ServerStartError(f"{self.title}: start cancelled.")

    def _answers_quietly(self) -> bool:
        try:
            return self.answers()
        except Exception:  # noqa: BLE001 - any error while starting up just means "not ready yet"
            return False

    def _log_since(self, offset: int) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                return log.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _failure(self, what: str, output: str) -> str:
        tail = "\n".join(output.strip().splitlines()[-LOG_TAIL_LINES:]) or "(empty)"
        return f"{self.title} {what}. Last lines of {self.log_path}:\n{tail}"
