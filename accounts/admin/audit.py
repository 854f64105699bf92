"""Staff view of the audit trail: read-only, because a trail anyone can edit proves nothing."""

from django.contrib import admin

from accounts.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created", "action", "outcome", "actor_email", "ip", "target")
    list_filter = ("action", "outcome")
    search_fields = ("actor_email", "ip", "target")
    date_hierarchy = "created"
    fields = ("created", "actor", "actor_email", "action", "outcome", "ip", "user_agent", "target", "detail")
    readonly_fields = fields
    list_select_related = ("actor",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
