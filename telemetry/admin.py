"""Staff view of sensors: read-only, and never the token hash or an HMAC key (only the token's prefix)."""

from django.contrib import admin

from telemetry.models import Sensor


@admin.register(Sensor)
class SensorAdmin(admin.ModelAdmin):
    """Changes go through the owner's pages (validation, audit, MongoDB clean-up), never through the admin."""

    list_display = ("name", "owner", "kind", "enabled", "last_seen", "created", "token_prefix")
    list_filter = ("enabled", "kind", "created")
    search_fields = ("name", "owner__email", "token_prefix", "location")
    list_select_related = ("owner",)
    # token_hash and hmac_secret are left out on purpose: neither is any use to staff, and a hash is a
    # guessing target. The HMAC key itself lives in the vault, which the admin never decrypts.
    fields = ("name", "owner", "kind", "location", "units", "tags", "enabled", "token_prefix", "has_hmac_key")
    readonly_fields = fields
    date_hierarchy = "created"

    @admin.display(boolean=True, description="HMAC key")
    def has_hmac_key(self, obj: Sensor) -> bool:
        return obj.hmac_secret_id is not None

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
