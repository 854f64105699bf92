"""A sensor stream for the worker fault tests: `python -m tests.telemetry.fault_stream SENSOR COUNT BASE_NS`.

Runs outside pytest with the environment it is given, like the web process would, and enqueues
COUNT readings in TELEMETRY_TASK_BATCH-sized tasks, in bursts of CHUNK readings with pauses between:
a burst leaves the worker a backlog (so a fault lands while it holds tasks), a pause lets it drain.
"""

import os
import sys
import time

import django

CHUNK = 2000
PAUSE_SECONDS = 0.3


def stream_readings(sensor_id: int, count: int, base_ns: int) -> list[list]:
    return [[sensor_id, "load", base_ns + i * 1000, float(i), i, None] for i in range(count)]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from telemetry.services.enqueue import readings_enqueue

    sensor_id, count, base_ns = (int(arg) for arg in sys.argv[1:4])
    readings = stream_readings(sensor_id, count, base_ns)
    for start in range(0, count, CHUNK):
        readings_enqueue(readings[start : start + CHUNK])
        time.sleep(PAUSE_SECONDS)
    sys.stdout.write("enqueued\n")


if __name__ == "__main__":
    main()
