"""Vault models: secrets and their versions. Rows hold ciphertext and metadata only, never plaintext."""

from django.conf import settings
from django.db import models
from django.utils import timezone

# Long enough for deep folder trees, short enough for a btree index on (owner, mount, path) everywhere.
PATH_MAX_LENGTH = 255
MOUNT_MAX_LENGTH = 64
# Every user's mount, created lazily; the web UI shows this one (the API reaches all of them).
DEFAULT_MOUNT = "secret"


class Mount(models.Model):
    """A user's KV v2 mount: a namespace of secret paths with its own defaults (Vault's `/v1/<mount>/config`).

    Secrets name their mount by `path` (Secret.mount) rather than by foreign key: the name is the natural key
    within an owner, so the web UI and the hot read query need no extra lookup or join. The services keep the
    two in step (a mount's secrets go with it; writes to a missing non-default mount are refused).
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vault_mounts")
    path = models.CharField(max_length=MOUNT_MAX_LENGTH)
    description = models.CharField(max_length=200, blank=True, default="")
    # 0: VAULT_DEFAULT_MAX_VERSIONS (Vault's meaning of 0).
    max_versions = models.PositiveIntegerField(default=0)
    cas_required = models.BooleanField(default=False)
    # Seconds after which a new version counts as deleted; 0 never.
    delete_version_after = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["owner", "path"]
        constraints = [models.UniqueConstraint(fields=["owner", "path"], name="vault_mount_owner_path_unique")]

    def __str__(self) -> str:
        return f"{self.path}/"


class Secret(models.Model):
    """A path owned by one user, holding numbered versions. Metadata here is not encrypted: it is what
    lists and search show without decrypting, so it never holds values (notes live in the versions)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="secrets")
    # The owner's Mount.path this secret lives in.
    mount = models.CharField(max_length=MOUNT_MAX_LENGTH, default=DEFAULT_MOUNT)
    # Normalized by vault.services.validation (NFC, no traversal segments); unique per owner.
    path = models.CharField(max_length=PATH_MAX_LENGTH)
    # Null: the VAULT_DEFAULT_MAX_VERSIONS setting at write time.
    max_versions = models.PositiveIntegerField(null=True, blank=True)
    cas_required = models.BooleanField(default=False)
    # Seconds after which a new version counts as deleted; 0: the mount's setting.
    delete_version_after = models.PositiveIntegerField(default=0)
    custom_metadata = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)
    # Lower-cased path, tags and current field names, one per line: what search matches (never values).
    search_text = models.TextField(blank=True, default="", editable=False)
    current_version = models.PositiveIntegerField(default=0)
    # Metadata changes so far (KV v2's current_metadata_version, which the Vault CLI shows).
    metadata_version = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["owner", "mount", "path"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "mount", "path"], name="vault_secret_owner_mount_path_unique")
        ]
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


class ShareLink(models.Model):
    """A time- and view-limited link to one version's values, sealed under a key only the link carries.

    `ciphertext` is null once the share is used up, revoked or expired and wiped (see vault.services.shares);
    `iterations` is 0 without a passphrase. The link id and the proof are stored as SHA-256 hex digests.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_links")
    secret = models.ForeignKey(Secret, on_delete=models.CASCADE, related_name="share_links")
    version = models.PositiveIntegerField()
    link_hash = models.CharField(max_length=64, unique=True)
    proof_hash = models.CharField(max_length=64)
    # HMAC of nonce and ciphertext under the proof: a row altered in the database is refused, not served.
    box_mac = models.CharField(max_length=64)
    salt = models.BinaryField()
    nonce = models.BinaryField()
    ciphertext = models.BinaryField(null=True)
    iterations = models.PositiveIntegerField(default=0)
    max_views = models.PositiveSmallIntegerField(default=1)
    views = models.PositiveSmallIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["owner", "-created"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_views__gte=1, views__lte=models.F("max_views")),
                name="vault_share_views_within_max",
            )
        ]
        indexes = [models.Index(fields=["owner", "-created"], name="vault_share_owner_created")]

    def __str__(self) -> str:
        return f"share {self.pk} of {self.secret_id} v{self.version}"

    @property
    def has_passphrase(self) -> bool:
        return self.iterations > 0

    @property
    def state(self) -> str:
        """ "revoked", "used up", "expired" or "active", in that order of precedence."""
        if self.revoked_at is not None:
            return "revoked"
        if self.views >= self.max_views:
            return "used up"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"
