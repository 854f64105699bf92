"""Each role's own command line, taken from the Dockerfile's ENTRYPOINT and the compose `command`, runs
on the host as the image's numeric user with the image's and the compose file's environment, against
the test servers: `migrate` applies the migrations, the MongoDB TTL indexes and the bucket migration and
exits 0, `web` answers /readyz with every check ok, `worker`, `beat` and `listener` pass the compose health checks,
and the SIGTERM `docker stop` sends ends each of them within 10 s.

Only addresses differ from the container: the test servers' URLs, free ports, and host directories
standing in for /app, /run/secrets and /var/lib/keyhold. Every server gets its own database here."""

import contextlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pymongo
import pytest
import redis
from django.conf import settings

from telemetry.services.indexes import RETENTION_INDEX, RETENTION_SETTINGS
from tests.containers.files import (
    MAKE_SECRETS,
    ROOT,
    clean_env,
    role_command,
    role_env,
    role_healthcheck,
    runtime_user,
)
from tests.containers.test_entrypoint import free_port
from tests.containers.unprivileged import as_user

# serial: it takes two spare Redis database numbers, which a parallel neighbour could pick too.
pytestmark = [pytest.mark.e2e, pytest.mark.serial]

LONG_RUNNING = ("worker", "web", "beat", "listener")
STOP_SECONDS = 10


def _with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def _spare_redis_databases() -> tuple[int, int]:
    """Two Redis database numbers the test session does not use: the roles' queues stay their own."""
    taken = {int(urlsplit(url).path.strip("/") or 0) for url in (settings.REDIS_URL, settings.CELERY_BROKER_URL)}
    broker, cache = [number for number in range(15, -1, -1) if number not in taken][:2]
    return broker, cache


@contextlib.contextmanager
def _fresh_sql_database(name: str, directory: Path):
    """A new database on the session's PostgreSQL server, dropped afterwards; or a new SQLite file."""
    if not urlsplit(settings.DATABASE_URL).scheme.startswith("postgres"):
        yield f"sqlite:///{directory / f'{name}.sqlite3'}"
        return
    admin = psycopg2.connect(_with_path(settings.DATABASE_URL, "/postgres"))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield _with_path(settings.DATABASE_URL, f"/{name}")
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


@pytest.fixture
def servers(user_tree):
    """A fresh SQL database, MongoDB database and Redis databases; all removed afterwards."""
    name = f"roles_{uuid.uuid4().hex[:10]}"
    broker_db, cache_db = _spare_redis_databases()
    urls = {
        "MONGODB_URL": _with_path(settings.MONGODB_URL, f"/{name}"),
        "CELERY_BROKER_URL": _with_path(settings.CELERY_BROKER_URL, f"/{broker_db}"),
        "REDIS_URL": _with_path(settings.REDIS_URL, f"/{cache_db}"),
    }
    try:
        with _fresh_sql_database(name, user_tree["data"]) as database_url:
            yield {"DATABASE_URL": database_url, **urls}
    finally:
        with pymongo.MongoClient(urls["MONGODB_URL"], serverSelectionTimeoutMS=5000) as client:
            client.drop_database(name)
        for key in ("CELERY_BROKER_URL", "REDIS_URL"):
            with contextlib.closing(redis.Redis.from_url(urls[key])) as client:
                client.flushdb()


@pytest.fixture
def user_tree():
    """Directories owned by the image's user, outside /tmp (the roles get a private /tmp of their own)."""
    uid, gid = runtime_user()
    base = Path(tempfile.mkdtemp(prefix="keyhold-roles-", dir="/var/tmp"))
    base.chmod(0o755)
    tree = {name: base / name for name in ("home", "tmp", "stage", "var-lib-keyhold", "secrets", "data")}
    for path in tree.values():
        path.mkdir()
    # As the image has it: /var/lib/keyhold is root's, only the spool volume's mount point is the user's.
    (tree["var-lib-keyhold"] / "spool").mkdir(mode=0o700)
    # "data" holds the SQLite database when the session runs on SQLite.
    for name in ("home", "tmp", "secrets", "data"):
        os.chown(tree[name], uid, gid)
    os.chown(tree["var-lib-keyhold"] / "spool", uid, gid)
    try:
        yield tree
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _write_secrets(directory: Path, database_url: str) -> None:
    """make-secrets.sh's files, with the database URL of the test server instead of compose's."""
    made = subprocess.run(
        ["sh", str(MAKE_SECRETS), str(directory)], env=clean_env(directory), capture_output=True, check=False
    )
    assert made.returncode == 0, made.stderr
    url_file = directory / "database_url"
    url_file.chmod(0o644)
    url_file.write_text(database_url + "\n", encoding="utf-8")
    url_file.chmod(0o444)


class Roles:
    """Starts roles and runs their health checks as the image's user, each with its compose settings."""

    def __init__(self, tree: dict[str, Path], urls: dict[str, str]):
        self.tree = tree
        self.paths = {"/app": ROOT, "/run/secrets": tree["secrets"], "/var/lib/keyhold": tree["var-lib-keyhold"]}
        self.uid, self.gid = runtime_user()
        self.urls = urls
        self.web_port = free_port()
        self.listener_ports = {"TELEMETRY_UDP_PORT": str(free_port()), "TELEMETRY_TCP_PORT": str(free_port())}
        self.processes: dict[str, subprocess.Popen] = {}

    def env(self, role: str) -> dict[str, str]:
        addresses = {"HOST": "127.0.0.1", "PORT": str(self.web_port)} if role == "web" else {}
        if role == "listener":
            addresses = {"TELEMETRY_LISTENER_HOST": "127.0.0.1", **self.listener_ports}
        # The database URL reaches the roles as compose passes it: in the DATABASE_URL_FILE secret.
        urls = {key: value for key, value in self.urls.items() if key != "DATABASE_URL"}
        return role_env(role, self.tree["home"], self.paths, **urls, **addresses)

    def wrap(self, argv: list[str]) -> list[str]:
        return as_user(
            argv, uid=self.uid, gid=self.gid, private_tmp=self.tree["tmp"], stage=self.tree["stage"], checkout=ROOT
        )

    def log(self, role: str) -> Path:
        return self.tree["home"].parent / f"{role}.log"

    def run(self, role: str, timeout: float) -> subprocess.CompletedProcess:
        command = self.wrap(role_command(role, self.paths))
        with self.log(role).open("w") as log:
            return subprocess.run(
                command, cwd=self.tree["home"], env=self.env(role), stdout=log, stderr=log, timeout=timeout, check=False
            )

    def start(self, role: str) -> None:
        command = self.wrap(role_command(role, self.paths))
        with self.log(role).open("w") as log:
            # Its own process group, so cleanup reaches every child even if a role misbehaves.
            self.processes[role] = subprocess.Popen(
                command, cwd=self.tree["home"], env=self.env(role), stdout=log, stderr=log, start_new_session=True
            )

    def healthy(self, role: str) -> bool:
        command = self.wrap(role_healthcheck(role, self.paths))
        env = self.env(role)
        return subprocess.run(command, env=env, capture_output=True, timeout=30, check=False).returncode == 0

    def output(self, role: str) -> str:
        return self.log(role).read_text(encoding="utf-8", errors="replace")[-3000:]

    def kill_all(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_for(roles: Roles, names: list[str], timeout: float) -> None:
    """Run every role's health check until each has passed once; fail naming the ones that never did."""
    pending = list(names)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for role in list(pending):
            exited = roles.processes[role].poll()
            assert exited is None, f"{role} exited with {exited}:\n{roles.output(role)}"
            if roles.healthy(role):
                pending.remove(role)
        time.sleep(0.5)
    assert not pending, "\n".join(f"{role} never became healthy:\n{roles.output(role)}" for role in pending)


def _readyz(port: int) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        # As the TLS proxy in front of the web port asks: an allowed Host, over https.
        connection.request("GET", "/readyz", headers={"Host": "vault.example.com", "X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_every_role_runs_as_the_image_user_passes_its_health_check_and_stops_on_sigterm(servers, user_tree):
    _write_secrets(user_tree["secrets"], servers["DATABASE_URL"])
    roles = Roles(user_tree, servers)

    migrated = roles.run("migrate", timeout=90)
    assert migrated.returncode == 0, roles.output("migrate")
    with pymongo.MongoClient(servers["MONGODB_URL"], serverSelectionTimeoutMS=5000) as client:
        database = client.get_default_database()
        for document in RETENTION_SETTINGS:
            retention = database[document._meta["collection"]].index_information().get(RETENTION_INDEX, {})
            assert retention.get("expireAfterSeconds", 0) > 0, f"no TTL index on {document._meta['collection']}"
    migrate_log = roles.log("migrate").read_text(encoding="utf-8")
    assert "Applying accounts.0001_initial... OK" in migrate_log
    # Then readings stored one per document before buckets are moved into buckets (none here).
    assert "telemetry buckets up to date: 0 readings moved" in migrate_log

    try:
        for role in LONG_RUNNING:
            roles.start(role)
        # web's health check and /readyz's worker probe both need the worker up.
        _wait_for(roles, ["worker", "beat", "listener", "web"], timeout=60)
        for role in LONG_RUNNING:
            owner = os.stat(f"/proc/{roles.processes[role].pid}").st_uid
            assert owner == roles.uid, f"{role} runs as uid {owner}, not the image's {roles.uid}"
        status, body = _readyz(roles.web_port)
        assert status == 200, body
        assert body["checks"], body
        assert set(body["checks"].values()) == {"ok"}, body

        for role in LONG_RUNNING:
            roles.processes[role].send_signal(signal.SIGTERM)  # what `docker stop` sends
        deadline = time.monotonic() + STOP_SECONDS
        for role in LONG_RUNNING:
            try:
                code = roles.processes[role].wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                pytest.fail(f"{role} still runs {STOP_SECONDS} s after SIGTERM:\n{roles.output(role)}")
            assert code == 0, f"{role} exited with {code} on SIGTERM:\n{roles.output(role)}"
    finally:
        roles.kill_all()
    assert not roles.healthy("listener"), "the listener's check must fail once it is gone"
