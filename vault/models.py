"""Vault models: secrets and their versions. Rows hold ciphertext and metadata only, never plaintext."""

from django.conf import settings
from django.db import models
from django.utils import timezone

# Long enough for deep folder trees, short enough for a btree index on (owner, path) everywhere.
PATH_MAX_LENGTH = 255


class Secret(models.Model):
    """A path owned by one user, holding numbered versions. Metadata here is not encrypted: it is what
    lists and search show without decrypting, so it never holds values (notes live in the versions)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="secrets")
    # Normalized by vault.services.validation (NFC, no traversal segments); unique per owner.
    path = models.CharField(max_length=PATH_MAX_LENGTH)
    # Null: the VAULT_DEFAULT_MAX_VERSIONS setting at write time.
    max_versions = models.PositiveIntegerField(null=True, blank=True)
    cas_required = models.BooleanField(default=False)
    custom_metadata = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)
    # Lower-cased path, tags and current field names, one per line: what search matches (never values).
    search_text = models.TextField(blank=True, default="", editable=False)
    current_version = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["owner", "path"]
        constraints = [models.UniqueConstraint(fields=["owner", "path"], name="vault_secret_owner_path_unique")]
        # The unique constraint's index serves listing, folder prefixes and keyset pagination by path.
        indexes = [models.Index(fields=["owner", "-updated"], name="vault_secret_owner_updated")]

    def __str__(self) -> str:
        return self.path

    @property
    def name(self) -> str:
        """The last path segment, as people call the secret."""
        return self.path.rpartition("/")[2]


class SecretVersion(models.Model):
    """One write of a secret: the sealed fields (and notes) plus metadata that needs no decryption.

    `ciphertext` and `wrapped_key` are null once destroyed; `kek_id` names the KEK that wraps the data key
    (empty when destroyed) so census and rotation can count and pick rows without parsing blobs.
    """

    secret = models.ForeignKey(Secret, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    wrapped_key = models.BinaryField(null=True)
    ciphertext = models.BinaryField(null=True)
    kek_id = models.CharField(max_length=16, blank=True, db_index=True)
    # Names only (sorted), for search, diff of added/removed and listing without decrypting.
    field_names = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    destroyed = models.BooleanField(default=False)

    class Meta:
        ordering = ["secret", "-version"]
        constraints = [models.UniqueConstraint(fields=["secret", "version"], name="vault_version_secret_unique")]

    def __str__(self) -> str:
        return f"{self.secret_id} v{self.version}"

    @property
    def state(self) -> str:
        """ "destroyed", "deleted" or "active" (KV v2's version states)."""
        if self.destroyed:
            return "destroyed"
        return "deleted" if self.deleted_at is not None else "active"
