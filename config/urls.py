"""Top-level URL map: each app owns its namespace."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from config import health, pages

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("favicon.ico", pages.favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("accounts.urls")),
    path("telemetry/", include("telemetry.urls")),
    path("secrets/", include("vault.urls")),
    path("admin/", admin.site.urls),
]
