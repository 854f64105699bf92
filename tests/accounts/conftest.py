"""Fixtures for every account test."""

import pytest

from tests.accounts.account_support import clear_throttles


@pytest.fixture(autouse=True)
def clean_throttles():
    """Each test starts and ends with no failure counters or lockouts in Redis."""
    clear_throttles()
    yield
    clear_throttles()
