from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from apps.accounts.models import ApiToken, User


@admin.register(User)
class BriskUserAdmin(UserAdmin):
    list_display = ("username", "email", "is_staff", "is_superuser", "is_active", "date_joined")
    show_full_result_count = False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Operators see who holds tokens and revoke them (delete); keys are never shown, only stored hashed."""

    list_display = ("short_digest", "user", "created_at", "expires_at")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    readonly_fields = ("digest", "user", "password_mark", "created_at", "expires_at")
    show_full_result_count = False

    @admin.display(description="digest")
    def short_digest(self, obj):
        return f"{obj.digest[:12]}…"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
