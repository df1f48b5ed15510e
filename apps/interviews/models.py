"""Interview practice: a candidate's resume and job postings, practice sessions, their
messages and feedback, the background operations that generate them, and the candidate's
own key for an outside model (stored encrypted)."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import models
from django.db.models import Q


def initial_version() -> int:
    # from the clock, as projects' counts_version: a reused id never matches an old cache entry
    return time.time_ns() // 1000


class Language(models.TextChoices):
    EN = "en", "English"
    UK = "uk", "Ukrainian"


class QuestionType(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    BEHAVIORAL = "behavioral", "Behavioral"
    SITUATIONAL = "situational", "Situational"


class Resume(models.Model):
    """One per user: the text the coach reads to steer questions."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interview_resume")
    content = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"resume of {self.user_id}"


class JobPosting(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_postings", db_index=False
    )
    title = models.CharField(max_length=200)
    company = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    experience_level = models.CharField(max_length=50, blank=True, default="")
    tech_stack = models.JSONField(default=list, blank=True)  # a list of strings
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=("user", "-id"), name="ix_job_postings_user_id")]

    def __str__(self) -> str:
        return self.title


class InterviewStats(models.Model):
    """The version of a user's dashboard figures (apps.core.caching keeps it on a PostgreSQL row)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="interview_stats"
    )
    version = models.PositiveBigIntegerField(default=initial_version)

    class Meta:
        verbose_name_plural = "interview stats"

    def __str__(self) -> str:
        return f"stats of {self.user_id} v{self.version}"


class InterviewSession(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"

    # covered by ix_interview_sessions_user_id, which leads with it
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interview_sessions", db_index=False
    )
    job_posting = models.ForeignKey(JobPosting, on_delete=models.CASCADE, related_name="sessions")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    current_question_number = models.PositiveIntegerField(default=0)
    retake_number = models.PositiveIntegerField(default=1)
    # the root of the retake chain (null on the root itself)
    original_session = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="retakes"
    )
    # kept by the services in the transaction that adds a message, so lists read no messages
    message_count = models.PositiveIntegerField(default=0)
    answered_count = models.PositiveIntegerField(default=0)
    awaiting_answer = models.BooleanField(default=False)  # the last message is an open question
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # the sessions list: the caller's sessions, optionally by status, newest first
            models.Index(fields=("user", "status", "-started_at"), name="ix_interview_sessions_user_id"),
            # the unfiltered list and the date filters: the caller's sessions newest first
            models.Index(fields=("user", "-started_at"), name="ix_interview_sessions_started"),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} ({self.status})"


class SessionMessage(models.Model):
    class MessageType(models.TextChoices):
        QUESTION = "question", "Question"
        ANSWER = "answer", "Answer"

    # covered by ix_session_messages_session_id (session, seq)
    session = models.ForeignKey(InterviewSession, on_delete=models.CASCADE, related_name="messages", db_index=False)
    message_type = models.CharField(max_length=10, choices=MessageType.choices)
    question_type = models.CharField(max_length=12, choices=QuestionType.choices, blank=True, default="")
    content = models.TextField()
    # the coach's notes on a question (key points, follow-up); never sent to the client
    meta = models.JSONField(default=dict, blank=True)
    seq = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("session", "seq"), name="ix_session_messages_session_id")]

    def __str__(self) -> str:
        return f"{self.message_type} {self.seq} of session {self.session_id}"


class Feedback(models.Model):
    session = models.OneToOneField(InterviewSession, on_delete=models.CASCADE, related_name="feedback")
    technical_score = models.PositiveSmallIntegerField()
    communication_score = models.PositiveSmallIntegerField()
    problem_solving_score = models.PositiveSmallIntegerField()
    relevance_score = models.PositiveSmallIntegerField()
    overall_score = models.PositiveSmallIntegerField()
    technical_feedback = models.TextField(blank=True, default="")
    communication_feedback = models.TextField(blank=True, default="")
    problem_solving_feedback = models.TextField(blank=True, default="")
    relevance_feedback = models.TextField(blank=True, default="")
    knowledge_gaps = models.JSONField(default=list, blank=True)
    learning_recommendations = models.JSONField(default=list, blank=True)
    answer_notes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(technical_score__lte=100)
                & Q(communication_score__lte=100)
                & Q(problem_solving_score__lte=100)
                & Q(relevance_score__lte=100)
                & Q(overall_score__lte=100),
                name="interviews_feedback_scores_range",
            )
        ]

    def __str__(self) -> str:
        return f"feedback on session {self.session_id}"


class Operation(models.Model):
    class OperationType(models.TextChoices):
        QUESTION_GENERATION = "question_generation", "Question generation"
        FEEDBACK_ANALYSIS = "feedback_analysis", "Feedback analysis"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    TERMINAL = (Status.COMPLETED, Status.FAILED)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interview_operations")
    session = models.ForeignKey(InterviewSession, on_delete=models.CASCADE, related_name="operations", db_index=False)
    operation_type = models.CharField(max_length=24, choices=OperationType.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    result = models.JSONField(null=True, blank=True)
    error_code = models.CharField(max_length=32, blank=True, default="")
    error_message = models.CharField(max_length=500, blank=True, default="")
    retry_count = models.PositiveIntegerField(default=0)
    parent_operation = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=("session", "operation_type", "status"), name="ix_operations_session_id"),
        ]

    def __str__(self) -> str:
        return f"{self.operation_type} {self.pk} ({self.status})"


class CoachKey(models.Model):
    """The user's own key for the outside model, Fernet-encrypted; only its last four characters are shown."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coach_key")
    encrypted_key = models.BinaryField()
    last_four = models.CharField(max_length=4)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"key …{self.last_four} of {self.user_id}"
