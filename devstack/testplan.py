"""How `devstack test` runs the suite: the parallel part on pytest-xdist workers, then the serial part."""

import os

from devstack.errors import DevstackError

# pytest's exit code when a run selected no tests (here: a phase whose tests were all deselected).
NO_TESTS_COLLECTED = 5
MAX_AUTO_WORKERS = 4
WORKERS_VARIABLE = "KEYHOLD_TEST_WORKERS"


def worker_count(environ: dict[str, str], *, all_servers_embedded: bool) -> int:
    """KEYHOLD_TEST_WORKERS, or "auto": one per core (up to 4) when every server is our own.

    Against servers someone else gave us (CI's system PostgreSQL and Redis, a SQLite file) the run
    stays in one process: the workers' Redis database numbers could collide with what runs there.
    """
    setting = environ.get(WORKERS_VARIABLE, "auto").strip() or "auto"
    if setting == "auto":
        return min(MAX_AUTO_WORKERS, os.cpu_count() or 1) if all_servers_embedded else 1
    if not setting.isdigit() or int(setting) < 1:
        raise DevstackError(f'{WORKERS_VARIABLE} must be "auto" or a whole number of at least 1, not {setting!r}')
    return int(setting)


def phases(pytest_args: list[str], workers: int) -> list[list[str]]:
    """One pytest run, or two: everything parallel-safe on `workers` processes, then fault and serial tests."""
    if workers <= 1:
        return [pytest_args]
    return [
        ["-n", str(workers), "--keyhold-serial=skip", *pytest_args],
        # Grouped: the fault and serial tests in order on one process, the load soak on another.
        ["-n", str(min(workers, 2)), "--dist", "loadgroup", "--keyhold-serial=only", *pytest_args],
    ]


def combined_exit_code(codes: list[int]) -> int:
    """The first failure's code; "no tests" only when no phase ran any (a -k or -m can empty one phase)."""
    ran = [code for code in codes if code != NO_TESTS_COLLECTED]
    if not ran:
        return NO_TESTS_COLLECTED
    return next((code for code in ran if code != 0), 0)
