"""Share links in the services: the crypto round trip, what the row holds, views, expiry, revoke, audit."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEvent
from tests.vault.share_support import (
    CANARY,
    NOTES,
    clear_share_throttle,
    make_share,
    open_link,
    proof_for,
    stored_secret,
)
from tests.vault.vault_support import fresh, other, owner
from tests.waiting import wait_until
from vault.crypto.share import b64url_decode
from vault.models import ShareLink
from vault.services import ReauthenticationRequired, secret_versions_destroy
from vault.services.share_open import ShareDamaged, ShareProofInvalid, ShareThrottled, share_open
from vault.services.shares import InvalidShare, ShareGone, ShareNotFound, share_revoke, shares_expired_wipe
from vault.tasks import shares_expire

__all__ = ["clear_share_throttle", "other", "owner"]
pytestmark = pytest.mark.usefixtures("clear_share_throttle")
Action = AuditEvent.Action


def events(action: str, outcome: str = AuditEvent.Outcome.SUCCESS) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, outcome=outcome).order_by("pk"))


@pytest.mark.django_db
def test_a_share_opens_with_its_fragment_and_counts_each_view(owner):
    stored_secret(owner)
    created = make_share(owner, max_views=2, authenticated_at=fresh())

    payload, left = open_link(created)
    assert payload == {"fields": {"password": CANARY, "user": "app"}, "notes": NOTES}
    assert left == 1
    share = ShareLink.objects.get(pk=created.share.pk)
    assert (share.views, share.state, share.ciphertext is not None) == (1, "active", True)

    assert open_link(created)[1] == 0
    share.refresh_from_db()
    # The last view erases the box: the database no longer holds anything to open.
    assert (share.views, share.state, share.ciphertext) == (2, "used up", None)
    with pytest.raises(ShareGone, match="used up"):
        open_link(created)
    assert ShareLink.objects.get(pk=share.pk).views == 2


@pytest.mark.django_db
def test_the_row_holds_no_value_notes_fragment_link_id_or_proof(owner):
    stored_secret(owner)
    created = make_share(owner, passphrase="pass-canary-91", authenticated_at=fresh())
    proof = proof_for(created, "pass-canary-91")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM vault_sharelink WHERE id = %s", [created.share.pk])
        row = cursor.fetchone()
    needles = [
        CANARY,
        NOTES,
        "pass-canary-91",
        created.fragment,
        created.link_id,
        proof,
    ]
    raw = [b64url_decode(created.fragment, length=32), b64url_decode(created.link_id, length=16)]
    raw.append(b64url_decode(proof, length=32))
    for column in row:
        blob = bytes(column) if isinstance(column, bytes | memoryview) else str(column).encode()
        for needle in needles:
            assert needle.encode() not in blob
        for secret_bytes in raw:
            assert secret_bytes not in blob
    assert CANARY not in repr(created)
    assert created.fragment not in repr(created)


@pytest.mark.django_db
def test_a_passphrase_share_refuses_a_missing_or_wrong_passphrase_without_counting(owner):
    stored_secret(owner)
    created = make_share(owner, passphrase="tr0ub4dor & 3", authenticated_at=fresh())
    assert created.share.has_passphrase
    assert created.share.iterations == 600_000

    for attempt in ("", "tr0ub4dor & 4"):
        with pytest.raises(ShareProofInvalid, match="Wrong passphrase or damaged link"):
            open_link(created, attempt)
    share = ShareLink.objects.get(pk=created.share.pk)
    assert (share.views, share.ciphertext is not None) == (0, True)
    failures = events(Action.SHARE_OPEN, AuditEvent.Outcome.FAILURE)
    assert [e.detail["reason"] for e in failures] == ["wrong passphrase or damaged link"] * 2

    payload, left = open_link(created, "tr0ub4dor & 3")
    assert (payload["fields"]["password"], left) == (CANARY, 0)


@pytest.mark.django_db
def test_a_damaged_fragment_or_id_is_refused_and_changes_nothing(owner):
    stored_secret(owner)
    created = make_share(owner, authenticated_at=fresh())
    fragment = created.fragment
    damaged = ("A" if fragment[0] != "A" else "B") + fragment[1:]
    with pytest.raises(ShareProofInvalid):
        open_link(type(created)(share=created.share, link_id=created.link_id, fragment=damaged))
    # Four failures: one short of the lockout, so the right proof still opens it below.
    for proof in ("", "not base64!", "A" * 43 + "="):
        with pytest.raises(ShareProofInvalid):
            share_open(link_id=created.link_id, proof=proof)
    other_id = ("A" if created.link_id[0] != "A" else "B") + created.link_id[1:]
    for link_id in (other_id, "", "short", created.link_id + "A", "%2e%2e", created.link_id[:-1] + "\u00e9"):
        with pytest.raises(ShareNotFound):
            share_open(link_id=link_id, proof=proof_for(created))
    share = ShareLink.objects.get(pk=created.share.pk)
    assert (share.views, share.revoked_at, share.ciphertext is not None) == (0, None, True)
    assert open_link(created)[0]["fields"]["password"] == CANARY


@pytest.mark.django_db
def test_wrong_proofs_lock_the_link_for_a_while(owner):
    stored_secret(owner)
    created = make_share(owner, authenticated_at=fresh())
    for _ in range(5):
        with pytest.raises(ShareProofInvalid):
            share_open(link_id=created.link_id, proof="B" * 43)
    # Locked now: even the right proof waits, and nothing is counted.
    with pytest.raises(ShareThrottled) as refused:
        open_link(created)
    assert refused.value.retry_after > 0
    assert ShareLink.objects.get(pk=created.share.pk).views == 0


@pytest.mark.django_db
def test_an_altered_box_in_the_database_is_refused_and_not_counted(owner):
    stored_secret(owner)
    created = make_share(owner, authenticated_at=fresh())
    share = ShareLink.objects.get(pk=created.share.pk)
    flipped = bytearray(share.ciphertext)
    flipped[-1] ^= 1
    ShareLink.objects.filter(pk=share.pk).update(ciphertext=bytes(flipped))
    with pytest.raises(ShareDamaged):
        open_link(created)
    share.refresh_from_db()
    assert (share.views, bytes(share.ciphertext)) == (0, bytes(flipped))
    assert events(Action.SHARE_OPEN, AuditEvent.Outcome.FAILURE)[-1].detail["reason"] == "stored copy altered"


@pytest.mark.django_db
def test_an_expired_share_is_gone_and_its_box_wiped(owner):
    stored_secret(owner)
    created = make_share(owner, authenticated_at=fresh())
    kept = make_share(owner, authenticated_at=fresh())
    ShareLink.objects.filter(pk=created.share.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    # The beat task's work: expired boxes go, live ones stay.
    assert shares_expire() == 1
    assert shares_expired_wipe() == 0
    assert ShareLink.objects.get(pk=created.share.pk).ciphertext is None
    assert ShareLink.objects.get(pk=kept.share.pk).ciphertext is not None
    with pytest.raises(ShareGone, match="expired"):
        open_link(created)


@pytest.mark.django_db
def test_the_owner_revokes_and_nobody_else_can(owner, other):
    stored_secret(owner)
    created = make_share(owner, max_views=3, authenticated_at=fresh())
    with pytest.raises(ShareNotFound):
        share_revoke(user=other, share_id=created.share.pk)
    assert ShareLink.objects.get(pk=created.share.pk).state == "active"

    share_revoke(user=owner, share_id=created.share.pk)
    share = ShareLink.objects.get(pk=created.share.pk)
    assert (share.state, share.ciphertext) == ("revoked", None)
    with pytest.raises(ShareGone, match="revoked"):
        open_link(created)
    [revoked] = events(Action.SHARE_REVOKE)
    assert (revoked.actor, revoked.target, revoked.detail["share"]) == (owner, "prod/db/main", share.pk)
    share_revoke(user=owner, share_id=share.pk)
    assert len(events(Action.SHARE_REVOKE)) == 1


@pytest.mark.django_db
def test_create_and_open_are_audited_without_any_secret(owner):
    stored_secret(owner)
    created = make_share(owner, max_views=2, authenticated_at=fresh())
    open_link(created)
    [shared] = events(Action.SECRET_SHARE)
    assert shared.detail["max_views"] == 2
    assert shared.detail["version"] == 1
    assert shared.target == "prod/db/main"
    assert len(events(Action.SECRET_REVEAL)) == 1
    [opened] = events(Action.SHARE_OPEN)
    assert (opened.actor, opened.detail["view"], opened.detail["max_views"]) == (owner, 1, 2)
    trail = " ".join(str(e.detail) + e.target for e in AuditEvent.objects.all())
    for needle in (CANARY, NOTES, created.fragment, created.link_id):
        assert needle not in trail


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lifetime", "views", "passphrase", "message"),
    [
        (datetime.timedelta(days=31), 1, "", "at most 30 days"),
        (datetime.timedelta(seconds=5), 1, "", "at most 30 days"),
        (datetime.timedelta(days=1), 0, "", "1 to 100 views"),
        (datetime.timedelta(days=1), 101, "", "1 to 100 views"),
        (datetime.timedelta(days=1), True, "", "whole number"),
        (datetime.timedelta(days=1), 1, "x" * 1025, "at most 1024"),
    ],
)
def test_limits_are_checked_before_anything_is_revealed(owner, lifetime, views, passphrase, message):
    stored_secret(owner)
    with pytest.raises(InvalidShare, match=message):
        make_share(owner, lifetime=lifetime, max_views=views, passphrase=passphrase, authenticated_at=fresh())
    assert not ShareLink.objects.exists()
    assert not events(Action.SECRET_REVEAL)


@pytest.mark.django_db
def test_sharing_needs_a_recent_sign_in(owner):
    stored_secret(owner)
    with pytest.raises(ReauthenticationRequired):
        make_share(owner, authenticated_at=None)
    assert not ShareLink.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_opens_of_the_last_view_cannot_both_succeed(owner):
    stored_secret(owner)
    created = make_share(owner, authenticated_at=fresh())
    barrier, results = threading.Barrier(4), []

    def opener() -> None:
        barrier.wait()
        try:
            results.append(open_link(created)[0]["fields"]["password"])
        except ShareGone:
            results.append("gone")
        finally:
            connection.close()

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == sorted([CANARY, "gone", "gone", "gone"])
    assert ShareLink.objects.get(pk=created.share.pk).views == 1
    assert len(events(Action.SHARE_OPEN)) == 1


@pytest.mark.django_db
def test_destroying_the_shared_version_ends_its_shares(owner):
    stored_secret(owner)
    created = make_share(owner, max_views=5, authenticated_at=fresh())
    secret_versions_destroy(owner=owner, path="prod/db/main", versions=[1])
    with pytest.raises(ShareGone, match="revoked"):
        open_link(created)
    share = ShareLink.objects.get(pk=created.share.pk)
    assert (share.state, share.ciphertext, share.views) == ("revoked", None, 0)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_beat_task_wipes_expired_shares_through_the_worker(owner, celery_worker_thread, settings):
    stored_secret(owner)
    created = make_share(owner, authenticated_at=fresh())
    ShareLink.objects.filter(pk=created.share.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    entry = settings.CELERY_BEAT_SCHEDULE["vault-shares-expire"]
    assert entry["task"] == shares_expire.name
    shares_expire.apply_async(**entry["options"])
    wait_until(lambda: ShareLink.objects.get(pk=created.share.pk).ciphertext is None, timeout=20)


@pytest.mark.django_db
def test_a_share_points_at_the_revealed_secret_when_another_mount_has_the_same_path(owner):
    from vault.services import secret_create
    from vault.services.mounts import mount_create

    stored_secret(owner)
    mount_create(owner=owner, path="team")
    secret_create(owner=owner, path="prod/db/main", fields={"other": "mount"}, mount="team")
    created = make_share(owner, authenticated_at=fresh())
    share = ShareLink.objects.get(pk=created.share.pk)
    assert (share.secret.mount, share.secret.path) == ("secret", "prod/db/main")
