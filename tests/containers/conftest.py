"""The container tests read files and run scripts on the host: they need no database servers."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def mongo_test_database():
    """Replaces the suite-wide MongoDB fixture: nothing here talks to MongoDB."""
