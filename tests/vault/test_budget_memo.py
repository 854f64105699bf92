"""The reveal budget's per-process memo: a secret already counted this window is revealed without asking Redis
again, and nothing else is: the bound on distinct secrets and failing closed for any other secret are unchanged."""

import copy
import time

import pytest
from django.conf import settings
from django.test import override_settings
from django_redis import get_redis_connection

from devstack import ports
from tests.vault.vault_support import fresh, make_user
from vault.models import Secret
from vault.services import RevealBudgetExceeded, RevealUnavailable, budget, secret_create, secret_reveal

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(django_user_model):
    return make_user(django_user_model, "memo@example.test")


def _cache_unreachable():
    """The cache pointed at a closed port: every Redis call fails, as in an outage."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = f"redis://{ports.LOOPBACK}:{ports.free_port()}/0"
    return override_settings(CACHES=caches)


def _reveal(user, path: str):
    return secret_reveal(user=user, path=path, authenticated_at=fresh())


def test_a_counted_secret_is_revealed_without_redis_and_any_other_still_fails_closed(owner):
    secret_create(owner=owner, path="seen", fields={"k": "one"})
    secret_create(owner=owner, path="unseen", fields={"k": "two"})
    assert _reveal(owner, "seen").fields == {"k": "one"}
    with _cache_unreachable():
        assert _reveal(owner, "seen").fields == {"k": "one"}
        with pytest.raises(RevealUnavailable):
            _reveal(owner, "unseen")
    # Reset forgets the memo with the set: the same secret must be counted (and so reach Redis) again.
    budget.reveal_budget_reset(user=owner)
    with _cache_unreachable(), pytest.raises(RevealUnavailable):
        _reveal(owner, "seen")


@override_settings(VAULT_REVEAL_BUDGET=2)
def test_the_memo_never_lets_more_distinct_secrets_through_than_the_budget(owner):
    for name in ("a", "b", "c"):
        secret_create(owner=owner, path=name, fields={"k": name})
    for _ in range(3):
        assert _reveal(owner, "a").fields == {"k": "a"}
        assert _reveal(owner, "b").fields == {"k": "b"}
    with pytest.raises(RevealBudgetExceeded):
        _reveal(owner, "c")
    assert get_redis_connection("default").scard(budget._key(owner.pk)) == 2


def test_the_memo_ends_no_later_than_the_window_in_redis(owner):
    secret_create(owner=owner, path="s", fields={"k": "v"})
    _reveal(owner, "s")
    secret_id = Secret.objects.get(owner=owner, path="s").pk
    left_in_memo = budget._counted[(owner.pk, secret_id)] - time.monotonic()
    left_in_redis = get_redis_connection("default").ttl(budget._key(owner.pk))
    assert 0 < left_in_memo < left_in_redis <= budget.WINDOW_SECONDS
    # A window that has ended in the memo asks Redis again, which the outage makes fail closed.
    budget._counted[(owner.pk, secret_id)] = time.monotonic() - 1
    with _cache_unreachable(), pytest.raises(RevealUnavailable):
        _reveal(owner, "s")


def test_the_memo_stays_bounded_and_drops_ended_windows_first(monkeypatch):
    monkeypatch.setattr(budget, "_counted", {})
    monkeypatch.setattr(budget, "COUNTED_MAX", 3)
    budget._remember((1, 1), seconds_left=100)
    budget._remember((1, 2), seconds_left=1)  # ends at once (a second early)
    budget._remember((1, 3), seconds_left=100)
    budget._remember((1, 4), seconds_left=100)
    assert set(budget._counted) == {(1, 1), (1, 3), (1, 4)}
    budget._remember((1, 5), seconds_left=100)  # none ended: all are dropped rather than growing past the bound
    assert set(budget._counted) == {(1, 5)}
