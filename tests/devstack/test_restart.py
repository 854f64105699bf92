"""A crashed run (devstack killed, servers orphaned or killed -9, stale files) does not stop the next start."""

import json
import os
import signal

import psutil
import psycopg2
import pymongo
import pytest
import redis

from devstack.stack import Stack
from tests.devstack.conftest import child_env, devstack, is_alive, kill_processes_using, processes_using
from tests.waiting import wait_until


def _write_survivors(urls: dict[str, str]) -> None:
    conn = psycopg2.connect(urls["postgres"], connect_timeout=3)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute("CREATE TABLE crash_survivor (value text)")
            cursor.execute("INSERT INTO crash_survivor VALUES ('kept')")
    finally:
        conn.close()
    broker = redis.Redis.from_url(urls["broker"])
    broker.set("crash_survivor", "kept")
    broker.close()
    mongo = pymongo.MongoClient(urls["mongodb"], serverSelectionTimeoutMS=3000)
    mongo.get_default_database()["crash_survivor"].insert_one({"_id": 1, "value": "kept"})
    mongo.close()


def _read_survivors(urls: dict[str, str]) -> dict[str, str]:
    conn = psycopg2.connect(urls["postgres"], connect_timeout=3)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT value FROM crash_survivor")
            postgres = cursor.fetchone()[0]
    finally:
        conn.close()
    broker = redis.Redis.from_url(urls["broker"], decode_responses=True)
    broker_value = broker.get("crash_survivor")
    broker.close()
    mongo = pymongo.MongoClient(urls["mongodb"], serverSelectionTimeoutMS=3000)
    document = mongo.get_default_database()["crash_survivor"].find_one({"_id": 1})
    mongo.close()
    return {"postgres": postgres, "broker": broker_value, "mongodb": document["value"]}


@pytest.mark.e2e
def test_restart_after_a_crash_stops_orphans_clears_stale_files_and_keeps_data(tmp_path):
    var_dir = tmp_path / "var"
    log = (tmp_path / "servers.out").open("wb")
    cli = devstack("servers", env=child_env(KEYHOLD_VAR_DIR=str(var_dir)), stdout=log, stderr=log)
    try:
        stack_json = var_dir / "stack.json"
        wait_until(stack_json.exists, timeout=60)
        urls = json.loads(stack_json.read_text())
        _write_survivors(urls)

        # The crash: devstack dies with SIGKILL, so its servers live on as orphans...
        servers = [psutil.Process(child.pid) for child in psutil.Process(cli.pid).children()]
        assert len(servers) == 4
        cli.kill()
        cli.wait(timeout=10)
        # ...and PostgreSQL dies too, leaving postmaster.pid behind, naming a PID that is now another
        # live process (as after a reboot): PostgreSQL itself would refuse to start on that.
        pid_file = var_dir / "postgres" / "postmaster.pid"
        postmaster = psutil.Process(int(pid_file.read_text().splitlines()[0]))
        postmaster.kill()
        postmaster.wait(timeout=10)
        lines = pid_file.read_text().splitlines()
        pid_file.write_text("\n".join([str(os.getpid()), *lines[1:]]) + "\n")
        orphans = [proc for proc in servers if is_alive(proc) and proc.pid != postmaster.pid]
        assert len(orphans) == 3

        stack = Stack(var_dir, environ={})
        try:
            stack.start()
            assert _read_survivors(stack.urls) == {"postgres": "kept", "broker": "kept", "mongodb": "kept"}
            assert not any(is_alive(proc) for proc in orphans)
        finally:
            stack.stop()
        assert processes_using(var_dir) == []
    finally:
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGKILL)
            cli.wait(timeout=10)
        log.close()
        kill_processes_using(var_dir)
