"""Plain builders for the hot lists; tests prove they match the documented serializers."""

from __future__ import annotations

from typing import Any

from apps.livechat.media import storage_url


def conversation_item(row: dict[str, Any], tags: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "contact": {
            "id": row["id"],
            "line_user_id": row["line_user_id"],
            "display_name": row["display_name"],
            "picture_url": row["picture_url"],
            "friend_status": row["friend_status"],
            "chat_mode": row["chat_mode"],
            "last_message_at": row["last_message_at"],
        },
        "session": None
        if row["session_id"] is None
        else {
            "id": row["session_id"],
            "status": row["session_status"],
            "operator_id": row["session_operator_id"],
            "started_at": row["session_started_at"],
            "claimed_at": row["session_claimed_at"],
            "closed_at": row["session_closed_at"],
        },
        "latest_message": None
        if row["message_id"] is None
        else {
            "id": row["message_id"],
            "direction": row["message_direction"],
            "message_type": row["message_type"],
            "content": row["message_content"],
            "sender_role": row["message_sender_role"],
            "created_at": row["message_created_at"],
        },
        "unread_count": int(row["unread_count"]),
        "tags": tags,
    }


def message_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "session_id": row["session_id"],
        "direction": row["direction"],
        "message_type": row["message_type"],
        "content": row["content"],
        "payload": row["payload"],
        "sender_role": row["sender_role"],
        "operator_id": row["operator_id"],
        "delivery": row["delivery"],
        "media_url": storage_url(row["media"]),
        "created_at": row["created_at"],
    }
