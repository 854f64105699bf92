"""Account models: users, two-factor devices, sessions, API tokens and the audit trail."""

from accounts.models.audit import AuditEvent
from accounts.models.sessions import UserSession
from accounts.models.tokens import ApiToken
from accounts.models.twofactor import RecoveryCode, TOTPDevice
from accounts.models.user import User, UserManager

__all__ = ["ApiToken", "AuditEvent", "RecoveryCode", "TOTPDevice", "User", "UserManager", "UserSession"]
