"""Parallel test runs: each pytest-xdist worker gets Redis databases and a var directory of its own,
and `--keyhold-serial` splits the suite into the part that runs in parallel and the part that must not
(fault and serial tests, one after another in one process; the soak beside them in another).

Loaded with `-p tests.workerenv` (pyproject's addopts) so the environment is changed before
pytest-django imports the settings. PostgreSQL needs nothing here (pytest-django names a test database
per worker) and MongoDB neither (the session picks a random database name).
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

REDIS_DATABASES = 16
# Fault tests stop and start servers and time their recovery; `serial` tests take resources a
# parallel neighbour could also pick (spare Redis databases, fixed wall-clock budgets).
SERIAL_MARKERS = ("fault", "serial")


def _worker_index() -> int | None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker.removeprefix("gw")) if worker.startswith("gw") else None


def _shifted(url: str, index: int) -> str:
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + index
    if database >= REDIS_DATABASES:
        raise pytest.UsageError(f"parallel tests: worker {index} would need Redis database {database}")
    return urlunsplit(parts._replace(path=f"/{database}"))


def _isolate_worker(index: int) -> None:
    cache, broker = os.environ.get("REDIS_URL", ""), os.environ.get("CELERY_BROKER_URL", "")
    if urlsplit(cache).netloc == urlsplit(broker).netloc:
        # One server for both: shifting database numbers would hand a worker's cache to another's broker.
        raise pytest.UsageError("parallel tests need the cache and the broker on separate Redis servers")
    os.environ["REDIS_URL"] = _shifted(cache, index)
    os.environ["CELERY_BROKER_URL"] = _shifted(broker, index)
    var_dir = Path(os.environ.get("KEYHOLD_VAR_DIR", "var")) / f"worker-{index}"
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["KEYHOLD_VAR_DIR"] = str(var_dir)


_index = _worker_index()
if _index is not None:
    _isolate_worker(_index)


def pytest_addoption(parser):
    parser.addoption(
        "--keyhold-serial",
        choices=("only", "skip"),
        default=None,
        help="run only the tests that must run alone (fault, serial), or skip them",
    )


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups added here
def pytest_collection_modifyitems(config, items):
    choice = config.getoption("--keyhold-serial")
    if choice is None:
        return
    keep, drop = [], []
    for item in items:
        serial = any(item.get_closest_marker(name) for name in SERIAL_MARKERS)
        (keep if serial == (choice == "only") else drop).append(item)
        if serial:
            # The soak only sends a fixed, modest rate: it runs beside the fault tests, which keep
            # one process to themselves and run one after another, as they need.
            item.add_marker(pytest.mark.xdist_group("soak" if item.get_closest_marker("soak") else "serial"))
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
