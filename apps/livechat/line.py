"""LINE Messaging API, both ways, through the official SDK (`line-bot-sdk` v3).

In: `signature_valid` is the SDK's `SignatureValidator` (base64 HMAC-SHA256 of the raw
body with LIVECHAT_CHANNEL_SECRET, compared in constant time) and `parse_event` the SDK's
`Event.from_dict`, so a body the SDK would refuse is refused here too.

Content: `LineBlob` wraps the SDK's `MessagingApiBlob` against LINE_API_DATA_BASE_URL (the
SDK's own default is LINE's data host, api-data.line.me; a `Configuration.host` replaces
every operation's host, so the blob API gets its own configuration, not the sender's).

Out: `LineSender` wraps the SDK's `MessagingApi` against LINE_API_BASE_URL with
LINE_CHANNEL_ACCESS_TOKEN: `reply` with a reply token, `push` with an X-Line-Retry-Key
(LINE delivers a retried push with the same key once, answering 409 to the retry).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from linebot.v3.messaging import (  # type: ignore[import-untyped]  # the SDK ships no py.typed
    ApiClient,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    PushMessageRequest,
    ReplyMessageRequest,
)
from linebot.v3.messaging import Message as LineMessage
from linebot.v3.messaging.exceptions import ApiException  # type: ignore[import-untyped]
from linebot.v3.webhook import SignatureValidator  # type: ignore[import-untyped]
from linebot.v3.webhooks import Event  # type: ignore[import-untyped]

logger = logging.getLogger("brisk.livechat")

# the event types Brisk acts on; others are acknowledged and ignored
HANDLED_EVENT_TYPES = frozenset({"message", "follow", "unfollow", "postback"})
MAX_MESSAGES_PER_CALL = 5  # LINE's limit for one reply or push


def signature_valid(body: bytes, signature: str | None) -> bool:
    secret = settings.LIVECHAT_CHANNEL_SECRET
    if not secret or not signature:
        return False
    try:
        text = body.decode("utf-8")
        return bool(SignatureValidator(secret).validate(text, signature))
    except (UnicodeError, ValueError):
        return False


def parse_event(raw: dict[str, Any]) -> Any:
    """The SDK's model of one event (ValueError or a pydantic error when malformed)."""
    return Event.from_dict(raw)


def text_message(text: str, quick_reply: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A LINE text message object, as stored in `Message.payload["line"]`."""
    message: dict[str, Any] = {"type": "text", "text": text[:5000]}
    if quick_reply:
        message["quickReply"] = {"items": quick_reply}
    return message


def message_object_problem(obj: dict[str, Any]) -> str | None:
    """Why the SDK refuses `obj` as a message object, or None: a stored bot response must pass
    this, or every send of it would fail at delivery time."""
    try:
        LineMessage.from_dict(obj)
    except Exception as error:  # the SDK's ValueError (unknown type) or pydantic's ValidationError
        return " ".join(str(error).split())[:300]
    return None


def postback_item(label: str, data: str) -> dict[str, Any]:
    return {"type": "action", "action": {"type": "postback", "label": label, "data": data, "displayText": label}}


@dataclass
class SendResult:
    ok: bool
    status: int | None = None
    error: str = ""


class LineSender:
    """One configured `MessagingApi`; use as a context manager (it owns a connection pool)."""

    def __init__(self) -> None:
        configuration = Configuration(
            host=settings.LINE_API_BASE_URL.rstrip("/"), access_token=settings.LINE_CHANNEL_ACCESS_TOKEN
        )
        self.client = ApiClient(configuration)
        self.api = MessagingApi(self.client)

    def __enter__(self) -> LineSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    @staticmethod
    def _messages(objects: list[dict[str, Any]]) -> list[Any]:
        return [LineMessage.from_dict(obj) for obj in objects[:MAX_MESSAGES_PER_CALL]]

    def reply(self, reply_token: str, objects: list[dict[str, Any]]) -> SendResult:
        request = ReplyMessageRequest(reply_token=reply_token, messages=self._messages(objects))
        return self._call(lambda: self.api.reply_message(request, _request_timeout=10))

    def push(self, to: str, objects: list[dict[str, Any]], retry_key: str) -> SendResult:
        request = PushMessageRequest(to=to, messages=self._messages(objects))
        result = self._call(lambda: self.api.push_message(request, x_line_retry_key=retry_key, _request_timeout=10))
        if result.status == 409:  # this retry key was accepted before: delivered once already
            return SendResult(ok=True, status=409)
        return result

    @staticmethod
    def _call(call: Any) -> SendResult:
        try:
            call()
        except ApiException as error:
            body = error.body.decode("utf-8", "replace") if isinstance(error.body, bytes) else str(error.body or "")
            return SendResult(ok=False, status=error.status, error=f"{error.status} {error.reason}: {body}"[:500])
        except Exception as error:  # network failure: recorded and retried, never raised
            return SendResult(ok=False, error=f"{type(error).__name__}: {error}"[:500])
        return SendResult(ok=True, status=200)


@dataclass
class Content:
    ok: bool
    data: bytes = b""
    content_type: str = ""
    status: int | None = None
    error: str = ""


class LineBlob:
    """One configured `MessagingApiBlob` (message content downloads); a context manager."""

    def __init__(self) -> None:
        configuration = Configuration(
            host=settings.LINE_API_DATA_BASE_URL.rstrip("/"), access_token=settings.LINE_CHANNEL_ACCESS_TOKEN
        )
        self.client = ApiClient(configuration)
        self.api = MessagingApiBlob(self.client)

    def __enter__(self) -> LineBlob:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def content(self, message_id: str) -> Content:
        """The content of an incoming image, video, audio or file message (GET
        /v2/bot/message/{id}/content through `get_message_content`, with its headers)."""
        try:
            response = self.api.get_message_content_with_http_info(message_id, _request_timeout=(10, 60))
        except ApiException as error:
            body = error.body.decode("utf-8", "replace") if isinstance(error.body, bytes) else str(error.body or "")
            return Content(ok=False, status=error.status, error=f"{error.status} {error.reason}: {body}"[:500])
        except Exception as error:  # network failure: recorded and retried, never raised
            return Content(ok=False, error=f"{type(error).__name__}: {error}"[:500])
        headers = response.headers or {}
        content_type = str(headers.get("Content-Type") or headers.get("content-type") or "")
        return Content(ok=True, data=bytes(response.data or b""), content_type=content_type, status=200)
