"""Input serializers validate what clients send; output serializers read only what selectors loaded."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.core.converters import MAX_ID
from apps.workshops.models import RATER_ROLES, JudgeType, Participant, Phase, RubricQuestion, Workshop
from apps.workshops.services import MAX_TRACES_PER_LOAD

MAX_TEXT = 100_000
MAX_NAME = 200


def id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class JsonBooleanField(serializers.BooleanField):
    """A JSON body's boolean is `true` or `false`, as the schema says: not 0, 1 or "yes"."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


# --- workshops -----------------------------------------------------------------------------------


class WorkshopItemSerializer(serializers.Serializer):
    """A workshop in the caller's list (from their seat; never trace data)."""

    id = serializers.IntegerField(source="workshop_id")
    name = serializers.CharField(source="workshop__name")
    description = serializers.CharField(source="workshop__description")
    facilitator_id = serializers.IntegerField(source="workshop__facilitator_id")
    status = serializers.ChoiceField(source="workshop__status", choices=Workshop.Status.choices)
    current_phase = serializers.ChoiceField(source="workshop__current_phase", choices=Phase.choices)
    created_at = serializers.DateTimeField(source="workshop__created_at")
    my_role = serializers.ChoiceField(source="role", choices=Participant.Role.choices)


class WorkshopSerializer(serializers.ModelSerializer):
    my_role = serializers.CharField(read_only=True, help_text="facilitator, sme or participant")
    completed_phases = serializers.ListField(child=serializers.ChoiceField(choices=Phase.choices), read_only=True)

    class Meta:
        model = Workshop
        fields = (
            "id",
            "name",
            "description",
            "facilitator_id",
            "status",
            "current_phase",
            "completed_phases",
            "discovery_randomize",
            "annotation_randomize",
            "show_participant_notes",
            "my_role",
            "created_at",
        )
        read_only_fields = fields


class WorkshopCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=MAX_NAME)
    description = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    discovery_randomize = JsonBooleanField(required=False)
    annotation_randomize = JsonBooleanField(required=False)
    show_participant_notes = JsonBooleanField(required=False)


class WorkshopUpdateSerializer(WorkshopCreateSerializer):
    name = serializers.CharField(max_length=MAX_NAME, required=False)
    status = serializers.ChoiceField(choices=Workshop.Status.choices, required=False)


# --- participants --------------------------------------------------------------------------------


class ParticipantSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user__username")
    role = serializers.ChoiceField(choices=Participant.Role.choices)
    discovery_completed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class ParticipantAddSerializer(serializers.Serializer):
    user_id = id_field()
    role = serializers.ChoiceField(choices=RATER_ROLES, default=Participant.Role.PARTICIPANT)


class ParticipantUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=RATER_ROLES)


# --- traces ----------------------------------------------------------------------------------------


class TraceInSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=200)
    input = serializers.CharField(max_length=MAX_TEXT, allow_blank=True)
    output = serializers.CharField(max_length=MAX_TEXT, allow_blank=True)
    # a field named `context` shadows nothing at run time (the metaclass moves fields off the class)
    context = serializers.JSONField(required=False, allow_null=True)  # type: ignore[assignment]
    metadata = serializers.JSONField(required=False, allow_null=True)


class TraceLoadSerializer(serializers.Serializer):
    traces = serializers.ListField(child=serializers.DictField(), max_length=MAX_TRACES_PER_LOAD)


class TraceLoadResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class TraceItemSerializer(serializers.Serializer):
    """A trace in a list: never its context or metadata."""

    id = serializers.IntegerField(source="trace_id")
    external_id = serializers.CharField(source="trace__external_id")
    input = serializers.CharField(source="trace__input")
    output = serializers.CharField(source="trace__output")
    created_at = serializers.DateTimeField(source="trace__created_at")


class TraceDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    input = serializers.CharField()
    output = serializers.CharField()
    context = serializers.JSONField(allow_null=True)  # type: ignore[assignment]
    metadata = serializers.JSONField(allow_null=True)
    created_at = serializers.DateTimeField()


class TraceListParamsSerializer(serializers.Serializer):
    all = serializers.BooleanField(required=False, default=False, help_text="facilitator: every trace of the workshop")


# --- phases ------------------------------------------------------------------------------------------

PHASE_ACTIONS = ("begin_discovery", "begin_annotation", "add_traces", "advance", "reset")


class PhaseActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=PHASE_ACTIONS)
    trace_limit = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    randomize = JsonBooleanField(required=False)
    count = serializers.IntegerField(
        min_value=1, max_value=1_000_000, required=False, help_text="add_traces: how many (default: every trace left)"
    )
    confirm = JsonBooleanField(required=False, default=False)


# --- findings ------------------------------------------------------------------------------------------


class FindingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    trace_id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user__username")
    insight = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class FindingInSerializer(serializers.Serializer):
    trace_id = id_field()
    insight = serializers.CharField(max_length=MAX_TEXT)


class DiscoveryParticipantSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    completed = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)


class DiscoveryProgressSerializer(serializers.Serializer):
    total_participants = serializers.IntegerField()
    completed_participants = serializers.IntegerField()
    completion_percentage = serializers.FloatField()
    all_completed = serializers.BooleanField()
    participants = DiscoveryParticipantSerializer(many=True)


# --- rubric ------------------------------------------------------------------------------------------------


class BinaryLabelsSerializer(serializers.Serializer):
    # e.g. {"pass": "Good", "fail": "Bad"}: display names of 1 and 0
    # `pass` is a keyword and `fail` a Field method: declared under other names, renamed here
    pass_ = serializers.CharField(max_length=MAX_NAME)
    fail_ = serializers.CharField(max_length=MAX_NAME)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["pass"] = fields.pop("pass_")
        fields["fail"] = fields.pop("fail_")
        return fields


class QuestionSerializer(serializers.ModelSerializer):
    binary_labels = BinaryLabelsSerializer(allow_null=True, read_only=True)

    class Meta:
        model = RubricQuestion
        fields = ("id", "title", "description", "judge_type", "binary_labels", "position")
        read_only_fields = fields


class QuestionInSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=MAX_NAME)
    description = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    judge_type = serializers.ChoiceField(choices=JudgeType.choices, default=JudgeType.LIKERT)
    binary_labels = BinaryLabelsSerializer(required=False, allow_null=True)


class QuestionUpdateSerializer(QuestionInSerializer):
    title = serializers.CharField(max_length=MAX_NAME, required=False)
    judge_type = serializers.ChoiceField(choices=JudgeType.choices, required=False)
    position = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)


# --- annotations ----------------------------------------------------------------------------------------------


class AnnotationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    trace_id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user__username")
    ratings = serializers.DictField(help_text="question id → rating")
    comment = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class AnnotationInSerializer(serializers.Serializer):
    trace_id = id_field()
    ratings = serializers.DictField(help_text="question id → rating (likert 1-5, binary 0/1, freeform text)")
    comment = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


# --- agreement ---------------------------------------------------------------------------------------------------


class QuestionAgreementSerializer(serializers.Serializer):
    question_id = serializers.IntegerField()
    title = serializers.CharField()
    metric = serializers.CharField(allow_null=True)
    value = serializers.FloatField(allow_null=True)
    degenerate = serializers.BooleanField()
    traces = serializers.IntegerField()
    raters = serializers.IntegerField()


class IrrSerializer(serializers.Serializer):
    questions = QuestionAgreementSerializer(many=True)
    overall = serializers.FloatField(allow_null=True)
    ready_to_proceed = serializers.BooleanField()
    interpretation = serializers.CharField(allow_null=True)
    completeness = serializers.FloatField()
    problematic_patterns = serializers.ListField(child=serializers.DictField())


# --- status ---------------------------------------------------------------------------------------------------------


class DiscoveryStatusSerializer(serializers.Serializer):
    active_traces = serializers.IntegerField()
    participants = serializers.IntegerField()
    completed_participants = serializers.IntegerField()
    findings = serializers.IntegerField()


class AnnotationStatusSerializer(serializers.Serializer):
    active_traces = serializers.IntegerField()
    annotations = serializers.IntegerField()
    assigned = serializers.IntegerField(help_text="active traces x raters")


class WorkshopStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Workshop.Status.choices)
    current_phase = serializers.ChoiceField(choices=Phase.choices)
    completed_phases = serializers.ListField(child=serializers.ChoiceField(choices=Phase.choices))
    trace_count = serializers.IntegerField()
    discovery = DiscoveryStatusSerializer()
    annotation = AnnotationStatusSerializer()


# --- notes -----------------------------------------------------------------------------------------------------------


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user__username")
    trace_id = serializers.IntegerField(allow_null=True)
    phase = serializers.ChoiceField(choices=Phase.choices)
    content = serializers.CharField()
    created_at = serializers.DateTimeField()


class NoteInSerializer(serializers.Serializer):
    content = serializers.CharField(max_length=MAX_TEXT)
    trace_id = id_field(required=False, allow_null=True)
    phase = serializers.ChoiceField(choices=Phase.choices, required=False, help_text="default: the current phase")


# --- judge --------------------------------------------------------------------------------------------------------


class JudgePromptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    prompt_text = serializers.CharField()
    judge_type = serializers.ChoiceField(choices=JudgeType.choices)
    model_name = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class JudgePromptInSerializer(serializers.Serializer):
    prompt_text = serializers.CharField(max_length=MAX_TEXT)
    judge_type = serializers.ChoiceField(choices=JudgeType.choices, default=JudgeType.LIKERT)
    model_name = serializers.CharField(max_length=MAX_NAME, required=False, allow_blank=True, default="")


class EvaluationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    trace_id = serializers.IntegerField()
    predicted_rating = serializers.FloatField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    reasoning = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class EvaluationInSerializer(serializers.Serializer):
    trace_id = id_field()
    predicted_rating = serializers.FloatField(allow_null=True, min_value=-1e6, max_value=1e6)
    confidence = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1)
    reasoning = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


class EvaluationLoadSerializer(serializers.Serializer):
    evaluations = serializers.ListField(child=serializers.DictField(), max_length=MAX_TRACES_PER_LOAD)


class JudgeMetricsSerializer(serializers.Serializer):
    prompt_id = serializers.IntegerField()
    question_id = serializers.IntegerField(
        allow_null=True, help_text="the first live rubric question of the prompt's type"
    )
    scale = serializers.ListField(child=serializers.IntegerField(), allow_null=True)
    coverage = serializers.FloatField()
    traces = serializers.IntegerField()
    accuracy = serializers.FloatField(allow_null=True)
    cohen_kappa = serializers.FloatField(allow_null=True)
    weighted_kappa = serializers.FloatField(allow_null=True)
    degenerate = serializers.BooleanField()
    confusion_matrix = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))
