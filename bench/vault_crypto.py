"""vault_rewrap_vs_reencrypt: rotating secret versions by re-wrapping their data keys, against decrypting and
re-encrypting their 1 KiB of fields.

Both sides use the same keyring (two fresh KEKs, so nothing depends on the developer's keys) and the
same batch of rows, each sealed under its own row's associated data. Keyhold's side is exactly what a
rotation batch runs per batch (`rewrap_many`, as `secret_versions_rewrap_batch` calls it). The baseline
is what rotation would cost without envelopes: open each version and seal it again under the new KEK
(fresh data key, new ciphertext), through the same functions the vault uses for writes and reveals.
The ratio is how much cheaper online rotation is per version, before any database work, which is the
same on both sides for the wrapped-key column and larger for the baseline (it rewrites the ciphertext).
"""

import json

from bench.harness import interleaved, paired
from vault.crypto import generate_key_entry, open_sealed, parse_keyring, rewrap_many, row_aad, seal
from vault.services.keyops import DEFAULT_BATCH_SIZE

BATCHES_PER_ROUND = 40
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
    fields = _one_kib_fields()
    aads = [row_aad(1, secret_id, 1) for secret_id in range(1, DEFAULT_BATCH_SIZE + 1)]
    rows = [(seal(fields, aad=aad, ring=before), aad) for aad in aads]
    items = [(sealed.wrapped_key, aad) for sealed, aad in rows]

    def rewrap_batch() -> None:
        rewrap_many(items, to_kek="new", ring=ring)

    def reencrypt_batch() -> None:
        for sealed, aad in rows:
            seal(open_sealed(sealed, aad=aad, ring=ring), aad=aad, ring=ring)

    def versions_per_second() -> tuple[float, float]:
        # Batch by batch, alternating: a slow spell of the shared machine lands on both sides alike.
        ours, theirs = interleaved(rewrap_batch, reencrypt_batch, BATCHES_PER_ROUND, chunk=1)
        return ours * len(items), theirs * len(rows)

    return paired("vault_rewrap_vs_reencrypt", measure=versions_per_second, bar=10, unit="versions/s", rounds=7)


BENCHMARKS = {"vault_rewrap_vs_reencrypt": vault_rewrap_vs_reencrypt}
