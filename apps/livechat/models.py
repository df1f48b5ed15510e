"""The LINE live-chat desk: contacts, their sessions and messages, the bot's intents, the queue."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Now

AGENT_PERMISSION = "livechat.agent"
SUPERVISOR_PERMISSION = "livechat.supervisor"


class Tag(models.Model):
    """A label agents put on contacts (VIP, billing, ...)."""

    name = models.CharField(max_length=50, unique=True)
    color = models.CharField(max_length=7, default="#888888")

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A LINE user who added (or once added) the Official Account."""

    class FriendStatus(models.TextChoices):
        FRIEND = "friend"
        UNFOLLOWED = "unfollowed"

    class ChatMode(models.TextChoices):
        BOT = "bot"
        HUMAN = "human"

    line_user_id = models.CharField(max_length=64, unique=True)
    display_name = models.CharField(max_length=200, blank=True, default="")
    picture_url = models.URLField(max_length=500, blank=True, default="")
    friend_status = models.CharField(max_length=12, choices=FriendStatus.choices, default=FriendStatus.FRIEND)
    chat_mode = models.CharField(max_length=5, choices=ChatMode.choices, default=ChatMode.BOT)
    last_message_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts")

    class Meta:
        indexes = [
            models.Index(fields=["last_message_at"], name="lc_contact_last_msg"),
            models.Index(fields=["chat_mode"], name="lc_contact_mode"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.line_user_id


class ChatSession(models.Model):
    """One stretch of a contact's conversation with the desk: queued, handled, closed."""

    class Status(models.TextChoices):
        WAITING = "waiting"
        ACTIVE = "active"
        CLOSED = "closed"

    class ClosedBy(models.TextChoices):
        OPERATOR = "operator"
        SYSTEM = "system"
        USER = "user"
        SYSTEM_TIMEOUT = "system_timeout"

    OPEN = (Status.WAITING, Status.ACTIVE)

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="sessions")
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="livechat_sessions"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING)
    started_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=14, choices=ClosedBy.choices, blank=True, default="")
    message_count = models.PositiveIntegerField(default=0)
    transfer_count = models.PositiveIntegerField(default=0)
    transfer_reason = models.CharField(max_length=500, blank=True, default="")
    # the SLA alert for a long wait is sent once
    sla_alerted = models.BooleanField(default=False)

    class Meta:
        permissions = [
            ("agent", "Works the live-chat desk"),
            ("supervisor", "Supervises the live-chat desk"),
        ]
        indexes = [
            # a contact's open session, and the queue (rank by started_at among waiting)
            models.Index(
                fields=["contact", "started_at"],
                name="lc_session_open",
                condition=Q(status__in=["waiting", "active"]),
            ),
            models.Index(fields=["status", "started_at"], name="lc_session_status_started"),
            models.Index(fields=["closed_at"], name="lc_session_closed_at"),
            models.Index(fields=["claimed_at"], name="lc_session_claimed_at"),
            models.Index(fields=["operator", "status"], name="lc_session_operator_status"),
            models.Index(fields=["contact", "-id"], name="lc_session_contact_latest"),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} ({self.status})"


class Message(models.Model):
    """One message in or out of the Official Account (text, sticker, media, template)."""

    class Direction(models.TextChoices):
        INCOMING = "incoming"
        OUTGOING = "outgoing"

    class SenderRole(models.TextChoices):
        USER = "user"
        BOT = "bot"
        AGENT = "agent"

    class Delivery(models.TextChoices):
        STORED = "stored"
        SENT = "sent"
        FAILED = "failed"

    class MediaState(models.TextChoices):
        NONE = ""  # no content to fetch (text, sticker, outgoing, an external content provider)
        PENDING = "pending"  # incoming content to download from LINE
        STORED = "stored"  # in `media`
        FAILED = "failed"  # the last download failed (`error`, `attempts`); retried

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="messages")
    session = models.ForeignKey(ChatSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    message_type = models.CharField(max_length=16, default="text")
    content = models.TextField(blank=True, default="")
    payload = models.JSONField(default=dict, blank=True)
    media = models.FileField(upload_to="livechat/%Y/%m/", null=True, blank=True)
    # db_default too: rows written by raw SQL (bulk loads) get it
    media_state = models.CharField(
        max_length=7, choices=MediaState.choices, blank=True, default=MediaState.NONE, db_default=MediaState.NONE
    )
    sender_role = models.CharField(max_length=5, choices=SenderRole.choices)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="livechat_messages"
    )
    line_event_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    delivery = models.CharField(max_length=6, choices=Delivery.choices, default=Delivery.STORED)
    # outgoing only: how it is delivered (a fresh reply token, else a push with the retry key)
    reply_token = models.CharField(max_length=64, blank=True, default="")
    reply_token_at = models.DateTimeField(null=True, blank=True)
    retry_key = models.UUIDField(default=uuid.uuid4, editable=False)
    # delivery attempts (outgoing) or content download attempts (incoming media), and the last error
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        indexes = [
            models.Index(fields=["contact", "id"], name="lc_message_contact_id"),
            models.Index(fields=["contact", "direction", "created_at"], name="lc_message_contact_dir_at"),
            # failed deliveries the retry task picks up
            models.Index(fields=["id"], name="lc_message_failed", condition=Q(delivery="failed")),
            # incoming content the download retry picks up
            models.Index(
                fields=["id"], name="lc_message_media_todo", condition=Q(media_state__in=["pending", "failed"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.message_type} {self.pk}"


class WebhookEvent(models.Model):
    """One LINE webhook event as received: processed once, by its webhookEventId."""

    webhook_event_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=32)
    body = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    redelivered = models.BooleanField(default=False)
    processed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_event_id}"


class ReadMarker(models.Model):
    """How far an agent has read a contact's conversation."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="livechat_reads")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="read_markers")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agent", "contact"], name="lc_read_marker_unique")]

    def __str__(self) -> str:
        return f"{self.agent_id} read {self.contact_id} at {self.read_at}"


class IntentCategory(models.Model):
    """A topic the bot answers (opening hours, prices, ...)."""

    name = models.CharField(max_length=100, unique=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "intent categories"

    def __str__(self) -> str:
        return self.name


class IntentKeyword(models.Model):
    """A phrase that selects its category: matched exactly, as a prefix, or anywhere."""

    class MatchType(models.TextChoices):
        EXACT = "exact"
        STARTS_WITH = "starts_with"
        CONTAINS = "contains"

    category = models.ForeignKey(IntentCategory, on_delete=models.CASCADE, related_name="keywords")
    keyword = models.CharField(max_length=200)
    match_type = models.CharField(max_length=11, choices=MatchType.choices, default=MatchType.CONTAINS)

    class Meta:
        constraints = [
            # the bot matches case-insensitively: "Hours" and "hours" are one keyword of a category
            models.UniqueConstraint(Lower("keyword"), "category", name="lc_intent_keyword_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.match_type}:{self.keyword}"


class IntentResponse(models.Model):
    """One message the bot sends for its category, in order."""

    class ReplyType(models.TextChoices):
        """LINE's message types a bot response may be (text uses text_content, the others payload)."""

        TEXT = "text"
        STICKER = "sticker"
        IMAGE = "image"
        VIDEO = "video"
        AUDIO = "audio"
        LOCATION = "location"
        IMAGEMAP = "imagemap"
        TEMPLATE = "template"
        FLEX = "flex"

    category = models.ForeignKey(IntentCategory, on_delete=models.CASCADE, related_name="responses")
    reply_type = models.CharField(max_length=16, choices=ReplyType.choices, default=ReplyType.TEXT)
    text_content = models.TextField(blank=True, default="")
    # a LINE message object (for stickers, templates, flex), used instead of text_content
    payload = models.JSONField(default=dict, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.category_id} #{self.order}"


class HandoffKeyword(models.Model):
    """A phrase (lowercase substring) that asks for a person."""

    keyword = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return self.keyword


class CannedResponse(models.Model):
    """A prepared answer an agent sends by its shortcut."""

    shortcut = models.CharField(max_length=50, unique=True)
    title = models.CharField(max_length=200)
    content = models.TextField()
    usage_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.shortcut


class BusinessHours(models.Model):
    """When agents are in, per weekday (0 Monday), in LIVECHAT_TIME_ZONE."""

    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        verbose_name_plural = "business hours"
        indexes = [models.Index(fields=["weekday"], name="lc_hours_weekday")]

    def __str__(self) -> str:
        return f"{self.weekday} {self.opens}-{self.closes}"


class CsatResponse(models.Model):
    """A customer's satisfaction score (1-5) for one closed session."""

    session = models.OneToOneField(ChatSession, on_delete=models.CASCADE, related_name="csat")
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    feedback = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="lc_csat_created_at")]

    def __str__(self) -> str:
        return f"session {self.session_id}: {self.score}"
