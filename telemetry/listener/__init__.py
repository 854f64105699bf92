"""The UDP and TCP line-protocol listener (docs/telemetry-listener.md)."""
