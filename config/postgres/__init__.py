"""Django's PostgreSQL backend with a liveness check that needs no round trip (see base.py)."""
