"""PostgreSQL 16 from the pgserver package's binaries, run in the foreground as our own child."""

import importlib.util
import os
import pwd
import signal
import stat
import subprocess
import time
from pathlib import Path

import psutil
import psycopg2

from devstack import reaper
from devstack.console import say
from devstack.errors import ServerStartError
from devstack.ports import LOOPBACK
from devstack.servers.base import LOG_TAIL_LINES, EmbeddedServer

# The package's bundled build; found without importing pgserver, whose import has side effects.
BIN_DIR = Path(importlib.util.find_spec("pgserver").submodule_search_locations[0]) / "pginstall" / "bin"
POSTGRES = (BIN_DIR / "postgres").resolve()
# PostgreSQL refuses to run as root. This is the user the pgserver package itself uses.
SYSTEM_USER = "pgserver"
SUPERUSER = "postgres"
DATABASE = "keyhold"
# Written after initdb succeeded: a data directory without it is a half-made cluster.
INIT_MARKER = "devstack-initdb.done"
INITDB_TIMEOUT = 120


def _running_as_root() -> bool:
    return os.geteuid() == 0


def system_user() -> pwd.struct_passwd:
    """The unprivileged user PostgreSQL runs as when we are root, created on first use."""
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        pass
    command = ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", None) or exc
        raise ServerStartError(
            f"PostgreSQL refuses to run as root, and the user {SYSTEM_USER!r} could not be created: {detail}"
        ) from None
    return pwd.getpwnam(SYSTEM_USER)


def _add_mode(path: Path, bits: int) -> None:
    mode = path.stat().st_mode
    if mode & bits != bits:
        path.chmod(mode | bits)


def open_up_for_system_user(data_dir: Path) -> None:
    """Let the unprivileged user reach the data directory and read the binaries (as pgserver's helpers do,
    but adding only the search bit on parent folders, not read)."""
    for parent in data_dir.parents:
        _add_mode(parent, stat.S_IXGRP | stat.S_IXOTH)
    install = BIN_DIR.parent
    for parent in install.parents:
        _add_mode(parent, stat.S_IXGRP | stat.S_IXOTH)
    readable = stat.S_IRGRP | stat.S_IROTH
    for root, dirs, files in os.walk(install):
        _add_mode(Path(root), readable | stat.S_IXGRP | stat.S_IXOTH)
        for name in files:
            path = Path(root) / name
            if not path.is_symlink():
                executable = stat.S_IXGRP | stat.S_IXOTH if Path(root) == BIN_DIR else 0
                _add_mode(path, readable | executable)
        dirs.sort()


class PostgresServer(EmbeddedServer):
    name = "postgres"
    title = "PostgreSQL"
    # Crash recovery after a kill -9 replays WAL before the server answers.
    start_timeout = 60.0
    stop_timeout = 15.0
    # SIGINT is PostgreSQL's "fast" shutdown: disconnect clients, checkpoint, exit. SIGTERM would
    # wait for every client (a gunicorn thread's persistent connection) to go away first.
    stop_signal = signal.SIGINT

    @property
    def url(self) -> str:
        return f"postgres://{SUPERUSER}@{LOOPBACK}:{self.port}/{DATABASE}"

    def prepare(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if not (self.data_dir / INIT_MARKER).exists():
            self._initdb()
        elif _running_as_root():
            open_up_for_system_user(self.data_dir)

    def _initdb(self) -> None:
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            # Never delete a cluster we did not finish making: it may still be someone's data.
            aside = self.data_dir.with_name(f"{self.data_dir.name}.incomplete-{int(time.time())}")
            say(f"moving an unfinished PostgreSQL data directory aside to {aside}")
            self.data_dir.rename(aside)
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        if _running_as_root():
            user = system_user()
            os.chown(self.data_dir, user.pw_uid, user.pw_gid)
            open_up_for_system_user(self.data_dir)
        say("creating the PostgreSQL cluster (initdb, first run only)")
        command = [
            str(BIN_DIR / "initdb"),
            "--pgdata",
            str(self.data_dir),
            "--username",
            SUPERUSER,
            # Loopback only, for one developer; the production database uses real passwords.
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
        ]
        if self.throwaway:
            command.append("--no-sync")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            result = subprocess.run(
                command,
                cwd=self.data_dir,
                capture_output=True,
                text=True,
                timeout=INITDB_TIMEOUT,
                **self.spawn_options(),
            )
        except subprocess.TimeoutExpired:
            raise ServerStartError(f"{self.title}: initdb did not finish within {INITDB_TIMEOUT} s.") from None
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(result.stdout + result.stderr)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-LOG_TAIL_LINES:])
            raise ServerStartError(f"{self.title}: initdb failed (code {result.returncode}):\n{tail}")
        (self.data_dir / INIT_MARKER).write_text("initdb completed\n", encoding="utf-8")

    def spawn_options(self) -> dict:
        if not _running_as_root():
            return {}
        user = system_user()
        return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def command(self, port: int) -> list[str]:
        settings = {
            "listen_addresses": LOOPBACK,
            "port": str(port),
            # TCP only: no socket file in /tmp or in a path that may be too long for one.
            "unix_socket_directories": "",
            "logging_collector": "off",
        }
        if self.throwaway:
            # Test data is thrown away anyway: skip the disk flushes, which dominate test time.
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        command = [str(POSTGRES), "-D", str(self.data_dir)]
        for key, value in settings.items():
            command += ["-c", f"{key}={value}"]
        return command

    def _connect(self, dbname: str):
        return psycopg2.connect(host=LOOPBACK, port=self.port, user=SUPERUSER, dbname=dbname, connect_timeout=2)

    def answers(self) -> bool:
        self._connect("postgres").close()
        return True

    def after_ready(self) -> None:
        conn = self._connect("postgres")
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
                if cursor.fetchone() is None:
                    cursor.execute(f'CREATE DATABASE "{DATABASE}"')
        finally:
            conn.close()

    def holds_data_dir(self, proc: psutil.Process) -> bool:
        if Path(proc.exe()) != POSTGRES:
            return False
        # Backends rename themselves ("postgres: checkpointer") but keep the data directory as cwd.
        return reaper.refers_to(proc.cmdline(), self.data_dir) or reaper.cwd_inside(proc, self.data_dir)

    def remove_stale_files(self) -> None:
        # Called once no process holds the directory, so postmaster.pid is stale by definition. If
        # left, PostgreSQL refuses to start whenever its PID now belongs to another live process.
        pid_file = self.data_dir / "postmaster.pid"
        if pid_file.exists():
            pid_file.unlink()
