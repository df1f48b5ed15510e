"""Reading a streamed response in a test the way the ASGI handler reads it."""

from __future__ import annotations

from asgiref.sync import async_to_sync


def parts(response) -> list[bytes]:
    """The streamed body, part by part, read as the ASGI handler reads it (an async iterator)."""
    assert response.streaming and response.is_async

    async def collect():
        return [part async for part in response.streaming_content]

    return async_to_sync(collect)()


def fetch(client, url):
    """GET `url`; a 200's streamed parts are on `response.parts`."""
    response = client.get(url)
    response.parts = parts(response) if response.status_code == 200 else []
    return response
