"""Telemetry read API URLs (included at the site root beside the ingest API)."""

from django.urls import path

from telemetry import views_api

app_name = "telemetry-read"

urlpatterns = [
    path("api/telemetry/sensors/<int:sensor_id>/series", views_api.sensor_series, name="series"),
]
