"""Log filters: no API token reaches a log line.

WebSocket clients may pass their token as `?token=<key>` (and script clients do), so
the query string of a socket's path carries a secret. uvicorn logs that path twice:
its access log (`"GET /ws/...?token=..." 101`) and its WebSocket line (`"WebSocket
/ws/...?token=..." [accepted]`). `RedactTokens` rewrites such values, in the message
and in its arguments, before any handler formats them. It is attached to every handler
of `config/uvicorn_logging.json` (what `make run` and the bench serve with) and of
Django's LOGGING.
"""

from __future__ import annotations

import logging
import re

# `token=`, `access_token=` in a query string or a header-like text, up to the next separator.
TOKEN_VALUE = re.compile(r"(\b(?:access_)?token=)[^&\s\"';,]+", re.IGNORECASE)
REDACTED = r"\1[redacted]"


def redact(text: str) -> str:
    return TOKEN_VALUE.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "token" in record.msg.lower():
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact(v) if isinstance(v, str) else v for key, v in record.args.items()}
        return True
