"""Interview practice's reads: each returns exactly the rows its response shows, scoped to the owner."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from apps.core.caching import cached_at_version
from apps.interviews.exceptions import (
    FeedbackNotFound,
    JobPostingNotFound,
    OperationNotFound,
    ResumeNotFound,
    SessionNotFound,
)
from apps.interviews.models import (
    Feedback,
    InterviewSession,
    InterviewStats,
    JobPosting,
    Operation,
    Resume,
    SessionMessage,
)

POSTING_LIST_FIELDS = ("id", "title", "company", "experience_level", "tech_stack", "language", "created_at")
SESSION_ROW = (
    "id",
    "status",
    "current_question_number",
    "retake_number",
    "original_session_id",
    "message_count",
    "answered_count",
    "started_at",
    "completed_at",
    "job_posting_id",
)
SCORE_FIELDS = ("technical_score", "communication_score", "problem_solving_score", "relevance_score", "overall_score")


def resume_get(*, user) -> Resume:
    resume = Resume.objects.filter(user=user).first()
    if resume is None:
        raise ResumeNotFound()
    return resume


def posting_list(*, user) -> QuerySet[JobPosting]:
    """The caller's postings newest first, without their descriptions."""
    return JobPosting.objects.filter(user=user).only(*POSTING_LIST_FIELDS).order_by("-id")


def posting_get(*, user, posting_id: int) -> JobPosting:
    posting = JobPosting.objects.filter(user=user, pk=posting_id).first()
    if posting is None:
        raise JobPostingNotFound()
    return posting


def session_get(*, user, session_id: int) -> InterviewSession:
    """The caller's session (without its relations): every /sessions/{id}/… scope."""
    session = InterviewSession.objects.filter(user=user, pk=session_id).first()
    if session is None:
        raise SessionNotFound()
    return session


def session_list(*, user, filters: dict[str, Any]) -> QuerySet[InterviewSession, Any]:
    """The caller's sessions newest first with posting summary and overall score: values() rows,
    one join to the posting (title, company only) and one left join to the feedback."""
    qs = InterviewSession.objects.filter(user=user)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("job_posting"):
        qs = qs.filter(job_posting_id=filters["job_posting"])
    zone = timezone.get_current_timezone()
    if filters.get("start_date"):
        qs = qs.filter(started_at__gte=datetime.combine(filters["start_date"], time.min, tzinfo=zone))
    if filters.get("end_date"):
        end: date = filters["end_date"] + timedelta(days=1)
        qs = qs.filter(started_at__lt=datetime.combine(end, time.min, tzinfo=zone))
    return qs.order_by("-started_at", "-id").values(
        *SESSION_ROW,
        job_posting_title=F("job_posting__title"),
        job_posting_company=F("job_posting__company"),
        overall_score=F("feedback__overall_score"),
    )


def session_detail(*, user, session_id: int) -> tuple[InterviewSession, list[SessionMessage]]:
    """The session with its posting summary and feedback summary (one query), and its messages (one)."""
    session = (
        InterviewSession.objects.filter(user=user, pk=session_id)
        .select_related("job_posting", "feedback")
        .only(
            *SESSION_ROW,
            "user_id",
            "awaiting_answer",
            "job_posting__id",
            "job_posting__title",
            "job_posting__company",
            "job_posting__experience_level",
            "job_posting__language",
            *(f"feedback__{name}" for name in SCORE_FIELDS),
            "feedback__id",
        )
        .first()
    )
    if session is None:
        raise SessionNotFound()
    messages = list(
        SessionMessage.objects.filter(session_id=session.pk)
        .order_by("seq")
        .only("id", "message_type", "question_type", "content", "seq", "created_at")
    )
    return session, messages


def message_rows(*, session: InterviewSession) -> QuerySet[SessionMessage, Any]:
    """The session's messages for cursor pagination (newest first by id; no coach notes)."""
    return SessionMessage.objects.filter(session_id=session.pk).values(
        "id", "message_type", "question_type", "content", "seq", "created_at"
    )


def retake_chain(*, session: InterviewSession) -> QuerySet[InterviewSession, Any]:
    root_id = session.original_session_id or session.pk
    return (
        InterviewSession.objects.filter(Q(pk=root_id) | Q(original_session_id=root_id), user_id=session.user_id)
        .order_by("retake_number", "id")
        .values(*SESSION_ROW, **{name: F(f"feedback__{name}") for name in SCORE_FIELDS})
    )


def sessions_with_feedback(*, user) -> QuerySet[InterviewSession, Any]:
    """Completed sessions with feedback, oldest first: the progress chart."""
    return (
        InterviewSession.objects.filter(user=user, status=InterviewSession.Status.COMPLETED, feedback__isnull=False)
        .order_by("completed_at", "id")
        .values(
            "id",
            "retake_number",
            "completed_at",
            "job_posting_id",
            job_posting_title=F("job_posting__title"),
            **{name: F(f"feedback__{name}") for name in SCORE_FIELDS},
        )
    )


def feedback_get(*, session: InterviewSession) -> Feedback:
    feedback = Feedback.objects.filter(session_id=session.pk).first()
    if feedback is None:
        raise FeedbackNotFound()
    return feedback


def operation_get(*, user, operation_id: int) -> Operation:
    op = Operation.objects.filter(user=user, pk=operation_id).first()
    if op is None:
        raise OperationNotFound()
    return op


# --- the dashboard -------------------------------------------------------------------------


def dashboard_compute(user_id: int) -> dict[str, Any]:
    """One grouped query over the user's sessions; the totals are sums of the groups."""
    groups = list(
        InterviewSession.objects.filter(user_id=user_id)
        .values(title=F("job_posting__title"), company=F("job_posting__company"))
        .annotate(
            count=Count("id"),
            completed=Count("id", filter=Q(status=InterviewSession.Status.COMPLETED)),
            answered=Sum("answered_count"),
            score_sum=Sum("feedback__overall_score"),
            scored=Count("feedback__id"),
        )
        .order_by()
    )
    scored = sum(g["scored"] for g in groups)
    score_sum = sum(g["score_sum"] or 0 for g in groups)
    top = sorted(groups, key=lambda g: (-g["count"], g["title"], g["company"]))[:5]
    return {
        "completed_interviews": sum(g["completed"] for g in groups),
        "average_score": round(score_sum / scored, 1) if scored else None,
        "questions_answered": sum(g["answered"] or 0 for g in groups),
        "top_roles": [{"title": g["title"], "company": g["company"], "count": g["count"]} for g in top],
    }


def dashboard(*, user) -> dict[str, Any]:
    version = InterviewStats.objects.filter(user_id=user.pk).values_list("version", flat=True).first()
    if version is None:
        return dashboard_compute(user.pk)
    return cached_at_version("interviews-dashboard", user.pk, version, lambda: dashboard_compute(user.pk))
