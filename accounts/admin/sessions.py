"""Staff view of signed-in browsers, with an action that signs them out."""

from django.contrib import admin, messages

from accounts.models import UserSession
from accounts.services.sessions import session_revoke


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    # The session key is a bearer credential: never listed, searched or shown.
    list_display = ("user", "ip", "user_agent", "created", "last_seen", "remember_me")
    list_filter = ("remember_me",)
    search_fields = ("user__email", "ip")
    fields = ("user", "ip", "user_agent", "created", "last_seen", "remember_me")
    readonly_fields = fields
    list_select_related = ("user",)
    ordering = ("-last_seen",)
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting the row alone would leave the browser signed in: staff use the revoke action.
        return False

    @admin.action(description="Sign out selected sessions", permissions=["view"])
    def revoke(self, request, queryset):
        ended = sum(session_revoke(user=row.user, session_id=row.pk, request=None) for row in queryset)
        self.message_user(request, f"Signed out {ended} session(s).", messages.SUCCESS)
