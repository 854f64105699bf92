"""The HashiCorp Vault KV v2 compatible HTTP API under /v1/, so existing clients such as hvac work unchanged."""
