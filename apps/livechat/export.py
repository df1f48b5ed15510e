"""A conversation as CSV, streamed in constant memory: one query read through a server-side
cursor (`.iterator(chunk_size=...)`), each chunk of rows one part of the response body.

Cells that a spreadsheet would run as a formula (starting with = + - @, or a tab or carriage
return) get a leading apostrophe (OWASP's CSV injection rule); numbers and timestamps are ours.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator
from typing import Any

from asgiref.sync import sync_to_async

from apps.livechat import media, selectors

CHUNK = 2000  # rows per cursor fetch and per body part
HEADER = (
    "id",
    "created_at",
    "direction",
    "sender_role",
    "operator",
    "message_type",
    "content",
    "delivery",
    "media_url",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # spreadsheet programs read UTF-8 (Japanese names, emoji) only with it


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(row: tuple[Any, ...]) -> list[Any]:
    pk, created_at, direction, sender_role, operator, message_type, content, delivery, media_name = row
    return [
        pk,
        created_at.isoformat(),
        direction,
        sender_role,
        safe_cell(operator or ""),
        safe_cell(message_type),
        safe_cell(content),
        delivery,
        safe_cell(media.storage_url(media_name) or ""),
    ]


def _encode(rows: list[tuple[Any, ...]], header: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        out.write(BOM)
        writer.writerow(HEADER)
    writer.writerows(csv_row(row) for row in rows)
    return out.getvalue().encode("utf-8")


def _next_chunk(rows: Iterator[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            break
    return chunk


async def conversation_csv(contact_id: int) -> AsyncIterator[bytes]:
    """The header, then one part per CHUNK rows. The cursor is opened and advanced in the
    request's own sync thread (thread-sensitive), where its connection lives."""
    yield _encode([], header=True)
    rows = await sync_to_async(lambda: selectors.conversation_export(contact_id=contact_id).iterator(CHUNK))()
    while True:
        chunk = await sync_to_async(_next_chunk)(rows)
        if chunk:
            yield _encode(chunk)
        if len(chunk) < CHUNK:
            break
