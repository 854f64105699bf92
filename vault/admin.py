"""Staff views of vault metadata: read-only, and never a value (vault.checks refuses blob fields at startup)."""

from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery

from vault.models import Secret, SecretVersion

# The sealed blobs: no admin may list, show, edit or filter by them (enforced by check vault.E002).
ENCRYPTED_FIELDS = frozenset({"ciphertext", "wrapped_key"})


class ReadOnlyMixin:
    """Writes go through the vault services (validation, versions, audit), never through the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SecretVersionInline(ReadOnlyMixin, admin.TabularInline):
    model = SecretVersion
    fields = ("version", "state", "kek_id", "field_names", "created", "created_by", "deleted_at", "destroyed")
    readonly_fields = fields
    ordering = ("-version",)
    extra = 0
    show_change_link = False


@admin.register(Secret)
class SecretAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("path", "owner", "current_version", "version_count", "updated", "current_kek")
    list_select_related = ("owner",)
    search_fields = ("path", "owner__email")
    list_filter = ("cas_required",)
    fields = (
        "owner",
        "path",
        "current_version",
        "max_versions",
        "cas_required",
        "tags",
        "custom_metadata",
        "created",
        "updated",
    )
    readonly_fields = fields
    inlines = (SecretVersionInline,)
    show_full_result_count = False

    def get_queryset(self, request):
        current = SecretVersion.objects.filter(secret=OuterRef("pk"), version=OuterRef("current_version"))
        return (
            super()
            .get_queryset(request)
            .annotate(_versions=Count("versions"), _kek=Subquery(current.values("kek_id")[:1]))
        )

    @admin.display(description="versions kept", ordering="_versions")
    def version_count(self, obj: Secret) -> int:
        return obj._versions

    @admin.display(description="KEK id", ordering="_kek")
    def current_kek(self, obj: Secret) -> str:
        return obj._kek or "-"
