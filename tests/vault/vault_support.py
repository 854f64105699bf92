"""Helpers for the vault tests: users, a fresh authentication stamp, a clean reveal budget, row snapshots."""

import time

import pytest

from accounts.models import AuditEvent
from accounts.services.limits import REVEAL_CONFIRM
from accounts.services.throttle import throttle_clear
from vault.models import Secret, SecretVersion
from vault.services.budget import reveal_budget_reset

PASSWORD = "correct horse battery staple"


def fresh() -> float:
    """An authentication stamp from just now (as session_authenticated_at would return after a login)."""
    return time.time()


def make_user(django_user_model, email: str):
    user = django_user_model.objects.create_user(email=email, password=PASSWORD)
    reveal_budget_reset(user=user)
    # A fresh test database reuses primary keys, and Redis outlives it: start without a stale lockout.
    throttle_clear(REVEAL_CONFIRM, str(user.pk))
    return user


@pytest.fixture
def owner(django_user_model):
    user = make_user(django_user_model, "owner@example.test")
    yield user
    reveal_budget_reset(user=user)


@pytest.fixture
def other(django_user_model):
    user = make_user(django_user_model, "other@example.test")
    yield user
    reveal_budget_reset(user=user)


def counts() -> tuple[int, int, int]:
    """(secrets, versions, audit events): compared before and after a refused write."""
    return Secret.objects.count(), SecretVersion.objects.count(), AuditEvent.objects.count()
