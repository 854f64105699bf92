"""Point this process' Celery publishing at another broker for a while (a private one, or a dead port)."""

from collections.abc import Iterator
from contextlib import contextmanager

from config.celery import app as celery_app


def _reset_pools() -> None:
    # Connections and producers are pooled per URL on first use: drop them so the next publish reconnects.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def publishing_to(url: str) -> Iterator[None]:
    """Tasks sent inside the block go to `url`; workers of the session (on the usual broker) never see them."""
    saved = celery_app.conf.get("broker_write_url")
    celery_app.conf.broker_write_url = url
    _reset_pools()
    try:
        yield
    finally:
        celery_app.conf.broker_write_url = saved
        _reset_pools()
