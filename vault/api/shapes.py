"""What KV v2 responses hold: Vault's timestamps and durations, version and secret metadata (never values)."""

import re
from datetime import UTC, datetime, timedelta

from vault.api.http import ApiError
from vault.models import Mount, Secret, SecretVersion
from vault.services.validation import DELETE_AFTER_LIMIT

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def timestamp(moment: datetime | None) -> str:
    """RFC 3339 in UTC with microseconds, as Vault writes them; "" for no time."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def duration_text(seconds: int) -> str:
    """Go's time.Duration.String() for whole seconds: "0s", "90s" is "1m30s", an hour "1h0m0s"."""
    if seconds <= 0:
        return "0s"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


def duration_seconds(value: object, *, name: str) -> int:
    """Whole seconds from a Go duration ("1h30m", "45s", "0s") or a number of seconds, within a year."""
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str) and value and len(value) <= 64:
        text = value.strip()
        if text.isdigit():
            seconds = int(text)
        else:
            parts = _DURATION_PART.findall(text)
            if not parts or "".join(n + u for n, u in parts) != text:
                raise ApiError(400, f"{name} must be a duration such as 30m or 1h")
            seconds = int(sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts))
    else:
        raise ApiError(400, f"{name} must be a duration such as 30m or 1h")
    if not 0 <= seconds <= DELETE_AFTER_LIMIT:
        raise ApiError(400, f"{name} must be between 0s and {duration_text(DELETE_AFTER_LIMIT)}")
    return seconds


def _delete_after(secret: Secret, mount: Mount) -> int:
    return secret.delete_version_after or mount.delete_version_after


def deletion_time(version: SecretVersion, *, secret: Secret, mount: Mount) -> datetime | None:
    """When it was soft-deleted or, under delete_version_after, when it is (or was) due to read as deleted."""
    after = _delete_after(secret, mount)
    if version.deleted_at is None and after and not version.destroyed:
        return version.created + timedelta(seconds=after)
    return version.deleted_at


def version_metadata(version: SecretVersion, *, secret: Secret, mount: Mount) -> dict:
    """One version's metadata as KV v2 returns it beside data and after writes."""
    deletion = deletion_time(version, secret=secret, mount=mount)
    return {
        "created_time": timestamp(version.created),
        "custom_metadata": secret.custom_metadata or None,
        "deletion_time": timestamp(deletion),
        "destroyed": version.destroyed,
        "version": version.version,
    }


def secret_metadata(secret: Secret, versions: list[SecretVersion], *, mount: Mount) -> dict:
    """KV v2's metadata of a secret: settings, version numbers and each version's times (no field names).

    As OpenBao answers: `oldest_version` stays 0 until max_versions has pruned a version, then names the oldest
    one kept; `current_metadata_version` counts metadata writes; metadata check-and-set (an OpenBao extension)
    is never required here.
    """
    oldest = min((v.version for v in versions), default=0)
    return {
        "cas_required": secret.cas_required,
        "created_time": timestamp(secret.created),
        "current_metadata_version": secret.metadata_version,
        "current_version": secret.current_version,
        "custom_metadata": secret.custom_metadata or None,
        "delete_version_after": duration_text(secret.delete_version_after),
        "max_versions": secret.max_versions or 0,
        "metadata_cas_required": False,
        "oldest_version": oldest if oldest > 1 else 0,
        "updated_time": timestamp(secret.updated),
        "versions": {
            str(v.version): {
                "created_time": timestamp(v.created),
                "deletion_time": timestamp(deletion_time(v, secret=secret, mount=mount)),
                "destroyed": v.destroyed,
            }
            for v in versions
        },
    }


def mount_config(mount: Mount) -> dict:
    return {
        "cas_required": mount.cas_required,
        "delete_version_after": duration_text(mount.delete_version_after),
        "max_versions": mount.max_versions,
    }


def mount_entry(mount: Mount) -> dict:
    """A mount as sys/mounts lists it. The accessor is stable per mount and says nothing about its owner."""
    return {
        "accessor": f"kv_{mount.pk:08x}",
        "config": {"default_lease_ttl": 0, "force_no_cache": False, "max_lease_ttl": 0},
        "description": mount.description,
        "external_entropy_access": False,
        "local": False,
        "options": {"version": "2"},
        "plugin_version": "",
        "seal_wrap": False,
        "type": "kv",
        "uuid": "",
    }
