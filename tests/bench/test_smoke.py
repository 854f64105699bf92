"""End to end: `make bench BENCH_SMOKE=1` runs a web benchmark (own servers, gunicorn, load client) and reports it."""

import json
import subprocess
import sys

import pytest

from tests.devstack.conftest import REPO_DIR, child_env

pytestmark = pytest.mark.e2e


def test_smoke_mode_runs_a_web_benchmark_once_and_writes_the_table(tmp_path):
    output = tmp_path / "latest.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "tail_latency"],
        cwd=REPO_DIR,
        env=child_env(BENCH_SMOKE="1", BENCH_OUTPUT=str(output)),
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(output.read_text())
    assert report["smoke"] is True
    [result] = report["results"]
    assert result["name"] == "tail_latency"
    assert result["rounds"] == 1
    # A p99 and the p50 of the same run of real requests: both measured, the tail no shorter than the median.
    assert result["keyhold"] >= result["baseline"] > 0
    machine = report["machine"]
    assert machine["cores"] >= 1
    assert machine["database"].startswith("PostgreSQL ")
    assert machine["debug"] is False, "benchmarks measure the site as deployed"
    for version in ("python", "django", "redis", "mongodb"):
        assert machine[version], version
    assert "tail_latency" in done.stdout
    assert "smoke" in done.stdout
