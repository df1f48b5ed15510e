from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from apps.accounts.models import User


@admin.register(User)
class BriskUserAdmin(UserAdmin):
    list_display = ("username", "email", "is_staff", "is_superuser", "is_active", "date_joined")
    show_full_result_count = False
