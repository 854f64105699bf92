"""Account services: every write to accounts goes through a function here."""
