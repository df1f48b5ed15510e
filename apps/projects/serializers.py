"""Input serializers validate what clients send; output serializers read only what selectors loaded."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.lookup import UserReferenceSerializer
from apps.core.converters import MAX_ID
from apps.core.strict import QueryParamsSerializer
from apps.projects.models import (
    MAX_CHECKLIST_TEXT,
    MAX_COMMENT_BODY,
    PROJECT_KEY_VALIDATOR,
    Application,
    ApplicationMember,
    Project,
    ProjectMember,
    Task,
    TaskStatus,
)
from apps.projects.selectors import DERIVED_STATUS_NAMES, empty_counts

MAX_TEXT = 20_000
# A name must hold a character that is not whitespace in Python (what DRF trims) nor in the
# OpenAPI description's regex dialect (ECMA's \s lacks \x1c-\x1f and \x85): in the schema as a
# `pattern`, so "\u001c" is refused there as here.
HAS_VISIBLE_CHARACTER = RegexValidator(r"[^\s\x1c-\x1f\x85]", "Must contain a visible character.")


def id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# --- output ---------------------------------------------------------------------------------


class UserBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


class StatusSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskStatus
        fields = ("id", "name", "category", "rank")
        read_only_fields = fields


class CountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(min_value=0)
    todo = serializers.IntegerField(min_value=0)
    active = serializers.IntegerField(min_value=0)
    review = serializers.IntegerField(min_value=0)
    issue = serializers.IntegerField(min_value=0)
    done = serializers.IntegerField(min_value=0)


class StatsSerializer(CountsSerializer):
    derived_status = serializers.ChoiceField(choices=sorted(DERIVED_STATUS_NAMES.values()))


class StatusBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    category = serializers.CharField(read_only=True)


class OverrideSerializer(serializers.Serializer):
    status = StatusBriefSerializer(read_only=True)
    reason = serializers.CharField(read_only=True)
    by = UserBriefSerializer(read_only=True, allow_null=True)
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)
    active = serializers.BooleanField(read_only=True, help_text="False once expires_at has passed.")


def _status_brief(status: TaskStatus | None) -> dict | None:
    return None if status is None else {"id": status.pk, "name": status.name, "category": status.category}


class ProjectSerializer(serializers.ModelSerializer):
    """A project in a list: counts come from `context["counts"]` (one lookup for the page); its
    override (status, reason, by, expiry) and `effective_status`: the override's status while
    it applies, else the derived one (builders.project_item writes the same from the list's row)."""

    derived_status = serializers.SerializerMethodField()
    derived_status_id = serializers.IntegerField(read_only=True, allow_null=True)
    # a plain string in the schema: the role enum is already named by MemberSerializer.role
    my_role = serializers.CharField(read_only=True, help_text="admin, editor or viewer")
    counts = serializers.SerializerMethodField()
    override = serializers.SerializerMethodField()
    effective_status = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields: tuple[str, ...] = (
            "id",
            "key",
            "name",
            "derived_status",
            "derived_status_id",
            "my_role",
            "counts",
            "created_at",
            "archived_at",
            "override",
            "effective_status",
        )
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_derived_status(self, project: Project) -> str | None:
        status = project.derived_status
        return None if status is None else status.name

    @extend_schema_field(CountsSerializer)
    def get_counts(self, project: Project) -> dict[str, int]:
        counts = getattr(project, "counts", None)
        if counts is None:
            counts = self.context.get("counts", {}).get(project.pk)
        return counts if counts is not None else empty_counts()

    @extend_schema_field(OverrideSerializer(allow_null=True))
    def get_override(self, project: Project) -> dict | None:
        if project.override_status_id is None:
            return None
        by = project.override_by
        return {
            "status": _status_brief(project.override_status),
            "reason": project.override_reason,
            "by": None if by is None else {"id": by.pk, "username": by.username},
            "expires_at": serializers.DateTimeField().to_representation(project.override_expires_at)
            if project.override_expires_at
            else None,
            "active": project.override_active(timezone.now()),
        }

    @extend_schema_field(StatusBriefSerializer(allow_null=True))
    def get_effective_status(self, project: Project) -> dict | None:
        if project.override_active(timezone.now()):
            return _status_brief(project.override_status)
        return _status_brief(project.derived_status)


class ProjectDetailSerializer(ProjectSerializer):
    """A project as the list shows it, with its description, creator and workspace."""

    application_id = serializers.IntegerField(read_only=True, help_text="The project's workspace.")

    class Meta(ProjectSerializer.Meta):
        fields = (*ProjectSerializer.Meta.fields, "description", "created_by_id", "application_id")
        read_only_fields = fields


class MemberSerializer(serializers.ModelSerializer):
    user = UserBriefSerializer(read_only=True)

    class Meta:
        model = ProjectMember
        fields = ("user", "role", "created_at")
        read_only_fields = fields


class TaskSerializer(serializers.ModelSerializer):
    """A task as lists show it (no description)."""

    project_id = serializers.IntegerField(read_only=True)
    status = StatusSerializer(read_only=True)
    assignee = UserBriefSerializer(read_only=True, allow_null=True)
    reporter = UserBriefSerializer(read_only=True, allow_null=True)
    parent_id = serializers.IntegerField(read_only=True, allow_null=True)
    subtask_count = serializers.IntegerField(read_only=True)
    comment_count = serializers.IntegerField(read_only=True)
    checklist_total = serializers.IntegerField(read_only=True)
    checklist_done = serializers.IntegerField(read_only=True)

    class Meta:
        model = Task
        fields: tuple[str, ...] = (
            "id",
            "key",
            "project_id",
            "title",
            "status",
            "task_type",
            "priority",
            "story_points",
            "due_date",
            "assignee",
            "reporter",
            "parent_id",
            "subtask_count",
            "comment_count",
            "checklist_total",
            "checklist_done",
            "rank",
            "row_version",
            "completed_at",
            "archived_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class TaskDetailSerializer(TaskSerializer):
    class Meta(TaskSerializer.Meta):
        fields = (*TaskSerializer.Meta.fields, "description")
        read_only_fields = fields


class TaskConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    task = TaskDetailSerializer()


class CommentSerializer(serializers.Serializer):
    """A comment (builders.comment_item writes this shape); a tombstone has an empty body and `deleted_at`."""

    id = serializers.IntegerField(read_only=True)
    task_id = serializers.IntegerField(read_only=True)
    author = UserBriefSerializer(read_only=True, allow_null=True)
    body = serializers.CharField(read_only=True, help_text="Markdown text; empty once deleted.")
    mentions = UserBriefSerializer(many=True, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    edited_at = serializers.DateTimeField(read_only=True, allow_null=True)
    deleted_at = serializers.DateTimeField(read_only=True, allow_null=True)


class ChecklistItemSerializer(serializers.Serializer):
    """A checklist item (builders.checklist_item writes this shape)."""

    id = serializers.IntegerField(read_only=True)
    task_id = serializers.IntegerField(read_only=True)
    text = serializers.CharField(read_only=True)
    done = serializers.BooleanField(read_only=True)
    rank = serializers.IntegerField(read_only=True)
    done_by_id = serializers.IntegerField(read_only=True, allow_null=True)
    done_at = serializers.DateTimeField(read_only=True, allow_null=True)


class KeyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    key = serializers.CharField(read_only=True)


class MentionCommentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    author = UserBriefSerializer(read_only=True, allow_null=True)
    body = serializers.CharField(read_only=True)


class MentionSerializer(serializers.Serializer):
    """Where the caller was mentioned (builders.mention_item writes this shape)."""

    id = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    project = KeyRefSerializer(read_only=True)
    task = KeyRefSerializer(read_only=True)
    comment = MentionCommentSerializer(read_only=True)


class ApplicationSerializer(serializers.ModelSerializer):
    """A workspace with the caller's role and its member and live project counts (annotated)."""

    created_by_id = serializers.IntegerField(read_only=True, allow_null=True)
    # plain strings in the schema: the role enum is named by ApplicationMemberSerializer.role
    my_role = serializers.CharField(read_only=True, help_text="owner, editor or viewer")
    is_manager = serializers.BooleanField(source="my_is_manager", read_only=True)
    member_count = serializers.IntegerField(read_only=True)
    project_count = serializers.IntegerField(read_only=True, help_text="Live projects.")

    class Meta:
        model = Application
        fields = (
            "id",
            "name",
            "description",
            "created_by_id",
            "created_at",
            "my_role",
            "is_manager",
            "member_count",
            "project_count",
        )
        read_only_fields = fields


class ApplicationMemberSerializer(serializers.ModelSerializer):
    user = UserBriefSerializer(read_only=True)

    class Meta:
        model = ApplicationMember
        fields = ("user", "role", "is_manager", "created_at")
        read_only_fields = fields


class ApplicationBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class MyProjectSerializer(ProjectSerializer):
    """A project in `GET /api/me/projects/`: the /api/projects/ item plus its workspace."""

    application = ApplicationBriefSerializer(read_only=True)

    class Meta(ProjectSerializer.Meta):
        fields = (*ProjectSerializer.Meta.fields, "application")
        read_only_fields = fields


class PresentUserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    since = serializers.DateTimeField(read_only=True, help_text="When their earliest open socket there opened.")


class PresenceSerializer(serializers.Serializer):
    """Who has the project open (apps.projects.presence writes this shape), earliest first."""

    board = PresentUserSerializer(many=True, read_only=True, help_text="Users with the board open.")
    tasks = serializers.DictField(
        child=PresentUserSerializer(many=True),
        read_only=True,
        help_text="Task id → users with that task's detail open (tasks nobody has open are absent).",
    )


# --- input ----------------------------------------------------------------------------------


class JSONBooleanField(serializers.BooleanField):
    """A JSON `true` or `false` only: DRF's BooleanField also takes 0, 1, "yes", "off", ...,
    which the OpenAPI description (a boolean) refuses."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class ApplicationCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, validators=[HAS_VISIBLE_CHARACTER])
    description = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


class ApplicationUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, validators=[HAS_VISIBLE_CHARACTER])
    description = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)


class ApplicationMemberAddSerializer(UserReferenceSerializer):
    """The user to add, by `username` or `email`, their role and whether they manage members."""

    role = serializers.ChoiceField(choices=ApplicationMember.Role.choices, default=ApplicationMember.Role.EDITOR)
    is_manager = JSONBooleanField(
        required=False, default=False, help_text="Manages the members (owners only grant it); a viewer never does."
    )


class ApplicationMemberUpdateSerializer(serializers.Serializer):
    """`role`, `is_manager` or both; neither changes nothing. A viewer never manages: the flag
    is cleared when the role becomes viewer (the answer shows it)."""

    role = serializers.ChoiceField(choices=ApplicationMember.Role.choices, required=False)
    is_manager = JSONBooleanField(required=False)


class ProjectCreateSerializer(serializers.Serializer):
    key = serializers.CharField(min_length=2, max_length=10, validators=[PROJECT_KEY_VALIDATOR])
    name = serializers.CharField(max_length=200, validators=[HAS_VISIBLE_CHARACTER])
    description = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


class ProjectCreateInSerializer(ProjectCreateSerializer):
    """`POST /api/projects/`: optionally the workspace (one where the caller is an owner or
    editor); without it the project goes to the caller's own default workspace."""

    application_id = id_field(required=False)


class ProjectUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, validators=[HAS_VISIBLE_CHARACTER])
    description = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)


class MemberAddSerializer(UserReferenceSerializer):
    """The user to add, by `username` or `email` (exactly one), and their role."""

    role = serializers.ChoiceField(choices=ProjectMember.Role.choices, default=ProjectMember.Role.EDITOR)


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ProjectMember.Role.choices)


class _TaskFieldsSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    status_id = id_field(required=False)
    task_type = serializers.ChoiceField(choices=Task.TaskType.choices, required=False)
    priority = serializers.ChoiceField(choices=Task.Priority.choices, required=False)
    story_points = serializers.IntegerField(min_value=0, max_value=1000, required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    assignee_id = id_field(required=False, allow_null=True)
    parent_id = id_field(required=False, allow_null=True)


class TaskCreateSerializer(_TaskFieldsSerializer):
    pass


class TaskUpdateSerializer(_TaskFieldsSerializer):
    title = serializers.CharField(max_length=300, required=False)
    archived = serializers.BooleanField(required=False)
    row_version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class TaskMoveSerializer(serializers.Serializer):
    status_id = id_field(required=False)
    before_id = id_field(required=False, allow_null=True)
    after_id = id_field(required=False, allow_null=True)


class TaskFilterSerializer(QueryParamsSerializer):
    """Query parameters of the task list; a bad value is a 400 naming the parameter."""

    status = id_field(required=False, help_text="Only tasks in this status (id).")
    assignee = serializers.CharField(
        required=False,
        max_length=20,
        trim_whitespace=False,
        validators=[RegexValidator(r"^(none|[1-9][0-9]{0,17})\Z", 'assignee must be a user id or "none".')],
        help_text='A user id, or "none" for unassigned tasks.',
    )
    priority = serializers.ChoiceField(choices=Task.Priority.choices, required=False)
    archived = serializers.ChoiceField(
        choices=("false", "true", "all"), required=False, help_text="Archived tasks: false (default), true or all."
    )
    q = serializers.CharField(required=False, max_length=200, help_text="Words in the title, or an exact key.")

    def validate_assignee(self, value: str):
        return "none" if value == "none" else int(value)  # the pattern let only these through

    def to_filters(self) -> dict:
        data = self.validated_data
        archived = {"false": False, "true": True, "all": None}[data.get("archived", "false")]
        assignee = data.get("assignee")
        return {
            "archived": archived,
            "status": data.get("status"),
            "assignee": assignee if assignee != "none" else None,
            "unassigned": assignee == "none",
            "priority": data.get("priority"),
            "q": data.get("q"),
        }


class CommentWriteSerializer(serializers.Serializer):
    """A comment's Markdown body; `@username` of a project member mentions them."""

    body = serializers.CharField(max_length=MAX_COMMENT_BODY, trim_whitespace=True)


class ChecklistItemCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_CHECKLIST_TEXT)
    done = serializers.BooleanField(required=False, default=False)


class ChecklistItemUpdateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_CHECKLIST_TEXT, required=False)
    done = serializers.BooleanField(required=False)


class ChecklistMoveSerializer(serializers.Serializer):
    """Exactly one anchor: another item of the same task."""

    before_id = id_field(required=False)
    after_id = id_field(required=False)

    def validate(self, attrs: dict) -> dict:
        if ("before_id" in attrs) == ("after_id" in attrs):
            raise serializers.ValidationError({"before_id": ["Give exactly one of before_id and after_id."]})
        return attrs


class ChecklistMoveSchema(OpenApiSerializerExtension):
    """Documents "exactly one of before_id and after_id", which the serializer enforces."""

    target_class = "apps.projects.serializers.ChecklistMoveSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["oneOf"] = [
            {"required": ["before_id"], "not": {"required": ["after_id"]}},
            {"required": ["after_id"], "not": {"required": ["before_id"]}},
        ]
        return schema


class OverrideSetSerializer(serializers.Serializer):
    status_id = id_field()
    reason = serializers.CharField(max_length=500)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
