"""Two-factor authentication: one TOTP device per user and single-use recovery codes."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class TOTPDevice(models.Model):
    """An authenticator app enrolled by a user. It protects the login only once confirmed."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device")
    # Base32 shared secret. The authenticator app holds the same value; it has to be readable to
    # verify codes, so it can only be hashed as far as the recovery codes are.
    secret = models.CharField(max_length=64)
    created = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The time step of the last accepted code: a code at or before it is a replay.
    last_used_step = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"TOTP for {self.user_id}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """One single-use code for when the authenticator is lost, stored as a SHA-256 hash."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"])]

    def __str__(self) -> str:
        return f"recovery code {self.pk} of {self.user_id}"
