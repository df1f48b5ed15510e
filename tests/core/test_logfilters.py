"""No token reaches a log line: uvicorn's access and WebSocket lines included, with the config `make run` uses."""

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from apps.core.logfilters import RedactTokens

ROOT = Path(__file__).resolve().parents[2]


def test_the_filter_scrubs_tokens_from_messages_and_arguments():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/ws/jobs/rooms/lab/?a=1&token=abc123&b=2", "1.1", 101),
        None,
    )
    assert RedactTokens().filter(record)
    line = record.getMessage()
    assert "abc123" not in line
    assert "token=[redacted]&b=2" in line
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, "GET /x?access_token=s3cr3t", None, None)
    RedactTokens().filter(plain)
    assert plain.getMessage() == "GET /x?access_token=[redacted]"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(transactional_db):
    """uvicorn serving the project with config/uvicorn_logging.json, as `make run` does; yields (url, output file)."""
    from django.db import connection

    port = _free_port()
    output = ROOT / "var" / f"uvicorn-logtest-{port}.log"
    output.parent.mkdir(exist_ok=True)
    db = connection.settings_dict  # the test database, which pytest-django created
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = dict(os.environ, SILK_ENABLED="0", DATABASE_URL=database_url)
    with output.open("wb") as sink:
        server = subprocess.Popen(  # noqa: S603 - fixed argv
            [
                os.path.join(os.path.dirname(sys.executable), "uvicorn"),
                "config.asgi:application",
                "--port",
                str(port),
                "--log-config",
                "config/uvicorn_logging.json",
                "--lifespan",
                "off",
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"127.0.0.1:{port}"
            for _ in range(100):
                try:
                    httpx.get(f"http://{url}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield url, output
        finally:
            server.terminate()
            server.wait(10)
    output.unlink(missing_ok=True)


@pytest.mark.postgres
def test_no_token_reaches_uvicorns_logs(served):
    from websockets.sync.client import connect

    url, output = served
    httpx.get(f"http://{url}/healthz?token=httpsecret111", timeout=5)
    with connect(f"ws://{url}/ws/nothing/?token=querysecret222", open_timeout=5) as ws:
        with pytest.raises(Exception):  # noqa: B017 - closed 4404 by the server
            ws.recv(timeout=5)
    with connect(
        f"ws://{url}/ws/jobs/rooms/lab/", subprotocols=["brisk.token", "headersecret333"], open_timeout=5
    ) as ws:
        with pytest.raises(Exception):  # noqa: B017 - an unknown token: closed 4401
            ws.recv(timeout=5)
    time.sleep(0.3)
    log = output.read_text()
    assert "/healthz?token=[redacted]" in log  # the access line is there, without its secret
    assert "/ws/nothing/?token=[redacted]" in log
    for secret in ("httpsecret111", "querysecret222", "headersecret333"):
        assert secret not in log
