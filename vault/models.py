"""Vault models (envelope-encrypted secrets arrive with the vault issue)."""
