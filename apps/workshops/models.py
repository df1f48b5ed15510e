"""LLM-evaluation workshops: traces, who sees them in which order, findings, rubric, ratings, judges."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import models


def initial_version() -> int:
    # From the clock, not 0: a workshop reusing an id after a reset cannot match an old cached figure.
    return time.time_ns() // 1000


class NamedIndex(models.Index):
    """An index whose name the audit chose: up to PostgreSQL's 63 characters, not Django's portable 30."""

    max_name_length = 63


class Phase(models.TextChoices):
    INTAKE = "intake", "Intake"
    DISCOVERY = "discovery", "Discovery"
    RUBRIC = "rubric", "Rubric"
    ANNOTATION = "annotation", "Annotation"
    RESULTS = "results", "Results"
    JUDGE_TUNING = "judge_tuning", "Judge tuning"


PHASE_ORDER = [phase.value for phase in Phase]


class JudgeType(models.TextChoices):
    LIKERT = "likert", "Likert 1-5"
    BINARY = "binary", "Binary 0/1"
    FREEFORM = "freeform", "Freeform"


class WorkshopQuerySet(models.QuerySet["Workshop"]):
    def visible_to(self, user) -> WorkshopQuerySet:
        """The workshops the user facilitates or joined (every one has the facilitator as a participant row)."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(participants__user_id=user.pk)


class Workshop(models.Model):
    """A workshop: one facilitator's evaluation of one LLM application by a group of raters."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    facilitator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    current_phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.INTAKE)
    # A handful of phase names from a fixed set of six, not a growing list of ids.
    completed_phases = models.JSONField(default=list, blank=True)
    discovery_randomize = models.BooleanField(default=False)
    annotation_randomize = models.BooleanField(default=False)
    show_participant_notes = models.BooleanField(default=True)
    # Bumped in the same transaction by every annotation or evaluation write: the cached
    # agreement figures are valid only at this version (apps.core.caching).
    metrics_version = models.PositiveBigIntegerField(default=initial_version, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkshopQuerySet.as_manager()

    my_role: str | None  # annotated by the scope selector
    my_participant_id: int
    caller_id: int

    class Meta:
        indexes = [models.Index(fields=["facilitator", "-id"], name="ix_workshops_facilitator")]

    def __str__(self) -> str:
        return self.name


class Participant(models.Model):
    """A user's place in a workshop (the facilitator has one too, with the facilitator role)."""

    class Role(models.TextChoices):
        FACILITATOR = "facilitator", "Facilitator"
        SME = "sme", "Subject-matter expert"
        PARTICIPANT = "participant", "Participant"

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="participants", db_index=False
    )  # led by a composite index below
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workshop_seats")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PARTICIPANT)
    discovery_completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workshop", "user"], name="uq_participant_workshop_user")]
        # the workshop list starts from the caller's seats: (user, workshop) answers it from the index
        indexes = [models.Index(fields=["user", "workshop"], name="ix_participants_user_workshop")]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.workshop_id}"


class Trace(models.Model):
    """One input/output pair of the evaluated application, with its (possibly large) context."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="traces", db_index=False
    )  # led by a composite index below
    external_id = models.CharField(max_length=200)
    input = models.TextField()
    output = models.TextField()
    context = models.JSONField(null=True, blank=True)
    metadata = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workshop", "external_id"], name="uq_trace_workshop_external")]
        indexes = [models.Index(fields=["workshop", "id"], name="ix_traces_workshop")]

    def __str__(self) -> str:
        return self.external_id


class PhaseTrace(models.Model):
    """A trace active in a workshop's phase, at its place in the phase's order."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # led by a composite index below
    phase = models.CharField(max_length=16, choices=Phase.choices)
    trace = models.ForeignKey(Trace, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workshop", "phase", "trace"], name="uq_phasetrace_trace"),
        ]
        indexes = [models.Index(fields=["workshop", "phase", "position"], name="ix_phasetraces_order")]

    def __str__(self) -> str:
        return f"{self.phase}:{self.trace_id}@{self.position}"


class TraceOrder(models.Model):
    """A participant's own place for a trace in a randomised phase."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # led by a composite index below
    phase = models.CharField(max_length=16, choices=Phase.choices)
    trace = models.ForeignKey(Trace, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "phase", "trace"], name="uq_traceorder_trace"),
        ]
        indexes = [models.Index(fields=["participant", "phase", "position"], name="ix_traceorders_order")]

    def __str__(self) -> str:
        return f"{self.participant_id}:{self.phase}:{self.trace_id}@{self.position}"


class Finding(models.Model):
    """What a participant noticed about a trace in discovery (one per user and trace)."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="findings", db_index=False
    )  # led by a composite index below
    trace = models.ForeignKey(Trace, on_delete=models.CASCADE, related_name="findings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    insight = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trace", "user"], name="uq_finding_trace_user")]
        indexes = [
            models.Index(fields=["workshop", "trace"], name="ix_findings_workshop_trace"),
            models.Index(fields=["workshop", "user"], name="ix_findings_workshop_user"),
        ]

    def __str__(self) -> str:
        return f"finding {self.pk}"


class RubricQuestion(models.Model):
    """One question of the agreed rubric; deleting it keeps its ratings but leaves every metric."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="questions", db_index=False
    )  # led by a composite index below
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    judge_type = models.CharField(max_length=16, choices=JudgeType.choices, default=JudgeType.LIKERT)
    binary_labels = models.JSONField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workshop", "position"], name="ix_questions_workshop_position")]

    def __str__(self) -> str:
        return self.title


class Annotation(models.Model):
    """A participant's ratings of one trace against the rubric (question id → value)."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="annotations", db_index=False
    )  # led by a composite index below
    trace = models.ForeignKey(Trace, on_delete=models.CASCADE, related_name="annotations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ratings = models.JSONField(default=dict)
    comment = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trace", "user"], name="uq_annotation_trace_user")]
        indexes = [
            models.Index(fields=["workshop", "trace"], name="ix_annotations_workshop_trace"),
            models.Index(fields=["workshop", "user"], name="ix_annotations_workshop_user"),
        ]

    def __str__(self) -> str:
        return f"annotation {self.pk}"


class Note(models.Model):
    """A participant's note, optionally about a trace; append-only."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="notes", db_index=False
    )  # led by a composite index below
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    trace = models.ForeignKey(Trace, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    phase = models.CharField(max_length=16, choices=Phase.choices)
    content = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [NamedIndex(fields=["workshop", "user"], name="ix_participant_notes_workshop_user")]

    def __str__(self) -> str:
        return f"note {self.pk}"


class JudgePrompt(models.Model):
    """A version of the LLM judge's prompt (versions count from 1 per workshop)."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="judge_prompts", db_index=False
    )  # led by a composite index below
    prompt_text = models.TextField()
    judge_type = models.CharField(max_length=16, choices=JudgeType.choices, default=JudgeType.LIKERT)
    version = models.PositiveIntegerField()
    model_name = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workshop", "version"], name="uq_judgeprompt_version")]

    def __str__(self) -> str:
        return f"prompt v{self.version}"


class JudgeEvaluation(models.Model):
    """The judge's predicted rating of one trace under one prompt version."""

    prompt = models.ForeignKey(
        JudgePrompt, on_delete=models.CASCADE, related_name="evaluations", db_index=False
    )  # led by a composite index below
    trace = models.ForeignKey(Trace, on_delete=models.CASCADE, related_name="+")
    predicted_rating = models.FloatField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    reasoning = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # one per prompt and trace (the upsert's conflict target); it is also the page's index
        constraints = [models.UniqueConstraint(fields=["prompt", "trace"], name="ix_evaluations_workshop_prompt")]

    def __str__(self) -> str:
        return f"evaluation {self.pk}"


# The seat roles, and the two a facilitator may give (the facilitator's own seat is made with the workshop).
PARTICIPANT_ROLES = Participant.Role.choices
RATER_ROLES = [(Participant.Role.SME.value, "SME"), (Participant.Role.PARTICIPANT.value, "Participant")]
