"""Fault tests: servers stopped, killed and filled under load; nothing lost, nothing leaked."""
