"""Input and output shapes of the job-queue API (input and output serializers are separate)."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.lookup import UserReferenceSerializer
from apps.core.strict import QueryParamsSerializer
from apps.jobs.models import JOB_NAME_PATTERN, JobCategory, TaskStatus


# A pattern, not an enum: drf-spectacular hoists every enum into a component named after the
# field, and another app's `category` would collide with this one (a W001 that fails
# `check --deploy`). settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] would be the
# cleaner fix; it lives outside this app.
@extend_schema_field(
    {
        "type": "string",
        "pattern": "^(" + "|".join(JobCategory.values) + ")$",
        "description": "One of: " + ", ".join(JobCategory.values) + ".",
    }
)
class JobCategoryField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=JobCategory.choices, **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^(" + "|".join(TaskStatus.values) + ")$",
        "description": "One of: " + ", ".join(TaskStatus.values) + ".",
    }
)
class TaskStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=kwargs.pop("choices", TaskStatus.choices), **kwargs)


class UUIDInputField(serializers.UUIDField):
    """A UUID written as a string (`"01a2…-…"`); DRF's field would also take an integer as one."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


# --- output ---------------------------------------------------------------


class JobRoomSerializer(serializers.Serializer):
    name = serializers.CharField()
    created = serializers.BooleanField()


class JobWorkerSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    last_heartbeat = serializers.DateTimeField(read_only=True)


class JobWorkerListItemSerializer(JobWorkerSerializer):
    job_count = serializers.IntegerField(read_only=True)


class JobListItemSerializer(serializers.Serializer):
    full_name = serializers.CharField(read_only=True)
    category = JobCategoryField(read_only=True)
    name = serializers.CharField(read_only=True)
    worker_ids = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_worker_ids(self, job) -> list[str]:
        # reads the prefetched links: no query per job
        return [str(link.worker_id) for link in job.worker_links.all()]


class JobDetailSerializer(JobListItemSerializer):
    room = serializers.CharField(read_only=True)
    schema = serializers.JSONField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class JobTaskEventSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    job_name = serializers.CharField(read_only=True)
    room = serializers.CharField(read_only=True)
    status = TaskStatusField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    started_at = serializers.DateTimeField(read_only=True, allow_null=True)
    completed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    worker_id = serializers.UUIDField(read_only=True, allow_null=True)
    error = serializers.CharField(read_only=True)
    queue_position = serializers.SerializerMethodField()

    @extend_schema_field(serializers.IntegerField(allow_null=True, min_value=1))
    def get_queue_position(self, task) -> int | None:
        return getattr(task, "queue_position", None)


class JobTaskListItemSerializer(JobTaskEventSerializer):
    """A task in a list: everything but the payload, which only the task's own URL shows, so a
    page's size is bounded whatever the payloads (apps/jobs/README.md)."""


class JobTaskSerializer(JobTaskEventSerializer):
    payload = serializers.JSONField(read_only=True)
    result = serializers.JSONField(read_only=True, allow_null=True, help_text="An internal job's return value.")


class JobClaimResultSerializer(serializers.Serializer):
    task = JobTaskSerializer(allow_null=True)


# --- input ----------------------------------------------------------------


def _contains_nul(value) -> bool:
    # Iterative: the parser already bounds the depth, and PostgreSQL's jsonb refuses \u0000.
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _object_only(value):
    if not isinstance(value, dict):
        raise serializers.ValidationError("Must be a JSON object.")
    if _contains_nul(value):
        raise serializers.ValidationError("Strings must not contain NUL characters (\\u0000).")
    return value


def _within_payload_cap(value):
    # Measured as stored and served (compact JSON, UTF-8): no row, and so no response, can
    # carry more than JOBS_MAX_PAYLOAD_BYTES of one payload or schema.
    limit = settings.JOBS_MAX_PAYLOAD_BYTES
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"))
    if size > limit:
        raise serializers.ValidationError(f"Must be at most {limit} bytes as JSON (this is {size}).")
    return value


PAYLOAD_CAP_HELP = "A JSON object of at most JOBS_MAX_PAYLOAD_BYTES (default 256 KiB) as compact JSON."


@extend_schema_field({"type": "object", "additionalProperties": True})
class JSONObjectField(serializers.JSONField):
    """A JSON object (never null, a list or a scalar), documented as one."""


class JobRoomMemberAddSerializer(UserReferenceSerializer):
    """The user to add, by `username` or `email` (exactly one)."""


class JobRegisterSerializer(serializers.Serializer):
    category = JobCategoryField()
    name = serializers.CharField(
        max_length=100,
        validators=[
            RegexValidator(
                JOB_NAME_PATTERN,
                "Job names are 1-100 letters, digits, '_', '.' or '-', starting with a letter or digit.",
            )
        ],
    )
    schema = JSONObjectField(validators=[_object_only, _within_payload_cap], help_text=PAYLOAD_CAP_HELP)
    worker_id = UUIDInputField(required=False, allow_null=True)


class JobTaskSubmitSerializer(serializers.Serializer):
    payload = JSONObjectField(
        required=False, default=dict, validators=[_object_only, _within_payload_cap], help_text=PAYLOAD_CAP_HELP
    )


class JobTaskClaimSerializer(serializers.Serializer):
    worker_id = UUIDInputField()


class JobTaskStatusUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[s for s in TaskStatus.values if s != TaskStatus.PENDING])
    error = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    worker_id = UUIDInputField(required=False, allow_null=True, help_text="Required to claim a pending task.")


class JobTaskListFilterSerializer(QueryParamsSerializer):
    status = TaskStatusField(required=False)
