"""Each embedded server starts, answers with the settings its role needs, and stops leaving nothing."""

import json
import os
import socket
import stat
from typing import ClassVar

import psutil
import psycopg2
import pymongo
import pytest
import redis

from devstack.errors import DevstackError, ServerStartError
from devstack.servers import base
from devstack.servers.redis import CacheRedisServer
from devstack.stack import Stack
from tests.devstack.conftest import is_alive, kill_processes_using, processes_using


def _redis_config(url: str) -> dict[str, str]:
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        assert client.ping()
        return client.config_get("*")
    finally:
        client.close()


def test_postgres_answers_in_the_keyhold_database_as_an_unprivileged_user(running_stack):
    conn = psycopg2.connect(running_stack.urls["postgres"], connect_timeout=3)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1, current_database()")
            assert cursor.fetchone() == (1, "keyhold")
    finally:
        conn.close()
    if os.geteuid() == 0:
        # PostgreSQL refuses root; we must have switched user rather than weakened that.
        assert psutil.Process(running_stack.servers["postgres"].process.pid).username() != "root"


def test_cache_redis_evicts_least_recently_used_and_keeps_nothing_on_disk(running_stack):
    config = _redis_config(running_stack.urls["cache"])
    assert config["maxmemory-policy"] == "allkeys-lru"
    assert int(config["maxmemory"]) == 256 * 1024 * 1024
    assert config["appendonly"] == "no"
    assert config["save"] == ""


def test_broker_redis_never_evicts_and_keeps_an_append_only_file(running_stack):
    config = _redis_config(running_stack.urls["broker"])
    assert config["maxmemory-policy"] == "noeviction"
    assert config["appendonly"] == "yes"
    assert config["dir"] == str(running_stack.var_dir / "broker")


def test_mongodb_answers_and_stores_a_document(running_stack):
    client = pymongo.MongoClient(running_stack.urls["mongodb"], serverSelectionTimeoutMS=3000)
    try:
        assert client.admin.command("ping")["ok"] == 1
        collection = client.get_default_database()["devstack_probe"]
        collection.insert_one({"_id": "probe", "value": 1})
        assert collection.find_one({"_id": "probe"})["value"] == 1
        collection.drop()
    finally:
        client.close()


def test_servers_listen_on_loopback_only(running_stack):
    for name, server in running_stack.servers.items():
        listening = [
            conn.laddr
            for conn in psutil.Process(server.process.pid).net_connections(kind="inet")
            if conn.status == psutil.CONN_LISTEN
        ]
        assert listening, name
        assert {addr.ip for addr in listening} == {"127.0.0.1"}, name


def test_stack_json_has_every_url_and_only_its_owner_can_read_it(running_stack):
    path = running_stack.var_dir / "stack.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    assert set(data) == {"web", "postgres", "cache", "broker", "mongodb"}
    assert data["web"] == "http://127.0.0.1:8000"
    assert {key: data[key] for key in running_stack.urls} == running_stack.urls
    assert data["cache"] != data["broker"]


def test_env_for_children_points_at_the_servers_and_the_var_dir(running_stack):
    env = running_stack.env()
    assert env["DATABASE_URL"] == running_stack.urls["postgres"]
    assert env["REDIS_URL"] == running_stack.urls["cache"]
    assert env["CELERY_BROKER_URL"] == running_stack.urls["broker"]
    assert env["MONGODB_URL"] == running_stack.urls["mongodb"]
    assert env["KEYHOLD_VAR_DIR"] == str(running_stack.var_dir)


def test_a_second_stack_on_the_same_var_dir_is_refused(running_stack):
    with pytest.raises(DevstackError, match="another devstack"):
        Stack(running_stack.var_dir, environ={}).start()
    # The refused stack must not have touched the running one.
    assert (running_stack.var_dir / "stack.json").exists()
    assert all(server.process.poll() is None for server in running_stack.servers.values())


def test_stop_leaves_no_server_process_and_removes_stack_json(tmp_path):
    stack = Stack(tmp_path, environ={}, throwaway=True)
    try:
        stack.start()
        processes = []
        for server in stack.servers.values():
            main = psutil.Process(server.process.pid)
            processes += [main, *main.children(recursive=True)]
        assert len(processes) >= 4
    finally:
        stack.stop()
        leftovers = processes_using(tmp_path)
        kill_processes_using(tmp_path)
    assert leftovers == []
    assert not any(is_alive(proc) for proc in processes)
    assert not (tmp_path / "stack.json").exists()


class _MisconfiguredRedis(CacheRedisServer):
    settings: ClassVar[dict[str, str]] = {**CacheRedisServer.settings, "maxmemory-policy": "no-such-policy"}


def test_a_server_that_cannot_start_fails_naming_itself_and_showing_its_log(tmp_path):
    server = _MisconfiguredRedis(tmp_path / "cache")
    with pytest.raises(ServerStartError) as caught:
        server.start()
    message = str(caught.value)
    assert message.startswith("Redis (cache) exited with code")
    assert str(server.log_path) in message
    assert "no-such-policy" in message  # redis-server's own complaint, from the log's tail
    assert processes_using(tmp_path) == []


def test_a_port_lost_to_another_process_is_retried_on_another_port(tmp_path, monkeypatch):
    # Losing the race for a port cannot be timed for real, so the first "free" port handed out is
    # one this test already listens on.
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    ports_given = iter([taken.getsockname()[1]])
    real_free_port = base.ports.free_port
    monkeypatch.setattr(base.ports, "free_port", lambda: next(ports_given, None) or real_free_port())
    server = CacheRedisServer(tmp_path / "cache")
    try:
        server.start()
        assert server.port != taken.getsockname()[1]
        assert redis.Redis(port=server.port).ping()
    finally:
        server.stop()
        taken.close()
    assert "Address already in use" in server.log_path.read_text()
