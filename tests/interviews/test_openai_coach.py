"""The outside-model coach through the official `openai` package, against a local server that
speaks the chat-completions protocol: success, malformed output, timeout, 401 and 429, each
mapped to its stable code; the key never appears in a response or a log line."""

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apps.interviews.models import CoachKey, Operation, SessionMessage
from tests.accounts.factories import UserFactory
from tests.interviews.factories import InterviewSessionFactory, ResumeFactory, answered_session

pytestmark = pytest.mark.django_db
API = "/api/interviews"
GOOD_KEY = "sk-local-good-key-7f3a"

QUESTION = {"content": "What is an index?", "question_type": "technical", "key_points": ["b-tree"], "topic": "sql"}
FEEDBACK = {
    "technical_score": 80,
    "communication_score": 70,
    "problem_solving_score": 61,
    "relevance_score": 90,
    "technical_feedback": "Good.",
    "knowledge_gaps": ["b-tree"],
    "learning_recommendations": ["Read about b-trees."],
    "answer_notes": [],
}


class ChatServer(BaseHTTPRequestHandler):
    mode = "ok"  # ok, malformed, wrong_shape, slow, unauthorized, rate_limited, down
    seen_keys: list[str] = []

    def log_message(self, *args):  # quiet
        pass

    def _reply(self, status: int, body: dict) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _refusal(self, key: str) -> bool:
        if key != f"Bearer {GOOD_KEY}" or self.mode == "unauthorized":
            self._reply(401, {"error": {"message": "Incorrect API key", "type": "invalid_request_error"}})
            return True
        if self.mode == "rate_limited":
            self._reply(429, {"error": {"message": "Rate limit reached", "type": "rate_limit"}})
            return True
        if self.mode == "down":
            self._reply(503, {"error": {"message": "Overloaded", "type": "server_error"}})
            return True
        return False

    def do_GET(self):  # models.list(): key validation
        if not self._refusal(self.headers.get("Authorization", "")):
            self._reply(200, {"object": "list", "data": [{"id": "local", "object": "model", "owned_by": "me"}]})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ChatServer.seen_keys.append(self.headers.get("Authorization", ""))
        if self._refusal(self.headers.get("Authorization", "")):
            return
        if self.mode == "slow":
            time.sleep(2.5)
        system = body["messages"][0]["content"]
        content = QUESTION if "interviewer" in system else FEEDBACK
        if self.mode == "wrong_shape":  # JSON, but not what was asked for: validated, refused
            content = {"content": "", "question_type": "riddle", "score": 101}
        text = "this is not JSON" if self.mode == "malformed" else json.dumps(content)
        self._reply(
            200,
            {
                "id": "c1",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
            },
        )


@pytest.fixture
def server(settings):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), ChatServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    settings.INTERVIEWS_COACH = "openai"
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    settings.INTERVIEWS_COACH_TIMEOUT = 1
    ChatServer.mode = "ok"
    yield ChatServer
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def client(client_for, owner):
    c = client_for(owner)
    assert c.put(f"{API}/api-key/", {"api_key": GOOD_KEY}, format="json").json()["last_four"] == "7f3a"
    return c


def ask(client, session, capture):
    with capture(execute=True):
        op = client.post(f"{API}/sessions/{session.pk}/questions/").json()
    return client.get(f"{API}/operations/{op['id']}/").json()


def test_a_question_from_the_outside_model(server, client, owner, django_capture_on_commit_callbacks):
    session = InterviewSessionFactory(user=owner)
    op = ask(client, session, django_capture_on_commit_callbacks)
    assert op["status"] == "completed" and op["result"]["content"] == "What is an index?"
    assert SessionMessage.objects.get(session=session).meta["key_points"] == ["b-tree"]
    assert server.seen_keys[-1] == f"Bearer {GOOD_KEY}"  # the user's own key, decrypted


def test_feedback_from_the_outside_model(server, client, owner, django_capture_on_commit_callbacks):
    ResumeFactory(user=owner)
    session = answered_session(owner)
    with django_capture_on_commit_callbacks(execute=True):
        op = client.post(f"{API}/sessions/{session.pk}/feedback/").json()
    assert client.get(f"{API}/operations/{op['id']}/").json()["status"] == "completed"
    assert client.get(f"{API}/sessions/{session.pk}/feedback/").json()["overall_score"] == round(
        (80 + 70 + 61 + 90) / 4
    )


@pytest.mark.parametrize(
    ("mode", "code", "retryable"),
    [
        ("malformed", "bad_output", True),
        ("slow", "timeout", True),
        ("unauthorized", "invalid_key", False),
        ("rate_limited", "rate_limited", True),
        ("down", "unavailable", True),
        ("wrong_shape", "bad_output", True),
    ],
)
def test_failures_are_mapped_and_retried_as_children(
    server, client, owner, django_capture_on_commit_callbacks, mode, code, retryable
):
    session = InterviewSessionFactory(user=owner)
    server.mode = mode
    op = ask(client, session, django_capture_on_commit_callbacks)
    assert (op["status"], op["error_code"], op["retryable"]) == ("failed", code, retryable)
    assert op["error_message"] and not SessionMessage.objects.exists()
    server.mode = "ok"
    with django_capture_on_commit_callbacks(execute=True):
        child = client.post(f"{API}/operations/{op['id']}/retry/").json()
    child = client.get(f"{API}/operations/{child['id']}/").json()
    assert child["status"] == "completed" and child["parent_operation_id"] == op["id"]


def test_no_key_fails_with_a_code(server, client_for, django_capture_on_commit_callbacks):
    user = UserFactory()
    op = ask(client_for(user), InterviewSessionFactory(user=user), django_capture_on_commit_callbacks)
    assert (op["status"], op["error_code"]) == ("failed", "no_key")


def test_validate_checks_the_key_against_the_server(server, client, owner):
    assert client.post(f"{API}/api-key/validate/").json() == {"valid": True, "checked": True, "error_code": ""}
    client.put(f"{API}/api-key/", {"api_key": "sk-wrong-key-0000"}, format="json")
    assert client.post(f"{API}/api-key/validate/").json() == {
        "valid": False,
        "checked": True,
        "error_code": "invalid_key",
    }
    server.mode = "rate_limited"
    client.put(f"{API}/api-key/", {"api_key": GOOD_KEY}, format="json")
    assert client.post(f"{API}/api-key/validate/").json()["error_code"] == "rate_limited"


def test_the_key_is_stored_encrypted_and_never_shown(client, owner, caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.DEBUG)
    stored = CoachKey.objects.get(user=owner)
    assert GOOD_KEY.encode() not in bytes(stored.encrypted_key)
    responses = [
        client.put(f"{API}/api-key/", {"api_key": GOOD_KEY}, format="json"),
        client.post(f"{API}/api-key/validate/"),
        client.get(f"{API}/dashboard/"),
    ]
    session = InterviewSessionFactory(user=owner)
    with django_capture_on_commit_callbacks(execute=True):
        op = client.post(f"{API}/sessions/{session.pk}/questions/")
    responses += [op, client.get(f"{API}/operations/{op.json()['id']}/"), client.get(f"{API}/sessions/{session.pk}/")]
    for response in responses:
        assert GOOD_KEY not in response.content.decode()
    assert GOOD_KEY not in caplog.text
    assert "7f3a" in responses[0].content.decode()


def test_a_malformed_key_is_refused_and_nothing_is_written(client_for):
    user = UserFactory()
    response = client_for(user).put(f"{API}/api-key/", {"api_key": "has spaces in it"}, format="json")
    assert response.status_code == 400 and "api_key" in response.json()
    assert not CoachKey.objects.filter(user=user).exists()
    assert client_for(user).delete(f"{API}/api-key/").status_code == 404


def test_a_key_under_another_secret_is_treated_as_missing(
    server, client, owner, settings, django_capture_on_commit_callbacks
):
    settings.INTERVIEWS_KEY_SECRET = "rotated"
    op = ask(client, InterviewSessionFactory(user=owner), django_capture_on_commit_callbacks)
    assert op["error_code"] == "no_key"
    assert Operation.objects.get(pk=op["id"]).status == "failed"
