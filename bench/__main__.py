"""`make bench [BENCH=name]`: run benchmarks on embedded servers (or the environment's), print a table, save JSON."""

import json
import os
import platform
import sys
import tempfile
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent


def _machine() -> dict:
    import celery
    import pymongo

    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "celery": celery.__version__,
        "pymongo": pymongo.version,
        "platform": platform.platform(),
    }


def _table(results, machine) -> str:
    lines = [
        f"{machine['cores']} cores, Python {machine['python']}, Django {machine['django']}, "
        f"Celery {machine['celery']}, PyMongo {machine['pymongo']}",
        f"{'name':<24} {'keyhold':>14} {'baseline':>14} {'ratio':>7} {'spread':>13} {'bar':>7}  result",
    ]
    for r in results:
        bar = f"{'>=' if r.higher_is_better else '<='}{r.bar:g}"
        # Shares of a whole (vault_crypto_share) are small: keep their significant digits.
        digits = 4 if r.ratio < 0.1 else 2
        spread = f"{r.spread[0]:.{digits}f}-{r.spread[1]:.{digits}f}"
        lines.append(
            f"{r.name:<24} {r.keyhold:>14,.1f} {r.baseline:>14,.1f} {r.ratio:>7.{digits}f} {spread:>13} {bar:>7}  "
            f"{'pass' if r.passed else 'FAIL'}  ({r.unit})"
        )
    return "\n".join(lines)


def main(names: list[str]) -> int:
    from devstack.stack import Stack

    with tempfile.TemporaryDirectory(prefix="keyhold-bench-") as scratch, Stack(Path(scratch), throwaway=True) as env:
        os.environ.update(env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        django.setup()
        from django.core.management import call_command

        from bench.registry import benchmarks

        call_command("migrate", verbosity=0)
        available = benchmarks()
        unknown = [name for name in names if name not in available]
        if unknown:
            sys.stderr.write(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(available)}\n")
            return 2
        results = [available[name]() for name in names or available]

    machine = _machine()
    sys.stdout.write(_table(results, machine) + "\n")
    out = ROOT / "var" / "bench" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine, "results": [r.as_dict() for r in results]}, indent=2))
    sys.stdout.write(f"written to {out.relative_to(ROOT)}\n")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
