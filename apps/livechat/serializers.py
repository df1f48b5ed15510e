"""Input serializers validate what clients send; output serializers document what the builders produce."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.converters import MAX_ID
from apps.core.strict import QueryParamsSerializer
from apps.livechat.models import CannedResponse, ChatSession, Contact, Message, Tag

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
