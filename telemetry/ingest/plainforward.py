"""The fast way in for line protocol: a plain body from a sensor token is checked whole and forwarded.

The check (telemetry.lineprotocol.plain) accepts only bodies whose every line the exact path would
store, so the answer is the same 204 and nothing is lost; parsing happens in a worker. Anything else
(an API token, a `sensor` tag, minutes or hours precision, a line out of the time window, escapes,
quotes, comments) returns False and is parsed here, line by line, to name what is wrong.
"""

from django.conf import settings

from telemetry.ingest.auth import IngestPrincipal
from telemetry.ingest.batch import batch_check_size
from telemetry.lineprotocol import PRECISIONS
from telemetry.lineprotocol.plain import SENSOR_TAG, plain_body
from telemetry.readings import INT64_MAX, NS_PER_SECOND
from telemetry.services.enqueue import body_enqueue
from telemetry.services.lines import forwarded_body


def plain_forward(body: bytes, principal: IngestPrincipal, *, precision: str, scale: int, now: int) -> bool:
    """Queue a plain body for a worker to parse and store; False when it must take the exact path.

    Raises TooLarge past TELEMETRY_BATCH_MAX readings and BrokerUnavailable, as the exact path does.
    """
    if principal.sensor_id is None or scale != 1 or SENSOR_TAG in body:
        return False
    plain = plain_body(body)
    if plain is None:
        return False
    batch_check_size(plain.readings)
    if plain.first_ts is not None:
        factor = PRECISIONS[precision]
        oldest = now - settings.TELEMETRY_MAX_AGE_SECONDS * NS_PER_SECOND
        newest = min(now + settings.TELEMETRY_MAX_FUTURE_SECONDS * NS_PER_SECOND, INT64_MAX)
        if plain.first_ts * factor < oldest or plain.last_ts * factor > newest:
            return False
    body_enqueue(forwarded_body(principal.sensor_id, now, body.decode("ascii"), precision))
    return True
