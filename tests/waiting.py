"""Bounded polling for tests that wait on another process or thread."""

import time

import pytest


def wait_until(predicate, *, timeout: float, interval: float = 0.1):
    """Poll `predicate` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s: {getattr(predicate, '__name__', predicate)}")
        time.sleep(interval)
