"""Who may write readings: a sensor's ingest token (`khs_`, that sensor only) or a user's API token
(`khp_` with the write scope and no vault path limits: any enabled sensor of its owner).

Tokens come in `Authorization: Token <t>` (InfluxDB) or `Bearer <t>`; the v1 `/write` endpoint also
takes `?p=<t>` (with any `u=`) and HTTP Basic with the token as password, which Telegraf and influx
v1 clients send. A request carrying two different tokens is refused rather than guessing.
"""

import base64
import binascii
from dataclasses import dataclass

from django.utils import timezone

from accounts.clientinfo import client_ip
from accounts.selectors_tokens import token_for_value
from accounts.services.tokens import token_mark_used
from accounts.tokenauth import TOKEN_PATTERN as USER_TOKEN_PATTERN
from telemetry.ingest.errors import Forbidden, Unauthorized
from telemetry.models import Sensor
from telemetry.services.sensors import TOKEN_PATTERN as SENSOR_TOKEN_PATTERN
from telemetry.services.sensors import sensor_for_token

INVALID = "The token is not valid."


@dataclass(frozen=True)
class IngestPrincipal:
    """A sensor token writes `sensor_id` only; a user token writes any enabled sensor of `owner_id`."""

    sensor_id: int | None = None
    owner_id: int | None = None

    def writable(self, sensor_ids: set[int]) -> set[int]:
        """The subset of `sensor_ids` this token may write, in one query at most."""
        if self.sensor_id is not None:
            return sensor_ids & {self.sensor_id}
        if not sensor_ids:
            return set()
        rows = Sensor.objects.filter(owner_id=self.owner_id, enabled=True, pk__in=sensor_ids)
        return set(rows.values_list("pk", flat=True))


def _basic_password(credentials: str) -> str:
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("The Basic credentials are malformed.") from None
    return decoded.partition(":")[2]


def _token_values(request, *, v1: bool) -> set[str]:
    values = set()
    authorization = request.META.get("HTTP_AUTHORIZATION", "").strip()
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        scheme = scheme.lower()
        if scheme in ("token", "bearer"):
            values.add(credentials.strip())
        elif scheme == "basic" and v1:
            values.add(_basic_password(credentials))
        else:
            raise Unauthorized("Use Authorization: Token <token>.")
    if v1 and request.GET.get("p"):
        values.add(request.GET["p"])
    return values


def _user_token(value: str, request) -> IngestPrincipal:
    token = token_for_value(value)
    if token is None or token.revoked_at is not None or not token.user.is_active:
        raise Unauthorized(INVALID)
    if not token.is_usable(timezone.now()):
        raise Unauthorized("The token has expired.")
    # A token limited to vault paths was meant for those secrets, not for writing telemetry.
    if not token.can_write or token.path_prefixes:
        raise Forbidden("This API token may not write telemetry (it needs the write scope and no path limits).")
    token_mark_used(token=token, ip=client_ip(request))
    return IngestPrincipal(owner_id=token.user_id)


def ingest_authenticate(request, *, v1: bool = False) -> IngestPrincipal:
    """The principal of an ingest request; raises Unauthorized (401) or Forbidden (403)."""
    values = _token_values(request, v1=v1)
    if not values:
        raise Unauthorized("A token is required: Authorization: Token <token>.")
    if len(values) > 1:
        raise Unauthorized("Two different tokens were sent.")
    value = values.pop()
    if SENSOR_TOKEN_PATTERN.fullmatch(value):
        sensor = sensor_for_token(value)
        if sensor is None:
            raise Unauthorized(INVALID)
        return IngestPrincipal(sensor_id=sensor.pk)
    if USER_TOKEN_PATTERN.fullmatch(value):
        return _user_token(value, request)
    raise Unauthorized(INVALID)
