"""The Stack: embedded servers for every service the environment does not point elsewhere, all checked."""

import contextlib
import fcntl
import json
import os
import signal
import time
from collections.abc import Mapping
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from devstack import interrupts, probes, reaper
from devstack.console import complain, redact, say
from devstack.errors import DevstackError, ServerStartError
from devstack.servers import SERVER_CLASSES, EmbeddedServer

# Leftover web and worker processes get this long to exit on SIGTERM before SIGKILL.
LEFTOVER_GRACE_SECONDS = 5.0

# POSIX locks are per process: a second lock in this process would succeed, and closing its file
# would drop the first. So this process' own locks are tracked here and checked before any open().
_locked_here: set[Path] = set()


@dataclass(frozen=True)
class Service:
    name: str  # its key in stack.json
    env: str  # the variable that points at an external server instead
    title: str


SERVICES = (
    Service("postgres", "DATABASE_URL", "PostgreSQL"),
    Service("cache", "REDIS_URL", "Redis (cache)"),
    Service("broker", "CELERY_BROKER_URL", "Redis (broker)"),
    Service("mongodb", "MONGODB_URL", "MongoDB"),
)


class Stack:
    """Start what is missing, check everything answers, write `<var>/stack.json`; stop it all on exit.

    `with Stack(var_dir) as env:` gives the environment for child processes. Whatever the stack
    started is stopped when the block ends, by an exception, Ctrl+C or SIGTERM alike.
    """

    def __init__(
        self,
        var_dir: Path,
        *,
        environ: Mapping[str, str] | None = None,
        web_url: str | None = None,
        throwaway: bool = False,
        create_database: bool | None = None,
        listener: dict[str, str] | None = None,
    ) -> None:
        self.var_dir = Path(var_dir).resolve()
        self.environ = dict(os.environ if environ is None else environ)
        self.web_url = web_url
        # The telemetry listener's {"udp": "host:port", "tcp": "host:port"}, written to stack.json beside the URLs.
        self.listener = dict(listener or {})
        self.throwaway = throwaway
        # An external PostgreSQL without the URL's database: create it, except for throw-away
        # stacks (tests), whose runner makes its own test database.
        self.create_database = not throwaway if create_database is None else create_database
        self.servers: dict[str, EmbeddedServer] = {}
        self.urls: dict[str, str] = {}
        self._lock_fd: int | None = None
        self._wrote_stack_json = False
        self._signals = contextlib.ExitStack()

    @property
    def stack_json(self) -> Path:
        return self.var_dir / "stack.json"

    def __enter__(self) -> dict[str, str]:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> dict[str, str]:
        """Start and check every service; on any failure stop what was started and raise."""
        self._signals.enter_context(interrupts.sigterm_raises())
        try:
            self.var_dir.mkdir(parents=True, exist_ok=True)
            self._lock()
            self._stop_leftovers()
            self._start_servers()
            self._verify()
            self._write_stack_json()
        except BaseException:
            self.stop()
            raise
        return self.env()

    def env(self) -> dict[str, str]:
        """The environment for child processes: ours plus every service URL and the var directory."""
        env = dict(self.environ)
        env.update({service.env: self.urls[service.name] for service in SERVICES})
        env["KEYHOLD_VAR_DIR"] = str(self.var_dir)
        # Marks every process started with this environment, so none can outlive the stack.
        env[reaper.OWNER_VARIABLE] = str(self.var_dir)
        return env

    def stop(self) -> None:
        """Stop everything this stack started; bounded, and safe to call twice."""
        with interrupts.held():
            if self._lock_fd is not None:
                self._stop_leftovers()
            servers = [server for server in self.servers.values() if server.process is not None]
            if servers:
                say("stopping " + ", ".join(server.title for server in servers))
                with ThreadPoolExecutor(max_workers=len(servers), thread_name_prefix="devstack-stop") as pool:
                    futures = {server.title: pool.submit(server.stop) for server in servers}
                for title, future in futures.items():
                    # One server failing to stop must not keep the others, or the lock, around.
                    if future.exception() is not None:
                        complain(f"could not stop {title}: {future.exception()}")
            if self._wrote_stack_json:
                self.stack_json.unlink(missing_ok=True)
                self._wrote_stack_json = False
            self._unlock()
        self._signals.close()

    # --- steps -----------------------------------------------------------------------------------

    def _lock(self) -> None:
        # lockf, not flock: a POSIX lock is not inherited through fork (honcho forks helpers that may
        # outlive a crash), and the kernel drops it when we die, so a crashed run never blocks the next.
        if self.var_dir in _locked_here:
            raise self._in_use(os.getpid())
        fd = os.open(self.var_dir / "devstack.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise self._in_use(holder) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd
        _locked_here.add(self.var_dir)

    def _in_use(self, holder: object) -> DevstackError:
        return DevstackError(
            f"another devstack (pid {holder}) is using {self.var_dir}; stop it, or set KEYHOLD_VAR_DIR "
            "to another directory."
        )

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
            _locked_here.discard(self.var_dir)

    def _stop_leftovers(self) -> None:
        """Stop processes started with this var directory's environment: a crashed run's web and workers
        at start, anything that outlived its parent at stop."""
        leftovers = reaper.owned_by(self.var_dir)
        if leftovers:
            names = ", ".join(f"{proc.pid}" for proc in leftovers)
            say(f"stopping {len(leftovers)} leftover process(es) of {self.var_dir} (pid {names})")
            reaper.kill_all(leftovers, signum=signal.SIGTERM, grace=LEFTOVER_GRACE_SECONDS)

    def _start_servers(self) -> None:
        for service in SERVICES:
            url = self.environ.get(service.env)
            if url:
                self.urls[service.name] = url
                say(f"{service.title}: using {service.env}={redact(url)}")
            else:
                self.servers[service.name] = SERVER_CLASSES[service.name](
                    self.var_dir / service.name, log_dir=self.var_dir / "log", throwaway=self.throwaway
                )
        if self.urls.get("cache") and self.urls.get("cache") == self.urls.get("broker"):
            raise DevstackError("REDIS_URL and CELERY_BROKER_URL must differ: clearing the cache must not drop tasks.")
        if not self.servers:
            return
        say("starting " + ", ".join(f"{server.title}..." for server in self.servers.values()))
        pool = ThreadPoolExecutor(max_workers=len(self.servers), thread_name_prefix="devstack-start")
        futures = [pool.submit(self._start_one, server) for server in self.servers.values()]
        try:
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            for future in done:
                future.result()
            for future in futures:
                future.result()
        except BaseException:
            # Ctrl+C or one server failed: the others give up at their next poll, then stop() runs.
            with interrupts.held():
                for server in self.servers.values():
                    server.cancel()
                pool.shutdown(wait=True)
            raise
        pool.shutdown(wait=True)

    def _start_one(self, server: EmbeddedServer) -> None:
        started = time.monotonic()
        try:
            server.start()
        except DevstackError:
            raise
        except Exception as exc:  # reported in one line, like any other start failure
            raise ServerStartError(f"{server.title} could not start: {type(exc).__name__}: {exc}") from exc
        self.urls[server.name] = server.url
        say(f"{server.title} ready at {server.url} ({time.monotonic() - started:.1f} s, data in {server.data_dir})")

    def _verify(self) -> None:
        def check(service: Service) -> None:
            source = service.env if service.name not in self.servers else "the embedded server"
            url = self.urls[service.name]
            note = probes.check(service.name, service.title, url, source, create_database=self.create_database)
            if note:
                say(f"{service.title} at {redact(url)}: {note}")

        with ThreadPoolExecutor(max_workers=len(SERVICES), thread_name_prefix="devstack-check") as pool:
            futures = [pool.submit(check, service) for service in SERVICES]
        # In SERVICES order, so the same broken URL always gives the same message.
        for future in futures:
            future.result()

    def _write_stack_json(self) -> None:
        # Full URLs, passwords included: only this user may read the file.
        data = {"web": self.web_url, **{service.name: self.urls[service.name] for service in SERVICES}, **self.listener}
        temporary = self.var_dir / f".stack.json.{os.getpid()}"
        temporary.unlink(missing_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
        os.replace(temporary, self.stack_json)
        self._wrote_stack_json = True
