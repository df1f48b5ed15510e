"""Reads: one function per question, each returning exactly the rows its response shows."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery

from apps.core.caching import cached_at_version
from apps.workshops import irr, judge
from apps.workshops.exceptions import PromptNotFound, TraceNotFound, WorkshopNotFound
from apps.workshops.models import (
    Annotation,
    Finding,
    JudgeEvaluation,
    JudgePrompt,
    Note,
    Participant,
    Phase,
    PhaseTrace,
    RubricQuestion,
    Trace,
    TraceOrder,
    Workshop,
)

IRR_CACHE_NAME = "workshops.irr"
IRR_TTL_SECONDS = 600


def workshop_for_participant(*, user, workshop_id: int) -> Workshop:
    """The workshop seen through the caller's seat (role and seat id attached); 404 for anyone else."""
    if user is None or not user.is_authenticated:
        raise WorkshopNotFound()
    # one query: the caller's seat with its workshop joined
    seat = Participant.objects.select_related("workshop").filter(workshop_id=workshop_id, user_id=user.pk).first()
    if seat is None:
        raise WorkshopNotFound()
    workshop = seat.workshop
    workshop.my_role = seat.role
    workshop.my_participant_id = seat.pk
    workshop.caller_id = user.pk
    return workshop


WORKSHOP_ROW_FIELDS = (
    "workshop_id",
    "workshop__name",
    "workshop__description",
    "workshop__facilitator_id",
    "workshop__status",
    "workshop__current_phase",
    "workshop__created_at",
    "role",
)


def workshop_list_rows(*, user) -> QuerySet[Participant, Any]:
    """The caller's workshops (through their seats, never trace data), newest first."""
    return (
        Participant.objects.filter(user_id=user.pk).order_by("-workshop_id").values(*WORKSHOP_ROW_FIELDS)
    )  # one page query on (user, workshop), the workshop joined


def participant_rows(*, workshop: Workshop) -> QuerySet[Participant, Any]:
    return (
        Participant.objects.filter(workshop=workshop)
        .order_by("id")
        .values("user_id", "user__username", "role", "discovery_completed_at", "created_at")
    )


def trace_phase(current_phase: str) -> str | None:
    """Which phase's active traces the caller works on now (rubric shows discovery's, results annotation's)."""
    if current_phase in (Phase.DISCOVERY, Phase.RUBRIC):
        return Phase.DISCOVERY
    if current_phase in (Phase.ANNOTATION, Phase.RESULTS, Phase.JUDGE_TUNING):
        return Phase.ANNOTATION
    return None


def randomized(workshop: Workshop, phase: str) -> bool:
    return workshop.discovery_randomize if phase == Phase.DISCOVERY else workshop.annotation_randomize


TRACE_ITEM_FIELDS = ("trace_id", "trace__external_id", "trace__input", "trace__output", "trace__created_at")


def trace_list_rows(*, workshop: Workshop, all_traces: bool = False) -> QuerySet[Any, Any]:
    """The caller's active traces of the current phase in the caller's order (never context or
    metadata); `all_traces` (facilitator): every trace of the workshop by id."""
    if all_traces:
        return (
            Trace.objects.filter(workshop=workshop)
            .order_by("id")
            .values(trace_id=F("id"), **{f"trace__{name}": F(name) for name in ("external_id", "input", "output")})
            .values(*TRACE_ITEM_FIELDS[:4], trace__created_at=F("created_at"))
        )
    phase = trace_phase(workshop.current_phase)
    if phase is None:
        return PhaseTrace.objects.none().values(*TRACE_ITEM_FIELDS)
    if randomized(workshop, phase) and workshop.my_role != Participant.Role.FACILITATOR:
        # the participant's own order: (participant, phase, position) index, trace joined
        return (
            TraceOrder.objects.filter(participant_id=workshop.my_participant_id, phase=phase)
            .order_by("position")
            .values(*TRACE_ITEM_FIELDS)
        )
    return PhaseTrace.objects.filter(workshop=workshop, phase=phase).order_by("position").values(*TRACE_ITEM_FIELDS)


def trace_detail(*, workshop: Workshop, trace_id: int) -> Trace:
    trace = Trace.objects.filter(workshop=workshop, pk=trace_id).first()
    if trace is None:
        raise TraceNotFound()
    return trace


def finding_rows(*, workshop: Workshop) -> QuerySet[Finding, Any]:
    """Findings, each with its author's name in the page query; a participant sees only their own."""
    findings = Finding.objects.filter(workshop=workshop)
    if workshop.my_role != Participant.Role.FACILITATOR:
        findings = findings.filter(user_id=_caller_id(workshop))
    return findings.order_by("id").values(
        "id", "trace_id", "user_id", "user__username", "insight", "created_at", "updated_at"
    )


def _caller_id(workshop: Workshop) -> int:
    return workshop.caller_id


def discovery_progress(*, workshop: Workshop) -> dict[str, Any]:
    rows = list(
        Participant.objects.filter(workshop=workshop)
        .exclude(role=Participant.Role.FACILITATOR)
        .order_by("id")
        .values("user_id", "user__username", "discovery_completed_at")
    )
    total = len(rows)
    done = sum(1 for row in rows if row["discovery_completed_at"] is not None)
    return {
        "total_participants": total,
        "completed_participants": done,
        "completion_percentage": round(100 * done / total, 1) if total else 0.0,
        "all_completed": total > 0 and done == total,
        "participants": [
            {
                "user_id": row["user_id"],
                "username": row["user__username"],
                "completed": row["discovery_completed_at"] is not None,
                "completed_at": row["discovery_completed_at"],
            }
            for row in rows
        ],
    }


def question_rows(*, workshop: Workshop) -> QuerySet[RubricQuestion]:
    return RubricQuestion.objects.filter(workshop=workshop, deleted_at__isnull=True).order_by("position", "id")


def annotation_rows(*, workshop: Workshop) -> QuerySet[Annotation, Any]:
    annotations = Annotation.objects.filter(workshop=workshop)
    if workshop.my_role != Participant.Role.FACILITATOR:
        annotations = annotations.filter(user_id=_caller_id(workshop))
    return annotations.order_by("id").values(
        "id", "trace_id", "user_id", "user__username", "ratings", "comment", "created_at", "updated_at"
    )


def note_rows(*, workshop: Workshop) -> QuerySet[Note, Any]:
    """Notes, newest first, each with its author; a participant sees their own."""
    notes = Note.objects.filter(workshop=workshop)
    if workshop.my_role != Participant.Role.FACILITATOR:
        notes = notes.filter(user_id=_caller_id(workshop))
    return notes.order_by("-id").values("id", "user_id", "user__username", "trace_id", "phase", "content", "created_at")


def prerequisites(*, workshop_id: int) -> dict[str, bool]:
    """Which of the phase prerequisites hold, in one query of four EXISTS."""
    row = (
        Workshop.objects.filter(pk=workshop_id)
        .annotate(
            has_traces=Exists(Trace.objects.filter(workshop=OuterRef("pk"))),
            has_findings=Exists(Finding.objects.filter(workshop=OuterRef("pk"))),
            has_questions=Exists(RubricQuestion.objects.filter(workshop=OuterRef("pk"), deleted_at__isnull=True)),
            has_annotations=Exists(Annotation.objects.filter(workshop=OuterRef("pk"))),
        )
        .values("has_traces", "has_findings", "has_questions", "has_annotations")
        .get()
    )
    return row


def workshop_status(*, workshop: Workshop) -> dict[str, Any]:
    """What waiting clients poll, in one query: phase, trace counts, discovery and annotation progress."""
    raters = Participant.objects.filter(workshop=OuterRef("pk")).exclude(role=Participant.Role.FACILITATOR)
    row = (
        Workshop.objects.filter(pk=workshop.pk)
        .annotate(
            trace_count=_count(Trace.objects.filter(workshop=OuterRef("pk"))),
            discovery_active=_count(PhaseTrace.objects.filter(workshop=OuterRef("pk"), phase=Phase.DISCOVERY)),
            annotation_active=_count(PhaseTrace.objects.filter(workshop=OuterRef("pk"), phase=Phase.ANNOTATION)),
            raters=_count(raters),
            discovery_done=_count(raters.filter(discovery_completed_at__isnull=False)),
            n_findings=_count(Finding.objects.filter(workshop=OuterRef("pk"))),
            n_annotations=_count(Annotation.objects.filter(workshop=OuterRef("pk"))),
        )
        .values(
            "status",
            "current_phase",
            "completed_phases",
            "trace_count",
            "discovery_active",
            "annotation_active",
            "raters",
            "discovery_done",
            "n_findings",
            "n_annotations",
        )
        .get()
    )
    counts = {name: row[name] or 0 for name in row if name not in ("status", "current_phase", "completed_phases")}
    return {
        "status": row["status"],
        "current_phase": row["current_phase"],
        "completed_phases": row["completed_phases"],
        "trace_count": counts["trace_count"],
        "discovery": {
            "active_traces": counts["discovery_active"],
            "participants": counts["raters"],
            "completed_participants": counts["discovery_done"],
            "findings": counts["n_findings"],
        },
        "annotation": {
            "active_traces": counts["annotation_active"],
            "annotations": counts["n_annotations"],
            "assigned": counts["annotation_active"] * counts["raters"],
        },
    }


def irr_figures(*, workshop: Workshop) -> dict[str, Any]:
    """The workshop's inter-rater agreement, cached at its metrics_version (bumped by annotation writes)."""
    return cached_at_version(
        IRR_CACHE_NAME, workshop.pk, workshop.metrics_version, lambda: _compute_irr(workshop), IRR_TTL_SECONDS
    )


def _count(queryset: QuerySet[Any]) -> Subquery:
    return Subquery(queryset.order_by().values("workshop").annotate(n=Count("*")).values("n"))


def _compute_irr(workshop: Workshop) -> dict[str, Any]:
    questions = list(question_rows(workshop=workshop).values("id", "title", "judge_type"))
    # every rating of the workshop in one read (trace, rater, ratings); the facilitator does not rate
    ratings = list(Annotation.objects.filter(workshop=workshop).values_list("trace_id", "user_id", "ratings"))
    # assigned pairs: the annotation phase's active traces x the raters (one query, two counts)
    counts = (
        Workshop.objects.filter(pk=workshop.pk)
        .annotate(
            raters=_count(
                Participant.objects.filter(workshop=OuterRef("pk")).exclude(role=Participant.Role.FACILITATOR)
            ),
            active=_count(PhaseTrace.objects.filter(workshop=OuterRef("pk"), phase=Phase.ANNOTATION)),
        )
        .values("raters", "active")
        .get()
    )
    return irr.workshop_agreement(
        questions=questions, ratings=ratings, raters=counts["raters"] or 0, active_traces=counts["active"] or 0
    )


# --- judge ---------------------------------------------------------------------------------------------------------

JUDGE_CACHE_NAME = "workshops.judge"


def prompt_rows(*, workshop: Workshop) -> QuerySet[JudgePrompt]:
    return JudgePrompt.objects.filter(workshop=workshop).order_by("-version")


def prompt_for(*, workshop: Workshop, prompt_id: int) -> JudgePrompt:
    prompt = JudgePrompt.objects.filter(workshop=workshop, pk=prompt_id).first()
    if prompt is None:
        raise PromptNotFound()
    return prompt


def evaluation_rows(*, prompt: JudgePrompt) -> QuerySet[JudgeEvaluation, Any]:
    return (
        JudgeEvaluation.objects.filter(prompt=prompt)
        .order_by("trace_id")
        .values("id", "trace_id", "predicted_rating", "confidence", "reasoning", "created_at")
    )


def judge_metrics(*, workshop: Workshop, prompt: JudgePrompt) -> dict[str, Any]:
    """The judge's agreement with the human ratings, cached at the workshop's metrics_version
    (bumped by annotation and evaluation writes)."""
    return cached_at_version(
        JUDGE_CACHE_NAME, prompt.pk, workshop.metrics_version, lambda: _compute_judge(workshop, prompt), IRR_TTL_SECONDS
    )


def _compute_judge(workshop: Workshop, prompt: JudgePrompt) -> dict[str, Any]:
    # the rubric question the prompt judges: the first live one of its type
    question = (
        question_rows(workshop=workshop).filter(judge_type=prompt.judge_type).values_list("id", flat=True).first()
    )
    human: dict[int, list[int | float]] = {}
    if question is not None:
        key = str(question)
        for trace_id, ratings in Annotation.objects.filter(workshop=workshop).values_list("trace_id", "ratings"):
            value = (ratings or {}).get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                human.setdefault(trace_id, []).append(value)
    predicted = dict(JudgeEvaluation.objects.filter(prompt=prompt).values_list("trace_id", "predicted_rating"))
    return {"prompt_id": prompt.pk, "question_id": question} | judge.judge_agreement(
        judge_type=prompt.judge_type, human=human, predicted=predicted
    )
