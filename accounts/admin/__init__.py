"""Staff administration of accounts: one module per area."""

from accounts.admin import audit, sessions, tokens, users

__all__ = ["audit", "sessions", "tokens", "users"]
