"""Input serializers validate what clients send; output serializers document what the builders produce."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.converters import MAX_ID
from apps.core.strict import QueryParamsSerializer
from apps.core.validators import NO_NUL, NOT_BLANK
from apps.livechat.exceptions import InvalidPeriod
from apps.livechat.models import (
    BusinessHours,
    CannedResponse,
    ChatSession,
    Contact,
    HandoffKeyword,
    IntentCategory,
    IntentKeyword,
    IntentResponse,
    Message,
    Tag,
)

MAX_TEXT = 5000  # LINE's limit for a text message


def id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# --- input ----------------------------------------------------------------------------------


class ConversationFilterSerializer(QueryParamsSerializer):
    status = serializers.ChoiceField(choices=["waiting", "active", "bot"], required=False)
    tag = id_field(required=False)


class ConversationStartSerializer(serializers.Serializer):
    contact_id = id_field()
    text = serializers.CharField(max_length=MAX_TEXT)


class MessageSendSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_TEXT, required=False)
    canned_id = id_field(required=False)

    def validate(self, attrs):
        if ("text" in attrs) == ("canned_id" in attrs):
            raise serializers.ValidationError({"text": ["Give exactly one of text or canned_id."]})
        return attrs


class MediaUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="a JPEG or PNG image, at most LIVECHAT_MEDIA_MAX_BYTES")


class TransferSerializer(serializers.Serializer):
    agent_id = id_field()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


@extend_schema_field({"type": "string", "enum": list(Contact.ChatMode.values)})
class ModeField(serializers.ChoiceField):
    """Inline in the schema: as a component it would name the chat-mode choices a second time."""


class ModeSerializer(serializers.Serializer):
    mode = ModeField(choices=Contact.ChatMode.choices)


class SearchSerializer(QueryParamsSerializer):
    q = serializers.CharField(max_length=200)


class TagCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}\Z", required=False, default="#888888")


class CannedResponseCreateSerializer(serializers.Serializer):
    shortcut = serializers.RegexField(r"^[A-Za-z0-9_-]{1,50}\Z")
    title = serializers.CharField(max_length=200)
    content = serializers.CharField(max_length=MAX_TEXT)


# --- output ---------------------------------------------------------------------------------


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ("id", "name", "color")
        read_only_fields = fields


class CannedResponseSerializer(serializers.ModelSerializer):
    class Meta:
        model = CannedResponse
        fields = ("id", "shortcut", "title", "content", "usage_count")
        read_only_fields = fields


class SessionBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ChatSession.Status.choices)
    operator_id = serializers.IntegerField(allow_null=True)
    started_at = serializers.DateTimeField()
    claimed_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class MessageBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    direction = serializers.ChoiceField(choices=Message.Direction.choices)
    message_type = serializers.CharField()
    content = serializers.CharField(allow_blank=True)
    sender_role = serializers.ChoiceField(choices=Message.SenderRole.choices)
    created_at = serializers.DateTimeField()


class ContactBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    line_user_id = serializers.CharField()
    display_name = serializers.CharField(allow_blank=True)
    picture_url = serializers.CharField(allow_blank=True)
    friend_status = serializers.ChoiceField(choices=Contact.FriendStatus.choices)
    chat_mode = serializers.ChoiceField(choices=Contact.ChatMode.choices)
    last_message_at = serializers.DateTimeField(allow_null=True)


class ConversationSerializer(serializers.Serializer):
    contact = ContactBriefSerializer()
    session = SessionBriefSerializer(allow_null=True)
    latest_message = MessageBriefSerializer(allow_null=True)
    unread_count = serializers.IntegerField(min_value=0)
    tags = TagSerializer(many=True)


class ConversationPageSerializer(serializers.Serializer):
    items = ConversationSerializer(many=True)
    total = serializers.IntegerField(min_value=0)
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    waiting_count = serializers.IntegerField(min_value=0)
    active_count = serializers.IntegerField(min_value=0)


class ChatMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    session_id = serializers.IntegerField(allow_null=True)
    direction = serializers.ChoiceField(choices=Message.Direction.choices)
    message_type = serializers.CharField()
    content = serializers.CharField(allow_blank=True)
    payload = serializers.JSONField()
    sender_role = serializers.ChoiceField(choices=Message.SenderRole.choices)
    operator_id = serializers.IntegerField(allow_null=True)
    delivery = serializers.ChoiceField(choices=Message.Delivery.choices)
    media_url = serializers.CharField(allow_null=True, help_text="the stored image, video, audio or file")
    created_at = serializers.DateTimeField()


class SearchHitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    contact_id = serializers.IntegerField()
    session_id = serializers.IntegerField(allow_null=True)
    direction = serializers.ChoiceField(choices=Message.Direction.choices)
    message_type = serializers.CharField()
    content = serializers.CharField(allow_blank=True)
    sender_role = serializers.ChoiceField(choices=Message.SenderRole.choices)
    created_at = serializers.DateTimeField()


class ChatSessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChatSession
        fields = (
            "id",
            "contact_id",
            "operator_id",
            "status",
            "started_at",
            "claimed_at",
            "first_response_at",
            "last_activity_at",
            "closed_at",
            "closed_by",
            "message_count",
            "transfer_count",
            "transfer_reason",
        )
        read_only_fields = fields


class QueuePositionSerializer(serializers.Serializer):
    position = serializers.IntegerField(min_value=0)
    total_waiting = serializers.IntegerField(min_value=0)
    estimated_wait_seconds = serializers.IntegerField(min_value=0)


class ReadMarkerSerializer(serializers.Serializer):
    contact_id = serializers.IntegerField()
    read_at = serializers.DateTimeField()


class WebhookAckSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(min_value=0)


class KpisSerializer(serializers.Serializer):
    waiting = serializers.IntegerField()
    active = serializers.IntegerField()
    avg_first_response_seconds = serializers.FloatField(allow_null=True)
    avg_resolution_seconds = serializers.FloatField(allow_null=True)
    csat_average = serializers.FloatField(allow_null=True)
    csat_percentage = serializers.FloatField(allow_null=True)
    fcr_rate = serializers.FloatField(allow_null=True)
    abandonment_rate = serializers.FloatField(allow_null=True)
    sla_breach_events_24h = serializers.IntegerField()
    sessions_today = serializers.IntegerField()
    human_mode_users = serializers.IntegerField()
    timestamp = serializers.DateTimeField()


# --- supervisors' settings ------------------------------------------------------------------
#
# Field rules the schema states (types, lengths, choices, ranges, a non-space character);
# rules across fields (a text response has text, opens before closes) and duplicates are the
# services', coded 400s naming the field.

SHORTCUT = r"^[A-Za-z0-9_-]{1,50}\Z"


class JsonBooleanField(serializers.BooleanField):
    """A JSON body's boolean is `true` or `false`, as the schema says: not 0, 1 or "yes"."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


def text_field(max_length: int, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, validators=[NOT_BLANK], **kwargs)


class IntentCategoryCreateSerializer(serializers.Serializer):
    name = text_field(100)
    is_active = JsonBooleanField(required=False, default=True)


class IntentCategoryUpdateSerializer(serializers.Serializer):
    name = text_field(100, required=False)
    is_active = JsonBooleanField(required=False)


class IntentCategorySerializer(serializers.ModelSerializer):
    keyword_count = serializers.IntegerField(min_value=0)
    response_count = serializers.IntegerField(min_value=0)

    class Meta:
        model = IntentCategory
        fields = ("id", "name", "is_active", "keyword_count", "response_count")
        read_only_fields = fields


class IntentKeywordCreateSerializer(serializers.Serializer):
    keyword = text_field(200)
    match_type = serializers.ChoiceField(
        choices=IntentKeyword.MatchType.choices, required=False, default=IntentKeyword.MatchType.CONTAINS
    )


class IntentKeywordUpdateSerializer(serializers.Serializer):
    keyword = text_field(200, required=False)
    match_type = serializers.ChoiceField(choices=IntentKeyword.MatchType.choices, required=False)


class IntentKeywordSerializer(serializers.ModelSerializer):
    class Meta:
        model = IntentKeyword
        fields = ("id", "category_id", "keyword", "match_type")
        read_only_fields = fields


MAX_ORDER = 32767  # PositiveSmallIntegerField


class IntentResponseCreateSerializer(serializers.Serializer):
    reply_type = serializers.ChoiceField(choices=IntentResponse.ReplyType.choices)
    text_content = serializers.CharField(
        max_length=MAX_TEXT, required=False, default="", allow_blank=True, validators=[NO_NUL]
    )
    payload = serializers.DictField(
        required=False, default=dict, help_text="The LINE message object for any reply_type but text."
    )
    order = serializers.IntegerField(min_value=0, max_value=MAX_ORDER, required=False, default=0)
    is_active = JsonBooleanField(required=False, default=True)


class IntentResponseUpdateSerializer(serializers.Serializer):
    reply_type = serializers.ChoiceField(choices=IntentResponse.ReplyType.choices, required=False)
    text_content = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, validators=[NO_NUL])
    payload = serializers.DictField(required=False)
    order = serializers.IntegerField(min_value=0, max_value=MAX_ORDER, required=False)
    is_active = JsonBooleanField(required=False)


class IntentResponseSerializer(serializers.ModelSerializer):
    payload = serializers.DictField()

    class Meta:
        model = IntentResponse
        fields = ("id", "category_id", "reply_type", "text_content", "payload", "order", "is_active")
        read_only_fields = fields


class HandoffKeywordWriteSerializer(serializers.Serializer):
    keyword = text_field(100, help_text="Stored lowercase; a message containing it asks for a person.")


class HandoffKeywordSerializer(serializers.ModelSerializer):
    class Meta:
        model = HandoffKeyword
        fields = ("id", "keyword")
        read_only_fields = fields


class CannedResponseUpdateSerializer(serializers.Serializer):
    shortcut = serializers.RegexField(SHORTCUT, required=False)
    title = text_field(200, required=False)
    content = text_field(MAX_TEXT, required=False)


LOCAL_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?\Z"


@extend_schema_field(
    {"type": "string", "pattern": LOCAL_TIME.replace("\\Z", "$"), "example": "09:00", "description": "HH:MM[:SS]"}
)
class LocalTimeField(serializers.TimeField):
    """A wall-clock time in LIVECHAT_TIME_ZONE, `HH:MM` or `HH:MM:SS`: no offset, no fraction
    (ISO times with an offset would be aware times, which a day's opening hours are not)."""

    def to_internal_value(self, value: Any) -> dt.time:
        if not isinstance(value, str) or not re.match(LOCAL_TIME, value):
            self.fail("invalid", format="HH:MM[:SS]")
        return dt.time.fromisoformat(value)


class BusinessHoursCreateSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 Monday .. 6 Sunday.")
    opens = LocalTimeField(help_text="In LIVECHAT_TIME_ZONE.")
    closes = LocalTimeField(help_text="After opens, the same day.")


class BusinessHoursUpdateSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, required=False)
    opens = LocalTimeField(required=False)
    closes = LocalTimeField(required=False)


class BusinessHoursSerializer(serializers.ModelSerializer):
    opens = LocalTimeField(read_only=True)
    closes = LocalTimeField(read_only=True)

    class Meta:
        model = BusinessHours
        fields = ("id", "weekday", "opens", "closes")
        read_only_fields = fields


# --- operator analytics ---------------------------------------------------------------------

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
MOMENT_HELP = "An ISO date (a whole day) or date-time; without an offset, in LIVECHAT_TIME_ZONE."


def parse_moment(value: str, *, field: str, end_of_day: bool = False) -> dt.datetime:
    """An ISO date or date-time as an aware UTC datetime: a date is its local midnight (the
    next one for `to`, so the day is included); a naive time is local (LIVECHAT_TIME_ZONE).
    A value that is neither is a coded 400 naming the field."""
    zone = ZoneInfo(settings.LIVECHAT_TIME_ZONE)
    try:
        if _DATE.match(value):
            moment = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=zone)
            if end_of_day:
                moment += dt.timedelta(days=1)
        else:
            moment = dt.datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)
        return moment.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise InvalidPeriod(
            f"{field} must be an ISO date (2026-11-24) or date-time (2026-11-24T09:00:00+09:00).", field=field
        ) from None


class OperatorAnalyticsFilterSerializer(QueryParamsSerializer):
    """`from` and `to` (a Python keyword, hence get_fields); `period()` parses them."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for name, default in (("from", "`to` minus 7 days"), ("to", "now; a date includes that day")):
            fields[name] = serializers.CharField(
                required=False,
                max_length=40,
                trim_whitespace=False,
                validators=[NO_NUL],
                help_text=f"{MOMENT_HELP} Default: {default}.",
            )
        return fields

    def period(self, *, now: dt.datetime, default_days: int) -> tuple[dt.datetime, dt.datetime]:
        data = self.validated_data
        end = parse_moment(data["to"], field="to", end_of_day=True) if "to" in data else now
        start = parse_moment(data["from"], field="from") if "from" in data else end - dt.timedelta(days=default_days)
        return start, end


class OperatorFiguresSerializer(serializers.Serializer):
    agent_id = serializers.IntegerField()
    username = serializers.CharField()
    sessions_handled = serializers.IntegerField(min_value=0, help_text="Sessions they claimed in the window.")
    sessions_closed = serializers.IntegerField(min_value=0)
    avg_first_response_seconds = serializers.FloatField(allow_null=True, help_text="first_response_at - claimed_at")
    avg_resolution_seconds = serializers.FloatField(allow_null=True, help_text="closed_at - started_at, closed ones")
    csat_average = serializers.FloatField(allow_null=True)
    csat_responses = serializers.IntegerField(min_value=0)


class OperatorAnalyticsPageSerializer(serializers.Serializer):
    items = OperatorFiguresSerializer(many=True)
    total = serializers.IntegerField(min_value=0)
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.DateTimeField()
        fields["to"] = serializers.DateTimeField()
        return fields
