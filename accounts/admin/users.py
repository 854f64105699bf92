"""Staff management of user accounts: search, filters (active, staff, 2FA, locked), clear lockouts."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts import tokencache
from accounts.forms import UserChangeAdminForm, UserCreationAdminForm
from accounts.models import User
from accounts.selectors import locked_user_ids, user_lockout_seconds, users_with_twofactor
from accounts.services.users import user_deactivate, user_lockout_clear, user_save_by_staff


class TwoFactorFilter(admin.SimpleListFilter):
    title = "two-factor"
    parameter_name = "twofactor"

    def lookups(self, request, model_admin):
        return (("yes", "Enabled"), ("no", "Not enabled"))

    def queryset(self, request, queryset):
        if self.value() in {"yes", "no"}:
            return queryset.filter(has_twofactor=self.value() == "yes")
        return queryset


class LockedFilter(admin.SimpleListFilter):
    """Locks live in Redis, keyed by a hash of the address: checked for every user, in batches."""

    title = "sign-in lockout"
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return (("yes", "Locked"), ("no", "Not locked"))

    def queryset(self, request, queryset):
        if self.value() not in {"yes", "no"}:
            return queryset
        locked = locked_user_ids(users=queryset)
        return queryset.filter(pk__in=locked) if self.value() == "yes" else queryset.exclude(pk__in=locked)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ("email",)
    list_display = ("email", "display_name", "is_active", "is_staff", "verified", "twofactor", "locked", "date_joined",
                    "last_login")  # fmt: skip
    list_filter = ("is_active", "is_staff", TwoFactorFilter, LockedFilter, "is_superuser")
    search_fields = ("email", "display_name")
    readonly_fields = ("date_joined", "last_login", "email_verified_at")
    actions = ["clear_lockout", "deactivate"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "email_verified_at")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "display_name", "password1", "password2")}),)

    def get_queryset(self, request):
        return users_with_twofactor(super().get_queryset(request))

    @admin.display(boolean=True, description="verified")
    def verified(self, obj):
        return obj.email_verified

    @admin.display(boolean=True, description="2FA", ordering="has_twofactor")
    def twofactor(self, obj):
        return obj.has_twofactor

    @admin.display(boolean=True, description="locked")
    def locked(self, obj):
        # One Redis lookup per row shown (at most a page): cheap, and always current.
        return user_lockout_seconds(user=obj) is not None

    def save_model(self, request, obj, form, change):
        user_save_by_staff(user=obj, changed_fields=list(form.changed_data), staff=request.user, request=request)

    # A deleted user's tokens go with the row; cached copies in other processes must go at once too.
    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        tokencache.tokens_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        tokencache.tokens_changed()

    @admin.action(description="Clear sign-in lockout of selected users")
    def clear_lockout(self, request, queryset):
        for user in queryset:
            user_lockout_clear(user=user, staff=request.user, request=request)
        self.message_user(request, f"Cleared the lockout of {queryset.count()} user(s).", messages.SUCCESS)

    @admin.action(description="Disable selected users and end their sessions")
    def deactivate(self, request, queryset):
        for user in queryset.exclude(pk=request.user.pk):
            user_deactivate(user=user, staff=request.user, request=request)
        self.message_user(request, "Disabled the selected users (never yourself).", messages.SUCCESS)
