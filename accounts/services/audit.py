"""Writes to the audit trail. The vault records its reveals through the same function."""

from accounts.clientinfo import client_ip, user_agent
from accounts.models import AuditEvent

Action = AuditEvent.Action
Outcome = AuditEvent.Outcome


def audit_record(
    *,
    action: str,
    outcome: str = Outcome.SUCCESS,
    actor=None,
    email: str = "",
    request=None,
    target: str = "",
    detail: dict | None = None,
) -> AuditEvent:
    """Append one event. `email` names the account for failures where no user was resolved.

    Never pass a secret in `detail`: the trail is shown to users and staff.
    """
    return AuditEvent.objects.create(
        action=action,
        outcome=outcome,
        actor=actor,
        actor_email=(actor.email if actor is not None else email)[:254],
        ip=client_ip(request) if request is not None else None,
        user_agent=user_agent(request) if request is not None else "",
        target=target[:300],
        detail=detail or {},
    )
