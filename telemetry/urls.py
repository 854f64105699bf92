"""Telemetry pages."""

from django.urls import path

from telemetry import views

app_name = "telemetry"

urlpatterns = [
    path("status/", views.status_detail, name="status"),
]
