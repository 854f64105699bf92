"""Staff views of vault metadata: read-only, and never a value (vault.checks refuses blob fields at startup)."""

from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from vault.models import Secret, SecretVersion, ShareLink
from vault.services import keyops

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
    change_list_template = "admin/vault/secret/change_list.html"

    def get_urls(self):
        # admin_view: active staff only, CSRF-protected, never cached.
        own = [
            path("key-census/", self.admin_site.admin_view(self.key_census_view), name="vault_key_census"),
            path("key-census/rotate/", self.admin_site.admin_view(self.key_rotate_view), name="vault_key_rotate"),
        ]
        return own + super().get_urls()

    @staticmethod
    def _can_rotate(request) -> bool:
        return request.user.is_active and request.user.is_staff

    def key_census_view(self, request):
        """Data keys and audit records per KEK id and the rotation progress: ids and counts, never keys."""
        return require_GET(self._key_census)(request)

    def _key_census(self, request):
        context = {
            **self.admin_site.each_context(request),
            "title": "Key census",
            "opts": self.model._meta,
            "census": keyops.key_census(),
            "can_rotate": self._can_rotate(request),
        }
        return TemplateResponse(request, "admin/vault/secret/key_census.html", context)

    def key_rotate_view(self, request):
        """Start re-wrapping every data key under the active KEK (POST only; batches run in Celery)."""
        return require_POST(self._key_rotate)(request)

    def _key_rotate(self, request):
        if not self._can_rotate(request):
            messages.error(request, "You may not start a key rotation.")
        else:
            try:
                target = keyops.key_rotation_start(actor=request.user, request=request)
            except keyops.KeyOperationRefused as exc:
                messages.warning(request, str(exc))
            else:
                messages.success(request, f"Rotation to KEK {target!r} started in the background.")
        return HttpResponseRedirect(reverse("admin:vault_key_census"))

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


@admin.register(ShareLink)
class ShareLinkAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Who shared what, until when, and how much is used; never the box, its salt, nonce or digests."""

    list_display = ("secret", "version", "owner", "created", "expires_at", "views_used", "state")
    list_select_related = ("owner", "secret")
    search_fields = ("secret__path", "owner__email")
    fields = ("owner", "secret", "version", "created", "expires_at", "max_views", "views", "revoked_at", "state")
    readonly_fields = fields
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("ciphertext", "salt", "nonce", "proof_hash", "box_mac")

    @admin.display(description="views")
    def views_used(self, obj: ShareLink) -> str:
        return f"{obj.views} / {obj.max_views}"

    @admin.display(description="state")
    def state(self, obj: ShareLink) -> str:
        return obj.state
