"""Key operations: `manage.py vault_keys`, rotation through the real Celery worker, and the admin key census."""

import io
import os
import signal
import stat
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.services.auditchain import chain_verify
from config.celery import app as celery_app
from tests.vault import keys, vault_support
from tests.vault.vault_support import fresh
from tests.waiting import wait_until
from vault.models import SecretVersion
from vault.selectors import kek_census
from vault.services import keyops, secret_create, secret_reveal
from vault.tasks import rewrap_batch

owner = vault_support.owner
SECRETS = 5


@pytest.fixture(autouse=True)
def no_recorded_rotation():
    cache.delete(keyops.PROGRESS_CACHE_KEY)
    yield
    cache.delete(keyops.PROGRESS_CACHE_KEY)


@pytest.fixture
def found():
    return keys.entries("old", "new", "spare")


@pytest.fixture
def keyring_in_env(monkeypatch):
    """VAULT_KEYS given directly (no file): commands print the new keyring instead of writing it."""
    monkeypatch.delenv("VAULT_KEYS_FILE", raising=False)
    monkeypatch.setenv("VAULT_KEYS", "set-directly")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("vault_keys", *args, stdout=out, stderr=out)
    return out.getvalue()


def store(owner) -> dict[str, dict[str, str]]:
    expected = {}
    for n in range(SECRETS):
        secret_create(owner=owner, path=f"ops/{n}", fields={"k": f"value-{n}"})
        expected[f"ops/{n}"] = {"k": f"value-{n}"}
    return expected


def assert_all_reveal(owner, expected) -> None:
    for path, fields in expected.items():
        assert secret_reveal(user=owner, path=path, version=1, authenticated_at=fresh()).fields == fields


# --- add / census / retire --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_add_prints_a_keyring_with_a_new_256_bit_key_first(found, keyring_in_env):
    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        output = run("add", "--id", "fresh")
    new_keyring = output.strip().splitlines()[-1]
    parsed = keys.ring(*new_keyring.split(","))
    assert parsed.ids == ["fresh", "old"]
    assert new_keyring.endswith(found["old"])
    assert AuditEvent.objects.filter(action=AuditEvent.Action.KEY_ADD, target="kek:fresh").exists()


@pytest.mark.django_db
def test_add_refuses_an_id_already_in_the_keyring(found, keyring_in_env):
    with override_settings(VAULT_KEYS=keys.setting(found["old"])), pytest.raises(CommandError, match="already holds"):
        run("add", "--id", "old")


@pytest.mark.django_db
def test_add_write_refuses_without_a_keyring_file(found, keyring_in_env):
    with override_settings(VAULT_KEYS=keys.setting(found["old"])), pytest.raises(CommandError, match="VAULT_KEYS_FILE"):
        run("add", "--write")


@pytest.mark.django_db
def test_add_write_updates_the_keyring_file_with_mode_0600_and_prints_no_key(found, tmp_path, monkeypatch):
    path = tmp_path / "vault_keys"
    path.write_text(found["old"] + "\n")
    path.chmod(0o644)
    monkeypatch.delenv("VAULT_KEYS", raising=False)
    monkeypatch.setenv("VAULT_KEYS_FILE", str(path))
    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        output = run("add", "--id", "fresh", "--write")
    written = path.read_text().strip()
    assert keys.ring(*written.split(",")).ids == ["fresh", "old"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for entry in written.split(","):
        assert keys.material(entry) not in output
    assert str(path) in output


@pytest.mark.django_db
def test_census_counts_data_keys_and_audit_records_per_kek(owner, found):
    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        store(owner)
    with override_settings(VAULT_KEYS=keys.setting(found["new"], found["old"])):
        output = run("census")
    lines = {line.split()[0]: line.split()[1:] for line in output.splitlines()[1:] if line.split()}
    assert lines["new"][:2] == ["0", "0"]
    assert lines["old"][0] == str(SECRETS)
    assert int(lines["old"][1]) >= SECRETS  # every create was audited, MACed with old's audit key
    assert "active" in lines["new"]
    assert keys.material(found["old"]) not in output


@pytest.mark.django_db
def test_retire_refuses_the_active_an_unknown_and_a_used_kek(owner, found, keyring_in_env):
    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        store(owner)
    with override_settings(VAULT_KEYS=keys.setting(found["new"], found["old"])):
        with pytest.raises(CommandError, match="active KEK"):
            run("retire", "new")
        with pytest.raises(CommandError, match="no key with id 'nope'"):
            run("retire", "nope")
        with pytest.raises(CommandError, match=f"still wraps {SECRETS} data key"):
            run("retire", "old")
        run("rotate", "--now", "--batch-size", "2")
        assert kek_census() == {"new": SECRETS}


@pytest.mark.django_db
def test_retire_after_rotation_checkpoints_the_audit_chain_so_it_verifies_without_the_key(owner, found, keyring_in_env):
    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        store(owner)
    with override_settings(VAULT_KEYS=keys.setting(found["new"], found["old"])):
        run("rotate", "--now", "--batch-size", "2")
        output = run("retire", "old")
    assert output.strip().splitlines()[-1] == keys.setting(found["new"])
    checkpoint = AuditEvent.objects.get(action=AuditEvent.Action.AUDIT_CHECKPOINT)
    assert checkpoint.key_id == "new"
    assert AuditEvent.objects.filter(key_id="old", seq__lte=checkpoint.detail["through_seq"]).count() >= SECRETS
    with override_settings(VAULT_KEYS=keys.setting(found["new"])):
        assert chain_verify().intact
        # Without the old key, the checkpoint's digest is what catches an edit of an old record.
        victim = AuditEvent.objects.filter(key_id="old").order_by("seq").first()
        AuditEvent.objects.filter(pk=victim.pk).update(target="rewritten")
        report = chain_verify()
        assert not report.intact
        assert f"does not match records 1..{checkpoint.detail['through_seq']}" in report.problem


@pytest.mark.django_db
def test_retire_is_refused_over_a_broken_audit_chain(owner, found, keyring_in_env):
    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        store(owner)
    with override_settings(VAULT_KEYS=keys.setting(found["new"], found["old"])):
        run("rotate", "--now", "--batch-size", "2")
        AuditEvent.objects.filter(pk=AuditEvent.objects.order_by("seq").first().pk).update(target="forged")
        with pytest.raises(CommandError, match="cannot be retired: The audit chain is broken"):
            run("retire", "old")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.AUDIT_CHECKPOINT).exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.KEY_RETIRE).exists()


@pytest.mark.django_db
def test_retire_of_an_unused_kek_prints_the_keyring_without_it(owner, found, keyring_in_env):
    with override_settings(VAULT_KEYS=keys.setting(found["new"], found["old"], found["spare"])):
        output = run("retire", "spare")
    assert output.strip().splitlines()[-1] == keys.setting(found["new"], found["old"])
    assert AuditEvent.objects.filter(action=AuditEvent.Action.KEY_RETIRE, target="kek:spare").exists()


@pytest.mark.django_db
def test_rotate_with_nothing_to_do_is_refused_and_changes_nothing(owner, found):
    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        store(owner)
        with pytest.raises(CommandError, match="Nothing to rotate"):
            run("rotate")
        assert kek_census() == {"old": SECRETS}


# --- rotation through the real worker ---------------------------------------------------------------------


def rotation_finished(target: str):
    def finished():
        progress = keyops.rotation_progress()
        return progress is not None and progress.target == target and progress.state == "finished"

    return finished


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_rotation_through_the_worker_moves_every_key_and_everything_still_reveals(owner, found, celery_worker_thread):
    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        expected = store(owner)
    with override_settings(VAULT_KEYS=keys.setting(found["new"], found["old"])):
        output = run("rotate", "--batch-size", "2")
        assert f"{SECRETS} data key(s) to re-wrap" in output
        wait_until(rotation_finished("new"), timeout=30)
        assert kek_census() == {"new": SECRETS}
        progress = keyops.rotation_progress()
        assert (progress.done, progress.remaining) == (SECRETS, 0)
        assert AuditEvent.objects.filter(action=AuditEvent.Action.VAULT_REWRAP, target="kek:new").count() == 1
        # Twice is harmless: the command says there is nothing to do, and a repeated task finds nothing.
        with pytest.raises(CommandError, match="Nothing to rotate"):
            run("rotate")
        assert rewrap_batch.run(to_kek="new", batch_size=2) == 0
        assert AuditEvent.objects.filter(action=AuditEvent.Action.VAULT_REWRAP, target="kek:new").count() == 1
        assert "old" in run("census")
    with override_settings(VAULT_KEYS=keys.setting(found["new"])):
        assert_all_reveal(owner, expected)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_an_interrupted_rotation_resumes_and_finishes(owner, found, celery_worker_thread):
    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        expected = store(owner)
    with override_settings(VAULT_KEYS=keys.setting(found["new"], found["old"])):
        # One batch runs, then the chain stops (a killed worker whose message was lost for good).
        keyops.key_rotation_start(batch_size=2, enqueue=False)
        second = SecretVersion.objects.order_by("pk").values_list("pk", flat=True)[1]
        assert keyops.key_rotation_step(to_kek="new", batch_size=2) == (second, 0)
        # The same batch delivered again (acks_late after a kill) redoes nothing that committed.
        keyops.key_rotation_step(to_kek="new", batch_size=2)
        census = kek_census()
        assert census["old"] < SECRETS
        assert sum(census.values()) == SECRETS
        running = keyops.rotation_progress()
        assert (running.state, running.remaining) == ("running", census["old"])
        run("rotate", "--batch-size", "2")
        wait_until(rotation_finished("new"), timeout=30)
        assert kek_census() == {"new": SECRETS}
    with override_settings(VAULT_KEYS=keys.setting(found["new"])):
        assert_all_reveal(owner, expected)


# --- admin -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_key_census_renders_counts_for_staff_and_never_a_key(staff_client, staff_user, owner, found):
    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        store(owner)
    with override_settings(VAULT_KEYS=keys.setting(found["new"], found["old"])):
        response = staff_client.get(reverse("admin:vault_key_census"))
        staff_user.user_permissions.add(Permission.objects.get(codename="view_secret"))
        changelist = staff_client.get(reverse("admin:vault_secret_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    for shown in ("Key census", "<td>old</td>", f"<td>{SECRETS}</td>", "csrfmiddlewaretoken"):
        assert shown in page
    for entry in (found["old"], found["new"]):
        assert keys.material(entry) not in page
    assert reverse("admin:vault_key_census") in changelist.content.decode()


@pytest.mark.django_db
def test_admin_key_census_and_rotation_refuse_non_staff(client, owner):
    client.force_login(owner)
    for response in (
        client.get(reverse("admin:vault_key_census")),
        client.post(reverse("admin:vault_key_rotate")),
    ):
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]
    assert keyops.rotation_progress() is None


@pytest.mark.django_db
def test_admin_rotation_starts_on_post_only(staff_client, owner, found):
    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        store(owner)
    with override_settings(VAULT_KEYS=keys.setting(found["new"], found["old"])):
        assert staff_client.get(reverse("admin:vault_key_rotate")).status_code == 405
        assert keyops.rotation_progress() is None
        response = staff_client.post(reverse("admin:vault_key_rotate"))
    assert response.status_code == 302
    progress = keyops.rotation_progress()
    assert (progress.target, progress.state, progress.remaining) == ("new", "running", SECRETS)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.KEY_ROTATE, actor=response.wsgi_request.user).exists()


@pytest.mark.django_db
def test_admin_rotation_post_needs_a_csrf_token(owner, found, staff_user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff_user)
    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        store(owner)
    with override_settings(VAULT_KEYS=keys.setting(found["new"], found["old"])):
        assert strict.post(reverse("admin:vault_key_rotate")).status_code == 403
    assert keyops.rotation_progress() is None


@pytest.mark.django_db
def test_rows_skipped_by_a_pass_are_picked_up_by_a_second_sweep(owner, found, monkeypatch):
    from vault.services import rotation

    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        store(owner)
    locked = SecretVersion.objects.order_by("pk").values_list("pk", flat=True)[0]
    real_batch = rotation._batch

    def first_row_locked_on_the_first_pass(**kwargs):
        rows = real_batch(**kwargs)
        return [row for row in rows if row.pk != locked] if not sweeps else rows

    sweeps = []
    monkeypatch.setattr(rotation, "_batch", first_row_locked_on_the_first_pass)
    with override_settings(VAULT_KEYS=keys.setting(found["new"], found["old"])):
        keyops.key_rotation_start(batch_size=2, enqueue=False)
        step = (0, 0)
        while step is not None:
            step = keyops.key_rotation_step(to_kek="new", after_id=step[0], batch_size=2, sweep=step[1])
            if step and step[1]:
                sweeps.append(step)
    assert sweeps
    assert kek_census() == {"new": SECRETS}
    assert keyops.rotation_progress().state == "finished"


# --- a worker process killed mid-rotation ------------------------------------------------------------------


VISIBILITY_TIMEOUT = 5


def start_worker_process(*, queue: str, vault_keys: str, name: str) -> subprocess.Popen:
    database = settings.DATABASES["default"]
    url = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x"))
    env = {
        **os.environ,
        "DATABASE_URL": urlunsplit(url._replace(path=f"/{database['NAME']}")),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAULT_KEYS": vault_keys,
        # Unacknowledged messages of a dead worker come back after seconds, not minutes.
        "CELERY_TASK_TIME_LIMIT": "4",
        "CELERY_TASK_SOFT_TIME_LIMIT": "3",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    }
    env.pop("VAULT_KEYS_FILE", None)
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-Q", queue]
    command += ["-n", f"{name}@%h", "--without-mingle", "--without-gossip", "-l", "WARNING"]
    return subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)


def blocked_on_the_lock() -> bool:
    with connection.cursor() as cursor:
        # Activity statistics are snapshotted once per transaction, and the caller holds one open.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query ILIKE %s",
            ["%vault_secretversion%"],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.e2e
@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_rotation_is_replaced_and_the_rotation_finishes(owner, found):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL table locks to stop the worker mid-batch")
    with override_settings(VAULT_KEYS=keys.setting(found["old"])):
        expected = store(owner)
    ring = keys.setting(found["new"], found["old"])
    queue = f"vault-rotation-kill-{uuid.uuid4().hex[:8]}"
    workers = []
    try:
        with override_settings(VAULT_KEYS=ring):
            keyops.key_rotation_start(batch_size=1, enqueue=False)
            keyops.key_rotation_step(to_kek="new", batch_size=1)  # one batch committed before the kill
            with transaction.atomic():
                # The worker's next batch waits on this lock: it is then certainly mid-task, message unacked.
                connection.cursor().execute("LOCK TABLE vault_secretversion IN EXCLUSIVE MODE")
                workers.append(start_worker_process(queue=queue, vault_keys=ring, name="doomed"))
                rewrap_batch.apply_async(kwargs={"to_kek": "new", "batch_size": 1}, queue=queue)
                wait_until(blocked_on_the_lock, timeout=30)
                workers[0].send_signal(signal.SIGKILL)
                workers[0].wait(timeout=10)
            assert kek_census()["old"] == SECRETS - 1
            # A starting worker returns unacknowledged messages older than the visibility timeout (5 s here)
            # to their queue; later scans are throttled to minutes, so start once the message is that old.
            time.sleep(VISIBILITY_TIMEOUT + 1)
            workers.append(start_worker_process(queue=queue, vault_keys=ring, name="replacement"))
            wait_until(rotation_finished("new"), timeout=60)
            assert kek_census() == {"new": SECRETS}
        with override_settings(VAULT_KEYS=keys.setting(found["new"])):
            assert_all_reveal(owner, expected)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
        with celery_app.connection_for_write() as broker:
            channel = broker.default_channel
            channel.queue_delete(queue)
            # The Redis transport keeps the queue's binding keys after a delete.
            channel.client.delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
