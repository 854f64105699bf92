"""`make bench [BENCH=name]`: run benchmarks on embedded servers (or the environment's), print a table, save JSON."""

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import django

from bench.harness import smoke

ROOT = Path(__file__).resolve().parent.parent


def _machine() -> dict:
    """Cores and every version a figure depends on, asked of the running servers (call while the stack is up)."""
    import celery
    import gunicorn
    import pymongo
    from django.conf import settings
    from django.db import connection
    from django_redis import get_redis_connection

    from telemetry import mongo

    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version" if postgres else "SELECT sqlite_version()")
        database = f"{'PostgreSQL' if postgres else 'SQLite'} {cursor.fetchone()[0]}"
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": database,
        "redis": get_redis_connection("default").info("server")["redis_version"],
        "mongodb": _mongodb_version(mongo),
        "gunicorn": gunicorn.__version__,
        "celery": celery.__version__,
        "pymongo": pymongo.version,
        "platform": platform.platform(),
        "debug": settings.DEBUG,
    }


def _mongodb_version(mongo) -> str:
    """The wire server's own version, and SecantusDB's package version when that is what serves it."""
    from importlib.metadata import PackageNotFoundError, version

    reported = mongo.database().client.server_info()["version"]
    try:
        return f"{reported} (SecantusDB {version('secantusdb')})"
    except PackageNotFoundError:
        return reported


def _table(results, machine) -> str:
    lines = [
        f"{machine['cores']} cores, Python {machine['python']}, Django {machine['django']}, {machine['database']}, "
        f"Redis {machine['redis']}, MongoDB wire {machine['mongodb']}, gunicorn {machine['gunicorn']}, "
        f"Celery {machine['celery']}, PyMongo {machine['pymongo']}, DEBUG {'on' if machine['debug'] else 'off'}",
        f"{'name':<24} {'keyhold':>14} {'baseline':>14} {'ratio':>7} {'spread':>13} {'bar':>7}  result",
    ]
    lines.extend(_row(r) for r in results)
    return "\n".join(lines)


def _row(r) -> str:
    bar = f"{'>=' if r.higher_is_better else '<='}{r.bar:.3g}"
    # Shares of a whole (vault_crypto_share) are small: keep their significant digits.
    digits = 4 if r.ratio < 0.1 else 2
    spread = f"{r.spread[0]:.{digits}f}-{r.spread[1]:.{digits}f}"
    return (
        f"{r.name:<24} {r.keyhold:>14,.1f} {r.baseline:>14,.1f} {r.ratio:>7.{digits}f} {spread:>13} {bar:>7}  "
        f"{'smoke' if smoke() else 'pass' if r.passed else 'FAIL'}  ({r.unit})"
    )


def _run(name: str, benchmark) -> list:
    """The benchmark's rows: one Result, or several measured in the same rounds (a list)."""
    started = time.monotonic()
    result = benchmark()
    results = result if isinstance(result, list) else [result]
    # Each row as soon as it is known: an interrupted run still leaves the figures measured so far.
    for each in results:
        sys.stderr.write(f"{_row(each)}  [{time.monotonic() - started:.1f} s]\n")
    return results


def main(names: list[str]) -> int:
    from devstack.stack import Stack

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="keyhold-bench-") as scratch, Stack(Path(scratch), throwaway=True) as env:
        os.environ.update(env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        # The site as deployed, in this process and the gunicorn servers it starts: with DEBUG on, Django
        # keeps every query it runs and tracks each template token's source position, which no user pays.
        os.environ["DEBUG"] = "false"
        django.setup()
        from django.core.management import call_command

        from bench.registry import benchmarks

        call_command("migrate", verbosity=0)
        available = benchmarks()
        unknown = [name for name in names if name not in available]
        if unknown:
            sys.stderr.write(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(available)}\n")
            return 2
        machine = _machine()
        results = [result for name in names or available for result in _run(name, available[name])]

    seconds = round(time.monotonic() - started, 1)
    sys.stdout.write(_table(results, machine) + "\n")
    out = Path(os.environ.get("BENCH_OUTPUT") or ROOT / "var" / "bench" / "latest.json").resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"machine": machine, "smoke": smoke(), "seconds": seconds, "results": [r.as_dict() for r in results]}
    out.write_text(json.dumps(report, indent=2))
    sys.stdout.write(f"{len(results)} benchmarks in {seconds:.0f} s (servers included), written to {out}\n")
    # Smoke mode proves the benchmarks run; one unwarmed round on a CI machine says nothing about the bars.
    return 0 if smoke() or all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
