"""The Celery application: reads CELERY_* settings and finds tasks.py in each app."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("keyhold")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _connect_mongodb_after_fork(**_kwargs) -> None:
    # PyMongo is not fork-safe: each pool child opens its own client.
    from telemetry import mongo

    mongo.connect()
