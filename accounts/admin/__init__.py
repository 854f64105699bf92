"""Staff administration of accounts: one module per area."""

from accounts.admin import tokens, users

__all__ = ["tokens", "users"]
