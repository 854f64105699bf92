"""Device HMAC keys: one per sensor, kept as a vault secret of its owner, rotated with a grace period.

The key is the secret `telemetry/sensors/<sensor id>/hmac` in the owner's default mount (field `key`,
base64url), written through the vault's own services: it is sealed like any secret, each rotation is a
new version, the owner can see and reveal it in the vault (the device needs it), and every write and
read lands in the audit trail. The sensor holds a reference to the secret, so moving it keeps it working
and deleting it switches HMAC signing off.

Machine reads (the listener) decrypt through `sensor_hmac_keyring`, which writes one audit record per
load; the listener checks the cheap `sensor_hmac_stamp` every few seconds and decrypts again only
when it changes, so a busy sensor adds a handful of audit records a day, not one per datagram.
"""

import base64
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.services.audit import Action, audit_record
from telemetry.models import Sensor
from vault.crypto import DecryptError
from vault.models import DEFAULT_MOUNT, SecretVersion
from vault.services.errors import VaultError
from vault.services.sealing import version_open
from vault.services.secrets import secret_delete_all, secret_update

KEY_BYTES = 32
KEY_FIELD = "key"
# Who read the key, in the audit record's detail: a process, not a person.
READER = "telemetry-listener"


def hmac_path(sensor_id: int) -> str:
    return f"telemetry/sensors/{sensor_id}/hmac"


@dataclass(frozen=True, slots=True)
class HmacKeyring:
    """A sensor's usable keys, current first. Its repr omits the keys, so it is safe in a log line."""

    stamp: tuple | None
    keys: list[bytes] = field(repr=False)
    # When the previous key stops being accepted (None: there is no previous key).
    previous_until: datetime | None = None

    def valid_keys(self, now: datetime | None = None) -> list[bytes]:
        now = now or timezone.now()
        if self.previous_until is not None and now >= self.previous_until:
            return self.keys[:1]
        return self.keys


@sensitive_variables("key")
def sensor_hmac_rotate(*, sensor: Sensor, request=None) -> bytes:
    """Give the sensor a new HMAC key and return it (the caller shows it once, or the owner reveals it).

    The first call creates the secret; later ones add a version, and the previous key stays valid for
    TELEMETRY_HMAC_GRACE_SECONDS so devices can be updated without losing readings.
    """
    key = secrets.token_bytes(KEY_BYTES)
    encoded = base64.urlsafe_b64encode(key).decode()
    with transaction.atomic():
        locked = Sensor.objects.select_for_update(of=("self",)).select_related("owner", "hmac_secret").get(pk=sensor.pk)
        path = locked.hmac_secret.path if locked.hmac_secret else hmac_path(sensor.pk)
        mount = locked.hmac_secret.mount if locked.hmac_secret else DEFAULT_MOUNT
        version = secret_update(
            owner=locked.owner, path=path, mount=mount, fields={KEY_FIELD: encoded}, request=request
        )
        Sensor.objects.filter(pk=sensor.pk).update(hmac_secret=version.secret_id)
    sensor.hmac_secret_id = version.secret_id
    return key


def sensor_hmac_remove(*, sensor: Sensor, request=None) -> None:
    """Delete the sensor's HMAC key with all its versions; HMAC-signed lines from it are refused at once."""
    with transaction.atomic():
        locked = Sensor.objects.select_for_update(of=("self",)).select_related("owner", "hmac_secret").get(pk=sensor.pk)
        if locked.hmac_secret is not None:
            secret = locked.hmac_secret
            secret_delete_all(owner=locked.owner, path=secret.path, mount=secret.mount, request=request)
        Sensor.objects.filter(pk=sensor.pk).update(hmac_secret=None)
    sensor.hmac_secret_id = None


def sensor_hmac_stamp(sensor_id: int) -> tuple | None:
    """What changes when the sensor's usable keys may have: (secret id, current version), or None when the
    sensor is missing, disabled or has no key. One indexed query, no decryption, no audit record."""
    row = (
        Sensor.objects.filter(pk=sensor_id, enabled=True, hmac_secret__isnull=False)
        .values_list("hmac_secret_id", "hmac_secret__current_version")
        .first()
    )
    return tuple(row) if row else None


def _key_of(version: SecretVersion, owner_id: int) -> bytes | None:
    try:
        encoded = version_open(version=version, owner_id=owner_id).fields.get(KEY_FIELD, "")
        key = base64.urlsafe_b64decode(encoded.encode())
    except (VaultError, DecryptError, ValueError):
        # Deleted, destroyed, tampered or edited into something that is not a key: not a usable key.
        return None
    return key if len(key) >= 16 else None


@sensitive_variables("keys")
def sensor_hmac_keyring(sensor_id: int) -> HmacKeyring:
    """Decrypt the sensor's current key and, within the grace period, the previous one; audited once per call."""
    stamp = sensor_hmac_stamp(sensor_id)
    if stamp is None:
        return HmacKeyring(stamp=None, keys=[])
    sensor = Sensor.objects.select_related("owner", "hmac_secret").get(pk=sensor_id)
    secret = sensor.hmac_secret
    versions = list(
        SecretVersion.objects.filter(secret=secret, version__gte=secret.current_version - 1).order_by("-version")
    )
    keys, previous_until = [], None
    current = versions[0] if versions and versions[0].version == secret.current_version else None
    if current is not None and (key := _key_of(current, sensor.owner_id)):
        keys.append(key)
        grace_end = current.created + timedelta(seconds=settings.TELEMETRY_HMAC_GRACE_SECONDS)
        previous = versions[1] if len(versions) > 1 else None
        if previous is not None and grace_end > timezone.now() and (old := _key_of(previous, sensor.owner_id)):
            keys.append(old)
            previous_until = grace_end
    audit_record(
        action=Action.SECRET_REVEAL,
        actor=sensor.owner,
        target=secret.path,
        detail={"secret": secret.pk, "version": secret.current_version, "reader": READER, "sensor": sensor_id},
    )
    return HmacKeyring(stamp=stamp, keys=keys, previous_until=previous_until)


def sensor_hmac_keys(sensor_id: int) -> list[bytes]:
    """The keys a signature from this sensor may use now: current first, then the previous one in its grace."""
    return sensor_hmac_keyring(sensor_id).valid_keys()
