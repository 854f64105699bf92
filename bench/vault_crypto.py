"""vault_rewrap_vs_reencrypt: rotating one secret version by re-wrapping its data key, against decrypting and
re-encrypting its 1 KiB of fields.

Both sides use the same keyring (two fresh KEKs, so nothing depends on the developer's keys) and the
same row. The baseline is what rotation would cost without envelopes: open the version and seal it
again under the new KEK (fresh data key, new ciphertext). The ratio is how much cheaper online
rotation is per version, before any database work, which is the same on both sides for the wrapped
key column and larger for the baseline (it rewrites the ciphertext too).
"""

import json

from bench.harness import compare, rate
from vault.crypto import generate_key_entry, open_sealed, parse_keyring, rewrap, row_aad, seal

OPERATIONS_PER_ROUND = 20_000
SECRET_BYTES = 1024


def _one_kib_fields() -> dict[str, str]:
    """Fields whose canonical JSON is exactly SECRET_BYTES long."""
    fields = {"username": "bench", "password": "p" * 200, "notes": ""}
    overhead = len(json.dumps(fields, sort_keys=True, separators=(",", ":")))
    return fields | {"notes": "n" * (SECRET_BYTES - overhead)}


def vault_rewrap_vs_reencrypt():
    new, old = generate_key_entry("new"), generate_key_entry("old")
    # Sealed while "old" was active; rotation runs with "new" active and "old" still present.
    before = parse_keyring(f"{old},{new}")
    ring = parse_keyring(f"{new},{old}")
    aad = row_aad(1, 1, 1)
    sealed = seal(_one_kib_fields(), aad=aad, ring=before)

    def keyhold() -> float:
        return rate(lambda: rewrap(sealed.wrapped_key, aad=aad, to_kek="new", ring=ring), OPERATIONS_PER_ROUND)

    def baseline() -> float:
        return rate(lambda: seal(open_sealed(sealed, aad=aad, ring=ring), aad=aad, ring=ring), OPERATIONS_PER_ROUND)

    return compare("vault_rewrap_vs_reencrypt", keyhold=keyhold, baseline=baseline, bar=10, unit="versions/s")


BENCHMARKS = {"vault_rewrap_vs_reencrypt": vault_rewrap_vs_reencrypt}
