"""Account pages: one module per area."""
