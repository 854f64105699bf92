"""How `devstack test` splits the suite across processes, and how each xdist worker is kept apart."""

import os

import pytest

from devstack.errors import DevstackError
from devstack.testplan import NO_TESTS_COLLECTED, combined_exit_code, phases, worker_count
from tests import workerenv


def test_auto_uses_the_cores_only_when_every_server_is_our_own(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert worker_count({}, all_servers_embedded=True) == 2
    assert worker_count({"KEYHOLD_TEST_WORKERS": "auto"}, all_servers_embedded=False) == 1
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert worker_count({}, all_servers_embedded=True) == 4


def test_an_explicit_count_wins_and_nonsense_is_refused():
    assert worker_count({"KEYHOLD_TEST_WORKERS": "1"}, all_servers_embedded=True) == 1
    assert worker_count({"KEYHOLD_TEST_WORKERS": "3"}, all_servers_embedded=False) == 3
    for bad in ("0", "-2", "two", "1.5"):
        with pytest.raises(DevstackError, match="KEYHOLD_TEST_WORKERS"):
            worker_count({"KEYHOLD_TEST_WORKERS": bad}, all_servers_embedded=True)


def test_parallel_runs_in_two_phases_and_passes_the_users_arguments_to_both():
    assert phases(["-k", "vault"], 1) == [["-k", "vault"]]
    assert phases(["-k", "vault"], 2) == [
        ["-n", "2", "--keyhold-serial=skip", "-k", "vault"],
        ["-n", "2", "--dist", "loadgroup", "--keyhold-serial=only", "-k", "vault"],
    ]
    assert phases([], 4)[1][:4] == ["-n", "2", "--dist", "loadgroup"]


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ([0, 0], 0),
        ([0, NO_TESTS_COLLECTED], 0),
        ([NO_TESTS_COLLECTED, 0], 0),
        ([NO_TESTS_COLLECTED, NO_TESTS_COLLECTED], NO_TESTS_COLLECTED),
        ([1, 0], 1),
        ([0, 1], 1),
        ([NO_TESTS_COLLECTED, 2], 2),
    ],
)
def test_a_failure_in_either_phase_fails_the_run(codes, expected):
    assert combined_exit_code(codes) == expected


def test_each_worker_gets_its_own_redis_databases_and_var_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:7001/0")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:7002/0")
    monkeypatch.setenv("KEYHOLD_VAR_DIR", str(tmp_path))
    workerenv._isolate_worker(3)
    assert os.environ["REDIS_URL"] == "redis://127.0.0.1:7001/3"
    assert os.environ["CELERY_BROKER_URL"] == "redis://127.0.0.1:7002/3"
    assert os.environ["KEYHOLD_VAR_DIR"] == str(tmp_path / "worker-3")
    assert (tmp_path / "worker-3").is_dir()


def test_workers_refuse_a_shared_redis_server_or_running_out_of_databases(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/14")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
    with pytest.raises(pytest.UsageError, match="separate Redis servers"):
        workerenv._isolate_worker(1)
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6380/15")
    with pytest.raises(pytest.UsageError, match="Redis database 16"):
        workerenv._isolate_worker(1)
