"""Device HMAC keys: stored as vault secrets of the sensor's owner, rotated with a grace period, audited."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from telemetry.services.devicekeys import (
    hmac_path,
    sensor_hmac_keyring,
    sensor_hmac_keys,
    sensor_hmac_remove,
    sensor_hmac_rotate,
    sensor_hmac_stamp,
)
from telemetry.services.sensors import sensor_create
from vault.models import Secret, SecretVersion
from vault.services.reveal import secret_reveal
from vault.services.secrets import secret_move

pytestmark = pytest.mark.django_db


@pytest.fixture
def sensor(django_user_model):
    owner = django_user_model.objects.create_user(email="keys@example.test", password="x" * 16)
    return sensor_create(owner=owner, name="boiler")[0]


def test_first_rotation_creates_a_vault_secret_the_owner_can_reveal(sensor):
    key = sensor_hmac_rotate(sensor=sensor)
    assert len(key) == 32
    secret = Secret.objects.get(owner=sensor.owner, path=hmac_path(sensor.pk))
    assert sensor.hmac_secret_id == secret.pk
    assert secret.current_version == 1
    # Sealed like any secret: the key's bytes are not in the stored blob.
    assert key not in bytes(SecretVersion.objects.get(secret=secret).ciphertext)
    revealed = secret_reveal(user=sensor.owner, path=secret.path, authenticated_at=timezone.now().timestamp())
    assert revealed.fields["key"].encode() != key
    assert len(revealed.fields["key"]) == 44
    assert sensor_hmac_keys(sensor.pk) == [key]


def test_rotation_keeps_the_previous_key_during_the_grace_period_only(sensor, settings):
    first = sensor_hmac_rotate(sensor=sensor)
    second = sensor_hmac_rotate(sensor=sensor)
    assert first != second
    assert sensor_hmac_keys(sensor.pk) == [second, first]
    # After the grace period, only the current key is accepted.
    SecretVersion.objects.filter(secret_id=sensor.hmac_secret_id, version=2).update(
        created=timezone.now() - timedelta(seconds=settings.TELEMETRY_HMAC_GRACE_SECONDS + 1)
    )
    assert sensor_hmac_keys(sensor.pk) == [second]
    # A keyring loaded within the grace period stops offering the old key once it ends.
    settings.TELEMETRY_HMAC_GRACE_SECONDS = 3600
    SecretVersion.objects.filter(secret_id=sensor.hmac_secret_id, version=2).update(created=timezone.now())
    ring = sensor_hmac_keyring(sensor.pk)
    assert ring.valid_keys() == [second, first]
    assert ring.valid_keys(ring.previous_until + timedelta(seconds=1)) == [second]
    assert repr(first) not in repr(ring)
    assert repr(second) not in repr(ring)


def test_a_moved_secret_keeps_working_and_the_next_rotation_writes_there(sensor):
    first = sensor_hmac_rotate(sensor=sensor)
    secret_move(owner=sensor.owner, path=hmac_path(sensor.pk), new_path="devices/boiler-hmac")
    assert sensor_hmac_keys(sensor.pk) == [first]
    second = sensor_hmac_rotate(sensor=sensor)
    assert Secret.objects.get(pk=sensor.hmac_secret_id).path == "devices/boiler-hmac"
    assert sensor_hmac_keys(sensor.pk) == [second, first]


def test_disabled_sensor_and_removed_key_have_no_keys(sensor):
    sensor_hmac_rotate(sensor=sensor)
    assert sensor_hmac_stamp(sensor.pk) == (sensor.hmac_secret_id, 1)
    type(sensor).objects.filter(pk=sensor.pk).update(enabled=False)
    assert sensor_hmac_stamp(sensor.pk) is None
    assert sensor_hmac_keys(sensor.pk) == []
    type(sensor).objects.filter(pk=sensor.pk).update(enabled=True)
    sensor_hmac_remove(sensor=sensor)
    assert not Secret.objects.filter(owner=sensor.owner, path=hmac_path(sensor.pk)).exists()
    assert sensor_hmac_keys(sensor.pk) == []
    assert sensor_hmac_stamp(sensor.pk) is None
    sensor_hmac_remove(sensor=sensor)  # removing twice is harmless


def test_a_key_deleted_in_the_vault_turns_hmac_off(sensor):
    sensor_hmac_rotate(sensor=sensor)
    Secret.objects.filter(pk=sensor.hmac_secret_id).delete()
    assert sensor_hmac_keys(sensor.pk) == []


def test_each_machine_load_is_audited_once_without_the_key(sensor):
    key = sensor_hmac_rotate(sensor=sensor)
    before = AuditEvent.objects.filter(action=AuditEvent.Action.SECRET_REVEAL).count()
    sensor_hmac_keys(sensor.pk)
    # The stamp is what the listener polls: it decrypts nothing and writes no audit record.
    sensor_hmac_stamp(sensor.pk)
    events = list(AuditEvent.objects.filter(action=AuditEvent.Action.SECRET_REVEAL).order_by("pk"))[before:]
    assert len(events) == 1
    assert events[0].actor_id == sensor.owner_id
    assert events[0].detail["reader"] == "telemetry-listener"
    assert events[0].target == hmac_path(sensor.pk)
    stored = str(events[0].detail) + events[0].target
    assert key.hex() not in stored
    assert key.decode("latin-1") not in stored
