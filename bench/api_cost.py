"""`python -m bench.api_cost [N]`: process CPU and wall time of one KV v2 read and one /healthz, in-process.

Not a benchmark with a bar: the figure the issue's "in-process a KV read costs 2.8 ms" quoted, measured the same way
each time (Django's test client, throw-away embedded servers, DEBUG off, five batches of N/5 requests, medians).
Process CPU (`time.process_time`) leaves out what PostgreSQL and Redis spend, and is steadier than wall time on a
shared machine. `BENCH_PROFILE=1` adds a cProfile listing of the KV read by cumulative time.
"""

import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

import django

BATCHES = 5


def _per_request(operation, count: int) -> tuple[float, float]:
    """(wall, process CPU) microseconds per call, medians over BATCHES batches."""
    walls, cpus = [], []
    for _ in range(BATCHES):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(count // BATCHES):
            operation()
        walls.append((time.perf_counter() - wall) / (count // BATCHES) * 1e6)
        cpus.append((time.process_time() - cpu) / (count // BATCHES) * 1e6)
    return statistics.median(walls), statistics.median(cpus)


def main(count: int) -> None:
    from devstack.stack import Stack

    with (
        tempfile.TemporaryDirectory(prefix="keyhold-api-cost-") as scratch,
        Stack(Path(scratch), throwaway=True) as env,
    ):
        os.environ.update(env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        os.environ["DEBUG"] = "false"
        django.setup()
        from django.core.management import call_command
        from django.test import Client, override_settings

        from accounts.services.tokens import token_create
        from bench.vault_pages import FIELDS, _bench_user
        from vault.services import secret_create

        call_command("migrate", verbosity=0)
        with (
            _bench_user("bench-api-cost@example.test") as user,
            override_settings(VAULT_REVEAL_BUDGET=10**9, VAULT_API_RATE_LIMIT=10**9),
        ):
            secret_create(owner=user, path="app/db", fields=FIELDS)
            client = Client(HTTP_X_VAULT_TOKEN=token_create(user=user, name="cost", can_read=True, can_write=False)[1])

            def kv_read():
                if client.get("/v1/secret/data/app/db").status_code != 200:
                    raise RuntimeError("the KV read failed")

            def healthz():
                client.get("/healthz")

            for _ in range(300):
                kv_read()
            for name, operation in (("KV v2 read", kv_read), ("/healthz", healthz)):
                wall, cpu = _per_request(operation, count)
                sys.stdout.write(f"{name:<11} {cpu:7.0f} µs process CPU, {wall:7.0f} µs wall per request\n")
            if os.environ.get("BENCH_PROFILE"):
                profile = cProfile.Profile(time.process_time)
                profile.runcall(lambda: [kv_read() for _ in range(count // BATCHES)])
                pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
