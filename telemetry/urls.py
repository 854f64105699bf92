"""Telemetry pages: the owner's sensors, and the staff status and health pages."""

from django.urls import path

from telemetry.views import detail, export, health, keys, sensors, status

app_name = "telemetry"

urlpatterns = [
    path("", sensors.sensor_list, name="sensor-list"),
    path("sensors/new/", sensors.sensor_create, name="sensor-create"),
    path("sensors/<int:sensor_id>/", detail.sensor_detail, name="sensor-detail"),
    path("sensors/<int:sensor_id>/edit/", sensors.sensor_edit, name="sensor-edit"),
    path("sensors/<int:sensor_id>/enabled/", sensors.sensor_enabled, name="sensor-enabled"),
    path("sensors/<int:sensor_id>/token/", sensors.sensor_token, name="sensor-token"),
    path("sensors/<int:sensor_id>/key/", keys.sensor_key, name="sensor-key"),
    path("sensors/<int:sensor_id>/export/", export.sensor_export, name="sensor-export"),
    path("sensors/<int:sensor_id>/delete/", sensors.sensor_remove, name="sensor-delete"),
    path("status/", status.status_detail, name="status"),
    path("health/", health.health_detail, name="health"),
]
