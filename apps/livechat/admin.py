"""Admin for every live-chat model, safe at a million messages: no full counts, raw id
inputs for foreign keys, search on indexed columns only (exact or prefix)."""

from __future__ import annotations

from django.contrib import admin

from apps.core.admin import ServiceRefusalAdminMixin
from apps.livechat.models import (
    BusinessHours,
    CannedResponse,
    ChatSession,
    Contact,
    CsatResponse,
    HandoffKeyword,
    IntentCategory,
    IntentKeyword,
    IntentResponse,
    Message,
    ReadMarker,
    Tag,
    WebhookEvent,
)


class BigTableAdmin(ServiceRefusalAdminMixin, admin.ModelAdmin):
    show_full_result_count = False
    list_per_page = 50


@admin.register(Contact)
class ContactAdmin(BigTableAdmin):
    list_display = ("id", "line_user_id", "display_name", "friend_status", "chat_mode", "last_message_at")
    list_filter = ("chat_mode", "friend_status")
    search_fields = ("=line_user_id",)
    raw_id_fields = ("tags",)
    ordering = ("-id",)


@admin.register(ChatSession)
class ChatSessionAdmin(BigTableAdmin):
    list_display = ("id", "contact", "operator", "status", "started_at", "claimed_at", "closed_at", "closed_by")
    list_filter = ("status",)
    list_select_related = ("contact", "operator")
    raw_id_fields = ("contact", "operator")
    search_fields = ("=contact__line_user_id",)
    # state changes go through the API's services (claim, close, transfer)
    readonly_fields = ("status", "operator", "claimed_at", "closed_at", "closed_by", "first_response_at")
    ordering = ("-id",)


@admin.register(Message)
class MessageAdmin(BigTableAdmin):
    list_display = ("id", "contact", "direction", "message_type", "sender_role", "delivery", "created_at")
    list_filter = ("direction", "delivery", "media_state")
    list_select_related = ("contact",)
    raw_id_fields = ("contact", "session", "operator")
    search_fields = ("=contact__line_user_id", "=line_event_id")
    ordering = ("-id",)


@admin.register(WebhookEvent)
class WebhookEventAdmin(BigTableAdmin):
    list_display = ("id", "webhook_event_id", "event_type", "received_at", "processed_at", "redelivered")
    search_fields = ("=webhook_event_id",)
    ordering = ("-id",)


@admin.register(ReadMarker)
class ReadMarkerAdmin(BigTableAdmin):
    list_display = ("id", "agent", "contact", "read_at")
    raw_id_fields = ("agent", "contact")


@admin.register(CsatResponse)
class CsatResponseAdmin(BigTableAdmin):
    list_display = ("id", "session", "score", "created_at")
    raw_id_fields = ("session",)


class IntentKeywordInline(admin.TabularInline):
    model = IntentKeyword
    extra = 0


class IntentResponseInline(admin.TabularInline):
    model = IntentResponse
    extra = 0


@admin.register(IntentCategory)
class IntentCategoryAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "is_active")
    inlines = [IntentKeywordInline, IntentResponseInline]


@admin.register(IntentKeyword)
class IntentKeywordAdmin(admin.ModelAdmin):
    list_display = ("id", "category", "keyword", "match_type")
    raw_id_fields = ("category",)


@admin.register(IntentResponse)
class IntentResponseAdmin(admin.ModelAdmin):
    list_display = ("id", "category", "reply_type", "order", "is_active")
    raw_id_fields = ("category",)


admin.site.register(Tag)
admin.site.register(HandoffKeyword)
admin.site.register(CannedResponse)
admin.site.register(BusinessHours)
