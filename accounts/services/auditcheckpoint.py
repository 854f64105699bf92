"""Writing audit chain checkpoints, which let a KEK be retired without losing the records its key MACed."""

from accounts.models import AuditEvent
from accounts.services.audit import audit_record
from accounts.services.auditchain import AuditChainError, chain_verify
from accounts.services.auditdigest import checkpoint_claim


def audit_checkpoint(*, actor=None, request=None, reason: str = "") -> AuditEvent:
    """Verify the whole chain with the keys in the keyring, then append a checkpoint vouching for it.

    Raises AuditChainError when the chain is broken: a checkpoint must never launder tampering.
    """
    report = chain_verify()
    if not report.intact:
        raise AuditChainError(f"The audit chain is broken ({report.problem}); run audit_verify before a checkpoint.")
    detail = {"through_seq": report.records, "digest": report.digest}
    if reason:
        detail["reason"] = reason
    return audit_record(
        action=AuditEvent.Action.AUDIT_CHECKPOINT, actor=actor, request=request, target="audit", detail=detail
    )


def vouched_through() -> int:
    """The highest position any checkpoint claims to vouch through (audit_verify checks the claim)."""
    details = AuditEvent.objects.filter(action=AuditEvent.Action.AUDIT_CHECKPOINT).values_list("detail", flat=True)
    return max((claim[0] for claim in map(checkpoint_claim, details) if claim is not None), default=0)


def records_needing_key(key_id: str) -> int:
    """Records MACed with `key_id` that no checkpoint vouches for: verifying them still needs that key."""
    return AuditEvent.objects.filter(key_id=key_id, seq__gt=vouched_through()).count()
