"""Checkpoint digests: how a checkpoint record vouches for every earlier record of the audit chain.

    digest_0 = 32 zero bytes
    digest_n = SHA-256(b"keyhold audit digest v1\\0" | digest_(n-1) | canonical_n | mac_n)

A checkpoint is an ordinary chained record (action `audit_checkpoint`, MACed with the key active when it
was written) whose detail is {"through_seq": n, "digest": hex(digest_n)}. Once a checkpoint vouches for
them, records MACed with a retired KEK's audit key stay verifiable without that key: editing, dropping or
reordering any of them changes the digest, and forging the checkpoint needs the newer key.
"""

import hashlib
from dataclasses import dataclass, field

GENESIS_DIGEST = bytes(32)
DIGEST_LABEL = b"keyhold audit digest v1\x00"
CHECKPOINT_ACTION = "audit_checkpoint"


def digest_next(previous: bytes, canonical: bytes, mac: bytes) -> bytes:
    return hashlib.sha256(DIGEST_LABEL + previous + canonical + mac).digest()


def checkpoint_claim(detail) -> tuple[int, str] | None:
    """(through_seq, digest hex) from a checkpoint's detail, or None when malformed."""
    if not isinstance(detail, dict):
        return None
    through, digest = detail.get("through_seq"), detail.get("digest")
    if isinstance(through, bool) or not isinstance(through, int) or through < 0:
        return None
    if not isinstance(digest, str) or len(digest) != 64:
        return None
    return through, digest


@dataclass
class Coverage:
    """Bookkeeping for one walk of the chain: the running digest, the digests checkpoints refer to, and
    the records whose key is gone, each waiting for a verified checkpoint that vouches for it."""

    wanted: set[int]
    digest: bytes = GENESIS_DIGEST
    saved: dict[int, bytes] = field(default_factory=dict)
    waiting: list[tuple[int, int, str]] = field(default_factory=list)  # (seq, event id, key id)

    def add(self, seq: int, canonical: bytes, mac: bytes) -> None:
        self.digest = digest_next(self.digest, canonical, mac)
        if seq in self.wanted:
            self.saved[seq] = self.digest

    def await_checkpoint(self, seq: int, event_id: int, key_id: str) -> None:
        self.waiting.append((seq, event_id, key_id))

    def checkpoint(self, seq: int, detail) -> str:
        """Apply a checkpoint whose own MAC verified; returns a problem, or "" when it vouches correctly."""
        claim = checkpoint_claim(detail)
        if claim is None or claim[0] >= seq:
            return f"the checkpoint at seq {seq} is malformed"
        through, digest = claim
        expected = self.saved.get(through, GENESIS_DIGEST if through == 0 else None)
        if expected is None or expected.hex() != digest:
            return f"the checkpoint at seq {seq} does not match records 1..{through}: they were altered"
        self.waiting = [entry for entry in self.waiting if entry[0] > through]
        return ""

    def first_unvouched(self) -> tuple[int, int, str] | None:
        return self.waiting[0] if self.waiting else None
