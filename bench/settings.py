"""Settings for the servers the web benchmarks start: the site's own, the baseline URLs, and the bench's switches."""

import os

from config.settings import *  # noqa: F403 - the site's settings, unchanged unless a switch below says so
from config.settings import SESSION_ENGINE

ROOT_URLCONF = "bench.urls"
# cache_hit's baseline: the same sessions from the database alone.
SESSION_ENGINE = os.environ.get("KEYHOLD_BENCH_SESSION_ENGINE", SESSION_ENGINE)
