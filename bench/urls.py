"""The site's URLs plus the baseline views the page benchmarks compare against (never served by the site)."""

from django.urls import path

from bench import baseline_views
from config.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    *site_urlpatterns,
    path("bench/plain-read/<int:pk>", baseline_views.plain_read, name="bench-plain-read"),
    path("bench/plain-token-read/<int:pk>", baseline_views.plain_token_read, name="bench-plain-token-read"),
]
