"""The Celery application: reads CELERY_* settings and finds tasks.py in each app."""

import os

import orjson
from celery import Celery
from celery.signals import worker_process_init
from kombu.serialization import register

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Batches of readings are most of what the broker carries, and mostly floats and 19-digit times, which
# the json module encodes about ten times slower than orjson (bench listener_udp, telemetry_e2e). The
# bytes are JSON either way; the content type tells the worker which decoder to use.
READINGS_SERIALIZER = "orjson"
READINGS_CONTENT_TYPE = "application/x-orjson"
register(READINGS_SERIALIZER, orjson.dumps, orjson.loads, content_type=READINGS_CONTENT_TYPE, content_encoding="binary")

app = Celery("keyhold")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _connect_mongodb_after_fork(**_kwargs) -> None:
    # PyMongo is not fork-safe: each pool child opens its own client.
    from telemetry import mongo

    mongo.connect()
