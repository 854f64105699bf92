"""Fixtures for the vault's page tests: a verified user and a client signed in as them."""

import pytest
from django.utils import timezone

from tests.vault.vault_support import make_user
from vault.services.budget import reveal_budget_reset


@pytest.fixture
def person(django_user_model):
    """A user whose email is verified (the vault refuses unverified accounts), with a fresh reveal budget."""
    user = make_user(django_user_model, "person@example.test")
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    yield user
    reveal_budget_reset(user=user)


@pytest.fixture
def signed_in(client, person):
    client.force_login(person)
    return client
