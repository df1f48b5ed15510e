"""Input of the /v1/joblib/ surface (the original's request models), over Brisk's own serializers,
and its output shapes for the OpenAPI description (the builders produce them)."""

from __future__ import annotations

from rest_framework import serializers

from apps.jobs.serializers import (
    JobRegisterSerializer,
    JobTaskStatusUpdateSerializer,
    JSONObjectField,
    TaskStatusField,
)

ERROR_MAX_LENGTH = 4000


class CompatJobRegisterSerializer(JobRegisterSerializer):
    """JobRegisterRequest: the schema under `schema` or `schema_` (the client sends `schema_`),
    `{}` when absent."""

    def to_internal_value(self, data):
        if isinstance(data, dict) and "schema_" in data and "schema" not in data:
            data = {**data, "schema": data["schema_"]}
            del data["schema_"]
        if isinstance(data, dict) and "schema" not in data:
            data = {**data, "schema": {}}
        return super().to_internal_value(data)


class CompatTaskUpdateSerializer(JobTaskStatusUpdateSerializer):
    """TaskUpdateRequest `{status, error?}`: `error` may be null, and a longer one is cut to
    4000 characters rather than refused (a worker reporting a failure must not be turned away)."""

    error = serializers.CharField(required=False, allow_blank=True, allow_null=True, default="", trim_whitespace=False)

    def validate_error(self, value: str | None) -> str:
        return (value or "")[:ERROR_MAX_LENGTH]


# --- output (documentation; apps/jobs/compat/builders.py writes them) -------------------


class CompatWorkerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    last_heartbeat = serializers.DateTimeField()


class CompatWorkerSummarySerializer(CompatWorkerSerializer):
    job_count = serializers.IntegerField()


class CompatJobSummarySerializer(serializers.Serializer):
    full_name = serializers.CharField()
    category = serializers.CharField()
    name = serializers.CharField()
    workers = serializers.ListField(child=serializers.UUIDField())


class CompatJobSerializer(CompatJobSummarySerializer):
    id = serializers.UUIDField()
    room_id = serializers.CharField()
    schema = JSONObjectField()
    worker_id = serializers.UUIDField(allow_null=True)


class CompatTaskListItemSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    job_name = serializers.CharField()
    room_id = serializers.CharField()
    status = TaskStatusField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    worker_id = serializers.UUIDField(allow_null=True)
    error = serializers.CharField(allow_null=True)
    queue_position = serializers.IntegerField(allow_null=True, min_value=1)


class CompatTaskSerializer(CompatTaskListItemSerializer):
    payload = JSONObjectField()
    result = serializers.JSONField(allow_null=True)


class CompatClaimSerializer(serializers.Serializer):
    task = CompatTaskSerializer(allow_null=True)
