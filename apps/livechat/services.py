"""Writes of the live-chat desk: one function per use case, atomic, events after commit.

The webhook view only stores events (`webhook_events_store`); `webhook_event_process`
runs in background work (apps.livechat.tasks) once per webhookEventId. Outgoing messages
are stored first (`Message.delivery = stored`) and delivered after commit by
`messages_deliver`: a reply while the event's reply token is fresh, else a push with the
message's retry key; a LINE error is recorded (`failed`) and retried by
`deliveries_retry` (Celery beat), never raised into a request.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from apps.core.exceptions import NotFoundError
from apps.core.realtime import broadcast, envelope, send_now
from apps.livechat import events, line, media, presence, selectors
from apps.livechat.exceptions import (
    DuplicateValue,
    EmptyUpdate,
    InvalidBusinessHours,
    InvalidReply,
    InvalidTransfer,
    MalformedWebhook,
    NameTaken,
    NotTheOperator,
    SessionAlreadyClaimed,
    SessionNotActive,
    UnknownCannedResponse,
)
from apps.livechat.models import (
    BusinessHours,
    CannedResponse,
    ChatSession,
    Contact,
    CsatResponse,
    HandoffKeyword,
    IntentCategory,
    IntentKeyword,
    IntentResponse,
    Message,
    ReadMarker,
    Tag,
    WebhookEvent,
)

logger = logging.getLogger("brisk.livechat")

MAX_DELIVERY_ATTEMPTS = 5
MAX_DOWNLOAD_ATTEMPTS = 5
MEDIA_KINDS = frozenset({"image", "video", "audio", "file"})
# a pending download older than this was lost (a worker died): the retry task takes it
PENDING_DOWNLOAD_GRACE = dt.timedelta(minutes=5)
NO_PUBLIC_URL = "LIVECHAT_PUBLIC_MEDIA_URL is not set: stored, not sent"
CSAT_PROMPT = "How did we do? Please rate this conversation."
CSAT_THANKS = "Thank you for your feedback!"
QUEUE_TIMEOUT_NOTICE = "Sorry, no agent could take your request in time. Please write again to rejoin the queue."


def _on_commit_task(task: Any, *args: Any) -> None:
    transaction.on_commit(lambda: task.delay(*args))


# --- webhook in -----------------------------------------------------------------------------


def webhook_events_store(*, body: Any) -> list[str]:
    """Validate and store the body's handled events; returns the ids to process (new ones,
    and redelivered ones whose first copy was never processed). Malformed: nothing stored."""
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise MalformedWebhook()
    handled: dict[str, dict[str, Any]] = {}
    for raw in body["events"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            raise MalformedWebhook("Each event must be an object with a type.")
        if raw["type"] not in line.HANDLED_EVENT_TYPES:
            continue  # unknown or unhandled event types are acknowledged and ignored
        event_id = raw.get("webhookEventId")
        if not isinstance(event_id, str) or not 0 < len(event_id) <= 64:
            raise MalformedWebhook("Each event needs its webhookEventId.")
        try:
            parsed = line.parse_event(raw)
        except Exception as error:  # the SDK refuses it: pydantic or ValueError
            raise MalformedWebhook(f"Malformed {raw['type']} event: {str(error)[:200]}") from None
        if getattr(parsed, "source", None) is None or not getattr(parsed.source, "user_id", None):
            raise MalformedWebhook("Only events from a user are accepted.")
        handled[event_id] = raw
    if not handled:
        return []
    with transaction.atomic():
        known = dict(
            WebhookEvent.objects.filter(webhook_event_id__in=list(handled)).values_list(
                "webhook_event_id", "processed_at"
            )
        )
        WebhookEvent.objects.bulk_create(
            [
                WebhookEvent(
                    webhook_event_id=event_id,
                    event_type=raw["type"],
                    body=raw,
                    redelivered=bool((raw.get("deliveryContext") or {}).get("isRedelivery")),
                )
                for event_id, raw in handled.items()
                if event_id not in known
            ],
            ignore_conflicts=True,
        )
        to_process = [event_id for event_id in handled if event_id not in known or known[event_id] is None]
        if to_process:
            from apps.livechat.tasks import process_webhook_events

            _on_commit_task(process_webhook_events, to_process)
    return to_process


def webhook_event_process(*, webhook_event_id: str) -> bool:
    """Process one stored event exactly once (the row is locked; a processed one is skipped)."""
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(webhook_event_id=webhook_event_id).first()
        if event is None or event.processed_at is not None:
            return False
        raw = event.body
        user_id = raw["source"]["userId"]
        at = dt.datetime.fromtimestamp(int(raw.get("timestamp", 0)) / 1000, tz=dt.UTC)
        reply_token = raw.get("replyToken") or ""
        handler = {
            "follow": _on_follow,
            "unfollow": _on_unfollow,
            "message": _on_message,
            "postback": _on_postback,
        }[event.event_type]
        handler(raw=raw, line_user_id=user_id, at=at, reply_token=reply_token, event_id=webhook_event_id)
        event.processed_at = timezone.now()
        event.save(update_fields=["processed_at"])
    return True


def _contact(line_user_id: str) -> Contact:
    contact, _ = Contact.objects.select_for_update().get_or_create(line_user_id=line_user_id)
    return contact


def _on_follow(*, raw, line_user_id, at, reply_token, event_id) -> None:
    contact = _contact(line_user_id)
    contact.friend_status = Contact.FriendStatus.FRIEND
    contact.save(update_fields=["friend_status"])
    broadcast(events.AGENTS_GROUP, events.CONVERSATION_UPDATED, {"contact_id": contact.pk, "friend_status": "friend"})


def _on_unfollow(*, raw, line_user_id, at, reply_token, event_id) -> None:
    contact = _contact(line_user_id)
    contact.friend_status = Contact.FriendStatus.UNFOLLOWED
    contact.save(update_fields=["friend_status"])
    broadcast(
        events.AGENTS_GROUP, events.CONVERSATION_UPDATED, {"contact_id": contact.pk, "friend_status": "unfollowed"}
    )


def _incoming_fields(message: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    kind = message.get("type", "unknown")
    if kind == "text":
        return kind, message.get("text", ""), {}
    if kind == "sticker":
        return kind, "", {"packageId": message.get("packageId"), "stickerId": message.get("stickerId")}
    if kind in ("image", "video", "audio", "file"):
        keep = ("contentProvider", "duration", "fileName", "fileSize")
        return (
            kind,
            message.get("fileName", ""),
            {"id": message.get("id"), **{k: message[k] for k in keep if k in message}},
        )
    return kind, "", {"message": message}


def _on_message(*, raw, line_user_id, at, reply_token, event_id) -> None:
    contact = _contact(line_user_id)
    now = timezone.now()
    kind, content, payload = _incoming_fields(raw["message"])
    session = selectors.open_session(contact_id=contact.pk)
    # content on LINE's servers is downloaded in background work; an external provider's is not LINE's to give
    on_line = kind in MEDIA_KINDS and (payload.get("contentProvider") or {}).get("type", "line") == "line"
    message = Message.objects.create(
        contact=contact,
        session=session,
        direction=Message.Direction.INCOMING,
        message_type=kind,
        content=content,
        payload=payload,
        sender_role=Message.SenderRole.USER,
        line_event_id=event_id,
        delivery=Message.Delivery.SENT,
        media_state=Message.MediaState.PENDING if on_line else Message.MediaState.NONE,
        created_at=now,
    )
    if on_line:
        from apps.livechat.tasks import download_media

        _on_commit_task(download_media, [message.pk])
    contact.last_message_at = now
    contact.save(update_fields=["last_message_at"])
    if session is not None:
        ChatSession.objects.filter(pk=session.pk).update(message_count=F("message_count") + 1, last_activity_at=now)
    broadcast(events.AGENTS_GROUP, events.MESSAGE_NEW, _message_event(message))
    if contact.chat_mode != Contact.ChatMode.BOT or kind != "text":
        return  # in human mode the bot is silent: the agents answer
    lowered = content.casefold()
    if any(keyword and keyword in lowered for keyword in selectors.handoff_keywords()):
        session_handoff(contact=contact, reply_token=reply_token, reply_token_at=at)
        return
    match = selectors.intent_match(content, selectors.intent_keywords())
    if match is None:
        return
    objects = [
        response.payload if response.payload else line.text_message(response.text_content)
        for response in match.category.active_responses[  # type: ignore[attr-defined]  # Prefetch to_attr
            : line.MAX_MESSAGES_PER_CALL
        ]
    ]
    if objects:
        _send(contact=contact, objects=objects, role=Message.SenderRole.BOT, reply_token=reply_token, reply_token_at=at)


def _on_postback(*, raw, line_user_id, at, reply_token, event_id) -> None:
    data = str((raw.get("postback") or {}).get("data", ""))
    parts = data.split("|")
    if len(parts) != 3 or parts[0] != "csat" or not parts[1].isdigit() or parts[2] not in {"1", "2", "3", "4", "5"}:
        logger.info("livechat: postback ignored (%s)", data[:50])
        return
    contact = _contact(line_user_id)
    session = ChatSession.objects.filter(pk=int(parts[1]), contact=contact, status=ChatSession.Status.CLOSED).first()
    if session is None:  # another contact's session, or one not closed: refused
        logger.info("livechat: CSAT for session %s refused for contact %s", parts[1], contact.pk)
        return
    try:
        with transaction.atomic():
            CsatResponse.objects.create(session=session, score=int(parts[2]))
    except IntegrityError:  # answered before: once only
        return
    kpis_changed()
    _send(
        contact=contact,
        objects=[line.text_message(CSAT_THANKS)],
        role=Message.SenderRole.BOT,
        reply_token=reply_token,
        reply_token_at=at,
    )


# --- the queue ------------------------------------------------------------------------------


def _wait_text(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"


def session_handoff(
    *, contact: Contact, reply_token: str = "", reply_token_at: dt.datetime | None = None
) -> ChatSession:
    """Queue the contact for a person: a waiting session (or its open one), human mode, one reply
    with the queue position "n/total" and the estimated wait (and the next opening when closed)."""
    now = timezone.now()
    session = selectors.open_session(contact_id=contact.pk)
    if session is None:
        session = ChatSession.objects.create(contact=contact, started_at=now, last_activity_at=now)
        broadcast(events.AGENTS_GROUP, events.SESSION_WAITING, {"session_id": session.pk, "contact_id": contact.pk})
        assignment_requested()
    kpis_changed()
    Contact.objects.filter(pk=contact.pk).update(chat_mode=Contact.ChatMode.HUMAN)
    contact.chat_mode = Contact.ChatMode.HUMAN
    queue = selectors.queue_position(contact_id=contact.pk, now=now)
    text = (
        f"An agent will be with you soon. You are {queue['position']}/{queue['total_waiting']} in the queue "
        f"(estimated wait {_wait_text(queue['estimated_wait_seconds'])})."
    )
    is_open, next_opening = selectors.business_hours_state(now=now)
    if not is_open:
        when = next_opening.strftime("%A %H:%M") if next_opening else "later"
        text = f"Our agents are away now; they are next available {when}. " + text
    _send(
        contact=contact,
        objects=[line.text_message(text)],
        role=Message.SenderRole.BOT,
        session=session,
        reply_token=reply_token,
        reply_token_at=reply_token_at,
    )
    return session


def session_claim(*, agent, contact_id: int) -> ChatSession:
    """waiting → active for `agent` in one conditional UPDATE; 409 when someone else was first."""
    now = timezone.now()
    with transaction.atomic():
        claimed = ChatSession.objects.filter(contact_id=contact_id, status=ChatSession.Status.WAITING).update(
            status=ChatSession.Status.ACTIVE, operator=agent, claimed_at=now, last_activity_at=now
        )
        if not claimed:
            raise SessionAlreadyClaimed()
        session = ChatSession.objects.get(contact_id=contact_id, status=ChatSession.Status.ACTIVE, operator=agent)
        broadcast(
            events.AGENTS_GROUP,
            events.SESSION_CLAIMED,
            {"session_id": session.pk, "contact_id": contact_id, "operator_id": agent.pk},
        )
        kpis_changed()
    return session


def _active_session_of(*, agent, contact_id: int) -> ChatSession:
    session = (
        ChatSession.objects.select_for_update()
        .filter(contact_id=contact_id, status__in=ChatSession.OPEN)
        .order_by("-started_at")
        .first()
    )
    if session is None or session.status != ChatSession.Status.ACTIVE:
        raise SessionNotActive()
    if session.operator_id != agent.pk:
        raise NotTheOperator()
    return session


@transaction.atomic
def session_close(*, agent, contact_id: int) -> ChatSession:
    """Only the operator, only while active: closed, the contact back to the bot, a CSAT survey."""
    session = _active_session_of(agent=agent, contact_id=contact_id)
    now = timezone.now()
    session.status = ChatSession.Status.CLOSED
    session.closed_at = now
    session.closed_by = ChatSession.ClosedBy.OPERATOR
    session.last_activity_at = now
    session.save(update_fields=["status", "closed_at", "closed_by", "last_activity_at"])
    Contact.objects.filter(pk=contact_id).update(chat_mode=Contact.ChatMode.BOT)
    buttons = [line.postback_item(f"{'★' * score}", f"csat|{session.pk}|{score}") for score in range(5, 0, -1)]
    _send(
        contact=session.contact,
        objects=[line.text_message(CSAT_PROMPT, quick_reply=buttons)],
        role=Message.SenderRole.BOT,
        session=session,
    )
    broadcast(
        events.AGENTS_GROUP,
        events.SESSION_CLOSED,
        {"session_id": session.pk, "contact_id": contact_id, "closed_by": session.closed_by},
    )
    assignment_requested()  # the operator has a free slot
    kpis_changed()
    return session


@transaction.atomic
def session_transfer(*, agent, contact_id: int, to_agent_id: int, reason: str = "") -> ChatSession:
    session = _active_session_of(agent=agent, contact_id=contact_id)
    if to_agent_id == agent.pk:
        raise InvalidTransfer("You cannot transfer a session to yourself.")
    if not selectors.is_agent(to_agent_id):
        raise InvalidTransfer("The target is not a live-chat agent.")
    session.operator_id = to_agent_id
    session.transfer_count += 1
    session.transfer_reason = reason
    session.last_activity_at = timezone.now()
    session.save(update_fields=["operator", "transfer_count", "transfer_reason", "last_activity_at"])
    broadcast(
        events.AGENTS_GROUP,
        events.SESSION_TRANSFERRED,
        {
            "session_id": session.pk,
            "contact_id": contact_id,
            "from_operator_id": agent.pk,
            "operator_id": to_agent_id,
            "reason": reason,
        },
    )
    assignment_requested()  # the previous operator has a free slot
    return session


def contact_set_mode(*, contact_id: int, mode: str) -> None:
    Contact.objects.filter(pk=contact_id).update(chat_mode=mode)
    broadcast(events.AGENTS_GROUP, events.CONVERSATION_UPDATED, {"contact_id": contact_id, "chat_mode": mode})
    kpis_changed()


def read_marker_set(*, agent, contact_id: int) -> dt.datetime:
    """Upsert the agent's read marker for the contact to now (one statement)."""
    now = timezone.now()
    ReadMarker.objects.bulk_create(
        [ReadMarker(agent=agent, contact_id=contact_id, read_at=now)],
        update_conflicts=True,
        unique_fields=["agent", "contact"],
        update_fields=["read_at"],
    )
    return now


@transaction.atomic
def agent_message_send(*, agent, contact_id: int, text: str | None = None, canned_id: int | None = None) -> Message:
    """The operator's message into the active session (pushed); the first one sets first_response_at."""
    session = _active_session_of(agent=agent, contact_id=contact_id)
    if canned_id is not None:
        canned = CannedResponse.objects.filter(pk=canned_id).first()
        if canned is None:
            raise UnknownCannedResponse()
        CannedResponse.objects.filter(pk=canned_id).update(usage_count=F("usage_count") + 1)
        text = canned.content
    _agent_touch(session)
    (message,) = _send(
        contact=session.contact,
        objects=[line.text_message(text or "")],
        role=Message.SenderRole.AGENT,
        session=session,
        operator=agent,
    )
    return message


def _agent_touch(session: ChatSession) -> None:
    """An agent's message into the session: the first one sets first_response_at."""
    now = timezone.now()
    if session.first_response_at is None:
        session.first_response_at = now
        kpis_changed()
    session.last_activity_at = now
    session.message_count += 1
    session.save(update_fields=["first_response_at", "last_activity_at", "message_count"])


def agent_media_send(*, agent, contact: Contact, data: bytes) -> Message:
    """The operator's image into the active session: checked by content (JPEG/PNG, size: 400 on
    `file`, nothing stored), stored with a JPEG preview in Django's storage, and sent as a LINE
    image message whose URLs are under LIVECHAT_PUBLIC_MEDIA_URL. With that unset the image and
    the message are stored, not sent (`delivery` stays `stored`, `error` says why)."""
    image = media.check_image(data)
    stored: list[str] = []
    try:
        with transaction.atomic():
            session = _active_session_of(agent=agent, contact_id=contact.pk)
            stamp = timezone.now().strftime("%Y/%m")
            base = f"livechat/out/{stamp}/{contact.pk}-{uuid.uuid4().hex}"
            original = default_storage.save(f"{base}.{image.extension}", ContentFile(image.data))
            stored.append(original)
            preview = default_storage.save(f"{base}-preview.jpg", ContentFile(media.preview_of(image)))
            stored.append(preview)
            original_url, preview_url = media.public_url(original), media.public_url(preview)
            line_object = (
                {"type": "image", "originalContentUrl": original_url, "previewImageUrl": preview_url}
                if original_url and preview_url
                else None
            )
            _agent_touch(session)
            (message,) = _send(
                contact=contact,
                objects=[line_object or {"type": "image"}],
                role=Message.SenderRole.AGENT,
                session=session,
                operator=agent,
                media_name=original,
                extra_payload={"preview": preview, "width": image.width, "height": image.height},
                deliver=line_object is not None,
            )
    except BaseException:
        for name in stored:  # nothing half-written: the files go with the rolled-back rows
            default_storage.delete(name)
        raise
    return message


def conversation_start(*, agent, contact_id: int, text: str) -> Message:
    """An agent writes first: an active session of theirs (a push), unless one is open."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact_id)
        session = selectors.open_session(contact_id=contact_id)
        now = timezone.now()
        if session is None:
            ChatSession.objects.create(
                contact=contact,
                operator=agent,
                status=ChatSession.Status.ACTIVE,
                started_at=now,
                claimed_at=now,
                last_activity_at=now,
            )
            contact.chat_mode = Contact.ChatMode.HUMAN
            contact.save(update_fields=["chat_mode"])
            kpis_changed()
        return agent_message_send(agent=agent, contact_id=contact_id, text=text)


# --- out ------------------------------------------------------------------------------------


def _message_event(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "contact_id": message.contact_id,
        "session_id": message.session_id,
        "direction": message.direction,
        "message_type": message.message_type,
        "content": message.content,
        "sender_role": message.sender_role,
        "media_url": media.storage_url(message.media.name if message.media else None),
        "created_at": message.created_at,
    }


def _send(
    *,
    contact: Contact,
    objects: list[dict[str, Any]],
    role: str,
    session: ChatSession | None = None,
    operator=None,
    reply_token: str = "",
    reply_token_at: dt.datetime | None = None,
    media_name: str | None = None,
    extra_payload: dict[str, Any] | None = None,
    deliver: bool = True,
) -> list[Message]:
    """Store the outgoing messages (delivery `stored`) and deliver them after commit (unless
    `deliver` is false: an image LINE could not fetch stays stored, with the reason)."""
    now = timezone.now()
    messages = Message.objects.bulk_create(
        [
            Message(
                contact=contact,
                session=session,
                direction=Message.Direction.OUTGOING,
                message_type=obj.get("type", "text"),
                content=obj.get("text", "") if obj.get("type") == "text" else "",
                payload={"line": obj, **(extra_payload or {})} if deliver else {**(extra_payload or {})},
                sender_role=role,
                operator=operator,
                reply_token=reply_token,
                reply_token_at=reply_token_at,
                media=media_name,
                error="" if deliver else NO_PUBLIC_URL,
                created_at=now,
            )
            for obj in objects
        ]
    )
    for message in messages:
        broadcast(events.AGENTS_GROUP, events.MESSAGE_NEW, _message_event(message))
    if deliver:
        from apps.livechat.tasks import deliver_messages

        _on_commit_task(deliver_messages, [m.pk for m in messages])
    return messages


def _chunks(messages: list[Message]) -> list[list[Message]]:
    """Consecutive messages to one contact with one reply token, at most 5 per LINE call."""
    chunks: list[list[Message]] = []
    for message in messages:
        last = chunks[-1] if chunks else None
        if (
            last
            and len(last) < line.MAX_MESSAGES_PER_CALL
            and last[0].contact_id == message.contact_id
            and last[0].reply_token == message.reply_token
        ):
            last.append(message)
        else:
            chunks.append([message])
    return chunks


def messages_deliver(*, message_ids: list[int]) -> int:
    """Send stored or failed outgoing messages to LINE; returns how many were delivered.

    A fresh reply token (younger than LIVECHAT_REPLY_TOKEN_TTL_S, first attempt) is used for
    a reply; otherwise a push with the first message's retry key, the same on every retry.
    With no access token configured the messages stay `stored` and are logged."""
    messages = list(
        Message.objects.filter(pk__in=message_ids, direction=Message.Direction.OUTGOING)
        .exclude(delivery=Message.Delivery.SENT)
        .select_related("contact")
        .order_by("id")
    )
    if not messages:
        return 0
    if not settings.LINE_CHANNEL_ACCESS_TOKEN:
        for message in messages:
            logger.info("livechat: no LINE token, message %s stored, not sent", message.pk)
        return 0
    delivered = 0
    now = timezone.now()
    ttl = dt.timedelta(seconds=settings.LIVECHAT_REPLY_TOKEN_TTL_S)
    with line.LineSender() as sender:
        for chunk in _chunks(messages):
            first = chunk[0]
            objects = [m.payload.get("line") or line.text_message(m.content) for m in chunk]
            fresh = (
                first.reply_token and first.attempts == 0 and first.reply_token_at and now - first.reply_token_at < ttl
            )
            if fresh:
                result = sender.reply(first.reply_token, objects)
            else:
                result = sender.push(first.contact.line_user_id, objects, str(first.retry_key))
            ids = [m.pk for m in chunk]
            if result.ok:
                Message.objects.filter(pk__in=ids).update(
                    delivery=Message.Delivery.SENT, attempts=F("attempts") + 1, error=""
                )
                delivered += len(chunk)
            else:
                logger.warning("livechat: LINE refused messages %s: %s", ids, result.error)
                Message.objects.filter(pk__in=ids).update(
                    delivery=Message.Delivery.FAILED, attempts=F("attempts") + 1, error=result.error
                )
    return delivered


def deliveries_retry() -> int:
    """Retry failed deliveries (as pushes with their retry keys), up to MAX_DELIVERY_ATTEMPTS."""
    ids = list(
        Message.objects.filter(delivery=Message.Delivery.FAILED, attempts__lt=MAX_DELIVERY_ATTEMPTS)
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    return messages_deliver(message_ids=ids) if ids else 0


# --- incoming content ---------------------------------------------------------------------


def media_download(*, message_ids: list[int]) -> int:
    """Download incoming content (pending or failed) through the SDK's blob API into Django's
    storage; returns how many were stored. A LINE or network error is recorded (`failed`,
    `error`, `attempts`) for `media_downloads_retry`, never raised. With no access token
    configured nothing is downloaded (the messages stay pending)."""
    if not settings.LINE_CHANNEL_ACCESS_TOKEN:
        logger.info("livechat: no LINE token, content of messages %s not downloaded", message_ids)
        return 0
    todo = (Message.MediaState.PENDING, Message.MediaState.FAILED)
    messages = list(
        Message.objects.filter(pk__in=message_ids, media_state__in=todo, attempts__lt=MAX_DOWNLOAD_ATTEMPTS)
        .only("id", "contact_id", "message_type", "payload", "attempts")
        .order_by("id")
    )
    stored = 0
    with line.LineBlob() as blob:
        for message in messages:
            line_id = str(message.payload.get("id") or "")
            content = (
                blob.content(line_id) if line_id else line.Content(ok=False, error="no LINE message id in the event")
            )
            if not content.ok:
                logger.warning("livechat: content of message %s not downloaded: %s", message.pk, content.error)
                Message.objects.filter(pk=message.pk, media_state__in=todo).update(
                    media_state=Message.MediaState.FAILED, attempts=F("attempts") + 1, error=content.error
                )
                continue
            extension = media.content_extension(
                message.message_type, content.content_type, str(message.payload.get("fileName") or "")
            )
            name = default_storage.save(
                f"livechat/in/{message.contact_id}/{line_id}.{extension}", ContentFile(content.data)
            )
            updated = Message.objects.filter(pk=message.pk, media_state__in=todo).update(
                media=name, media_state=Message.MediaState.STORED, attempts=F("attempts") + 1, error=""
            )
            if not updated:  # another worker stored it meanwhile: keep theirs
                default_storage.delete(name)
                continue
            stored += 1
            broadcast(
                events.AGENTS_GROUP,
                events.CONVERSATION_UPDATED,
                {"contact_id": message.contact_id, "message_id": message.pk, "media_url": media.storage_url(name)},
            )
    return stored


def media_downloads_retry(*, now: dt.datetime | None = None) -> int:
    """Retry failed downloads (and pending ones whose task was lost), up to MAX_DOWNLOAD_ATTEMPTS."""
    if not settings.LINE_CHANNEL_ACCESS_TOKEN:
        return 0
    from django.db.models import Q

    lost_before = (now or timezone.now()) - PENDING_DOWNLOAD_GRACE
    ids = list(
        Message.objects.filter(
            Q(media_state=Message.MediaState.FAILED)
            | Q(media_state=Message.MediaState.PENDING, created_at__lt=lost_before),
            attempts__lt=MAX_DOWNLOAD_ATTEMPTS,
        )
        .order_by("id")
        .values_list("id", flat=True)[:100]
    )
    return media_download(message_ids=ids) if ids else 0


# --- sweep ----------------------------------------------------------------------------------


def sessions_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Alert the queue SLA breaches (`sla_alerts_send`), then close idle active sessions (system)
    and stale waiting ones (system_timeout, with a notice)."""
    now = now or timezone.now()
    alerted = sla_alerts_send(now=now)
    idle_before = now - dt.timedelta(seconds=settings.LIVECHAT_IDLE_CLOSE_S)
    queue_before = now - dt.timedelta(seconds=settings.LIVECHAT_QUEUE_TIMEOUT_S)
    closed = timed_out = 0
    with transaction.atomic():
        idle = list(
            ChatSession.objects.select_for_update(skip_locked=True).filter(
                status=ChatSession.Status.ACTIVE, last_activity_at__lt=idle_before
            )
        )
        stale = list(
            ChatSession.objects.select_for_update(skip_locked=True)
            .filter(status=ChatSession.Status.WAITING, started_at__lt=queue_before)
            .select_related("contact")
        )
        for session, closed_by in [(s, ChatSession.ClosedBy.SYSTEM) for s in idle] + [
            (s, ChatSession.ClosedBy.SYSTEM_TIMEOUT) for s in stale
        ]:
            session.status = ChatSession.Status.CLOSED
            session.closed_at = now
            session.closed_by = closed_by
            session.save(update_fields=["status", "closed_at", "closed_by"])
            broadcast(
                events.AGENTS_GROUP,
                events.SESSION_CLOSED,
                {"session_id": session.pk, "contact_id": session.contact_id, "closed_by": closed_by},
            )
        contact_ids = [s.contact_id for s in idle + stale]
        if contact_ids:
            Contact.objects.filter(pk__in=contact_ids).update(chat_mode=Contact.ChatMode.BOT)
        for session in stale:
            _send(
                contact=session.contact,
                objects=[line.text_message(QUEUE_TIMEOUT_NOTICE)],
                role=Message.SenderRole.BOT,
                session=session,
            )
        closed, timed_out = len(idle), len(stale)
        if idle:
            assignment_requested()  # their operators have free slots
        if idle or stale:
            kpis_changed()
    return {"closed_idle": closed, "closed_timeout": timed_out, "sla_alerts": alerted}


def sla_alerts_send(*, now: dt.datetime | None = None) -> int:
    """`sla.alert` (kind "queue") to the agents for each waiting session that has waited more than
    LIVECHAT_SLA_QUEUE_S, once per session: the rows are locked (skip_locked) and flagged
    `sla_alerted` in the same transaction, the events go after commit. Returns how many."""
    now = now or timezone.now()
    before = now - dt.timedelta(seconds=settings.LIVECHAT_SLA_QUEUE_S)
    with transaction.atomic():
        due = list(
            ChatSession.objects.select_for_update(skip_locked=True)
            .filter(status=ChatSession.Status.WAITING, sla_alerted=False, started_at__lt=before)
            .order_by("started_at", "id")
            .values_list("id", "contact_id", "started_at")[:500]
        )
        if not due:
            return 0
        ChatSession.objects.filter(pk__in=[row[0] for row in due]).update(sla_alerted=True)
        for session_id, contact_id, started_at in due:
            broadcast(
                events.AGENTS_GROUP,
                events.SLA_ALERT,
                {
                    "contact_id": contact_id,
                    "session_id": session_id,
                    "waited_seconds": int((now - started_at).total_seconds()),
                    "kind": "queue",
                },
            )
        kpis_changed()
    return len(due)


# --- round-robin assignment -----------------------------------------------------------------

ASSIGNMENT_LOCK = 0x6C63_6173  # "lcas": the advisory lock one assignment round holds on PostgreSQL


def assignment_requested() -> None:
    """With LIVECHAT_ASSIGNMENT=round_robin, run an assignment round after this commit (Celery task:
    a new waiting session, or a slot an agent freed). Manual mode: nothing."""
    if settings.LIVECHAT_ASSIGNMENT != "round_robin":
        return
    from apps.livechat.tasks import assign_waiting_sessions

    transaction.on_commit(_delay_safely(assign_waiting_sessions))


def _delay_safely(task: Any) -> Any:
    def run() -> None:
        try:
            task.delay()
        except Exception:  # a broker outage must not fail a committed request; the next trigger retries
            logger.exception("livechat: could not start %s", task.name)

    return run


def sessions_assign(*, now: dt.datetime | None = None) -> list[ChatSession]:
    """One round-robin round: the oldest waiting sessions go, one by one, to the online agent with
    the fewest active sessions under LIVECHAT_AGENT_CAPACITY (ties: the least recently assigned,
    then the lowest id), until no waiting session or no free slot is left.

    Race-free: one round at a time (a transaction-scoped advisory lock on PostgreSQL; SQLite
    serialises writers), the agents' active counts are read under that lock, and the waiting rows
    are locked with skip_locked (a manual claim in flight keeps its row). `session.claimed` events
    (with `"assigned": true`) go after commit."""
    if settings.LIVECHAT_ASSIGNMENT != "round_robin":
        return []
    online = presence.online_agent_ids()
    if not online:
        return []
    now = now or timezone.now()
    capacity = settings.LIVECHAT_AGENT_CAPACITY
    assigned: list[ChatSession] = []
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ASSIGNMENT_LOCK])
        load = selectors.agent_loads(agent_ids=online)  # {agent_id: (active, last_assigned_at)}
        free = sum(max(0, capacity - active) for active, _ in load.values())
        if not free:
            return []
        waiting = list(
            ChatSession.objects.select_for_update(skip_locked=True)
            .filter(status=ChatSession.Status.WAITING)
            .order_by("started_at", "id")[:free]
        )
        for session in waiting:
            agent_id = _next_agent(load, capacity)
            if agent_id is None:
                break
            session.status = ChatSession.Status.ACTIVE
            session.operator_id = agent_id
            session.claimed_at = now
            session.last_activity_at = now
            session.save(update_fields=["status", "operator", "claimed_at", "last_activity_at"])
            active, _ = load[agent_id]
            load[agent_id] = (active + 1, now)
            assigned.append(session)
            broadcast(
                events.AGENTS_GROUP,
                events.SESSION_CLAIMED,
                {"session_id": session.pk, "contact_id": session.contact_id, "operator_id": agent_id, "assigned": True},
            )
        if assigned:
            kpis_changed()
    return assigned


def _next_agent(load: dict[int, tuple[int, dt.datetime | None]], capacity: int) -> int | None:
    """The agent with the fewest active sessions under capacity; ties: least recently assigned
    (never assigned first), then the lowest id."""
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    candidates = [(active, last or never, agent_id) for agent_id, (active, last) in load.items() if active < capacity]
    return min(candidates)[2] if candidates else None


# --- kpis.updated ---------------------------------------------------------------------------

KPI_CACHE_KEY = "livechat:kpis"
KPI_THROTTLE_KEY = "livechat:kpis:throttle"


def kpis_changed() -> None:
    """A write changed a KPI: after commit, schedule one `kpis.updated` for the supervisors unless
    one is scheduled already in this LIVECHAT_KPI_TTL window (SET NX EX on the shared cache, so
    the throttle is global across processes)."""
    transaction.on_commit(_kpis_schedule)


def _kpis_schedule() -> None:
    ttl = settings.LIVECHAT_KPI_TTL
    try:
        if not cache.add(KPI_THROTTLE_KEY, 1, ttl):
            return  # a broadcast is already due in this window: it will carry this change too
    except Exception as exc:  # no cache: no live KPIs (the REST endpoint still answers)
        logger.warning("livechat: KPI throttle unavailable: %s", exc.__class__.__name__)
        return
    from apps.livechat.tasks import broadcast_kpis

    try:
        if broadcast_kpis.app.conf.task_always_eager:
            broadcast_kpis.delay()  # embedded default: now (no worker to wait on a countdown)
        else:
            # at the end of the window, so the figures include every change made during it
            broadcast_kpis.apply_async(countdown=ttl)
    except Exception:
        logger.exception("livechat: could not schedule kpis.updated")


def kpis_broadcast() -> dict[str, Any]:
    """Compute the KPIs (two queries), refresh the REST cache with them and send `kpis.updated`
    to the supervisors' group now."""
    from apps.livechat.serializers import KpisSerializer

    figures = dict(KpisSerializer(selectors.kpis()).data)
    try:
        cache.set(KPI_CACHE_KEY, figures, settings.LIVECHAT_KPI_TTL)
    except Exception:  # noqa: S110 - the cache costs speed only
        pass
    send_now(events.SUPERVISORS_GROUP, envelope(events.KPIS_UPDATED, figures))
    return figures


# --- desk settings --------------------------------------------------------------------------


def tag_create(*, name: str, color: str = "#888888") -> Tag:
    try:
        with transaction.atomic():
            return Tag.objects.create(name=name, color=color)
    except IntegrityError:
        raise NameTaken("A tag with this name exists.", field="name") from None


def contact_tag_add(*, contact: Contact, tag_id: int) -> None:
    contact.tags.through.objects.bulk_create(
        [contact.tags.through(contact_id=contact.pk, tag_id=tag_id)], ignore_conflicts=True
    )
    broadcast(events.AGENTS_GROUP, events.CONVERSATION_UPDATED, {"contact_id": contact.pk, "tag_added": tag_id})


def contact_tag_remove(*, contact: Contact, tag_id: int) -> None:
    contact.tags.through.objects.filter(contact_id=contact.pk, tag_id=tag_id).delete()
    broadcast(events.AGENTS_GROUP, events.CONVERSATION_UPDATED, {"contact_id": contact.pk, "tag_removed": tag_id})


_SHORTCUT_TAKEN = "A canned response with this shortcut exists."


def canned_response_create(*, shortcut: str, title: str, content: str) -> CannedResponse:
    # a duplicate shortcut is a 400 on the field, like every duplicate the supervisors' API refuses
    with _unique("shortcut", _SHORTCUT_TAKEN):
        return CannedResponse.objects.create(shortcut=shortcut, title=title, content=content)


# --- supervisors' settings: intents, handoff keywords, canned responses, business hours -------
#
# The bot reads intents, handoff keywords and business hours from the database on every
# message (apps.livechat.selectors: one query each, no cache), so a write here takes effect
# with the next message and there is nothing to invalidate. Uniqueness is the database's
# (a constraint per rule): a duplicate is a 400 naming the field, never an IntegrityError.

MAX_PAYLOAD_CHARS = 10_000  # a LINE message object as JSON; flex messages are the largest


@contextmanager
def _unique(field: str, message: str) -> Iterator[None]:
    """The write inside, in a savepoint; a unique violation becomes a 400 on `field`."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise DuplicateValue(message, field=field) from None


def _changed(instance: Any, changes: dict[str, Any]) -> list[str]:
    """Set `changes` on `instance`; the fields to save (at least one, or a 400)."""
    if not changes:
        raise EmptyUpdate()
    for name, value in changes.items():
        setattr(instance, name, value)
    return list(changes)


def _locked(model: Any, **lookup: Any) -> Any:
    """The row, locked for the update in this transaction, or a 404."""
    instance = model.objects.select_for_update().filter(**lookup).first()
    if instance is None:
        raise NotFoundError()
    return instance


def _deleted(model: Any, **lookup: Any) -> None:
    """One DELETE (the model has no dependants to collect), or a 404 when nothing matched."""
    deleted, _ = model.objects.filter(**lookup).delete()
    if not deleted:
        raise NotFoundError()


def intent_category_create(*, name: str, is_active: bool = True) -> IntentCategory:
    with _unique("name", "An intent category with this name exists."):
        return IntentCategory.objects.create(name=name, is_active=is_active)


def intent_category_update(*, category: IntentCategory, **changes: Any) -> IntentCategory:
    fields = _changed(category, changes)
    with _unique("name", "An intent category with this name exists."):
        category.save(update_fields=fields)
    return category


@transaction.atomic
def intent_category_delete(*, category: IntentCategory) -> None:
    """The category with its keywords and responses."""
    category.delete()


_KEYWORD_TAKEN = "This category has this keyword (keywords match case-insensitively)."


def intent_keyword_create(*, category: IntentCategory, keyword: str, match_type: str) -> IntentKeyword:
    with _unique("keyword", _KEYWORD_TAKEN):
        return IntentKeyword.objects.create(category=category, keyword=keyword, match_type=match_type)


@transaction.atomic
def intent_keyword_update(*, category_id: int, keyword_id: int, **changes: Any) -> IntentKeyword:
    keyword = _locked(IntentKeyword, pk=keyword_id, category_id=category_id)
    fields = _changed(keyword, changes)
    with _unique("keyword", _KEYWORD_TAKEN):
        keyword.save(update_fields=fields)
    return keyword


def intent_keyword_delete(*, category_id: int, keyword_id: int) -> None:
    _deleted(IntentKeyword, pk=keyword_id, category_id=category_id)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _reply_checked(*, reply_type: str, text_content: str, payload: dict[str, Any]) -> None:
    """A text response is its text_content; any other type is its payload, a LINE message
    object of that type as the SDK takes it (checked now, or every send would fail)."""
    if reply_type == IntentResponse.ReplyType.TEXT:
        if not text_content.strip():
            raise InvalidReply("A text response needs its text_content.", field="text_content")
        if payload:
            raise InvalidReply("A text response has no payload: its text is text_content.")
        return
    if not payload:
        raise InvalidReply(f"A {reply_type} response needs its LINE message object in payload.")
    if payload.get("type") != reply_type:
        raise InvalidReply(f'payload.type must be "{reply_type}", the reply_type.')
    as_json = json.dumps(payload)
    if len(as_json) > MAX_PAYLOAD_CHARS:
        raise InvalidReply(f"payload is over {MAX_PAYLOAD_CHARS} characters as JSON.")
    if _has_nul(payload):  # PostgreSQL's jsonb refuses them
        raise InvalidReply("payload must not contain NUL characters.")
    problem = line.message_object_problem(payload)
    if problem is not None:
        raise InvalidReply(f"payload is not a LINE {reply_type} message: {problem}")


def intent_response_create(
    *,
    category: IntentCategory,
    reply_type: str,
    text_content: str = "",
    payload: dict[str, Any] | None = None,
    order: int = 0,
    is_active: bool = True,
) -> IntentResponse:
    payload = payload or {}
    _reply_checked(reply_type=reply_type, text_content=text_content, payload=payload)
    return IntentResponse.objects.create(
        category=category,
        reply_type=reply_type,
        text_content=text_content,
        payload=payload,
        order=order,
        is_active=is_active,
    )


@transaction.atomic
def intent_response_update(*, category_id: int, response_id: int, **changes: Any) -> IntentResponse:
    """The merged response is checked as a whole (a new reply_type needs a payload of its type)."""
    response = _locked(IntentResponse, pk=response_id, category_id=category_id)
    fields = _changed(response, changes)
    _reply_checked(reply_type=response.reply_type, text_content=response.text_content, payload=response.payload)
    response.save(update_fields=fields)
    return response


def intent_response_delete(*, category_id: int, response_id: int) -> None:
    _deleted(IntentResponse, pk=response_id, category_id=category_id)


_HANDOFF_TAKEN = "This handoff keyword exists."


def handoff_keyword_create(*, keyword: str) -> HandoffKeyword:
    """Stored lowercase, as the bot matches it (a lowercase substring of the message)."""
    with _unique("keyword", _HANDOFF_TAKEN):
        return HandoffKeyword.objects.create(keyword=keyword.casefold())


@transaction.atomic
def handoff_keyword_update(*, keyword_id: int, keyword: str) -> HandoffKeyword:
    handoff = _locked(HandoffKeyword, pk=keyword_id)
    fields = _changed(handoff, {"keyword": keyword.casefold()})
    with _unique("keyword", _HANDOFF_TAKEN):
        handoff.save(update_fields=fields)
    return handoff


def handoff_keyword_delete(*, keyword_id: int) -> None:
    _deleted(HandoffKeyword, pk=keyword_id)


@transaction.atomic
def canned_response_update(*, canned_id: int, **changes: Any) -> CannedResponse:
    canned = _locked(CannedResponse, pk=canned_id)
    fields = _changed(canned, changes)
    with _unique("shortcut", _SHORTCUT_TAKEN):
        canned.save(update_fields=fields)
    return canned


def canned_response_delete(*, canned_id: int) -> None:
    _deleted(CannedResponse, pk=canned_id)


def _hours_checked(*, opens: dt.time, closes: dt.time) -> None:
    if opens >= closes:
        raise InvalidBusinessHours("opens must be before closes (a day's hours end by midnight).")


def business_hours_create(*, weekday: int, opens: dt.time, closes: dt.time) -> BusinessHours:
    _hours_checked(opens=opens, closes=closes)
    return BusinessHours.objects.create(weekday=weekday, opens=opens, closes=closes)


@transaction.atomic
def business_hours_update(*, hours_id: int, **changes: Any) -> BusinessHours:
    """The merged row is checked: moving only `opens` past the stored `closes` is refused."""
    hours = _locked(BusinessHours, pk=hours_id)
    fields = _changed(hours, changes)
    _hours_checked(opens=hours.opens, closes=hours.closes)
    hours.save(update_fields=fields)
    return hours


def business_hours_delete(*, hours_id: int) -> None:
    _deleted(BusinessHours, pk=hours_id)
