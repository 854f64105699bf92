"""Staff administration of API tokens and two-factor devices: states and dates, never a hash or secret."""

from django.contrib import admin, messages
from django.utils import timezone

from accounts import tokencache
from accounts.models import ApiToken, RecoveryCode, TOTPDevice
from accounts.services.audit import Action, audit_record


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows are made by their owners through the site; staff look, revoke or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    # token_hash is left out everywhere: a hash of a 256-bit secret is useless to staff.
    list_display = ("name", "user", "prefix", "can_read", "can_write", "created", "expires_at", "last_used_at",
                    "last_used_ip", "revoked_at")  # fmt: skip
    list_filter = ("can_read", "can_write", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "user__email")
    fields = ("name", "user", "prefix", "can_read", "can_write", "path_prefixes", "created", "expires_at",
              "last_used_at", "last_used_ip", "revoked_at")  # fmt: skip
    list_select_related = ("user",)
    actions = ["revoke"]

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
            audit_record(
                action=Action.TOKEN_REVOKED,
                actor=request.user,
                request=request,
                target=f"{token.name} ({token.prefix}) of {token.user.email}",
            )
            revoked += 1
        tokencache.tokens_changed()
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(ReadOnlyAdmin):
    """Deleting a device turns two-factor off for a user who lost their authenticator and codes."""

    list_display = ("user", "created", "confirmed_at", "recovery_codes_left")
    list_filter = (("confirmed_at", admin.EmptyFieldListFilter),)
    search_fields = ("user__email",)
    # The secret is never shown: whoever reads it can make codes.
    fields = ("user", "created", "confirmed_at", "recovery_codes_left")
    readonly_fields = fields
    list_select_related = ("user",)

    @admin.display(description="Recovery codes left")
    def recovery_codes_left(self, device) -> int:
        return RecoveryCode.objects.filter(user_id=device.user_id, used_at__isnull=True).count()

    def delete_model(self, request, obj):
        self._disable(request, [obj])

    def delete_queryset(self, request, queryset):
        self._disable(request, list(queryset.select_related("user")))

    def _disable(self, request, devices):
        for device in devices:
            RecoveryCode.objects.filter(user_id=device.user_id).delete()
            device.delete()
            audit_record(
                action=Action.TWO_FACTOR_DISABLED, actor=request.user, request=request, target=device.user.email
            )
