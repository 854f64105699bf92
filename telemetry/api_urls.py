"""Telemetry ingest URLs at the paths InfluxDB clients expect (included at the site root)."""

from django.urls import path

from telemetry.ingest import views

app_name = "telemetry-api"

urlpatterns = [
    path("api/telemetry/readings", views.readings_post, name="readings"),
    path("api/v2/write", views.write_v2, name="write-v2"),
    path("write", views.write_v1, name="write-v1"),
]
