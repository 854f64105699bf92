"""web_worker_class: gunicorn's worker class as configured against the other candidate, at 16 connections.

The candidates are sync workers (the configured number of processes, one request each, no keep-alive) and gthread
(the same processes x the configured threads, connections kept alive). Both serve the DB view (`/secrets/`)
and a reveal (POST, audit write, unwrap and decrypt) to 16 connections; the other class is the baseline because
the choice between the two is the decision this figure backs (bar: >= 0.9 of its throughput on the DB view,
i.e. the configured class is not the slower one beyond noise). Every figure (throughput, p50, p99, both
views, both classes) is printed, since the tail matters as much as the rate: gthread was seen bimodal
on database views.
"""

import statistics
import sys
from contextlib import ExitStack

from bench.harness import compare, smoke
from bench.server import gunicorn
from bench.websetup import SERVER_ENV, db_view_request, load, reveal_request, web_user

CONNECTIONS = 16
REQUESTS_PER_ROUND = 120


def _configured() -> tuple[str, int]:
    """The worker class and threads config/gunicorn.conf.py sets."""
    from importlib import util

    spec = util.spec_from_file_location("gunicorn_conf", "config/gunicorn.conf.py")
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.worker_class, module.threads


def web_worker_class():
    configured, threads = _configured()
    # The configured class is gthread or our subclass of it (config/gunicornworker.py).
    threaded = configured if configured != "sync" else "gthread"
    other = "sync" if configured != "sync" else threaded
    with ExitStack() as stack:
        _, cookie = stack.enter_context(web_user("bench-worker-class@example.test"))
        servers = {
            "sync": stack.enter_context(gunicorn(env=SERVER_ENV, worker_class="sync", threads=1)),
            threaded: stack.enter_context(gunicorn(env=SERVER_ENV, worker_class=threaded, threads=threads)),
        }
        views = {"db view": db_view_request(cookie), "reveal": reveal_request(servers["sync"], cookie)}
        seen: dict[tuple[str, str], list[dict]] = {}

        def measure(worker_class: str):
            def one_round() -> float:
                for view, request in views.items():
                    figures = load(servers[worker_class], request, connections=CONNECTIONS, requests=REQUESTS_PER_ROUND)
                    seen.setdefault((worker_class, view), []).append(figures["measured"])
                return seen[(worker_class, "db view")][-1]["rate"]

            return one_round

        result = compare(
            "web_worker_class",
            keyhold=measure(configured),
            baseline=measure(other),
            bar=0.9,
            unit=f"requests/s, {configured} vs {other}",
            rounds=5,
        )
    _print(seen, skip_warmup=0 if smoke() else 1)
    return result


def _print(seen: dict, *, skip_warmup: int) -> None:
    lines = [f"web_worker_class at {CONNECTIONS} connections (medians over rounds):"]
    for (worker_class, view), rounds in sorted(seen.items()):
        rounds = rounds[skip_warmup:]

        def median(key, rounds=rounds):
            return statistics.median(r[key] for r in rounds)

        name = worker_class.rsplit(".", 1)[-1]
        lines.append(
            f"  {name:<21} {view:<8} {median('rate'):8.1f} req/s  p50 {median('p50_ms'):7.1f} ms  "
            f"p99 {median('p99_ms'):7.1f} ms  max {median('max_ms'):7.1f} ms"
        )
    sys.stderr.write("\n".join(lines) + "\n")


BENCHMARKS = {"web_worker_class": web_worker_class}
