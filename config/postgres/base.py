"""Django's PostgreSQL backend, whose per-request connection health check asks the socket before the server.

With CONN_HEALTH_CHECKS, Django runs `SELECT 1` before the first query of every request on a reused connection,
so a restarted PostgreSQL is reconnected to instead of failing that request. That round trip was one of the KV
read's four statements and cost the server about as much as the read itself. A server that ends a session (a
restart, `pg_terminate_backend`, an idle timeout, a crash) sends a termination notice or closes the socket,
and either makes the idle connection's socket readable; a live idle session sends nothing unasked (Keyhold
never LISTENs). So an idle socket with nothing to read is taken as alive without asking, and only a readable
one gets Django's own `SELECT 1`, which then fails on a dead session and reconnects exactly as before. What no
check without a round trip can see, a server host gone silent, the `SELECT 1` could not have seen sooner than
its own timeout either.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        # poll, not select: select cannot watch a descriptor numbered 1024 or more.
        poller = select.poll()
        try:
            poller.register(self.connection.fileno(), select.POLLIN)
            quiet = not poller.poll(0)
        except (OSError, ValueError):
            quiet = False
        return quiet or super().is_usable()
