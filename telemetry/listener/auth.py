"""Who sent a line: an ingest-token or HMAC prefix, checked against short-lived in-memory caches."""

import base64
import hashlib
import hmac
import time

from django.db import close_old_connections

from telemetry.services.devicekeys import HmacKeyring, sensor_hmac_keyring, sensor_hmac_stamp
from telemetry.services.sensors import sensor_for_token

# How long an answer from PostgreSQL is trusted: a disabled sensor, a new token or a rotated key takes
# effect within this many seconds, while a busy sensor costs one cheap query per period, not per line.
CACHE_SECONDS = 5.0
# Bounded so a flood of made-up tokens or sensor ids cannot grow memory without limit.
CACHE_MAX_ENTRIES = 10_000
HMAC_PREFIX = b"hmac:"
TOKEN_PREFIX = b"khs_"
SIGNATURE_CHARS = 43  # base64url of 32 bytes, unpadded
# Database lookups for credentials not in the cache, per second: a flood of made-up tokens or sensor ids
# is refused from memory past this, instead of becoming one PostgreSQL query per datagram.
LOOKUPS_PER_SECOND = 200


class AuthRejected(ValueError):
    """The line's prefix did not prove a sensor; the message is a reason safe to log (no token, no signature)."""


class _Cache(dict):
    def put(self, key, value) -> None:
        if len(self) >= CACHE_MAX_ENTRIES:
            self.clear()
        self[key] = (time.monotonic() + CACHE_SECONDS, value)

    def fresh(self, key):
        entry = self.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry


class Authenticator:
    """Maps a line's prefix to a sensor id. Used by one thread (the ingest thread): no locks needed."""

    def __init__(self) -> None:
        self._tokens = _Cache()
        self._rings = _Cache()
        # sensor id -> its last keyring, kept past CACHE_SECONDS so an unchanged stamp needs no decryption.
        self._loaded: dict[int, HmacKeyring] = {}
        self._window = (0, 0)  # (second, lookups made in it)

    def _lookup_allowed(self) -> None:
        second = int(time.monotonic())
        start, used = self._window
        used = used + 1 if start == second else 1
        self._window = (second, used)
        if used > LOOKUPS_PER_SECOND:
            raise AuthRejected("too many unknown credentials at once; line refused without a lookup")

    def sensor_for(self, prefix: bytes, line: bytes) -> tuple[int, bool]:
        """(sensor id, signed) for a valid prefix; raises AuthRejected otherwise."""
        if prefix.startswith(TOKEN_PREFIX):
            return self._by_token(prefix), False
        if prefix.startswith(HMAC_PREFIX):
            return self._by_signature(prefix, line), True
        raise AuthRejected("no ingest token or hmac: prefix")

    def _by_token(self, prefix: bytes) -> int:
        # Keyed by the prefix itself: a hit costs one dict lookup. The cache lives in this process's
        # memory only, like the line it came in; it is never logged or written anywhere.
        entry = self._tokens.fresh(prefix)
        if entry is None:
            self._lookup_allowed()
            close_old_connections()
            sensor = sensor_for_token(prefix.decode("ascii", "replace"))
            self._tokens.put(prefix, sensor.pk if sensor else None)
            entry = self._tokens.fresh(prefix)
        if entry[1] is None:
            raise AuthRejected("unknown or disabled ingest token")
        return entry[1]

    def _by_signature(self, prefix: bytes, line: bytes) -> int:
        parts = prefix.split(b":")
        if len(parts) != 3 or not parts[1].isdigit() or len(parts[1]) > 18 or len(parts[2]) != SIGNATURE_CHARS:
            raise AuthRejected("malformed hmac prefix (want hmac:<sensor id>:<43 base64url characters>)")
        sensor_id = int(parts[1])
        try:
            signature = base64.urlsafe_b64decode(parts[2] + b"=")
        except ValueError:
            raise AuthRejected("hmac signature is not base64url") from None
        keys = self._keys(sensor_id)
        if not keys:
            raise AuthRejected("sensor unknown, disabled or without an hmac key")
        for key in keys:
            if hmac.compare_digest(hmac.digest(key, line, hashlib.sha256), signature):
                return sensor_id
        raise AuthRejected("hmac signature does not match")

    def _keys(self, sensor_id: int) -> list[bytes]:
        entry = self._rings.fresh(sensor_id)
        if entry is None:
            self._lookup_allowed()
            close_old_connections()
            stamp = sensor_hmac_stamp(sensor_id)
            ring = self._loaded.get(sensor_id)
            if stamp is None:
                self._loaded.pop(sensor_id, None)
                ring = None
            elif ring is None or ring.stamp != stamp:
                # Decrypting writes an audit record: only when the key changed or this process has none yet.
                if len(self._loaded) >= CACHE_MAX_ENTRIES:
                    self._loaded.clear()
                ring = self._loaded[sensor_id] = sensor_hmac_keyring(sensor_id)
            self._rings.put(sensor_id, ring)
            entry = self._rings.fresh(sensor_id)
        ring = entry[1]
        return ring.valid_keys() if ring is not None else []
