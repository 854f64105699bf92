"""The audit trail: one append-only row per security-relevant event, for users and staff."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        SIGNUP = "signup", "Account created"
        EMAIL_VERIFIED = "email_verified", "Email verified"
        LOGIN = "login", "Sign-in"
        LOGOUT = "logout", "Sign-out"
        LOCKOUT = "lockout", "Account locked"
        LOCKOUT_CLEARED = "lockout_cleared", "Lockout cleared"
        PASSWORD_CHANGE = "password_change", "Password changed"
        PASSWORD_RESET_REQUEST = "password_reset_request", "Password reset requested"
        PASSWORD_RESET = "password_reset", "Password reset"
        TWO_FACTOR_ENABLED = "2fa_enabled", "Two-factor enabled"
        TWO_FACTOR_DISABLED = "2fa_disabled", "Two-factor disabled"
        TWO_FACTOR_CHECK = "2fa_check", "Two-factor code"
        RECOVERY_CODES_REGENERATED = "recovery_codes", "Recovery codes regenerated"
        SESSION_REVOKED = "session_revoked", "Session revoked"
        TOKEN_CREATED = "token_created", "API token created"
        TOKEN_REVOKED = "token_revoked", "API token revoked"
        SECRET_CREATE = "secret_create", "Secret created"
        SECRET_UPDATE = "secret_update", "Secret updated"
        SECRET_REVEAL = "secret_reveal", "Secret revealed"
        SECRET_RESTORE = "secret_restore", "Secret version restored"
        SECRET_DIFF = "secret_diff", "Secret versions compared"
        SECRET_MOVE = "secret_move", "Secret moved"
        SECRET_DELETE = "secret_delete", "Secret versions deleted"
        SECRET_UNDELETE = "secret_undelete", "Secret versions undeleted"
        SECRET_DESTROY = "secret_destroy", "Secret versions destroyed"
        SECRET_DELETE_ALL = "secret_delete_all", "Secret and history deleted"
        SECRET_METADATA = "secret_metadata", "Secret metadata changed"
        SECRET_SHARE = "secret_share", "Share link created"
        SHARE_OPEN = "share_open", "Share link opened"
        SHARE_REVOKE = "share_revoke", "Share link revoked"
        SECRET_IMPORT = "secret_import", "Secrets imported"
        SECRET_EXPORT = "secret_export", "Secrets exported"
        REVEAL_CONFIRM = "reveal_confirm", "Password confirmed for reveal"
        VAULT_REWRAP = "vault_rewrap", "Data keys re-wrapped"
        MOUNT_CREATE = "mount_create", "Vault mount created"
        MOUNT_DELETE = "mount_delete", "Vault mount removed"
        MOUNT_CONFIG = "mount_config", "Vault mount configured"
        SENSOR_CREATE = "sensor_create", "Sensor created"
        SENSOR_UPDATE = "sensor_update", "Sensor changed"
        SENSOR_TOKEN = "sensor_token", "Sensor ingest token replaced"
        SENSOR_DELETE = "sensor_delete", "Sensor deleted"
        KEY_ADD = "key_add", "Vault key added"
        KEY_ROTATE = "key_rotate", "Vault key rotation started"
        KEY_RETIRE = "key_retire", "Vault key retired"
        # Vouches for every earlier record (accounts/services/auditdigest.py), so retired keys' records still verify.
        AUDIT_CHECKPOINT = "audit_checkpoint", "Audit chain checkpoint"

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"
        DENIED = "denied", "Denied"

    created = models.DateTimeField(default=timezone.now, db_index=True)
    # Kept when the user is deleted, so the trail outlives the account it describes.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=40, choices=Action.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    target = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    # The hash chain (accounts/services/auditchain.py): position, MAC key id and HMAC over the
    # previous record's MAC and this record's content. Null `seq` only on rows written around the
    # chain, which audit_verify reports as a break.
    seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    # The actor's id when recorded: the FK above is nulled when a user is deleted, this is not.
    actor_ref = models.BigIntegerField(null=True, blank=True, editable=False)
    key_id = models.CharField(max_length=16, blank=True, editable=False)
    mac = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["actor", "-created"])]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M:%S} {self.action} {self.outcome} {self.actor_email}"


class AuditChainHead(models.Model):
    """The single row naming the chain's last record: appends lock it, and its seal makes cutting off the tail
    detectable (an attacker cannot re-seal an earlier head without the MAC key)."""

    seq = models.BigIntegerField(default=0)
    mac = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=16, blank=True)
    seal = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="audit_chain_head_single_row")]

    def __str__(self) -> str:
        return f"audit chain head at {self.seq}"
