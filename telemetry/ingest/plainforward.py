"""The fast way in for line protocol: a plain body from a sensor token, parsed in columns and queued as such.

A plain body (telemetry.lineprotocol.plain) holds only lines the exact path would store, so the answer
is the same 204 and nothing is lost; its readings travel as columns (telemetry.services.columns: per
head its times, per metric its values), which the worker stores without parsing anything again. Anything else (an API
token, a `sensor` tag, minutes or hours precision, a line out of the time window, escapes, quotes,
comments) returns False and is parsed line by line, to name what is wrong.
"""

from telemetry.ingest.auth import IngestPrincipal
from telemetry.ingest.batch import batch_check_size
from telemetry.lineprotocol.plain import SENSOR_TAG
from telemetry.services.columns import columns_entries
from telemetry.services.enqueue import columns_enqueue
from telemetry.services.lines import plain_series


def plain_forward(body: bytes, principal: IngestPrincipal, *, precision: str, scale: int, now: int) -> bool:
    """Queue a plain body's readings for a worker to store; False when it must take the exact path.

    Raises TooLarge past TELEMETRY_BATCH_MAX readings and BrokerUnavailable, as the exact path does.
    """
    if principal.sensor_id is None or scale != 1 or not body.isascii():
        return False
    text = body.decode("ascii")
    if SENSOR_TAG in text:
        return False
    series = plain_series(text, received_ns=now, precision=precision)
    if series is None:
        return False
    batch_check_size(sum(len(times) for _metric, _tags, times, _values in series))
    columns_enqueue(columns_entries(principal.sensor_id, series))
    return True
