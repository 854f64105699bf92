"""Top-level URL map: each app owns its namespace."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from config import health, pages
from vault.views import shares as vault_shares

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("favicon.ico", pages.favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("accounts.urls")),
    path("telemetry/", include("telemetry.urls")),
    # Telemetry ingest at InfluxDB's paths (/api/v2/write, /write) and /api/telemetry/readings.
    path("", include("telemetry.api_urls")),
    path("", include("telemetry.read_urls")),
    path("secrets/", include("vault.urls")),
    # HashiCorp Vault KV v2 compatible API (vault.api): token authentication only, JSON only.
    path("v1/", include("vault.api.urls")),
    # Public: whoever holds a share link opens it here, signed in or not (vault.views.shares).
    path("share/<str:link_id>", vault_shares.share_open_page, name="share-open"),
    path("share/<str:link_id>/open", vault_shares.share_open_api, name="share-open-api"),
    path("admin/", admin.site.urls),
]

# A database outage answers 503 with Retry-After (config.unavailable), every other error Django's 500.
handler500 = "config.unavailable.server_error_or_unavailable"
