"""Bodies are limited while they stream, chunked or not, and chunked bodies are read (real uvicorn)."""

from __future__ import annotations

import json
import select
import socket

import pytest

from apps.accounts.services import token_for_user
from tests.accounts.factories import UserFactory
from tests.liveserver import read_response, uvicorn_server
from tests.projects.factories import make_project, make_task

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

GIB = 1024**3
CHUNK = 64 * 1024


def _chunked_head(method: str, path: str, *, token: str | None = None) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
    ]
    if token:
        lines.append(f"Authorization: Token {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    with uvicorn_server() as port:
        yield port


def test_a_gibibyte_chunked_anonymous_body_is_refused_after_the_limit(server, settings):
    """The server answers 413 once the body passes the limit, long before 1 GiB has been sent."""
    sock = socket.create_connection(("127.0.0.1", server))
    sock.sendall(_chunked_head("POST", "/api/auth/token/"))
    frame = _chunk(b'"' + b"x" * (CHUNK - 2) + b'"')
    sock.settimeout(2)
    sent = 0
    answered = False
    while sent < GIB:
        if select.select([sock], [], [], 0)[0]:
            answered = True
            break
        try:
            sock.sendall(frame)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            break  # the server stopped reading: its answer is on its way
        sent += CHUNK
    status, headers, body = read_response(sock)
    sock.close()
    assert status == 413
    assert json.loads(body)["code"] == "request_too_large"
    # everything past the limit went no further than the kernels' socket buffers
    assert sent < 64 * 1024 * 1024, (sent, answered)


def test_a_declared_length_over_the_limit_is_refused_before_any_body(server):
    sock = socket.create_connection(("127.0.0.1", server))
    sock.sendall(
        b"POST /api/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1073741824\r\n\r\n"
    )
    status, _, body = read_response(sock)
    sock.close()
    assert status == 413
    assert json.loads(body)["code"] == "request_too_large"


def test_any_content_type_is_limited(server):
    sock = socket.create_connection(("127.0.0.1", server))
    sock.sendall(
        b"POST /admin/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    sock.settimeout(2)
    try:
        for _ in range(64):  # 4 MiB, four times the default limit
            sock.sendall(_chunk(b"x" * CHUNK))
    except (TimeoutError, BrokenPipeError, ConnectionResetError):
        pass
    status, _, body = read_response(sock)
    sock.close()
    assert status == 413


@pytest.mark.django_db(transaction=True)
def test_a_chunked_patch_is_read_not_taken_as_empty(server):
    user = UserFactory()
    project = make_project(admin=user)
    task = make_task(project, title="before")
    token = token_for_user(user=user)
    body = json.dumps({"title": "after", "row_version": task.row_version}).encode()
    sock = socket.create_connection(("127.0.0.1", server))
    sock.sendall(_chunked_head("PATCH", f"/api/projects/{project.pk}/tasks/{task.pk}/", token=token))
    for start in range(0, len(body), 7):  # several chunks
        sock.sendall(_chunk(body[start : start + 7]))
    sock.sendall(b"0\r\n\r\n")
    status, _, answer = read_response(sock)
    sock.close()
    assert status == 200, answer
    assert json.loads(answer)["title"] == "after"
    task.refresh_from_db()
    assert task.title == "after"


@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_over_the_limit_from_a_user_is_413_and_changes_nothing(server, settings):
    user = UserFactory()
    project = make_project(admin=user)
    task = make_task(project, title="before")
    token = token_for_user(user=user)
    body = json.dumps({"title": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10), "row_version": 1}).encode()
    sock = socket.create_connection(("127.0.0.1", server))
    sock.sendall(_chunked_head("PATCH", f"/api/projects/{project.pk}/tasks/{task.pk}/", token=token))
    sock.settimeout(2)
    try:
        for start in range(0, len(body), CHUNK):
            sock.sendall(_chunk(body[start : start + CHUNK]))
        sock.sendall(b"0\r\n\r\n")
    except (TimeoutError, BrokenPipeError, ConnectionResetError):
        pass
    status, _, _ = read_response(sock)
    sock.close()
    assert status == 413
    task.refresh_from_db()
    assert task.title == "before"


def test_a_body_within_the_limit_never_spools_to_disk(settings):
    # Django's ASGIHandler spools the body it is handed; under the limit it is handed at most
    # DATA_UPLOAD_MAX_MEMORY_SIZE bytes, which the spooled file keeps in memory.
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE >= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
