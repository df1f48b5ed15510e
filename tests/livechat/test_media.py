"""Media both ways: incoming content downloaded through the SDK's blob API (against a local stub
of LINE's data host) into Django's storage; agents' image uploads checked by content, stored
and sent as LINE image messages."""

import io
import os

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from apps.livechat import services
from apps.livechat.models import Message
from tests.accounts.factories import UserFactory
from tests.livechat.factories import ChatSessionFactory, ContactFactory, MessageFactory, make_agent
from tests.livechat.line_stub import LineApiStub, body_of, media_event, post_webhook, text_event

pytestmark = pytest.mark.django_db

USER = "U" + "d" * 32


def image_bytes(image_format="PNG", size=(640, 480), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=image_format)
    return out.getvalue()


@pytest.fixture
def data_host(line_api, settings):
    """LINE's data host (api-data.line.me) as its own stub: content downloads go there, never
    to the Messaging API host."""
    stub = LineApiStub()
    settings.LINE_API_DATA_BASE_URL = stub.url
    yield stub
    stub.close()


@pytest.fixture
def deliver(api_client, django_capture_on_commit_callbacks):
    def send(*events):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook(api_client, body_of(*events))
        assert response.status_code == 200, response.content
        return response

    return send


def stored_files() -> list[str]:
    root = default_storage.location
    return sorted(
        os.path.relpath(os.path.join(folder, name), root) for folder, _, names in os.walk(root) for name in names
    )


# --- in: downloads --------------------------------------------------------------------------


def test_an_incoming_image_is_downloaded_from_the_data_host_into_storage(deliver, data_host, line_api):
    event = media_event(USER, "image")
    png = image_bytes()
    data_host.contents[event.message.id] = (png, "image/png")
    deliver(event)
    message = Message.objects.get(direction="incoming")
    assert message.message_type == "image" and message.media_state == "stored"
    assert message.attempts == 1 and message.error == ""
    assert message.media.name == f"livechat/in/{message.contact_id}/{event.message.id}.png"
    with default_storage.open(message.media.name) as stored:
        assert stored.read() == png
    (request,) = data_host.requests
    assert request["path"] == f"/v2/bot/message/{event.message.id}/content"
    assert request["headers"]["Authorization"] == "Bearer test-access-token"
    assert line_api.requests == []  # nothing asked of the Messaging API host


@pytest.mark.parametrize(
    ("kind", "content_type", "extension"),
    [("video", "video/mp4", "mp4"), ("audio", "audio/x-m4a", "m4a"), ("file", "application/pdf", "pdf")],
)
def test_video_audio_and_file_content_is_kept_with_its_extension(deliver, data_host, kind, content_type, extension):
    event = media_event(USER, kind)
    data_host.contents[event.message.id] = (b"content-bytes", content_type)
    deliver(event)
    message = Message.objects.get(direction="incoming")
    assert message.message_type == kind and message.media_state == "stored"
    assert message.media.name.endswith(f"/{event.message.id}.{extension}")
    if kind == "file":
        assert message.content == "invoice.pdf" and message.payload["fileName"] == "invoice.pdf"


def test_a_failed_download_is_recorded_then_retried(deliver, data_host):
    event = media_event(USER, "image")
    data_host.contents[event.message.id] = (image_bytes("JPEG"), "image/jpeg")
    data_host.statuses = [500]
    deliver(event)  # the webhook still answers 200
    message = Message.objects.get(direction="incoming")
    assert message.media_state == "failed" and message.attempts == 1
    assert message.error.startswith("500") and not message.media
    assert services.media_downloads_retry() == 1  # the beat task's work
    message.refresh_from_db()
    assert message.media_state == "stored" and message.attempts == 2 and message.error == ""
    assert message.media.name.endswith(".jpg")


def test_downloads_stop_after_the_last_attempt(deliver, data_host):
    event = media_event(USER, "image")  # never served: LINE answers 404 (content expired)
    deliver(event)
    for _ in range(services.MAX_DOWNLOAD_ATTEMPTS + 2):
        services.media_downloads_retry()
    message = Message.objects.get(direction="incoming")
    assert message.media_state == "failed" and message.attempts == services.MAX_DOWNLOAD_ATTEMPTS
    assert message.error.startswith("404")
    assert len(data_host.requests) == services.MAX_DOWNLOAD_ATTEMPTS


def test_a_lost_pending_download_is_picked_up_by_the_retry(data_host):
    import datetime as dt

    from django.utils import timezone

    contact = ContactFactory(line_user_id=USER)
    old = MessageFactory(
        contact=contact,
        message_type="image",
        payload={"id": "555"},
        media_state="pending",
        created_at=timezone.now() - dt.timedelta(minutes=10),
    )
    fresh = MessageFactory(contact=contact, message_type="image", payload={"id": "556"}, media_state="pending")
    data_host.contents["555"] = (image_bytes(), "image/png")
    data_host.contents["556"] = (image_bytes(), "image/png")
    assert services.media_downloads_retry() == 1  # a fresh pending one is its own task's, still running
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.media_state == "stored" and fresh.media_state == "pending"


def test_external_content_is_not_downloaded(deliver, data_host):
    deliver(media_event(USER, "image", external=True))
    message = Message.objects.get(direction="incoming")
    assert message.media_state == "" and not message.media
    assert message.payload["contentProvider"]["type"] == "external"
    assert data_host.requests == []


def test_with_no_access_token_nothing_is_downloaded(deliver, settings):
    settings.LINE_API_DATA_BASE_URL = "http://127.0.0.1:9"  # would refuse: nothing is tried
    deliver(media_event(USER, "image"), text_event(USER, "hello"))
    image = Message.objects.get(direction="incoming", message_type="image")
    assert image.media_state == "pending" and image.attempts == 0 and not image.media
    assert services.media_downloads_retry() == 0
    assert stored_files() == []


# --- out: agents' images --------------------------------------------------------------------


@pytest.fixture
def operator_desk(client_for):
    agent = make_agent()
    contact = ContactFactory(line_user_id=USER)
    ChatSessionFactory(contact=contact, status="active", operator=agent)
    return agent, contact, client_for(agent)


def upload(client, contact, data, name="photo.png", callbacks=None):
    url = f"/api/livechat/conversations/{contact.pk}/media/"
    body = {"file": io.BytesIO(data)}
    body["file"].name = name
    if callbacks is None:
        return client.post(url, body, format="multipart")
    with callbacks(execute=True):
        return client.post(url, body, format="multipart")


def test_an_image_is_stored_and_sent_from_the_public_media_url(
    operator_desk, line_api, settings, django_capture_on_commit_callbacks
):
    agent, contact, client = operator_desk
    settings.LIVECHAT_PUBLIC_MEDIA_URL = "https://media.example.com/m/"
    response = upload(client, contact, image_bytes("PNG", (1200, 900)), callbacks=django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["message_type"] == "image" and body["sender_role"] == "agent" and body["operator_id"] == agent.pk
    message = Message.objects.get(pk=body["id"])
    assert message.delivery == "sent" and message.media.name.endswith(".png")
    assert body["media_url"] == default_storage.url(message.media.name)
    original, preview = message.media.name, message.payload["preview"]
    assert stored_files() == sorted([original, preview])
    (request,) = line_api.requests
    assert request["path"] == "/v2/bot/message/push" and request["json"]["to"] == USER
    assert request["json"]["messages"] == [
        {
            "type": "image",
            "originalContentUrl": f"https://media.example.com/m/{original}",
            "previewImageUrl": f"https://media.example.com/m/{preview}",
        }
    ]
    with default_storage.open(preview) as stored, Image.open(stored) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) == 240
    session = message.session
    assert session.first_response_at is not None and session.message_count == 1


def test_with_no_public_media_url_the_image_is_stored_not_sent(
    operator_desk, line_api, django_capture_on_commit_callbacks
):
    _, contact, client = operator_desk
    response = upload(client, contact, image_bytes("JPEG"), "p.jpg", callbacks=django_capture_on_commit_callbacks)
    assert response.status_code == 201
    assert response.json()["delivery"] == "stored"
    message = Message.objects.get()
    assert message.error == services.NO_PUBLIC_URL and message.media.name.endswith(".jpg")
    assert line_api.requests == []  # LINE could not fetch it: never sent
    assert services.deliveries_retry() == 0


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, format="GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "needle"),
    [
        (b"just some text, not an image", "photo.png", "not an image"),
        (b"", "empty.png", "empty"),
        (_gif(), "photo.png", "GIF"),  # the name says png; the content decides
        (image_bytes("PNG")[:200], "photo.png", "damaged"),  # truncated
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "photo.png", "image"),  # a PNG signature and nothing behind it
    ],
)
def test_a_non_image_is_400_on_the_file_field_and_nothing_is_stored(operator_desk, data, name, needle):
    _, contact, client = operator_desk
    response = upload(client, contact, data, name)
    assert response.status_code == 400, response.content
    body = response.json()
    assert "file" in body and any(needle in message for message in body["file"]), body
    assert not Message.objects.exists() and stored_files() == []


def test_an_oversized_image_is_400_and_nothing_is_stored(operator_desk, settings):
    _, contact, client = operator_desk
    data = image_bytes("PNG", (300, 300))
    settings.LIVECHAT_MEDIA_MAX_BYTES = len(data) - 1
    response = upload(client, contact, data)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_upload" and "limit" in response.json()["file"][0]
    assert not Message.objects.exists() and stored_files() == []
    settings.LIVECHAT_MEDIA_MAX_BYTES = len(data)
    assert upload(client, contact, data).status_code == 201


def test_a_body_far_over_the_limit_is_413_before_it_is_read(operator_desk, settings):
    _, contact, client = operator_desk
    settings.LIVECHAT_MEDIA_MAX_BYTES = 2048
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = upload(client, contact, b"x" * (2048 + settings.UPLOAD_BODY_OVERHEAD + 1))
    assert response.status_code == 413 and response.json()["code"] == "request_too_large"
    assert not Message.objects.exists()


def test_an_upload_route_takes_more_than_the_global_body_limit(operator_desk, settings):
    _, contact, client = operator_desk
    data = image_bytes("PNG", (900, 900), color=None)  # noise-free but over the limit below
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    assert len(data) > 1024
    assert upload(client, contact, data).status_code == 201
    # other routes keep the global limit
    big = client.post(f"/api/livechat/conversations/{contact.pk}/messages/", {"text": "x" * 2000}, format="json")
    assert big.status_code == 413


def test_a_missing_file_is_400(operator_desk):
    _, contact, client = operator_desk
    response = client.post(f"/api/livechat/conversations/{contact.pk}/media/", {}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()


def test_only_the_operator_of_an_active_session_sends_images(operator_desk, client_for):
    agent, contact, _ = operator_desk
    other = client_for(make_agent())
    response = upload(other, contact, image_bytes())
    assert response.status_code == 403 and response.json()["code"] == "not_the_operator"
    idle = ContactFactory()
    response = upload(client_for(agent), idle, image_bytes())
    assert response.status_code == 409 and response.json()["code"] == "session_not_active"
    assert upload(client_for(UserFactory()), contact, image_bytes()).status_code == 403
    assert upload(client_for(agent), ContactFactory.build(pk=987654), image_bytes()).status_code == 404
    assert not Message.objects.exists() and stored_files() == []


def test_the_upload_keeps_its_budget_at_1_and_50_messages(operator_desk, query_budget):
    _, contact, client = operator_desk
    url = f"/api/livechat/conversations/{contact.pk}/media/"
    query_budget.assert_query_budget(
        request=lambda: upload(client, contact, image_bytes()),
        add_rows=lambda n: [MessageFactory(contact=contact) for _ in range(n)],
        budget=query_budget.declared("POST", url),
    )
