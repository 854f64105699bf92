"""Vault web pages: thin views over vault.services and vault.selectors."""
