"""Sensors (PostgreSQL): who owns a device and how it proves itself; its readings live in MongoDB."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Sensor(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sensors")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=50, blank=True)
    # Metric name -> unit ("temperature" -> "°C"), shown beside values and charts.
    units = models.JSONField(default=dict, blank=True)
    location = models.CharField(max_length=200, blank=True)
    tags = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(default=timezone.now)
    # Moved forward by the worker at most once a minute (see readings_store), not on every reading.
    last_seen = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    # The ingest token: its visible `khs_<prefix>` part and the SHA-256 of the whole value.
    token_prefix = models.CharField(max_length=16, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    # The vault secret holding the device HMAC key (telemetry.services.devicekeys); by reference, so a move in
    # the vault keeps it working, and a delete there (SET_NULL) turns HMAC signing off.
    hmac_secret = models.ForeignKey("vault.Secret", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="sensor_unique_name_per_owner")]
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (#{self.pk})"
