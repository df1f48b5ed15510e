"""Admin for operators: large text stays off the list pages, the coach key is never shown.

Session status changes from the admin go through `services.session_transition` (the same
rules and the dashboard bump as the API); messages, feedback and operations are read-only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from apps.core.admin import ServiceRefusalAdminMixin
from apps.interviews import services
from apps.interviews.models import (
    CoachKey,
    Feedback,
    InterviewSession,
    InterviewStats,
    JobPosting,
    Operation,
    Resume,
    SessionMessage,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Resume)
class ResumeAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "updated_at")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    search_fields = ("user__username",)

    def get_queryset(self, request: Any) -> Any:
        qs = super().get_queryset(request)
        return qs.defer("content") if request.resolver_match.url_name.endswith("changelist") else qs


@admin.register(JobPosting)
class JobPostingAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "company", "user", "experience_level", "language", "created_at")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    search_fields = ("title", "company")
    list_filter = ("language",)

    def get_queryset(self, request: Any) -> Any:
        qs = super().get_queryset(request)
        return qs.defer("description") if request.resolver_match.url_name.endswith("changelist") else qs


class SessionAdminForm(forms.ModelForm):
    class Meta:
        model = InterviewSession
        fields = ("status",)


@admin.register(InterviewSession)
class InterviewSessionAdmin(ServiceRefusalAdminMixin, admin.ModelAdmin):
    form = SessionAdminForm
    list_display = ("id", "user", "job_posting", "status", "retake_number", "message_count", "started_at")
    list_select_related = ("user", "job_posting")
    raw_id_fields = ("user", "job_posting", "original_session")
    list_filter = ("status",)
    readonly_fields = (
        "user",
        "job_posting",
        "retake_number",
        "original_session",
        "current_question_number",
        "message_count",
        "answered_count",
        "started_at",
        "completed_at",
    )

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).defer("job_posting__description")

    def save_model(self, request: Any, obj: InterviewSession, form: Any, change: bool) -> None:
        target = form.cleaned_data["status"]
        current = InterviewSession.objects.get(pk=obj.pk)
        obj.status = current.status
        if target == current.status:
            return
        action = {"paused": "pause", "completed": "complete", "active": "resume"}[target]
        services.session_transition(session=current, action=action)


@admin.register(SessionMessage)
class SessionMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "session", "seq", "message_type", "question_type", "created_at")
    list_select_related = ("session",)
    raw_id_fields = ("session",)
    list_filter = ("message_type", "question_type")

    def get_queryset(self, request: Any) -> Any:
        qs = super().get_queryset(request)
        return qs.defer("content", "meta") if request.resolver_match.url_name.endswith("changelist") else qs


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ("id", "session", "overall_score", "created_at")
    list_select_related = ("session",)
    raw_id_fields = ("session",)

    def get_queryset(self, request: Any) -> Any:
        qs = super().get_queryset(request)
        if request.resolver_match.url_name.endswith("changelist"):
            return qs.only("id", "session_id", "overall_score", "created_at", "session__id", "session__status")
        return qs


@admin.register(Operation)
class OperationAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "session", "operation_type", "status", "error_code", "retry_count", "created_at")
    list_select_related = ("user", "session")
    raw_id_fields = ("user", "session", "parent_operation")
    list_filter = ("operation_type", "status", "error_code")

    def get_queryset(self, request: Any) -> Any:
        qs = super().get_queryset(request)
        return qs.defer("result") if request.resolver_match.url_name.endswith("changelist") else qs


@admin.register(CoachKey)
class CoachKeyAdmin(ReadOnlyAdmin):
    """Only the last four characters: the encrypted key is neither listed nor shown."""

    list_display = ("id", "user", "masked", "updated_at")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    fields = ("user", "masked", "created_at", "updated_at")
    readonly_fields = fields

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).defer("encrypted_key")

    @admin.display(description="key")
    def masked(self, obj: CoachKey) -> str:
        return f"…{obj.last_four}"


@admin.register(InterviewStats)
class InterviewStatsAdmin(ReadOnlyAdmin):
    list_display = ("user", "version")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
