"""`python -m devstack test` gives pytest throw-away servers, returns its exit code and cleans up, even on Ctrl+C."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.devstack.conftest import REPO_DIR, child_env, processes_using
from tests.waiting import wait_until

# serial: the pytest these tests start resets pytest's shared temp root to mode 0700, which a
# neighbour's PostgreSQL (running as an unprivileged user under its tmp_path) could no longer enter.
pytestmark = pytest.mark.serial
# The inner suite has its own pytest.ini, without the plugin that splits a parallel run into phases.
ONE_PROCESS = "1"

INNER_TEST = textwrap.dedent(
    """
    import os, time
    from pathlib import Path

    import psycopg2, pymongo, redis

    def test_inner():
        Path(os.environ["REPORT"]).write_text(os.environ["KEYHOLD_VAR_DIR"])
        psycopg2.connect(os.environ["DATABASE_URL"]).close()
        assert redis.Redis.from_url(os.environ["REDIS_URL"]).ping()
        assert redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).ping()
        pymongo.MongoClient(os.environ["MONGODB_URL"]).admin.command("ping")
        if os.environ.get("HANG"):
            time.sleep(120)
        assert os.environ.get("PASS")
    """
)


def _inner_command(tmp_path: Path) -> list[str]:
    test_file = tmp_path / "test_inner.py"
    test_file.write_text(INNER_TEST)
    # An empty config: the inner run must not pick up the project's pytest settings and plugins.
    config = tmp_path / "pytest.ini"
    config.write_text("[pytest]\n")
    return [
        sys.executable, "-m", "devstack", "test",
        "-c", str(config), "-p", "no:django", "-p", "no:cacheprovider", "-q", str(test_file),
    ]  # fmt: skip


@pytest.mark.e2e
def test_exit_code_is_pytests_and_the_servers_and_temp_dir_are_gone(tmp_path):
    report = tmp_path / "var_dir.txt"
    result = subprocess.run(
        _inner_command(tmp_path),
        cwd=REPO_DIR,
        env=child_env(REPORT=str(report), KEYHOLD_TEST_WORKERS=ONE_PROCESS),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr  # the inner test fails on purpose
    var_dir = Path(report.read_text())
    assert var_dir != REPO_DIR / "var"
    assert not var_dir.exists()
    assert processes_using(var_dir) == []


@pytest.mark.e2e
def test_ctrl_c_stops_pytest_and_the_servers(tmp_path):
    report = tmp_path / "var_dir.txt"
    log = (tmp_path / "out.txt").open("wb")
    cli = subprocess.Popen(
        _inner_command(tmp_path),
        cwd=REPO_DIR,
        env=child_env(REPORT=str(report), HANG="1", KEYHOLD_TEST_WORKERS=ONE_PROCESS),
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        wait_until(report.exists, timeout=60)
        var_dir = Path(report.read_text())
        os.killpg(cli.pid, signal.SIGINT)
        assert cli.wait(timeout=60) != 0
    finally:
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGKILL)
            cli.wait(timeout=10)
        log.close()
    wait_until(lambda: processes_using(var_dir) == [], timeout=10)
    assert not var_dir.exists()
