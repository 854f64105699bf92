"""Two writes creating the same secret at once: without cas the second becomes the next version, as in KV v2."""

import threading
import time

import pytest
from django.db import connection, transaction

from tests.vault.vault_support import make_user
from vault.models import Secret
from vault.services import CheckAndSetMismatch, secret_update

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs row-level concurrency"),
]


def _create_uncommitted_then_commit(owner, created: threading.Event, release: threading.Event) -> None:
    """In its own connection: insert the secret's row, hold the transaction open until released."""
    try:
        with transaction.atomic():
            Secret.objects.create(owner=owner, path="race/db")
            created.set()
            release.wait(10)
    finally:
        connection.close()


@pytest.mark.parametrize(("cas", "wins"), [(None, True), (0, False)])
def test_a_write_racing_another_create_wins_without_cas_and_is_refused_with_it(django_user_model, cas, wins):
    owner = make_user(django_user_model, "race@example.test")
    created, release = threading.Event(), threading.Event()
    other = threading.Thread(target=_create_uncommitted_then_commit, args=(owner, created, release))
    other.start()
    assert created.wait(10)
    # The insert below waits on the other transaction's row, which commits while it waits.
    threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    try:
        if wins:
            version = secret_update(owner=owner, path="race/db", fields={"k": "v"}, cas=cas)
            assert version.version == 1
            assert Secret.objects.get(owner=owner, path="race/db").current_version == 1
        else:
            with pytest.raises(CheckAndSetMismatch):
                secret_update(owner=owner, path="race/db", fields={"k": "v"}, cas=cas)
    finally:
        release.set()
        other.join(10)
    assert time.monotonic() - started >= 0.4, "the write must have met the other transaction's row"
    assert Secret.objects.filter(owner=owner, path="race/db").count() == 1
