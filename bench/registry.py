"""Where `make bench` finds benchmarks: each module exposes BENCHMARKS, a name -> callable map."""

import importlib

MODULES = (
    "bench.heartbeat",
    "bench.lineprotocol",
    "bench.listener",
    "bench.login",
    "bench.vault_crypto",
    "bench.vault_pages",
    "bench.api",
    "bench.api_openbao",
    "bench.telemetry",
    "bench.telemetry_e2e",
    "bench.telemetry_influx",
    "bench.telemetry_reads",
    "bench.web_db",
    "bench.web_login",
    "bench.web_workers",
)


def benchmarks() -> dict:
    found = {}
    for module_name in MODULES:
        found.update(importlib.import_module(module_name).BENCHMARKS)
    return found
