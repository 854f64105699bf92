"""Benchmarks: Keyhold measured against the best its own parts can do, side by side in one run."""
