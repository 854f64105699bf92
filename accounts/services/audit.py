"""Writes to the audit trail. The vault records its reveals through the same function."""

import json

from django.db import connection

from accounts.clientinfo import client_ip, user_agent
from accounts.models import AuditEvent
from accounts.services.auditgroup import chain_append_grouped
from accounts.services.auditwrite import chain_append

Action = AuditEvent.Action
Outcome = AuditEvent.Outcome
_IP_FIELD = AuditEvent._meta.get_field("ip")


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

    Never pass a secret in `detail`: the trail is shown to users and staff. The event is chained
    (see auditchain); if it cannot be written, this raises and the caller must not go ahead.
    """
    ip = client_ip(request) if request is not None else None
    event = AuditEvent(
        action=action,
        outcome=outcome,
        actor=actor,
        actor_email=(actor.email if actor is not None else email)[:254],
        # The MAC is computed before the insert, so hold exactly what the database will give back.
        ip=_IP_FIELD.get_prep_value(ip) or None,
        user_agent=user_agent(request) if request is not None else "",
        target=target[:300],
        detail=json.loads(json.dumps(detail or {})),
    )
    # Inside a transaction the record belongs to the caller's work (and goes if that rolls back); outside one,
    # it may share a statement with other threads' records (auditgroup).
    return chain_append(event) if connection.in_atomic_block else chain_append_grouped(event)
