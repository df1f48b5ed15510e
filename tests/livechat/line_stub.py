"""LINE's side, for tests: webhook bodies built and signed the way LINE sends them, and a
local HTTP stub of the Messaging API that records every request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from linebot.v3.webhook import SignatureValidator
from linebot.v3.webhooks import (
    AudioMessageContent,
    CallbackRequest,
    ContentProvider,
    DeliveryContext,
    FileMessageContent,
    FollowDetail,
    FollowEvent,
    ImageMessageContent,
    MessageEvent,
    PostbackContent,
    PostbackEvent,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
    VideoMessageContent,
)

SECRET = "test-channel-secret"
_ids = itertools.count(1)


def event_id() -> str:
    return f"01HTESTEVENT{next(_ids):014d}"


def _common(user_id: str, *, webhook_event_id: str | None = None, redelivery: bool = False) -> dict[str, Any]:
    return {
        "source": UserSource(type="user", user_id=user_id),
        "timestamp": int(time.time() * 1000),
        "mode": "active",
        "webhook_event_id": webhook_event_id or event_id(),
        "delivery_context": DeliveryContext(is_redelivery=redelivery),
    }


def text_event(user_id: str, text: str, **kwargs) -> MessageEvent:
    n = next(_ids)
    return MessageEvent(
        reply_token=f"reply{n}",
        message=TextMessageContent(type="text", id=str(n), text=text, quote_token=f"q{n}"),
        **_common(user_id, **kwargs),
    )


def sticker_event(user_id: str, package_id: str = "446", sticker_id: str = "1988", **kwargs) -> MessageEvent:
    n = next(_ids)
    return MessageEvent(
        reply_token=f"reply{n}",
        message=StickerMessageContent(
            type="sticker",
            id=str(n),
            package_id=package_id,
            sticker_id=sticker_id,
            sticker_resource_type="STATIC",
            quote_token=f"q{n}",
        ),
        **_common(user_id, **kwargs),
    )


def media_event(user_id: str, kind: str = "image", *, external: bool = False, **kwargs) -> MessageEvent:
    """An image, video, audio or file message as LINE sends it (content on LINE's servers unless
    `external`); its `message.id` is the content id the blob API serves."""
    n = next(_ids)
    provider = (
        ContentProvider(
            type="external",
            original_content_url="https://cdn.example.com/a.jpg",
            preview_image_url="https://cdn.example.com/a-p.jpg",
        )
        if external
        else ContentProvider(type="line")
    )
    content = {
        "image": lambda: ImageMessageContent(type="image", id=str(n), content_provider=provider, quote_token=f"q{n}"),
        "video": lambda: VideoMessageContent(
            type="video", id=str(n), duration=1000, content_provider=provider, quote_token=f"q{n}"
        ),
        "audio": lambda: AudioMessageContent(type="audio", id=str(n), duration=1000, content_provider=provider),
        "file": lambda: FileMessageContent(type="file", id=str(n), file_name="invoice.pdf", file_size=9),
    }[kind]()
    return MessageEvent(reply_token=f"reply{n}", message=content, **_common(user_id, **kwargs))


def follow_event(user_id: str, **kwargs) -> FollowEvent:
    return FollowEvent(
        reply_token=f"reply{next(_ids)}", follow=FollowDetail(is_unblocked=False), **_common(user_id, **kwargs)
    )


def unfollow_event(user_id: str, **kwargs) -> UnfollowEvent:
    return UnfollowEvent(**_common(user_id, **kwargs))


def postback_event(user_id: str, data: str, **kwargs) -> PostbackEvent:
    return PostbackEvent(
        reply_token=f"reply{next(_ids)}", postback=PostbackContent(data=data), **_common(user_id, **kwargs)
    )


def body_of(*events) -> str:
    return CallbackRequest(destination="U" + "b" * 32, events=list(events)).to_json()


def sign(body: str, secret: str = SECRET) -> str:
    signature = base64.b64encode(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()).decode()
    assert SignatureValidator(secret).validate(body, signature)  # the SDK accepts what we send
    return signature


def post_webhook(client, body: str, signature: str | None = None):
    headers = {} if signature == "" else {"HTTP_X_LINE_SIGNATURE": signature or sign(body)}
    return client.generic("POST", "/api/livechat/webhook/", body, content_type="application/json", **headers)


class LineApiStub:
    """A local Messaging API (and its data host): records requests; answers the queued
    statuses, then 200. `GET /v2/bot/message/{id}/content` serves `contents[id]`
    (bytes, content type), 404 for an unknown id."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.contents: dict[str, tuple[bytes, str]] = {}
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                stub.requests.append({"path": self.path, "headers": dict(self.headers.items()), "json": None})
                parts = self.path.strip("/").split("/")  # v2 bot message {id} content
                found = len(parts) == 5 and parts[:3] == ["v2", "bot", "message"] and parts[4] == "content"
                code = stub.statuses.pop(0) if stub.statuses else 200
                if code == 200 and found and parts[3] in stub.contents:
                    payload, content_type = stub.contents[parts[3]]
                else:
                    code = code if code != 200 else 404
                    payload, content_type = json.dumps({"message": "stub error"}).encode(), "application/json"
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                stub.requests.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "json": json.loads(body or b"{}")}
                )
                code = stub.statuses.pop(0) if stub.statuses else 200
                sent = [
                    {"id": str(100 + i), "quoteToken": f"qt{i}"}
                    for i, _ in enumerate(stub.requests[-1]["json"].get("messages", []))
                ]
                payload = json.dumps({"sentMessages": sent} if code == 200 else {"message": "stub error"}).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]
