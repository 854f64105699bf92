"""config/gunicorn.conf.py: processes from WEB_CONCURRENCY, kept-alive connections, workers recycled with jitter,
heartbeat files in RAM, a graceful stop that ends before Docker's SIGKILL, and MongoDB connected after the fork only."""

import os
import runpy

from telemetry import mongo
from tests.containers.files import ROOT, service, stage_env, stages

CONF = ROOT / "config" / "gunicorn.conf.py"
SETTINGS_READ = (
    "WEB_CONCURRENCY",
    "GUNICORN_BIND",
    "GUNICORN_MAX_REQUESTS",
    "GUNICORN_TIMEOUT",
    "GUNICORN_THREADS",
    "GUNICORN_KEEPALIVE",
    "GUNICORN_WORKER_CONNECTIONS",
    "HOST",
    "PORT",
)


def load(monkeypatch, **env: str) -> dict:
    for name in SETTINGS_READ:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_workers_default_to_twice_the_cores_plus_one_and_follow_web_concurrency(monkeypatch):
    assert load(monkeypatch)["workers"] == 2 * (os.cpu_count() or 1) + 1
    assert load(monkeypatch, WEB_CONCURRENCY="3")["workers"] == 3


def test_api_connections_are_kept_alive_and_the_app_loads_before_forking(monkeypatch):
    conf = load(monkeypatch)
    assert conf["keepalive"] > 0
    assert conf["worker_connections"] > conf["threads"], "gunicorn keeps alive only what exceeds the threads"
    assert conf["preload_app"] is True


def test_binds_where_the_image_says_and_logs_to_stdout(monkeypatch):
    image = stage_env(stages()[-1])
    conf = load(monkeypatch, HOST=image["HOST"], PORT=image["PORT"])
    assert conf["bind"] == "0.0.0.0:8000"
    assert (conf["accesslog"], conf["errorlog"]) == ("-", "-")
    assert conf["control_socket_disable"] is True, "its socket would need a writable $HOME"


def test_workers_are_recycled_with_jitter_and_stop_before_docker_kills_them(monkeypatch):
    conf = load(monkeypatch)
    assert conf["max_requests"] > 0
    assert 0 < conf["max_requests_jitter"] < conf["max_requests"]
    assert conf["worker_tmp_dir"] == "/dev/shm"
    grace = service("web")["stop_grace_period"]
    assert grace.endswith("s")
    assert conf["graceful_timeout"] < int(grace.removesuffix("s")), "gunicorn must finish before SIGKILL"


def test_mongodb_is_connected_in_each_worker_after_the_fork_never_in_the_master(monkeypatch):
    mongo.disconnect()
    try:
        conf = load(monkeypatch)
        assert mongo._connected_pid is None, "loading the config (the master) must not open a client"
        conf["post_fork"](None, None)
        assert mongo._connected_pid == os.getpid()
    finally:
        mongo.disconnect()
