"""Admin for operators, safe at 50,000 annotations: related rows joined or shown as raw ids, no
full COUNT on the big tables, search on indexed columns only. Phase state and ratings are
read-only here (they change through the API's services); deleting annotations from the admin
bumps the workshop's metrics version, as the API's writes do."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest

from apps.core.admin import ServiceRefusalAdminMixin
from apps.workshops.models import (
    Annotation,
    Finding,
    JudgeEvaluation,
    JudgePrompt,
    Note,
    Participant,
    PhaseTrace,
    RubricQuestion,
    Trace,
    TraceOrder,
    Workshop,
)


class BigTableAdmin(ServiceRefusalAdminMixin):
    show_full_result_count = False
    list_per_page = 50


@admin.register(Workshop)
class WorkshopAdmin(ServiceRefusalAdminMixin):
    list_display = ("id", "name", "facilitator", "status", "current_phase", "created_at")
    list_select_related = ("facilitator",)
    list_filter = ("status", "current_phase")
    raw_id_fields = ("facilitator",)
    search_fields = ("=id",)
    readonly_fields = ("current_phase", "completed_phases", "metrics_version", "created_at")


@admin.register(Participant)
class ParticipantAdmin(BigTableAdmin):
    list_display = ("id", "workshop", "user", "role", "discovery_completed_at")
    list_select_related = ("workshop", "user")
    raw_id_fields = ("workshop", "user")
    search_fields = ("=workshop__id", "=user__id")


@admin.register(Trace)
class TraceAdmin(BigTableAdmin):
    list_display = ("id", "workshop", "external_id", "created_at")
    list_select_related = ("workshop",)
    raw_id_fields = ("workshop",)
    search_fields = ("=workshop__id", "=external_id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Trace]:
        # the change list never loads the large columns
        return super().get_queryset(request).defer("input", "output", "context", "metadata")


@admin.register(PhaseTrace)
class PhaseTraceAdmin(BigTableAdmin):
    list_display = ("id", "workshop_id", "phase", "trace_id", "position")
    raw_id_fields = ("workshop", "trace")
    search_fields = ("=workshop__id",)


@admin.register(TraceOrder)
class TraceOrderAdmin(BigTableAdmin):
    list_display = ("id", "participant_id", "phase", "trace_id", "position")
    raw_id_fields = ("participant", "trace")
    search_fields = ("=participant__id",)


@admin.register(Finding)
class FindingAdmin(BigTableAdmin):
    list_display = ("id", "workshop_id", "trace_id", "user", "updated_at")
    list_select_related = ("user",)
    raw_id_fields = ("workshop", "trace", "user")
    search_fields = ("=workshop__id",)


@admin.register(RubricQuestion)
class RubricQuestionAdmin(ServiceRefusalAdminMixin):
    list_display = ("id", "workshop", "title", "judge_type", "position", "deleted_at")
    list_select_related = ("workshop",)
    raw_id_fields = ("workshop",)
    search_fields = ("=workshop__id",)
    readonly_fields = ("judge_type", "deleted_at")


@admin.register(Annotation)
class AnnotationAdmin(BigTableAdmin):
    list_display = ("id", "workshop_id", "trace_id", "user", "updated_at")
    list_select_related = ("user",)
    raw_id_fields = ("workshop", "trace", "user")
    search_fields = ("=workshop__id",)
    readonly_fields = ("ratings",)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.delete_queryset(request, Annotation.objects.filter(pk=obj.pk))

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Annotation]) -> None:
        workshops = set(queryset.values_list("workshop_id", flat=True))
        queryset.delete()
        Workshop.objects.filter(pk__in=workshops).update(metrics_version=F("metrics_version") + 1)


@admin.register(Note)
class NoteAdmin(BigTableAdmin):
    list_display = ("id", "workshop_id", "user", "phase", "created_at")
    list_select_related = ("user",)
    raw_id_fields = ("workshop", "user", "trace")
    search_fields = ("=workshop__id",)


@admin.register(JudgePrompt)
class JudgePromptAdmin(ServiceRefusalAdminMixin):
    list_display = ("id", "workshop", "version", "judge_type", "model_name", "created_at")
    list_select_related = ("workshop",)
    raw_id_fields = ("workshop",)
    search_fields = ("=workshop__id",)


@admin.register(JudgeEvaluation)
class JudgeEvaluationAdmin(BigTableAdmin):
    list_display = ("id", "prompt_id", "trace_id", "predicted_rating", "confidence")
    raw_id_fields = ("prompt", "trace")
    search_fields = ("=prompt__id",)
