"""The audit hash chain: appends are MACed and serialized, and audit_verify finds any edit, deletion,
insertion or reordering, reporting the first broken link."""

import importlib
import threading
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DataError, connection, transaction
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from accounts.models.audit import AuditChainHead
from accounts.services import auditchain, auditwrite
from accounts.services.audit import Action, Outcome, audit_record
from accounts.services.auditchain import AuditChainError, chain_verify
from tests.vault import keys
from vault.crypto import KeyringError

pytestmark = pytest.mark.django_db


@pytest.fixture
def keyring_setting():
    """A fresh two-key keyring (k1 active), so the chain never depends on the developer's keys."""
    found = keys.entries("k1", "k0")
    with override_settings(VAULT_KEYS=keys.setting(found["k1"], found["k0"])):
        yield found


@pytest.fixture
def people(django_user_model):
    return [
        django_user_model.objects.create_user(email=f"{name}@example.test", password="correct horse battery staple")
        for name in ("ann", "bob")
    ]


@pytest.fixture
def trail(keyring_setting, people):
    """Five chained events of different shapes, oldest first."""
    request = RequestFactory().get("/", REMOTE_ADDR="2001:DB8::1", HTTP_USER_AGENT="Mozilla/5.0 (ünïcode)")
    return [
        audit_record(action=Action.SIGNUP, actor=people[0], request=request),
        audit_record(action=Action.LOGIN, outcome=Outcome.FAILURE, email="nobody@example.test", target="x" * 400),
        audit_record(
            action=Action.TOKEN_CREATED,
            actor=people[1],
            request=RequestFactory().get("/", REMOTE_ADDR="192.0.2.7"),
            detail={"scopes": ["read", "write"], "n": 3, "ratio": 0.1, "note": "日本 \u2028"},
        ),
        audit_record(action=Action.LOGOUT, actor=people[0], detail={"reason": "idle"}),
        audit_record(action=Action.PASSWORD_CHANGE, actor=people[1], target="tail"),
    ]


def broken(event_id: int | None = None) -> str:
    report = chain_verify()
    assert not report.intact, "tampering went unnoticed"
    if event_id is not None:
        assert report.event_id == event_id, report
    return report.problem


def verify_output() -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue().strip()


def test_intact_chain_verifies(trail):
    assert verify_output() == "5 records, chain intact"
    assert [event.seq for event in AuditEvent.objects.order_by("seq")] == [1, 2, 3, 4, 5]
    head = AuditChainHead.objects.get()
    assert (head.seq, head.mac, head.key_id) == (5, trail[-1].mac, "k1")


def test_empty_trail_verifies(keyring_setting):
    assert verify_output() == "0 records, chain intact"


def changed(text: str) -> str:
    """`text` with its last character replaced, so the length (and the column limit) stays the same."""
    return text[:-1] + ("?" if text.endswith("!") else "!") if text else "!"


EDITS = {
    "created": lambda e: {"created": e.created + timedelta(microseconds=1)},
    "actor_email": lambda e: {"actor_email": changed(e.actor_email)},
    "action": lambda e: {"action": Action.LOCKOUT if e.action != Action.LOCKOUT else Action.LOGIN},
    "outcome": lambda e: {"outcome": Outcome.DENIED if e.outcome != Outcome.DENIED else Outcome.SUCCESS},
    "ip": lambda e: {"ip": "198.51.100.1" if e.ip != "198.51.100.1" else None},
    "user_agent": lambda e: {"user_agent": changed(e.user_agent)},
    "target": lambda e: {"target": changed(e.target)},
    "detail": lambda e: {"detail": {**e.detail, "extra": True}},
    "key_id": lambda e: {"key_id": "k0"},
    "mac": lambda e: {"mac": "0" * 64},
    "actor_ref": lambda e: {"actor_ref": (e.actor_ref or 0) + 1000},
}


@pytest.mark.parametrize("field", EDITS)
def test_editing_any_field_of_any_row_is_detected(trail, field):
    for event in trail:
        with transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(**EDITS[field](event))
            assert broken(event.pk)
            transaction.set_rollback(True)
    assert chain_verify().intact


def test_pointing_a_row_at_another_actor_is_detected(trail, people):
    AuditEvent.objects.filter(pk=trail[0].pk).update(actor=people[1])
    assert "actor changed" in broken(trail[0].pk)


def test_clearing_the_actor_of_a_living_user_is_detected(trail):
    AuditEvent.objects.filter(pk=trail[3].pk).update(actor=None)
    assert "actor cleared" in broken(trail[3].pk)


def test_deleting_a_user_keeps_the_chain_intact(trail, people):
    people[0].delete()
    assert AuditEvent.objects.get(pk=trail[0].pk).actor_id is None
    assert chain_verify().intact


def test_deleting_any_row_is_detected(trail):
    for position, event in enumerate(trail):
        with transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
            problem = broken()
            if position < len(trail) - 1:
                assert chain_verify().event_id == trail[position + 1].pk
                assert "deleted" in problem
            else:
                assert "chain head" in problem
            transaction.set_rollback(True)
    assert chain_verify().intact


def test_cutting_off_the_tail_and_rewinding_the_head_is_detected(trail):
    AuditEvent.objects.filter(pk=trail[-1].pk).delete()
    AuditChainHead.objects.update(seq=4, mac=trail[-2].mac)
    assert "seal" in broken()


def test_deleting_the_head_row_is_detected_and_stops_appends(trail):
    AuditChainHead.objects.all().delete()
    assert "head row is missing" in broken()
    with pytest.raises(AuditChainError):
        audit_record(action=Action.LOGIN, email="x@example.test")


def test_inserted_forged_rows_are_detected(trail):
    template = AuditEvent.objects.get(pk=trail[2].pk)
    forgeries = {
        "outside the chain": {"seq": None},
        "appended": {"seq": 6, "mac": "ab" * 32},
        "appended with a copied MAC": {"seq": 6, "mac": trail[-1].mac},
    }
    for name, changes in forgeries.items():
        with transaction.atomic():
            forged = AuditEvent.objects.create(
                **{f.name: getattr(template, f.name) for f in AuditEvent._meta.concrete_fields if f.name != "id"}
                | changes
            )
            assert broken(forged.pk if name != "appended with a copied MAC" else None), name
            transaction.set_rollback(True)


def test_a_row_replaced_by_a_forgery_in_its_place_is_detected(trail):
    victim = AuditEvent.objects.get(pk=trail[1].pk)
    AuditEvent.objects.filter(pk=victim.pk).delete()
    victim.pk = None
    victim.target = "innocent"
    victim.save(force_insert=True)
    assert "MAC mismatch" in broken(victim.pk)


def test_reordering_rows_is_detected(trail):
    first, second = trail[1], trail[2]
    AuditEvent.objects.filter(pk=first.pk).update(seq=-1)
    AuditEvent.objects.filter(pk=second.pk).update(seq=first.seq)
    AuditEvent.objects.filter(pk=first.pk).update(seq=second.seq)
    assert broken()


def test_swapping_times_between_rows_is_detected(trail):
    AuditEvent.objects.filter(pk=trail[0].pk).update(created=trail[4].created)
    AuditEvent.objects.filter(pk=trail[4].pk).update(created=trail[0].created)
    assert broken(trail[0].pk)


def test_verify_command_exits_non_zero_naming_the_broken_record(trail):
    AuditEvent.objects.filter(pk=trail[2].pk).update(target="rewritten")
    with pytest.raises(CommandError, match=rf"record id {trail[2].pk}: MAC mismatch at seq 3") as caught:
        call_command("audit_verify")
    assert caught.value.returncode == 1


def test_chain_survives_kek_rotation_while_the_old_kek_is_kept(keyring_setting, people):
    audit_record(action=Action.LOGIN, actor=people[0])
    k2 = keys.generate_key_entry("k2")
    rotated = keys.setting(k2, keyring_setting["k1"], keyring_setting["k0"])
    with override_settings(VAULT_KEYS=rotated):
        audit_record(action=Action.LOGIN, actor=people[1])
        assert list(AuditEvent.objects.order_by("seq").values_list("key_id", flat=True)) == ["k1", "k2"]
        assert chain_verify().intact
    without_k1 = keys.setting(k2, keyring_setting["k0"])
    with override_settings(VAULT_KEYS=without_k1):
        assert "'k1' is not in the keyring and no checkpoint vouches for seq 1" in broken()


def test_audit_write_fails_closed_without_a_usable_keyring(keyring_setting):
    with override_settings(VAULT_KEYS="k1:not-a-key"), pytest.raises(KeyringError):
        audit_record(action=Action.LOGIN, email="x@example.test")
    assert not AuditEvent.objects.exists()


def test_audit_write_fails_closed_without_a_key_source(keyring_setting):
    previous = auditchain.register_key_provider(None)
    try:
        with pytest.raises(AuditChainError):
            audit_record(action=Action.LOGIN, email="x@example.test")
    finally:
        auditchain.register_key_provider(previous)
    assert not AuditEvent.objects.exists()


def test_rows_written_before_the_chain_are_chained_by_the_migration(keyring_setting, people):
    for n in range(3):
        AuditEvent.objects.create(
            actor=people[n % 2], actor_email="legacy@example.test", action="login", detail={"n": n}
        )
    assert "no chain position" in broken()
    migration = importlib.import_module("accounts.migrations.0002_audit_chain")
    migration.chain_existing_events(apps, connection.schema_editor())
    assert verify_output() == "3 records, chain intact"
    audit_record(action=Action.LOGOUT, actor=people[0])
    assert verify_output() == "4 records, chain intact"


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fork_the_chain(keyring_setting):
    # PostgreSQL serializes appends with a row lock on the chain head; SQLite with its IMMEDIATE
    # transactions. Both must give one unbroken chain.
    writers, per_writer = 8, 15
    start = threading.Barrier(writers)
    failures = []

    def write(number: int) -> None:
        try:
            start.wait()
            for i in range(per_writer):
                audit_record(action=Action.LOGIN, email=f"writer{number}@example.test", detail={"i": i})
        except Exception as exc:  # noqa: BLE001  (reported to the main thread)
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, writers * per_writer + 1)
    )
    assert verify_output() == f"{writers * per_writer} records, chain intact"


def _appends(count: int, **fields) -> list[AuditEvent]:
    return [
        audit_record(action=Action.LOGIN, email=f"n{n}@example.test", detail={"n": n}, **fields) for n in range(count)
    ]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_an_append_is_one_statement_after_the_first(keyring_setting):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement append is PostgreSQL's")
    audit_record(action=Action.LOGIN, email="first@example.test")  # learns where the head is
    _appends(1)  # and prepares the statement on this connection, if an earlier test has not
    with CaptureQueriesContext(connection) as queries:
        _appends(3)
    assert len(queries) == 3, [query["sql"][:60] for query in queries]
    assert all(query["sql"].startswith("EXECUTE keyhold_audit_append_1 ") for query in queries)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = 'keyhold_audit_append_1'")
        assert "AS WITH moved AS (UPDATE" in cursor.fetchone()[0]
    assert verify_output() == "5 records, chain intact"


@pytest.mark.django_db(transaction=True)
def test_a_head_moved_by_another_writer_is_noticed_and_appended_after(keyring_setting, people):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement append is PostgreSQL's")
    _appends(2)
    # Another process appends: its records move the head past what this process remembers.
    remembered = dict(auditwrite._last_head)
    _appends(2, actor=people[0])
    auditwrite._last_head.update(remembered)
    with CaptureQueriesContext(connection) as queries:
        event = audit_record(action=Action.LOGOUT, actor=people[1])
    # The compare and swap changed nothing and answered where the head really is; the second one, MACed against
    # that, appended after it. No lock was taken for it.
    assert [query["sql"].split()[:2] for query in queries] == [["EXECUTE", "keyhold_audit_append_1"]] * 2
    assert event.seq == 5
    assert verify_output() == "5 records, chain intact"
    # And the next append is one statement again.
    with CaptureQueriesContext(connection) as queries:
        _appends(1)
    assert len(queries) == 1


@pytest.mark.django_db(transaction=True)
def test_a_failed_one_statement_append_leaves_the_chain_and_the_head_as_they_were(keyring_setting):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement append is PostgreSQL's")
    _appends(2)
    head = AuditChainHead.objects.values_list("seq", "mac").get()
    with pytest.raises(DataError):
        # A value the column cannot hold makes the insert fail after the head's update in the same statement.
        audit_record(action="x" * 500, email="too-long@example.test")
    assert AuditChainHead.objects.values_list("seq", "mac").get() == head
    assert AuditEvent.objects.count() == 2
    _appends(1)
    assert verify_output() == "3 records, chain intact"
