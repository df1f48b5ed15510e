"""Input and output shapes of interview practice."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.core.converters import MAX_ID
from apps.core.strict import QueryParamsSerializer
from apps.core.validators import NOT_BLANK
from apps.interviews.models import InterviewSession, Language

ANSWER_MAX = 20_000
RESUME_MAX = 50_000
DESCRIPTION_MAX = 50_000


def id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# --- input ----------------------------------------------------------------------------------


class ResumeInputSerializer(serializers.Serializer):
    content = serializers.CharField(max_length=RESUME_MAX, trim_whitespace=False)


class PostingInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, validators=[NOT_BLANK])
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=DESCRIPTION_MAX, required=False, allow_blank=True)
    experience_level = serializers.CharField(max_length=50, required=False, allow_blank=True)
    tech_stack = serializers.ListField(
        child=serializers.CharField(max_length=50, validators=[NOT_BLANK]), max_length=30, required=False
    )
    language = serializers.ChoiceField(choices=Language.choices, required=False)


class PostingUpdateSerializer(PostingInputSerializer):
    title = serializers.CharField(max_length=200, required=False, validators=[NOT_BLANK])


class SessionCreateSerializer(serializers.Serializer):
    job_posting_id = id_field()


class AnswerSerializer(serializers.Serializer):
    content = serializers.CharField(
        min_length=1,
        max_length=ANSWER_MAX,
        error_messages={
            "max_length": f"An answer is at most {ANSWER_MAX} characters.",
            "blank": "An answer must not be empty.",
        },
    )


class CoachKeySerializer(serializers.Serializer):
    api_key = serializers.RegexField(
        r"^[\x21-\x7e]{8,300}\Z",
        error_messages={"invalid": "An API key is 8 to 300 printable characters without spaces."},
    )


class SessionFilterSerializer(QueryParamsSerializer):
    """Query parameters of the sessions list; anything else is a 400."""

    ALLOWED = {"status", "job_posting", "start_date", "end_date", "limit", "offset"}

    status = serializers.ChoiceField(choices=InterviewSession.Status.choices, required=False)
    job_posting = id_field(required=False)
    start_date = serializers.DateField(required=False, input_formats=["iso-8601"])
    end_date = serializers.DateField(required=False, input_formats=["iso-8601"])

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - self.ALLOWED)
        if unknown:
            raise serializers.ValidationError({name: ["Unknown filter."] for name in unknown})
        # an end before the start is a valid, empty range (not an error)
        return super().validate(attrs)


# --- output ---------------------------------------------------------------------------------


class ResumeSerializer(serializers.Serializer):
    content = serializers.CharField()
    updated_at = serializers.DateTimeField()


class PostingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    company = serializers.CharField()
    experience_level = serializers.CharField()
    tech_stack = serializers.ListField(child=serializers.CharField())
    language = serializers.CharField()
    created_at = serializers.DateTimeField()


class PostingDetailSerializer(PostingSerializer):
    description = serializers.CharField()


class PostingBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    company = serializers.CharField()


class SessionFieldsSerializer(serializers.Serializer):
    """What a session's list item and its detail both show."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    current_question_number = serializers.IntegerField()
    retake_number = serializers.IntegerField()
    original_session_id = serializers.IntegerField(allow_null=True)
    message_count = serializers.IntegerField()
    answered_count = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


class SessionSerializer(SessionFieldsSerializer):
    """A sessions-list item."""

    job_posting = PostingBriefSerializer()
    overall_score = serializers.IntegerField(allow_null=True)


def session_items(rows: list[dict[str, Any]]) -> Any:
    """The list's items from its values() rows (shaped as SessionSerializer documents)."""
    items = []
    for row in rows:
        item = {k: row[k] for k in SessionSerializer._declared_fields if k in row}
        item["job_posting"] = {
            "id": row["job_posting_id"],
            "title": row["job_posting_title"],
            "company": row["job_posting_company"],
        }
        items.append(item)
    return SessionSerializer(items, many=True).data


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    message_type = serializers.CharField()
    question_type = serializers.CharField()
    content = serializers.CharField()
    seq = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class ScoresSerializer(serializers.Serializer):
    technical_score = serializers.IntegerField()
    communication_score = serializers.IntegerField()
    problem_solving_score = serializers.IntegerField()
    relevance_score = serializers.IntegerField()
    overall_score = serializers.IntegerField()


class SessionDetailSerializer(SessionFieldsSerializer):
    awaiting_answer = serializers.BooleanField()
    job_posting = PostingBriefSerializer(allow_null=True)
    messages = MessageSerializer(many=True)
    feedback = ScoresSerializer(allow_null=True)


def session_detail_data(session: InterviewSession, messages: list[Any]) -> dict[str, Any]:
    feedback = getattr(session, "feedback", None) if hasattr(session, "feedback") else None
    posting = session.job_posting
    data = {
        **session_state_fields(session),
        "job_posting": {"id": posting.pk, "title": posting.title, "company": posting.company},
        "messages": messages,
        "feedback": feedback,
    }
    return SessionDetailSerializer(data).data


class SessionStateSerializer(serializers.Serializer):
    """A session after an action (pause, resume, complete, create, retake)."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    job_posting_id = serializers.IntegerField()
    current_question_number = serializers.IntegerField()
    retake_number = serializers.IntegerField()
    original_session_id = serializers.IntegerField(allow_null=True)
    message_count = serializers.IntegerField()
    answered_count = serializers.IntegerField()
    awaiting_answer = serializers.BooleanField()
    started_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


def session_state_fields(session: InterviewSession) -> dict[str, Any]:
    return {name: getattr(session, name) for name in SessionStateSerializer._declared_fields}


def session_state_data(session: InterviewSession) -> dict[str, Any]:
    return SessionStateSerializer(session_state_fields(session)).data


class RetakeItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    retake_number = serializers.IntegerField()
    original_session_id = serializers.IntegerField(allow_null=True)
    answered_count = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    technical_score = serializers.IntegerField(allow_null=True)
    communication_score = serializers.IntegerField(allow_null=True)
    problem_solving_score = serializers.IntegerField(allow_null=True)
    relevance_score = serializers.IntegerField(allow_null=True)
    overall_score = serializers.IntegerField(allow_null=True)


class ProgressItemSerializer(ScoresSerializer):
    id = serializers.IntegerField()
    retake_number = serializers.IntegerField()
    completed_at = serializers.DateTimeField()
    job_posting_id = serializers.IntegerField()
    job_posting_title = serializers.CharField()


class FeedbackSerializer(ScoresSerializer):
    id = serializers.IntegerField()
    session_id = serializers.IntegerField()
    technical_feedback = serializers.CharField()
    communication_feedback = serializers.CharField()
    problem_solving_feedback = serializers.CharField()
    relevance_feedback = serializers.CharField()
    knowledge_gaps = serializers.ListField(child=serializers.CharField())
    learning_recommendations = serializers.ListField(child=serializers.CharField())
    answer_notes = serializers.ListField(child=serializers.DictField())
    created_at = serializers.DateTimeField()


class OperationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    session_id = serializers.IntegerField()
    operation_type = serializers.CharField()
    status = serializers.CharField()
    result = serializers.JSONField(allow_null=True)
    error_code = serializers.CharField()
    error_message = serializers.CharField()
    retryable = serializers.SerializerMethodField()
    retry_count = serializers.IntegerField()
    parent_operation_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)

    def get_retryable(self, op: Any) -> bool:
        from apps.interviews.coach import CoachError

        if op.status != "failed":
            return False
        return CoachError.MESSAGES.get(op.error_code, ("", True))[1]


class CoachKeyOutSerializer(serializers.Serializer):
    last_four = serializers.CharField()
    updated_at = serializers.DateTimeField()


class KeyValidationSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    checked = serializers.BooleanField(help_text="False when the built-in coach is configured (no server to ask).")
    error_code = serializers.CharField(allow_blank=True)


class RoleSerializer(serializers.Serializer):
    title = serializers.CharField()
    company = serializers.CharField()
    count = serializers.IntegerField()


class DashboardSerializer(serializers.Serializer):
    completed_interviews = serializers.IntegerField()
    average_score = serializers.FloatField(allow_null=True)
    questions_answered = serializers.IntegerField()
    top_roles = RoleSerializer(many=True)
