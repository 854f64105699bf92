"""api_read: a KV v2 read as hvac sends it, against a plain token-authenticated JSON view.

Keyhold's side is `GET /v1/secret/data/<path>` with `X-Vault-Token`: token lookup, scope and path check,
the per-token rate limit, the reveal (budget and chained audit write), unwrap and decrypt, and Vault's
response envelope. The baseline (`bench.baseline_views.plain_token_read`) authenticates the same token
the same way and answers with one indexed read of a same-size row as JSON: the least an authenticated
JSON API can do, so the ratio is what the vault's guarantees cost an API client (bar: >= 0.5).
Both go through the Django test client in this process, one request at a time, the two sides alternating
every 10 requests (`harness.interleaved`) so that a slow spell of the shared machine lands on both.
"""

from django.test import Client, override_settings

from accounts.services.tokens import token_create
from bench import baseline_views
from bench.harness import interleaved, paired
from bench.vault_pages import FIELDS, _bench_user
from vault.services import secret_create
from vault.services.lookup import secret_get, version_get

REQUESTS_PER_ROUND = 200


def api_read():
    with (
        _bench_user("bench-api-read@example.test") as user,
        override_settings(ROOT_URLCONF="bench.urls", VAULT_REVEAL_BUDGET=10**9, VAULT_API_RATE_LIMIT=10**9),
    ):
        secret_create(owner=user, path="app/db", fields=FIELDS)
        stored = version_get(secret=secret_get(owner=user, path="app/db"), version=1)
        baseline_views.PLAIN_FIELDS.update(FIELDS)
        _, value = token_create(user=user, name="bench", can_read=True, can_write=False)
        client = Client(HTTP_X_VAULT_TOKEN=value)

        def kv_read():
            response = client.get("/v1/secret/data/app/db")
            if response.status_code != 200 or response.json()["data"]["data"] != FIELDS:
                raise RuntimeError(f"the bench KV read failed with {response.status_code}")

        def plain():
            if client.get(f"/bench/plain-token-read/{stored.pk}").status_code != 200:
                raise RuntimeError("the baseline token read failed")

        return paired(
            "api_read",
            measure=lambda: interleaved(kv_read, plain, REQUESTS_PER_ROUND),
            bar=0.5,
            unit="requests/s",
            rounds=5,
        )


BENCHMARKS = {"api_read": api_read}
